// σ(x) correctly rounded to f32 (entry point `sigmoid_cr`), in f64
// arithmetic; needs wgpu's SHADER_F64 (naga's FLOAT64 capability: `f64`
// and `lf` literals, no `enable` directive). src/gpu/cr.rs compiles it
// only on such a device.
//
// The CPU tier's design (src/cpu/cr.rs, CORE-MATH style), written for
// what WGSL and Vulkan guarantee of f64:
// 1. Fast path: v ≈ σ(x) in f64 with relative error below 2^−50
//    (x = k·ln2/16 + ρ, e^−x = 2^−K·T_j·e^−ρ with k = 16K + j, T_j =
//    2^(−j/16) from a table, e^−ρ by a degree-6 polynomial, σ = m/(m +
//    T_j·e^−ρ) with m = 2^K). The quotient does not trust the device's
//    f64 division: y₀ = 1/d is refined once with the remainder 1 − y₀·d,
//    which leaves ≈ 2^−52 + ε² for a division with relative error ε.
// 2. Rounding test: lo = v·(1 − 2^−47) and hi = v·(1 + 2^−47) rounded to
//    the f32 grid (`round_f32_grid`, f64 arithmetic only); equal means
//    that is σ(x) correctly rounded (σ(x) for x ≠ 0 is never a midpoint).
// 3. Slow path, for the few inputs the test leaves undecided: σ in
//    double-double (reference::sigmoid_cr's `sigmoid_dd`, step for step:
//    relative error below 2^−86, and no f32 has σ(x) closer than ~2^−77
//    to a midpoint), then the side of the midpoint nearest to it.
//
// The rounding to f32 is done on the f64 value and the result written as
// bits (the buffers are u32), so neither WGSL's f64 → f32 conversion
// (rounding mode unspecified) nor a device that flushes f32 subnormals
// touches the result: subnormal results are exact multiples of 2^−149
// built with integer arithmetic. Inputs are read as bits too.
//
// What it assumes of a device: f64 +, − and × correctly rounded to
// nearest and evaluated in the order written (Vulkan's rule for f64;
// reassociation is stopped with `pin64`), f64 division within 2^−26
// relative, `floor` exact, f64 ↔ i32/u32 conversions exact on integers.
// `fma` is not used: the error-free products are Dekker's (Veltkamp
// split with 2^27 + 1), correct fused or not.
//
// Special values on the bit pattern: NaN → the input NaN quieted (sign
// and payload kept: what x + x gives on the CPU); |x| is clamped to 104
// before converting, so σ(+∞) = 1 and σ(−∞) = +0; σ(±0) = 0.5.
//
// Dispatch: as the f32 kernels (256 per workgroup, 2-D, one deep in z:
// `pin64` reads groups.z − 1 as 0).

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;

// v, which the compiler can no longer see through: v times a 1 it cannot
// know (`zero` is 0 at run time), an exact product. The role of `pin` in
// shaders/exact_arith.wgsl (f64 has no 32-bit bitcast to OR into). A
// `select` with the unknown condition is not enough: Mesa's NIR moves
// constant operands into both arms (bcsel(c, 0, v + C) − C becomes
// bcsel(c, −C, v)), which undid the rounding steps on lavapipe.
fn pin64(v: f64, zero: u32) -> f64 {
    return v * f64(bitcast<f32>(0x3f800000u | zero));
}

