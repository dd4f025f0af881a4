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

// log2(e) rounded to f32.
const LOG2E: f32 = 1.442695f;
// ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so k·LN2_HI is exact.
const LN2_HI: f32 = 0.693359375f;
const LN2_LO: f32 = -0.00021219444f;
// σ(−104) < 2^−150 rounds to +0; larger |x| (and ±∞) reduce like 104.
const EXACT_CLAMP: f32 = 104.0f;
// P(r) ≈ (e^r − 1 − r)/r² on [−ln2/2, ln2/2].
const P0: f32 = 0.5f;
const P1: f32 = 0.16666518f;
const P2: f32 = 0.041666206f;
const P3: f32 = 0.008368888f;
const P4: f32 = 0.0013950489f;
// 1.5·2^23 + 191: −a·log2 e + SHIFTER rounds to an integer −k and leaves
// 191 − k in the low mantissa bits; shifted into the exponent field they give
// 2^(64−k).
const SHIFTER: f32 = 12583103.0f;
// The shifter value of k = 149: 2^−149 is the smallest subnormal.
const SHIFTER_K_MAX: f32 = 12582954.0f;
// 2^−64: turns 2^(64−k) into 2^−k exactly, subnormal included.
const TWO_M64: f32 = 0x1p-64f;
fn is_nan_bits(bits: u32) -> bool {
    return (bits & 0x7fffffffu) > 0x7f800000u;
}

// `pin` and `split`: shaders/exact_arith.wgsl, joined in front of this file.

fn sigmoid(v: f32, zero: u32) -> f32 {
    let bits = bitcast<u32>(v);
    // Step 1. |x| clamped on the bit pattern (±∞ and NaN give 104).
    let a = bitcast<f32>(min(bits & 0x7fffffffu, bitcast<u32>(EXACT_CLAMP)));
    let kf = max(fma(a, -LOG2E, SHIFTER), SHIFTER_K_MAX);
    let kn = kf - SHIFTER; // −k, exact
    let m = bitcast<f32>(bitcast<u32>(kf) << 23u) * TWO_M64; // 2^−k, exact
    let r1 = fma(kn, LN2_HI, a); // a − k·LN2_HI, exact
    let r_lo = kn * LN2_LO;
    // Step 2. P by Estrin's scheme, as on the CPU.
    let r = r1 + r_lo;
    let r2 = r * r;
    let p01 = fma(r, P1, P0);
    let p23 = fma(r, P3, P2);
    let poly = fma(r2, fma(r2, P4, p23), p01);
    let tail = pin(fma(r2, poly, r_lo), zero);
    let n_hi = pin(1.0f + pin(r1 + tail, zero), zero);
    let n_lo = ((1.0f - n_hi) + r1) + tail;
    // Step 3. D = N + m as a pair (N ≥ m always), then y = 1/D.
    let d_hi = pin(n_hi + m, zero);
    let d_lo = ((n_hi - d_hi) + m) + n_lo;
    let y0 = pin(1.0f / d_hi, zero); // an estimate: WGSL allows 2.5 ULP
    // e = 1 − y₀·d_hi, exactly when y₀ is within 1 ULP of 1/d_hi (else to
    // 2^−24 of itself): y₀·d_hi = p + p_err exactly (Dekker's product over
    // 12-bit halves), and 1 − p is exact (Sterbenz).
    let p = pin(y0 * d_hi, zero);
    let ys = split(y0, zero);
    let ds = split(d_hi, zero);
    let hh = pin(ys.x * ds.x - p, zero);
    let p_err = pin(pin(hh + ys.x * ds.y, zero) + ys.y * ds.x, zero) + ys.y * ds.y;
    let e = pin(1.0f - p, zero) - p_err;
    // 1/D = y₀·(1 + ρ + ρ² + …) with ρ = 1 − y₀·D = e − y₀·d_lo.
    let rho = e - y0 * d_lo;
    let q = y0 + y0 * rho;
    // Step 4.
    let t = q * m;
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
