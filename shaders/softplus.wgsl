// Softplus y[i] = log(1 + e^x[i]) (entry point `softplus`) and log-sigmoid
// y[i] = log σ(x[i]) = −softplus(−x[i]) (entry point `log_sigmoid`).
//
// The CPU algorithm (`softplus_lanes` in src/cpu/stable.rs), step for step
// and with the same constants (a unit test in src/gpu/stable.rs compares
// them with the CPU source): with a = |z| and t = e^−a = m/N from the exact
// tier's reduction (m = 2^−k exact, N = e^r as a pair), log1p(t) =
// 2·atanh(s) with s = t/(2 + t) = m/(2N + m), so log1p(t) = m·y·(1 + w·Q(w))
// with y = 1/(N + m/2) = y₀·(1 + ρ) (the exact tier's quotient, through
// `quotient_pair`, which relies on neither WGSL's division nor `fma`) and
// w = s². z < 0: that value; z ≥ 0: z + log1p(t), the sum carried with its
// rounding error (Knuth's TwoSum, inputs pinned against reassociation), so
// it rounds once; z ≥ 2^24 (and +∞) is z. e^z is never formed.
//
// Here s comes from y₀·(1 + ρ) rather than y₀ and the product ρ·w·Q is
// kept, so a division off by WGSL's allowed 2.5 ULP changes the result by
// far less than an ULP. The `fma`s of the polynomial may be unfused: their
// terms are below 2^−5 of the result.
//
// Special values on the bit pattern (WGSL leaves NaN and ∞ arithmetic
// indeterminate): NaN is passed through; |z| is clamped to 104 before the
// exponential, so softplus(−∞) = +0 and softplus(+∞) = +∞ (returned as z),
// log_sigmoid(+∞) = −0, log_sigmoid(−∞) = −∞.
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest) and one deep in z (`pin` relies on it);
// the length guard is arrayLength(&y).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

// Q(w) = Σ w^j/(2j + 3), j = 0..6, rounded to f32 (src/cpu/stable.rs `Q`).
const Q0: f32 = 0.33333334f;
const Q1: f32 = 0.2f;
const Q2: f32 = 0.14285715f;
const Q3: f32 = 0.11111111f;
const Q4: f32 = 0.09090909f;
const Q5: f32 = 0.07692308f;
const Q6: f32 = 0.06666667f;
// 2^24, as bits: from here on softplus(z) = z.
const BIG_BITS: u32 = 0x4b800000u;

fn is_nan_bits(bits: u32) -> bool {
    return (bits & 0x7fffffffu) > 0x7f800000u;
}

// `pin`, `split`, `two_prod`, the exact tier's constants, `exact_reduce`,
// `exact_exp` and `quotient_pair`: shaders/exact_arith.wgsl, joined in front
// of this file.

fn softplus_of(z: f32, zero: u32) -> f32 {
    let bits = bitcast<u32>(z);
    let red = exact_reduce(bits);
    let m = red.z;
    let n = exact_exp(red.x, red.y, zero);
    let yr = quotient_pair(n.x, n.y, m * 0.5f, zero);
    let y0 = yr.x;
    let rho = yr.y;
    let s = m * (y0 + y0 * rho) * 0.5f;
    let w = s * s;
    let w2 = w * w;
    let p01 = fma(w, Q1, Q0);
    let p23 = fma(w, Q3, Q2);
    let p45 = fma(w, Q5, Q4);
    let q = fma(w2, fma(w2, fma(w2, Q6, p45), p23), p01);
    let wq = w * q;
    let corr = wq + (rho + rho * wq);
    // z < 0: log1p(e^z), the correction added in one rounding.
    let neg = (y0 + y0 * corr) * m;
    // z ≥ 0: z + m·y₀ exactly as a sum and its error, then the small parts.
    let lh = pin(y0 * m, zero);
    let ll = y0 * corr * m;
    let sum = pin(z + lh, zero);
    let bv = pin(sum - z, zero);
    let err = (z - pin(sum - bv, zero)) + (lh - bv);
    let pos = sum + (err + ll);
    let positive = (bits >> 31u) == 0u;
    let r = select(neg, select(pos, z, bits >= BIG_BITS), positive);
    return select(r, z, is_nan_bits(bits));
}

fn negate(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) ^ 0x80000000u);
}

@compute @workgroup_size(256)
fn softplus(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&y) {
        return;
    }
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    y[i] = softplus_of(x[i], groups.z - 1u);
}

@compute @workgroup_size(256)
fn log_sigmoid(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&y) {
        return;
    }
    // log σ(x) = −softplus(−x); negation on the sign bit (a NaN keeps its payload).
    y[i] = negate(softplus_of(negate(x[i]), groups.z - 1u));
}
