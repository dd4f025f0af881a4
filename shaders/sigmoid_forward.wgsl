// Forward Sigmoid: y[i] = σ(x[i]) = 1 / (1 + e^−x[i]).
//
// The CPU exact tier's algorithm (`exact_lanes` in src/cpu/sigma.rs), step for
// step and with the same constants (a unit test in src/gpu/mod.rs compares
// them, as naga parses them, with the CPU source). With a = |x| and
// t = σ(−a) = 1/(1 + e^a), the result is t for x < 0 and 1 − t for x ≥ 0:
// 1. a = min(|x|, 104); k = min(round(a·log2 e), 149) by the shifter trick,
//    which also gives m = 2^−k exactly (subnormal for k > 126);
//    r = a − k·ln2 by Cody–Waite (r₁ exact, the low part kept apart).
// 2. N = e^r = 1 + r + r²·P(r) (degree-4 Remez P) as a pair n_hi + n_lo.
// 3. D = N + m as a pair (Fast2Sum), and y = 1/D. Here the shader differs:
//    WGSL lets division be off by 2.5 ULP and lets `fma` be unfused (Mesa's
//    lavapipe does not fuse it), so the quotient relies on neither. y₀ =
//    1/d_hi is an estimate; the residual e = 1 − y₀·d_hi comes from
//    Dekker's exact product (Veltkamp splits, plain × and −), exact when y₀
//    is within 1 ULP of 1/d_hi and within 2^−24 of itself otherwise; then
//    ρ = e − y₀·d_lo and q = y₀ + y₀·ρ, which carries < 2^−44 relative error
//    before its rounding even from a 2.5-ULP estimate.
// 4. t = q·m (exact unless subnormal), and the result is t or 1 − t.
// The builtin `exp` is not used: its WGSL error bound is 3 + 2|x| ULP.
//
// The remaining `fma`s (reduction and polynomial) are fine either way: r₁ is
// exact fused or not, and an unfused polynomial adds < 2^−29 to N. What the
// result needs from the device: +, − and × correctly rounded (as WGSL
// requires) to nearest, and the order of operations as written (see `pin`).
//
// Special values do not rely on IEEE behaviour (WGSL leaves NaN and ∞
// results indeterminate): |x| is clamped on its bit pattern, so ±∞ reduce
// like ±104 and give exactly 1 and 0, and NaN is detected on the bit pattern
// and passed through.
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest) and one deep in z (`pin` relies on it);
// the length guard is arrayLength(&y).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

// The constants (LOG2E, LN2_HI, LN2_LO, EXACT_CLAMP, P0–P4, SHIFTER,
// SHIFTER_K_MAX, TWO_M64): shaders/exact_arith.wgsl, joined in front of this file.

fn is_nan_bits(bits: u32) -> bool {
    return (bits & 0x7fffffffu) > 0x7f800000u;
}

// `pin`, `split`, `two_prod`, `exact_reduce`, `exact_exp` and
// `quotient_pair`: shaders/exact_arith.wgsl, joined in front of this file.

fn sigmoid(v: f32, zero: u32) -> f32 {
    let bits = bitcast<u32>(v);
    // Steps 1–3 (`exact_reduce`, `exact_exp`, `quotient_pair`), with |x|
    // clamped on the bit pattern (±∞ and NaN reduce like 104).
    let red = exact_reduce(bits);
    let n = exact_exp(red.x, red.y, zero);
    let yr = quotient_pair(n.x, n.y, red.z, zero);
    // 1/D = y₀·(1 + ρ + ρ² + …).
    let q = yr.x + yr.x * yr.y;
    // Step 4.
    let t = q * red.z;
    let s = select(1.0f - t, t, (bits >> 31u) != 0u);
    return select(s, v, is_nan_bits(bits));
}

@compute @workgroup_size(256)
fn sigmoid_forward(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&y) {
        return;
    }
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    y[i] = sigmoid(x[i], groups.z - 1u);
}