// 16·log2 e: k = round(x·16·log2 e).
const LOG2E_16: f64 = 0x1.71547652b82fep+4lf;
// ln 2/16 to 41 significant bits (k·LN2_16_HI exact for |k| < 2^12) and
// the rest rounded to f64 (src/cpu/cr.rs).
const LN2_16_HI: f64 = 0x1.62e42fefa3000p-5lf;
const LN2_16_LO: f64 = 0x1.3de6af278ece6p-46lf;
// 2^(−j/16) for j = 0..16, rounded to f64.
const EXP2_NEG_J16 = array<f64, 16>(
    0x1.0000000000000p+0lf,
    0x1.ea4afa2a490dap-1lf,
    0x1.d5818dcfba487p-1lf,
    0x1.c199bdd85529cp-1lf,
    0x1.ae89f995ad3adp-1lf,
    0x1.9c49182a3f090p-1lf,
    0x1.8ace5422aa0dbp-1lf,
    0x1.7a11473eb0187p-1lf,
    0x1.6a09e667f3bcdp-1lf,
    0x1.5ab07dd485429p-1lf,
    0x1.4bfdad5362a27p-1lf,
    0x1.3dea64c123422p-1lf,
    0x1.306fe0a31b715p-1lf,
    0x1.2387a6e756238p-1lf,
    0x1.172b83c7d517bp-1lf,
    0x1.0b5586cf9890fp-1lf,
);
// Q(ρ) ≈ (e^−ρ − 1 + ρ)/ρ² on |ρ| ≤ ln2/32 (src/cpu/cr.rs `Q`).
const Q0: f64 = 0x1.0000000000000p-1lf;
const Q1: f64 = -0x1.55555554dd44dp-3lf;
const Q2: f64 = 0x1.55555555194d2p-5lf;
const Q3: f64 = -0x1.11120af701e68p-7lf;
const Q4: f64 = 0x1.6c17bb51f23eap-10lf;
// The rounding test's relative margin, 2^−47 (src/cpu/cr.rs
// `CR_F64_MAX_REL`: ten times the fast path's error bound).
const CR_MARGIN: f64 = 0x1p-47lf;
// 104 as f32 bits: |x| is clamped to it (σ(−104) < 2^−150 rounds to 0,
// σ(104) to 1).
const CLAMP_BITS: u32 = 0x42d00000u;
// 2^29 + 1: Veltkamp's split of a 53-bit significand at 24 bits.
const SPLIT24: f64 = 536870913.0lf;
// 1.5·2^−97: v + it − it rounds v < 2^−126 to a multiple of 2^−149.
const SUBNORMAL_SHIFTER: f64 = 0x1.8p-97lf;
const TWO_M126: f64 = 0x1p-126lf;
const TWO_M149: f64 = 0x1p-149lf;
const TWO_149: f64 = 0x1p149lf;
// 2^27 + 1: Veltkamp's split of a 53-bit significand in halves.
const SPLIT: f64 = 134217729.0lf;
// ln 2 as a double-double, log2 e (reference::sigmoid_dd).
const LN2_HI: f64 = 0x1.62e42fefa39efp-1lf;
const LN2_LO: f64 = 0x1.abc9e3b39803fp-56lf;
const LOG2E: f64 = 0x1.71547652b82fep+0lf;

fn is_nan_bits(bits: u32) -> bool {
    return (bits & 0x7fffffffu) > 0x7f800000u;
}

// 2^e as f64 for e in [−152, 152], exactly: the product of two normal f32
// powers of two built from their bits.
fn pow2(e: i32) -> f64 {
    let e1 = e >> 1u;
    let e2 = e - e1;
    let p1 = bitcast<f32>(u32(e1 + 127) << 23u);
    let p2 = bitcast<f32>(u32(e2 + 127) << 23u);
    return f64(p1) * f64(p2);
}

// The f64 value of the f32 with bits `b` (sign clear), subnormals included
// (built from the integer, never flushed).
fn value_of_bits(b: u32) -> f64 {
    if b < 0x00800000u {
        return f64(b) * TWO_M149;
    }
    return f64(bitcast<f32>(b));
}

// The f32 bits of r ≥ 0, a value on the f32 grid below 2^128.
fn bits_of_value(r: f64) -> u32 {
    if r < TWO_M126 {
        return u32(r * TWO_149);
    }
    return bitcast<u32>(f32(r)); // exact: r is a normal f32
}

