//! Criterion benches for the 16-bit kernels beside `f32`: σ (exact tier
//! for `f32`, correctly rounded for binary16 and bfloat16), backward and
//! the hard sigmoid, on every CPU backend, the same inputs in each format.
//! Throughput is in elements, so the rows of one group compare directly.
//!
//! `cargo bench --bench half16` runs all; `-- sigmoid16/65536` one group.
//! The targets (issue #14): one thread at 64K, 16-bit ≥ 0.9× the `f32`
//! exact tier; at 16M on the parallel path ≥ 1.5× (half the bytes). From
//! `TABLE_MIN_16` (64K) elements the 16-bit σ is a table lookup; 16K
//! times the kernel itself.

mod common;

use common::inputs;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sigmoid_kernels::half::{bf16, f16};
use sigmoid_kernels::Backend;
use std::hint::black_box;

const SIZES: [usize; 3] = [16 << 10, 64 << 10, 16 << 20];

fn backends(n: usize) -> Vec<Backend> {
    if n > 1 << 20 {
        vec![Backend::best_simd(), Backend::Parallel]
    } else {
        Backend::available()
    }
}

fn forward(c: &mut Criterion) {
    let mut g = c.benchmark_group("sigmoid16");
    for &n in &SIZES {
        let x = inputs(n);
        let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
        let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        let (mut y, mut yh, mut yb) = (vec![0.0f32; n], vec![f16::ZERO; n], vec![bf16::ZERO; n]);
        g.throughput(Throughput::Elements(n as u64));
        g.sample_size(if n <= 1 << 20 { 30 } else { 10 });
        for be in backends(n) {
            g.bench_with_input(
                BenchmarkId::new(format!("f32 exact/{be}"), n),
                &n,
                |b, _| b.iter(|| be.sigmoid(black_box(&x), &mut y)),
            );
            g.bench_with_input(BenchmarkId::new(format!("f16/{be}"), n), &n, |b, _| {
                b.iter(|| be.sigmoid_f16(black_box(&xh), &mut yh))
            });
            g.bench_with_input(BenchmarkId::new(format!("bf16/{be}"), n), &n, |b, _| {
                b.iter(|| be.sigmoid_bf16(black_box(&xb), &mut yb))
            });
        }
    }
    g.finish();
}

fn backward_and_hard(c: &mut Criterion) {
    let mut g = c.benchmark_group("others16");
    let n = 64 << 10;
    let x = inputs(n);
    let mut y = vec![0.0f32; n];
    sigmoid_kernels::sigmoid(&x, &mut y);
    let dy = inputs(n);
    let yh: Vec<f16> = y.iter().map(|&v| f16::from_f32(v)).collect();
    let dyh: Vec<f16> = dy.iter().map(|&v| f16::from_f32(v)).collect();
    let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    let (mut out, mut outh) = (vec![0.0f32; n], vec![f16::ZERO; n]);
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(30);
    let be = Backend::best_simd();
    g.bench_function(format!("backward f32/{be}"), |b| {
        b.iter(|| be.sigmoid_backward(black_box(&y), black_box(&dy), &mut out))
    });
    g.bench_function(format!("backward f16/{be}"), |b| {
        b.iter(|| be.sigmoid_backward_f16(black_box(&yh), black_box(&dyh), &mut outh))
    });
    g.bench_function(format!("hard f32/{be}"), |b| {
        b.iter(|| be.hard_sigmoid(black_box(&x), &mut out))
    });
    g.bench_function(format!("hard f16/{be}"), |b| {
        b.iter(|| be.hard_sigmoid_f16(black_box(&xh), &mut outh))
    });
    g.finish();
}

criterion_group!(benches, forward, backward_and_hard);
criterion_main!(benches);
