//! Criterion benches for the GPU kernels: host round trip (upload, kernel,
//! readback), each device-resident kernel alone (`bench::RESIDENT`: σ, the
//! correctly rounded σ where the device has `SHADER_F64`, SiLU, softplus,
//! log-sigmoid; and the fused BCE with logits), a device
//! buffer-to-buffer copy of the same size (the bandwidth the kernel should
//! approach: ≥ 80 % on a real GPU) and the CPU exact tier, all in one group
//! per size.
//!
//! `cargo bench --bench gpu`. Prints the adapter first; without one it
//! prints why and measures nothing. On a software device (lavapipe) the GPU
//! numbers only show that the path works, not what a GPU does. Throughput is
//! 8 bytes per element (read x, write y).

mod common;

use common::inputs;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigmoid_kernels::gpu::{bench, GpuContext};
use std::hint::black_box;

const SIZES: [usize; 3] = [64 << 10, 1 << 20, 16 << 20];

fn gpu(c: &mut Criterion) {
    let ctx = match GpuContext::new() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("gpu bench skipped: {e}");
            return;
        }
    };
    eprintln!("gpu bench on {}", bench::label(&ctx));
    let mut g = c.benchmark_group("gpu");
    g.sample_size(10);
    for &n in &SIZES {
        let x = inputs(n);
        let mut y = vec![0.0f32; n];
        g.throughput(Throughput::Bytes(8 * n as u64));
        g.bench_with_input(BenchmarkId::new("cpu_exact", n), &n, |b, _| {
            b.iter(|| sigmoid_kernels::sigmoid(black_box(&x), &mut y))
        });
        g.bench_with_input(BenchmarkId::new("round_trip", n), &n, |b, _| {
            b.iter_custom(|iters| bench::round_trip(&ctx, &x, iters as u32).expect("round trip"))
        });
        for (name, kernel) in bench::RESIDENT {
            if name == "sigmoid_cr_gpu" && !ctx.has_f64() {
                continue;
            }
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter_custom(|iters| {
                    bench::resident(&ctx, kernel, n as u64, iters as u32).expect(name)
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("bce_with_logits_gpu", n), &n, |b, _| {
            b.iter_custom(|iters| {
                bench::resident_bce(&ctx, n as u64, iters as u32).expect("bce_with_logits")
            })
        });
        g.bench_with_input(BenchmarkId::new("copy", n), &n, |b, _| {
            b.iter_custom(|iters| bench::copy(&ctx, n as u64, iters as u32).expect("copy"))
        });
    }
    g.finish();
}

criterion_group!(benches, gpu);
criterion_main!(benches);