// v ≥ 0 (below 2^128) rounded to nearest to the f32 grid, as an f64: 24
// significant bits by Veltkamp's split where v ≥ 2^−126 (the high part is
// v rounded to nearest on 53 − 29 bits), a multiple of 2^−149 below.
fn round_f32_grid(v: f64, zero: u32) -> f64 {
    if v < TWO_M126 {
        return pin64(v + SUBNORMAL_SHIFTER, zero) - SUBNORMAL_SHIFTER;
    }
    let c = pin64(SPLIT24 * v, zero);
    return c - pin64(c - v, zero);
}

// The fast path: (lo, hi) around σ(x) for |x| ≤ 104 (see the header).
fn cr_interval(xv: f64, zero: u32) -> vec2<f64> {
    let k = floor(xv * LOG2E_16 + 0.5lf);
    let ki = i32(k);
    let m = pow2(ki >> 4u); // 2^K, K = floor(k/16)
    let t = EXP2_NEG_J16[ki & 15];
    let rho1 = pin64(xv - k * LN2_16_HI, zero); // exact
    let rho = rho1 - k * LN2_16_LO;
    var q = rho * Q4 + Q3;
    q = q * rho + Q2;
    q = q * rho + Q1;
    q = q * rho + Q0;
    let s = rho * (rho * q - 1.0lf); // e^−ρ − 1
    let d = pin64(t * s + (t + m), zero);
    let y0 = pin64(1.0lf / d, zero);
    let e = pin64(1.0lf - pin64(y0 * d, zero), zero);
    let v = m * (y0 + y0 * e);
    return vec2<f64>(v - v * CR_MARGIN, v + v * CR_MARGIN);
}

// Double-double arithmetic (hi, lo): reference.rs's, with the error-free
// steps pinned.

// a + b exactly (Knuth's TwoSum).
fn two_sum(a: f64, b: f64, zero: u32) -> vec2<f64> {
    let s = pin64(a + b, zero);
    let bb = pin64(s - a, zero);
    return vec2<f64>(s, (a - pin64(s - bb, zero)) + (b - bb));
}

// a + b exactly for |a| ≥ |b| (Dekker's Fast2Sum).
fn fast_two_sum(a: f64, b: f64, zero: u32) -> vec2<f64> {
    let s = pin64(a + b, zero);
    return vec2<f64>(s, b - pin64(s - a, zero));
}

// v = hi + lo with 26 significant bits in each (Veltkamp's split).
fn split(v: f64, zero: u32) -> vec2<f64> {
    let c = pin64(SPLIT * v, zero);
    let hi = pin64(c - pin64(c - v, zero), zero);
    return vec2<f64>(hi, v - hi);
}

// a·b exactly (Dekker's product, plain × and −).
fn two_prod(a: f64, b: f64, zero: u32) -> vec2<f64> {
    let p = pin64(a * b, zero);
    let sa = split(a, zero);
    let sb = split(b, zero);
    let hh = pin64(sa.x * sb.x - p, zero);
    let err = pin64(pin64(hh + sa.x * sb.y, zero) + sa.y * sb.x, zero) + sa.y * sb.y;
    return vec2<f64>(p, err);
}

fn dd_add(a: vec2<f64>, b: vec2<f64>, zero: u32) -> vec2<f64> {
    let s = two_sum(a.x, b.x, zero);
    let t = two_sum(a.y, b.y, zero);
    let u = fast_two_sum(s.x, s.y + t.x, zero);
    return fast_two_sum(u.x, u.y + t.y, zero);
}

fn dd_mul(a: vec2<f64>, b: vec2<f64>, zero: u32) -> vec2<f64> {
    let p = two_prod(a.x, b.x, zero);
    return fast_two_sum(p.x, p.y + (a.x * b.y + a.y * b.x), zero);
}

