// Error-free arithmetic helpers and the exact tier's constants and steps,
// shared by every shader (the Rust side joins this file in front of each:
// `FORWARD_WGSL`, `BACKWARD_WGSL`, `STABLE_WGSL`, `FROM_INPUT_WGSL`, `BCE_WGSL`,
// `SILU_WGSL`, `SILU_BACKWARD_WGSL`).

// 2^12 + 1, Veltkamp's constant for splitting a 24-bit significand in two.
const SPLIT: f32 = 4097.0f;

// The value v, which the compiler can no longer see through: `zero` is 0 at
// run time (see each shader's entry point), but the compiler cannot know
// it. WGSL has no way to mark arithmetic exact, and a compiler may
// reassociate or refactor what is not (Mesa's NIR does, e.g. −a + (a + b) → b and
// a·b + (a·c + d) → a·(b + c) + d), which would undo the shaders' error-free
// steps; pinning their inputs prevents that, for one integer OR each.
fn pin(v: f32, zero: u32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | zero);
}

// v = hi + lo with 12 significant bits in each (Veltkamp's split), so the
// product of two halves is exact.
fn split(v: f32, zero: u32) -> vec2<f32> {
    let c = pin(SPLIT * v, zero);
    let hi = pin(c - pin(c - v, zero), zero);
    return vec2<f32>(hi, v - hi);
}

// p + err = a·b exactly (Dekker's product over Veltkamp's 12-bit halves,
// plain × and − only: WGSL's `fma` may be unfused). Needs |a|, |b| well
// inside the finite range and a·b far from underflow.
fn two_prod(a: f32, b: f32, zero: u32) -> vec2<f32> {
    let p = pin(a * b, zero);
    let sa = split(a, zero);
    let bs = split(b, zero);
    let hh = pin(sa.x * bs.x - p, zero);
    let err = pin(pin(hh + sa.x * bs.y, zero) + sa.y * bs.x, zero) + sa.y * bs.y;
    return vec2<f32>(p, err);
}

// The exact tier's constants, the CPU's bit for bit (src/cpu/sigma.rs; a
// unit test in src/gpu/mod.rs compares them as naga parses them).
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

// The exact tier's step 1 (`exact_reduce` in src/cpu/sigma.rs) on the bits
// of x: a = min(|x|, 104) (±∞ and NaN give 104), k = min(round(a·log2 e),
// 149) by the shifter trick, m = 2^−k exactly (subnormal for k > 126),
// a − k·ln2 = r₁ + r_lo with r₁ exact. Returns (r₁, r_lo, m).
fn exact_reduce(bits: u32) -> vec3<f32> {
    let red = exact_reduce_to(bits, EXACT_CLAMP, SHIFTER_K_MAX);
    return vec3<f32>(red.x, red.y, red.z * TWO_M64); // 2^−k, exact
}

// Step 1 with the clamp and the cap of k as parameters (`exact_reduce_to`
// in src/cpu/sigma.rs; SiLU clamps at 110, k ≤ 159): a = min(|x|, clamp)
// on the bits, k = min(round(a·log2 e), SHIFTER − shifter_k_max). Returns
// (r₁, r_lo, 2^(64−k)), the last exact and normal for k ≤ 190.
fn exact_reduce_to(bits: u32, clamp: f32, shifter_k_max: f32) -> vec3<f32> {
    let a = bitcast<f32>(min(bits & 0x7fffffffu, bitcast<u32>(clamp)));
    let kf = max(fma(a, -LOG2E, SHIFTER), shifter_k_max);
    let kn = kf - SHIFTER; // −k, exact
    let r1 = fma(kn, LN2_HI, a); // a − k·LN2_HI, exact (fused or not)
    return vec3<f32>(r1, kn * LN2_LO, bitcast<f32>(bitcast<u32>(kf) << 23u));
}

// Step 2 (`exact_exp`): N = e^(r₁ + r_lo) = 1 + r + r²·P(r) as a
// normalized pair (n_hi, n_lo); an unfused `fma` adds < 2^−29 to N.
fn exact_exp(r1: f32, r_lo: f32, zero: u32) -> vec2<f32> {
    let r = r1 + r_lo;
    let r2 = r * r;
    let p01 = fma(r, P1, P0);
    let p23 = fma(r, P3, P2);
    let poly = fma(r2, fma(r2, P4, p23), p01);
    let tail = pin(fma(r2, poly, r_lo), zero);
    let n_hi = pin(1.0f + pin(r1 + tail, zero), zero);
    return vec2<f32>(n_hi, ((1.0f - n_hi) + r1) + tail);
}

// 1/(N + m) for N = n_hi + n_lo ≥ m as y₀·(1 + ρ) (`quotient_pair` in
// src/cpu/sigma.rs): D = N + m as a pair (Fast2Sum), y₀ = 1/d_hi an estimate
// (WGSL allows the division 2.5 ULP), ρ = 1 − y₀·D with 1 − y₀·d_hi from
// Dekker's exact product (exact when y₀ is within 1 ULP of 1/d_hi, within
// 2^−24 of itself otherwise) and 1 − p exact (Sterbenz). Returns (y₀, ρ);
// y₀ + y₀·ρ carries < 2^−44 relative error before its rounding.
fn quotient_pair(n_hi: f32, n_lo: f32, m: f32, zero: u32) -> vec2<f32> {
    let d_hi = pin(n_hi + m, zero);
    let d_lo = ((n_hi - d_hi) + m) + n_lo;
    let y0 = pin(1.0f / d_hi, zero);
    let p = two_prod(y0, d_hi, zero);
    let e = pin(1.0f - p.x, zero) - p.y;
    return vec2<f32>(y0, e - y0 * d_lo);
}

// c − a·b rounded once, without relying on `fma` (`mul_sub_exact_dekker` in
// src/cpu/lanes.rs): Dekker's a·b = p + err, Knuth's TwoSum c − p = s + e
// (inputs pinned against reassociation), then s + (e − err): the fused
// result up to a relative 2^−44 term. Needs |a|, |b| < 2^100; where a·b
// nears the subnormal range the error terms are off by subnormal amounts.
fn mul_sub(a: f32, b: f32, c: f32, zero: u32) -> f32 {
    let p = two_prod(a, b, zero);
    let s = pin(c - p.x, zero);
    let bv = pin(s - c, zero);
    let e = (c - pin(s - bv, zero)) + (-p.x - bv);
    return s + (e - p.y);
}
