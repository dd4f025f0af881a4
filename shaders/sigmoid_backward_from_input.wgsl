// The gradient of σ from the forward input:
// dx[i] = dy[i]·σ(x[i])·σ(−x[i]) (entry point `sigmoid_backward_from_input`).
//
// The CPU algorithm (`backward_from_input_lanes` in src/cpu/stable.rs), step
// for step and with the same constants (a unit test in src/gpu/stable.rs
// compares them with the CPU source): with a = min(|x|, 194) = k·ln2 + r
// (k = round(a·log2 e) ≤ 280) and N = e^r as a pair (the exact tier's
// `exact_exp`), σ(a)·σ(−a) = 2^−k·h with h = N·y², y = 1/(N + 2^−k) =
// y₀·(1 + ρ) (`quotient_pair`; 2^−k enters capped at 2^−60). h is formed
// as n_hi·y₀² with the exact errors of both products (Dekker's `two_prod`,
// no reliance on `fma`), the 2ρ term and n_lo, then rounded once; then
// dy·(h·2^−min(k, 100)) rounds once more and the rest of 2^−k is applied in
// two exact steps of at most 2^−90 (which round only where the result is
// subnormal). Nothing cancels: there is no 1 − y.
//
// Special values on the bit pattern (WGSL leaves NaN and ∞ arithmetic
// indeterminate): a NaN input is returned unchanged (that of x, else that of
// dy); |x| is clamped to 194 on its bit pattern, where the gradient times any
// finite dy rounds to ±0, so x = ±∞ gives ±0 with the sign of dy. An
// infinite dy gives whatever the device's arithmetic gives.
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest) and one deep in z (`pin` relies on it);
// the length guard is arrayLength(&dx).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// |x| is clamped here: dy·σ(x)·σ(−x) < 2^−150 for |x| ≥ 194 even with
// |dy| = FLT_MAX.
const GRAD_CLAMP: f32 = 194.0f;
// 1.5·2^23: adding it rounds a value in [0, 2^22) to an integer.
const ROUNDER: f32 = 12582912.0f;
// 1.5·2^23 + 127: the bits of POW2_SHIFTER − j end in 127 − j, the biased
// exponent of 2^−j, for an integral j in [0, 126].
const POW2_SHIFTER: f32 = 12583039.0f;

fn is_nan_bits(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// `pin`, `split`, `two_prod`, the exact tier's constants, `exact_exp` and
// `quotient_pair`: shaders/exact_arith.wgsl, joined in front of this file.

// 2^−j, exactly, for an integral j in [0, 126].
fn pow2_neg(j: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(POW2_SHIFTER - j) << 23u);
}

fn grad(xv: f32, g: f32, zero: u32) -> f32 {
    let a = bitcast<f32>(min(bitcast<u32>(xv) & 0x7fffffffu, bitcast<u32>(GRAD_CLAMP)));
    let k = pin(fma(a, LOG2E, ROUNDER), zero) - ROUNDER;
    let kn = -k;
    let r1 = fma(kn, LN2_HI, a); // a − k·LN2_HI, exact (fused or not)
    let r_lo = kn * LN2_LO;
    let n = exact_exp(r1, r_lo, zero);
    let yr = quotient_pair(n.x, n.y, pow2_neg(min(k, 60.0f)), zero);
    let y0 = yr.x;
    let rho = yr.y;
    let s = two_prod(y0, y0, zero); // y₀² = s.x + s.y
    let hp = two_prod(n.x, s.x, zero); // n_hi·s.x = hp.x + hp.y
    let t = s.x * (rho + rho) + s.y;
    let h = hp.x + (n.x * t + (n.y * s.x + hp.y));
    let j1 = min(k, 100.0f);
    let k2 = k - j1;
    let j2 = min(k2, 90.0f);
    let v = g * (h * pow2_neg(j1));
    return v * pow2_neg(j2) * pow2_neg(k2 - j2);
}

@compute @workgroup_size(256)
fn sigmoid_backward_from_input(
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
