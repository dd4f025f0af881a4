mod support;
use sigmoid_kernels::{reference, Backend};
use support::*;
#[test]
fn probe() {
    let xs = strided(251, 0);
    let mut ys = vec![0.0; xs.len()];
    for b in Backend::available() {
        for (tier, bound) in [("exact", Bound::Ulp(100.0)), ("fast", Bound::Rel(1.0))] {
            let t = std::time::Instant::now();
            if tier == "exact" {
                b.sigmoid(&xs, &mut ys)
            } else {
                b.sigmoid_fast(&xs, &mut ys)
            }
            let dt = t.elapsed();
            let w = check_sigmoid_values(b.name(), bound, &xs, &ys);
            println!("{} {tier}: {:?} in {:?}", b.isa(), w, dt);
        }
    }
    let _ = reference::sigmoid(0.0);
}
