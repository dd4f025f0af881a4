//! Criterion benches for the constrained-target kernels: hard Sigmoid (PyTorch
//! form, ONNX affine form), PLAN, the int8/uint8 table lookups and the Q15
//! integer-only kernel, with the exact and fast f32 tiers and a memory copy
//! in the same groups as baselines.
//!
//! `cargo bench --bench quant` runs all; filter with e.g. `-- int8/65536`.
//! Throughput is in elements (Melem/s); bytes moved per element are 8 for the
//! f32 kernels, 2 for int8/uint8 and 4 for Q15. Each kernel's accuracy is
//! the constant next to it (e.g. `sigmoid_kernels::HARD_SIGMOID_MAX_ABS`,
//! `Q15Sigmoid::MAX_LSB`), checked by the tests.

mod common;

use common::words;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigmoid_kernels::quant::{Int8Sigmoid, Q15Sigmoid, QuantParams, Uint8Sigmoid};
use sigmoid_kernels::{Backend, HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA};
use std::hint::black_box;

const SIZES: [usize; 3] = [4 << 10, 64 << 10, 1 << 20];

fn f32_kernels(c: &mut Criterion) {
    let mut g = c.benchmark_group("f32_tiers");
    g.sample_size(20);
    for &n in &SIZES {
        let x: Vec<f32> = words(n)
            .iter()
            .map(|&w| (w >> 8) as f32 / (1u32 << 24) as f32 * 20.0 - 10.0)
            .collect();
        let mut y = vec![0.0f32; n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("copy_from_slice", n), &n, |b, _| {
            b.iter(|| y.copy_from_slice(black_box(&x)))
        });
        for backend in Backend::available() {
            let name = backend.name();
            g.bench_with_input(BenchmarkId::new(format!("exact/{name}"), n), &n, |b, _| {
                b.iter(|| backend.sigmoid(black_box(&x), &mut y))
            });
            g.bench_with_input(BenchmarkId::new(format!("fast/{name}"), n), &n, |b, _| {
                b.iter(|| backend.sigmoid_fast(black_box(&x), &mut y))
            });
            g.bench_with_input(BenchmarkId::new(format!("hard/{name}"), n), &n, |b, _| {
                b.iter(|| backend.hard_sigmoid(black_box(&x), &mut y))
            });
            g.bench_with_input(
                BenchmarkId::new(format!("hard_affine/{name}"), n),
                &n,
                |b, _| {
                    b.iter(|| {
                        backend.hard_sigmoid_affine(
                            HARD_SIGMOID_ALPHA,
                            HARD_SIGMOID_BETA,
                            black_box(&x),
                            &mut y,
                        )
                    })
                },
            );
            g.bench_with_input(BenchmarkId::new(format!("plan/{name}"), n), &n, |b, _| {
                b.iter(|| backend.plan_sigmoid(black_box(&x), &mut y))
            });
        }
    }
    g.finish();
}

fn quantized(c: &mut Criterion) {
    let mut g = c.benchmark_group("quantized");
    g.sample_size(20);
    let i8k = Int8Sigmoid::new(QuantParams::new(0.0625, 0)).expect("valid parameters");
    let u8k = Uint8Sigmoid::new(QuantParams::new(0.0625, 128)).expect("valid parameters");
    let q15 = Q15Sigmoid::new(12).expect("Q3.12");
    for &n in &SIZES {
        let w = words(n);
        let xu: Vec<u8> = w.iter().map(|&v| v as u8).collect();
        let xi: Vec<i8> = xu.iter().map(|&v| v as i8).collect();
        let xq: Vec<i16> = w.iter().map(|&v| v as i16).collect();
        let (mut yu, mut yi, mut yq) = (vec![0u8; n], vec![0i8; n], vec![0i16; n]);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("copy_from_slice/u8", n), &n, |b, _| {
            b.iter(|| yu.copy_from_slice(black_box(&xu)))
        });
        g.bench_with_input(BenchmarkId::new("naive_table_loop/u8", n), &n, |b, _| {
            let t = u8k.table();
            b.iter(|| {
                for (o, &v) in yu.iter_mut().zip(black_box(&xu)) {
                    *o = t[usize::from(v)];
                }
            })
        });
        for backend in Backend::available() {
            let name = backend.name();
            g.bench_with_input(BenchmarkId::new(format!("int8/{name}"), n), &n, |b, _| {
                b.iter(|| i8k.apply_with(backend, black_box(&xi), &mut yi))
            });
            g.bench_with_input(BenchmarkId::new(format!("uint8/{name}"), n), &n, |b, _| {
                b.iter(|| u8k.apply_with(backend, black_box(&xu), &mut yu))
            });
        }
        g.bench_with_input(BenchmarkId::new("int8/auto", n), &n, |b, _| {
            b.iter(|| i8k.apply(black_box(&xi), &mut yi))
        });
        g.bench_with_input(BenchmarkId::new("q15/scalar", n), &n, |b, _| {
            b.iter(|| q15.apply(black_box(&xq), &mut yq))
        });
    }
    g.finish();
}

criterion_group!(benches, f32_kernels, quantized);
criterion_main!(benches);