// a/d for a small integer d: the quotient and the exact remainder's.
fn dd_div_f64(a: vec2<f64>, d: f64, zero: u32) -> vec2<f64> {
    let q = a.x / d;
    let r = dd_add(a, two_prod(-q, d, zero), zero);
    return fast_two_sum(q, r.x / d, zero);
}

// a/b: three quotient digits, each from the exact remainder.
fn dd_div(a: vec2<f64>, b: vec2<f64>, zero: u32) -> vec2<f64> {
    let q1 = a.x / b.x;
    let r1 = dd_add(a, dd_mul(b, vec2<f64>(-q1, 0.0lf), zero), zero);
    let q2 = r1.x / b.x;
    let r2 = dd_add(r1, dd_mul(b, vec2<f64>(-q2, 0.0lf), zero), zero);
    let q3 = r2.x / b.x;
    return dd_add(fast_two_sum(q1, q2, zero), vec2<f64>(q3, 0.0lf), zero);
}

// σ(±a) in double-double for a = min(|x|, 104) (reference::sigmoid_dd):
// e^a = 2^k·N with N = e^(r/16)^16 (Taylor series to the 14th power,
// squared four times), σ(−a) = 2^−k/(N + 2^−k), σ(a) = 1 − σ(−a).
fn sigmoid_dd(a: f64, negative: bool, zero: u32) -> vec2<f64> {
    let k = floor(a * LOG2E + 0.5lf);
    let p = two_prod(k, LN2_HI, zero);
    let r = dd_add(two_sum(a - p.x, -p.y, zero), two_prod(-k, LN2_LO, zero), zero);
    let s = r * 0.0625lf;
    let one = vec2<f64>(1.0lf, 0.0lf);
    var e = one;
    for (var n = 14; n >= 1; n--) {
        e = dd_add(one, dd_div_f64(dd_mul(s, e, zero), f64(n), zero), zero);
    }
    for (var i = 0; i < 4; i++) {
        e = dd_mul(e, e, zero);
    }
    let m = pow2(-i32(k)); // 2^−k, exact
    let q = dd_div(one, dd_add(e, vec2<f64>(m, 0.0lf), zero), zero);
    let t = q * m;
    if negative {
        return t;
    }
    return dd_add(one, -t, zero);
}

// The slow path: the f32 bits of σ(x) from its double-double T = hi + lo
// (reference::sigmoid_cr's decision): y₀ = hi rounded to the f32 grid,
// the sign of T − y₀ names the neighbour y₁ towards T, and T's side of
// the midpoint of y₀ and y₁ (exact differences) picks one of them.
fn cr_slow(a: f64, negative: bool, zero: u32) -> u32 {
    let t = sigmoid_dd(a, negative, zero);
    let y0 = round_f32_grid(t.x, zero);
    let b0 = bits_of_value(y0);
    let d = pin64(t.x - y0, zero) + t.y;
    if d == 0.0lf {
        return b0;
    }
    let b1 = select(b0 - 1u, b0 + 1u, d > 0.0lf);
    let mid = (y0 + value_of_bits(b1)) * 0.5lf;
    let e = pin64(t.x - mid, zero) + t.y;
    return select(b0, b1, (e > 0.0lf) == (d > 0.0lf));
}

fn sigmoid_cr_bits(bits: u32, zero: u32) -> u32 {
    if is_nan_bits(bits) {
        return bits | 0x00400000u;
    }
    let negative = (bits >> 31u) != 0u;
    let a = value_of_bits(min(bits & 0x7fffffffu, CLAMP_BITS));
    let xv = select(a, -a, negative);
    let iv = cr_interval(xv, zero);
    let lo = round_f32_grid(iv.x, zero);
    let hi = round_f32_grid(iv.y, zero);
    if lo == hi {
        return bits_of_value(lo);
    }
    return cr_slow(a, negative, zero);
}

@compute @workgroup_size(256)
fn sigmoid_cr(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&y) {
        return;
    }
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    y[i] = sigmoid_cr_bits(x[i], groups.z - 1u);
}
