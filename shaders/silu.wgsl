// SiLU (Swish) y[i] = x[i]·σ(x[i]) (entry point `silu`).
//
// The CPU exact tier's algorithm (`SiluStages` in src/cpu/silu.rs), step for
// step and with the same constants (a unit test in src/gpu/silu.rs compares
// them with the CPU source): the exact σ tier's reduction with |x| clamped
// at 110 instead of 104 and k up to 159 (`exact_reduce_to`), its e^r pair
// (`exact_exp`) and its quotient y = 1/(N + 2^−k) = y₀·(1 + ρ)
// (`quotient_pair`, which relies on neither WGSL's division nor `fma`),
// so that t = σ(−a) = 2^−k·y for a = |x|:
// - x ≥ 0: x − x·t rounded once (Dekker's product and TwoSum, `mul_sub`,
//   where the CPU has a fused multiply-subtract); x ≥ 110 (and +∞) is
//   returned as it is (x·t is far below half an ULP there);
// - x < 0: −(a·y) rounded, times 2^(64−k) (exact: the product is normal),
//   times 2^−64 (rounds only where the result is subnormal), so the result
//   is nonzero down to x ≈ −108.7, where σ(x) itself is far below 2^−149.
//
// Special values on the bit pattern (WGSL leaves NaN and ∞ arithmetic
// indeterminate): NaN is passed through; |x| is clamped to 110 before the
// exponential, so −∞ (and x ≤ −110) gives −0, the sign of the limit;
// +∞ → +∞; ±0 → ±0.
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest) and one deep in z (`pin` relies on it);
// the length guard is arrayLength(&y).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

// |x| is clamped here: |x|·σ(−|x|) < 2^−150 from |x| ≈ 108.7 on, so the
// result rounds to ±0 there (src/cpu/silu.rs `FWD_CLAMP`).
const FWD_CLAMP: f32 = 110.0f;
// round(110·log2 e): the largest k.
const FWD_K_MAX: f32 = 159.0f;

fn is_nan_bits(bits: u32) -> bool {
    return (bits & 0x7fffffffu) > 0x7f800000u;
}

// `pin`, `two_prod`, `mul_sub`, the exact tier's constants,
// `exact_reduce_to`, `exact_exp` and `quotient_pair`:
// shaders/exact_arith.wgsl, joined in front of this file.

fn silu_of(v: f32, zero: u32) -> f32 {
    let bits = bitcast<u32>(v);
    let red = exact_reduce_to(bits, FWD_CLAMP, SHIFTER - FWD_K_MAX);
    let mp = red.z; // 2^(64−k)
    let m = mp * TWO_M64; // 2^−k: subnormal or 0 for large k
    let n = exact_exp(red.x, red.y, zero);
    let yr = quotient_pair(n.x, n.y, m, zero);
    let q = yr.x + yr.x * yr.y; // 1/(N + m)
    let a = bitcast<f32>(min(bits & 0x7fffffffu, bitcast<u32>(FWD_CLAMP)));
    // x ≥ 0: a − a·t in one rounding.
    let pos = mul_sub(a, q * m, a, zero);
    // x < 0: −a·y·2^(64−k), exact after its first rounding, then 2^−64
    // (pinned, so the two powers are not folded into the subnormal 2^−k).
    let neg = -(pin((a * q) * mp, zero) * TWO_M64);
    let big = bits >= bitcast<u32>(FWD_CLAMP);
    let r = select(neg, select(pos, v, big), (bits >> 31u) == 0u);
    return select(r, v, is_nan_bits(bits));
}

@compute @workgroup_size(256)
fn silu(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&y) {
        return;
    }
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    y[i] = silu_of(x[i], groups.z - 1u);
}
