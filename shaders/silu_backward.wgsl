// The gradient of SiLU from the forward input:
// dx[i] = dy[i]·σ(x)·(1 + x·σ(−x)) with x = x[i] (entry point
// `silu_backward`).
//
// The CPU algorithm (`silu_backward_lanes` in src/cpu/silu.rs), step for
// step and with the same constants (a unit test in src/gpu/silu.rs compares
// them with the CPU source). With a = min(|x|, 200) = k·ln2 + r
// (k = round(a·log2 e) ≤ 289), N = e^r as a pair (`exact_exp`) and
// y = 1/(N + 2^−min(k, 60)) = y₀·(1 + ρ) (`quotient_pair`, relying on
// neither WGSL's division nor `fma`), t = σ(−a) = t_hi + t_lo with
// t_hi = 2^−k·y₀ exact, and s = σ(a) = 1 − t = s_hi + s_lo (Fast2Sum):
// - x ≥ 0: silu′ = s + c with c = s·a·t ≤ 0.23 (rounded once, its large
//   products a·t_hi and s_hi·(a·t) exact by Dekker's `two_prod` where the
//   CPU rounds them once in a fused multiply-add), then
//   dx = dy·c + dy·s_hi rounded once (`mul_sub`: Dekker's product and
//   TwoSum; dy is scaled by 2^−64 first where |dy| ≥ 2^64, as on the CPU's
//   emulated path);
// - x < 0: silu′ = t·w with w = (1 − a) + a·t, where the two terms cancel
//   at the root x ≈ −1.2785: 1 − a = h + l exactly, y·w rounded once
//   (`mul_sub` for y₀·h, `two_prod` for y₀·a·t), then dy·(y·w·2^−min(k, 100)) rounds
//   once more and the rest of 2^−k follows in two exact steps of at most
//   2^−90, which round only where the result is subnormal.
//
// Special values on the bit pattern (WGSL leaves NaN and ∞ arithmetic
// indeterminate): a NaN input is returned unchanged (that of x, else that of
// dy); |x| is clamped to 200 on its bit pattern, so x = +∞ gives dy and
// x = −∞ gives ∓0 (dy·(−0)) for finite dy; ±0 gives dy/2. An infinite dy
// gives whatever the device's arithmetic gives.
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest) and one deep in z (`pin` relies on it);
// the length guard is arrayLength(&dx).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// |x| is clamped here: |dy·silu′(x)| < 2^−150 from |x| ≈ 198 on even with
// |dy| = FLT_MAX.
const GRAD_CLAMP: f32 = 200.0f;
// 2^−k enters the quotient capped at 2^−60, below any effect on it.
const Q_CAP: f32 = 60.0f;
// 1.5·2^23: adding it rounds a value in [0, 2^22) to an integer.
const ROUNDER: f32 = 12582912.0f;
// 1.5·2^23 + 127: the bits of POW2_SHIFTER − j end in 127 − j, the biased
// exponent of 2^−j, for an integral j in [0, 126].
const POW2_SHIFTER: f32 = 12583039.0f;
// 2^64: from here on |dy| is scaled by 2^−64 before `mul_sub`.
const BIG_DY: f32 = 0x1p64f;

fn is_nan_bits(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// `pin`, `two_prod`, `mul_sub`, the exact tier's constants, `exact_exp` and
// `quotient_pair`: shaders/exact_arith.wgsl, joined in front of this file.

// 2^−j, exactly, for an integral j in [0, 126].
fn pow2_neg(j: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(POW2_SHIFTER - j) << 23u);
}

fn grad(xv: f32, g: f32, zero: u32) -> f32 {
    let xb = bitcast<u32>(xv);
    let a = bitcast<f32>(min(xb & 0x7fffffffu, bitcast<u32>(GRAD_CLAMP)));
    let k = pin(fma(a, LOG2E, ROUNDER), zero) - ROUNDER;
    let kn = -k;
    let r1 = fma(kn, LN2_HI, a); // a − k·LN2_HI, exact (fused or not)
    let n = exact_exp(r1, kn * LN2_LO, zero);
    let m = pow2_neg(min(k, Q_CAP));
    let yr = quotient_pair(n.x, n.y, m, zero);
    let y0 = yr.x;
    let y0rho = y0 * yr.y;
    let t_hi = y0 * m; // exact
    let t_lo = y0rho * m;
    // a·t = at.x + at_lo, the product with t_hi exact (Dekker's).
    let at = two_prod(a, t_hi, zero);
    let at_lo = at.y + a * t_lo;
    // x ≥ 0: dy·(s_hi + c), c = s·(1 + a·t) − s_hi = s_hi·a·t + s_lo·(1 + a·t)
    // with s_hi·at.x exact.
    let s_hi = pin(1.0f - t_hi, zero);
    let s_lo = ((1.0f - s_hi) - t_hi) - t_lo;
    let sat = two_prod(s_hi, at.x, zero);
    let c = sat.x + (sat.y + s_hi * at_lo + s_lo * (1.0f + at.x));
    let small = abs(g) < BIG_DY;
    let dys = g * select(TWO_M64, 1.0f, small);
    let p = mul_sub(-s_hi, dys, dys * c, zero) * select(BIG_DY, 1.0f, small);
    // silu′ > 0 for x ≥ 0: dx has dy's sign, ±0 included (the difference
    // above gives +0 for dy = −0).
    let pos = bitcast<f32>((bitcast<u32>(p) & 0x7fffffffu) | (bitcast<u32>(g) & 0x80000000u));
    // x < 0: dy·t·w, w = (1 − a) + a·t; 1 − a = h + l exactly, and
    // y·w = y₀·h + y₀·(a·t + l) + y₀·ρ·w with y₀·at.x exact.
    let h = pin(1.0f - a, zero);
    let l = (1.0f - h) - a;
    let w = h + (at.x + (l + at_lo));
    let yat = two_prod(y0, at.x, zero);
    let cw = yat.x + (yat.y + y0 * (l + at_lo) + y0rho * w);
    let yw = mul_sub(-y0, h, cw, zero); // y·w, rounded once
    let j1 = min(k, 100.0f);
    let k2 = k - j1;
    let j2 = min(k2, 90.0f);
    let neg = g * (yw * pow2_neg(j1)) * pow2_neg(j2) * pow2_neg(k2 - j2);
    return select(pos, neg, (xb >> 31u) != 0u);
}

@compute @workgroup_size(256)
fn silu_backward(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&dx) {
        return;
    }
    let xi = x[i];
    let g = dy[i];
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    let r = grad(xi, g, groups.z - 1u);
    let nan_in = select(g, xi, is_nan_bits(xi));
    dx[i] = select(r, nan_in, is_nan_bits(xi) || is_nan_bits(g));
}
