// σ and its gradient on binary16 storage (entry points `sigmoid_f16_forward`
// and `sigmoid_f16_backward`); needs `enable f16;` (wgpu's SHADER_F16),
// which src/gpu/half16.rs puts in front of shaders/exact_arith.wgsl.
//
// Inputs are widened to f32 (exact), the result is computed in f32 and
// narrowed once, round to nearest-even, to an f32 that is exactly a
// binary16 value, so the final f16(...) conversion (which WGSL lets
// round either way) has nothing to
// round. Forward: the exact tier's σ as a pair hi + lo (< 2^−43 relative
// error), rounded once to binary16 by deciding the side of the nearest
// midpoint from the pair (no double rounding): correctly rounded.
// Backward: dy·y is exact in f32 (11-bit significands), 1 − y is exact for
// y in [0, 1], so dx = (dy·y)·(1 − y) is rounded once in f32 and once more
// to binary16.
//
// NaN inputs are returned unchanged (decided on the widened bit pattern).
//
// Dispatch: as the f32 kernels (256 per workgroup, 2-D, one deep in z);
// the arrays are padded to an even length by the host.

@group(0) @binding(0) var<storage, read> x: array<f16>;
@group(0) @binding(1) var<storage, read_write> y: array<f16>;

@group(0) @binding(0) var<storage, read> by: array<f16>;
@group(0) @binding(1) var<storage, read> bdy: array<f16>;
@group(0) @binding(2) var<storage, read_write> bdx: array<f16>;

fn is_nan_f32(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// `v` (finite, |v| < 65520) rounded to nearest-even to the binary16 grid,
// returned as the f32 of that value (exact): 10 fraction bits where
// |v| ≥ 2^−14, multiples of 2^−24 below.
fn round_to_f16(v: f32) -> f32 {
    let bits = bitcast<u32>(v);
    let sign = bits & 0x80000000u;
    let mag = bits & 0x7fffffffu;
    let e = mag >> 23u;
    if e >= 113u {
        let r = (mag + 0xfffu + ((mag >> 13u) & 1u)) & 0xffffe000u;
        return bitcast<f32>(sign | r);
    }
    if e < 102u {
        // |v| < 2^−25: rounds to zero.
        return bitcast<f32>(sign);
    }
    // 2^−25 ≤ |v| < 2^−14: k·2^−24 with k = m / 2^s rounded, s in [14, 24].
    let m = (mag & 0x7fffffu) | 0x800000u;
    let s = 126u - e;
    let k = (m + (1u << (s - 1u)) - 1u + ((m >> s) & 1u)) >> s;
    let r = f32(k) * 0x1p-24f;
    return bitcast<f32>(sign | bitcast<u32>(r));
}

// σ(x) as an unevaluated pair hi + lo (relative error < 2^−43): the exact
// tier's steps (shaders/sigmoid_forward.wgsl's `sigmoid`) with the quotient
// y₀·(1 + ρ) kept as two terms; for x ≥ 0, 1 − t by Fast2Sum (inputs
// pinned against reassociation).
fn sigmoid_pair(v: f32, zero: u32) -> vec2<f32> {
    let bits = bitcast<u32>(v);
    let red = exact_reduce(bits);
    let n = exact_exp(red.x, red.y, zero);
    let yr = quotient_pair(n.x, n.y, red.z, zero);
    let t_hi = pin(yr.x * red.z, zero);
    let t_lo = yr.x * yr.y * red.z;
    let s = pin(1.0f - t_hi, zero);
    let e = pin(1.0f - s, zero) - t_hi;
    let pos = vec2<f32>(s, e - t_lo);
    return select(pos, vec2<f32>(t_hi, t_lo), (bits >> 31u) != 0u);
}

// hi + lo (0 ≤ hi ≤ 1, |lo| ≤ 2 f32 ULPs of hi) correctly rounded to
// binary16, as the f32 of that value: hi lies in [a, a + u) on the
// binary16 grid (spacing u), and the sign of (hi − (a + u/2)) + lo, whose
// first difference is exact wherever it is small (Sterbenz), says which
// side of the midpoint the pair lies on; an exact tie goes to the even one.
fn round_pair_to_f16(hi: f32, lo: f32, zero: u32) -> f32 {
    let e = bitcast<u32>(hi) >> 23u;
    // u = 2^(e − 137) in the normal binary16 range, else 2^−24.
    let u = select(0x1p-24f, bitcast<f32>((e - 10u) << 23u), e >= 113u);
    let inv_u = select(0x1p24f, bitcast<f32>((264u - e) << 23u), e >= 113u);
    let k = floor(hi * inv_u);
    let a = k * u;
    let d = pin(hi - (a + 0.5f * u), zero) + lo;
    let odd = (u32(k) & 1u) == 1u;
    return select(a, a + u, d > 0.0f || (d == 0.0f && odd));
}

@compute @workgroup_size(256)
fn sigmoid_f16_forward(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&y) {
        return;
    }
    let h = x[i];
    let v = f32(h);
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    let p = sigmoid_pair(v, groups.z - 1u);
    let s = f16(round_pair_to_f16(p.x, p.y, groups.z - 1u));
    y[i] = select(s, h, is_nan_f32(v));
}

@compute @workgroup_size(256)
fn sigmoid_f16_backward(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&bdx) {
        return;
    }
    let hy = by[i];
    let hg = bdy[i];
    let yv = f32(hy);
    let g = f32(hg);
    let r = f16(round_to_f16((g * yv) * (1.0f - yv)));
    let nan_in = select(hg, hy, is_nan_f32(yv));
    bdx[i] = select(r, nan_in, is_nan_f32(yv) || is_nan_f32(g));
}
