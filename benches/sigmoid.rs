//! Criterion benches for the f32 kernels: the oracle, a naive libm loop, the
//! exact, fast and correctly rounded (`cr`) tiers on every CPU backend, backward, and a
//! `copy_from_slice` baseline (the memory-bandwidth limit) in the same group.
//!
//! `cargo bench --bench sigmoid` runs all; pass a filter such as
//! `-- forward/65536` for one size. Throughput is counted as 8 bytes per
//! element for one-input kernels (read x, write y) and 12 for backward.
//! `-- threshold` runs the sizes that choose the parallel threshold.

mod common;

use common::inputs;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use sigmoid_kernels::{reference, Backend};
use std::hint::black_box;

const SIZES: [usize; 4] = [4 << 10, 64 << 10, 1 << 20, 16 << 20];

fn copy_baselines(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
    x: &[f32],
    y: &mut [f32],
) {
    g.bench_with_input(BenchmarkId::new("copy_from_slice", n), &n, |b, _| {
        b.iter(|| y.copy_from_slice(black_box(x)))
    });
    g.bench_with_input(
        BenchmarkId::new("copy_from_slice/parallel", n),
        &n,
        |b, _| {
            b.iter(|| {
                y.par_chunks_mut(sigmoid_kernels::cpu::PAR_CHUNK)
                    .zip(black_box(x).par_chunks(sigmoid_kernels::cpu::PAR_CHUNK))
                    .for_each(|(d, s)| d.copy_from_slice(s))
            })
        },
    );
}

fn forward(c: &mut Criterion) {
    let mut g = c.benchmark_group("forward");
    for &n in &SIZES {
        let x = inputs(n);
        let mut y = vec![0.0f32; n];
        g.throughput(Throughput::Bytes(8 * n as u64));
        if n <= 1 << 20 {
            g.sample_size(30);
        } else {
            g.sample_size(10);
        }
        copy_baselines(&mut g, n, &x, &mut y);
        g.bench_with_input(BenchmarkId::new("reference", n), &n, |b, _| {
            b.iter(|| {
                for (o, &v) in y.iter_mut().zip(black_box(&x)) {
                    *o = reference::sigmoid(v);
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("naive 1/(1+exp(-x))", n), &n, |b, _| {
            b.iter(|| {
                for (o, &v) in y.iter_mut().zip(black_box(&x)) {
                    *o = 1.0 / (1.0 + (-v).exp());
                }
            })
        });
        for be in Backend::available() {
            g.bench_with_input(BenchmarkId::new(format!("exact/{be}"), n), &n, |b, _| {
                b.iter(|| be.sigmoid(black_box(&x), &mut y))
            });
            g.bench_with_input(BenchmarkId::new(format!("fast/{be}"), n), &n, |b, _| {
                b.iter(|| be.sigmoid_fast(black_box(&x), &mut y))
            });
            g.bench_with_input(BenchmarkId::new(format!("cr/{be}"), n), &n, |b, _| {
                b.iter(|| be.sigmoid_cr(black_box(&x), &mut y))
            });
        }
        g.bench_with_input(BenchmarkId::new("exact/auto", n), &n, |b, _| {
            b.iter(|| sigmoid_kernels::sigmoid(black_box(&x), &mut y))
        });
    }
    g.finish();
}

fn backward(c: &mut Criterion) {
    let mut g = c.benchmark_group("backward");
    for &n in &SIZES {
        let x = inputs(n);
        let mut y = vec![0.0f32; n];
        sigmoid_kernels::sigmoid(&x, &mut y);
        let dy = inputs(n);
        let mut dx = vec![0.0f32; n];
        g.throughput(Throughput::Bytes(12 * n as u64));
        g.sample_size(if n <= 1 << 20 { 30 } else { 10 });
        copy_baselines(&mut g, n, &x, &mut dx);
        for be in Backend::available() {
            g.bench_with_input(BenchmarkId::new(format!("backward/{be}"), n), &n, |b, _| {
                b.iter(|| be.sigmoid_backward(black_box(&y), black_box(&dy), &mut dx))
            });
        }
    }
    g.finish();
}

/// Single-thread best SIMD vs parallel around the default threshold.
fn threshold(c: &mut Criterion) {
    let mut g = c.benchmark_group("threshold");
    let best = Backend::best_simd();
    for n in [
        16 << 10,
        32 << 10,
        64 << 10,
        128 << 10,
        256 << 10,
        512 << 10,
    ] {
        let x = inputs(n);
        let mut y = vec![0.0f32; n];
        g.throughput(Throughput::Bytes(8 * n as u64));
        g.sample_size(30);
        g.bench_with_input(BenchmarkId::new(format!("exact/{best}"), n), &n, |b, _| {
            b.iter(|| best.sigmoid(black_box(&x), &mut y))
        });
        g.bench_with_input(BenchmarkId::new("exact/parallel", n), &n, |b, _| {
            b.iter(|| Backend::Parallel.sigmoid(black_box(&x), &mut y))
        });
    }
    g.finish();
}

criterion_group!(benches, forward, backward, threshold);
criterion_main!(benches);
