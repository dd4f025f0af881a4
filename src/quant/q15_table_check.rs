//! Regenerates the Q15 kernel's table from the oracle (kept out of `q15.rs`,
//! which must stay free of floating point).

#[test]
fn table_is_the_rounded_oracle() {
    for (i, &t) in super::q15::TABLE.iter().enumerate() {
        let v = (crate::reference::sigmoid_f64(i as f64 / 64.0) - 0.5) * 131_072.0;
        let want = libm::round(v).min(65_535.0) as u16;
        assert_eq!(t, want, "entry {i}: {v}");
    }
}
