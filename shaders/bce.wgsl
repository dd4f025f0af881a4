// Fused BCE with logits (entry point `bce_with_logits`): per element the
// loss ℓ = w·[pw·t'·softplus(−x) + (1 − t')·softplus(x)] and the gradient
// dℓ/dx = w·[(1 − t')·σ(x) − pw·t'·σ(−x)]·scale (t' = t·keep + ε/2), and per
// workgroup the sum of its 256 losses as an unevaluated pair (hi, lo) in
// fixed tree order, finished on the host in f64 (src/gpu/loss.rs).
//
// With a = min(|x|, 300) = k·ln2 + r (k ≤ 433) and N = e^r as a pair (the
// exact tier's `exact_exp`), both transcendental terms come from one
// exponential, as in the CPU kernel (src/cpu/bce.rs):
// L = log1p(e^−a) = 2^−k·(y₀ + y₀·corr) (the softplus series of
// shaders/softplus.wgsl) and u = σ(−a) = 2^−k·(u₀ + u₀·ρ') (`quotient_pair`),
// each a pair of normal f32s. softplus(±x) = a·[x ≷ 0] + L and σ(±x) is u
// or 1 − u. The weights multiply the pairs before 2^−k is applied (in exact
// steps of at most 2^−100), so a tiny term times a large weight keeps its
// value. Unlike the CPU, which combines in f64, the coefficients and the
// final sums round in f32 (a few roundings, measured in src/gpu/loss.rs).
//
// Special values on the bit pattern: NaN in x (else t) is returned in both
// outputs; x = ±∞ gives the limit (loss 0 or +∞, gradient finite); a zero
// coefficient or weight times an infinite |x| counts as 0.
//
// Dispatch: 256 invocations per workgroup, workgroups in 2-D (x up to the
// device limit, y for the rest), one deep in z (`pin` relies on it); the
// length guard is `params.len`. Every invocation reaches the barriers.

struct Params {
    len: u32,
    classes: u32,
    class_offset: u32,
    flags: u32,
    keep: f32,
    half_eps: f32,
    scale_hi: f32,
    scale_lo: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> pw: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;

// |x| is clamped here (the CPU kernel's CLAMP): past it every weighted
// term is below 2^−176 and rounds to 0.
const BCE_CLAMP: f32 = 300.0f;
// 1.5·2^23: adding it rounds a value in [0, 2^22) to an integer.
const ROUNDER: f32 = 12582912.0f;
// 1.5·2^23 + 127: the bits of POW2_SHIFTER − j end in 127 − j, the biased
// exponent of 2^−j, for an integral j in [0, 126].
const POW2_SHIFTER: f32 = 12583039.0f;
// Q(w) = Σ w^j/(2j + 3), j = 0..6 (as shaders/softplus.wgsl).
const Q0: f32 = 0.33333334f;
const Q1: f32 = 0.2f;
const Q2: f32 = 0.14285715f;
const Q3: f32 = 0.11111111f;
const Q4: f32 = 0.09090909f;
const Q5: f32 = 0.07692308f;
const Q6: f32 = 0.06666667f;
const HAS_WEIGHT: u32 = 1u;
const HAS_POS_WEIGHT: u32 = 2u;
const F32_MAX: f32 = 3.40282347e38f;

var<workgroup> sums: array<vec2<f32>, 256>;

fn is_nan_bits(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// 2^−j, exactly, for an integral j in [0, 126].
fn pow2_neg(j: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(POW2_SHIFTER - j) << 23u);
}

// v·2^−k for an integral k in [0, 433], in exact steps of at most 2^−100
// (they round only where the result is subnormal).
fn times_pow2_neg(v: f32, k: f32, zero: u32) -> f32 {
    var r = v;
    var rest = k;
    for (var s = 0; s < 5; s++) {
        let j = min(rest, 100.0f);
        r = pin(r * pow2_neg(j), zero);
        rest = rest - j;
    }
    return r;
}

// (hi, lo) + (hi, lo) with the error of the high sum kept (Knuth's TwoSum,
// inputs pinned), renormalized. An infinite or NaN high sum is returned
// alone.
fn pair_add(a: vec2<f32>, b: vec2<f32>, zero: u32) -> vec2<f32> {
    let s = pin(a.x + b.x, zero);
    if (bitcast<u32>(s) & 0x7fffffffu) >= 0x7f800000u {
        return vec2<f32>(s, 0.0f);
    }
    let bv = pin(s - a.x, zero);
    let err = (a.x - pin(s - bv, zero)) + (b.x - bv);
    let lo = pin(err + (a.y + b.y), zero);
    let hi = pin(s + lo, zero);
    return vec2<f32>(hi, lo - pin(hi - s, zero));
}

// (loss, gradient) of one element.
fn element(xv: f32, tv: f32, wv: f32, pwv: f32, zero: u32) -> vec2<f32> {
    let bits = bitcast<u32>(xv);
    let a_full = bitcast<f32>(bits & 0x7fffffffu);
    let a = bitcast<f32>(min(bits & 0x7fffffffu, bitcast<u32>(BCE_CLAMP)));
    let k = pin(fma(a, LOG2E, ROUNDER), zero) - ROUNDER;
    let kn = -k;
    let r1 = fma(kn, LN2_HI, a); // a − k·LN2_HI, exact (fused or not)
    let r_lo = kn * LN2_LO;
    let n = exact_exp(r1, r_lo, zero);
    // 2^−k enters the denominators capped at 2^−60 (below any effect).
    let mq = pow2_neg(min(k, 60.0f));
    // L = log1p(e^−a) = 2^−k·y·(1 + w·Q(w)), y = 1/(N + 2^−k/2).
    let yr = quotient_pair(n.x, n.y, mq * 0.5f, zero);
    let y0 = yr.x;
    let rho = yr.y;
    let s = pow2_neg(min(k, 30.0f)) * (y0 + y0 * rho) * 0.5f;
    let ww = s * s;
    let w2 = ww * ww;
    let p01 = fma(ww, Q1, Q0);
    let p23 = fma(ww, Q3, Q2);
    let p45 = fma(ww, Q5, Q4);
    let q = fma(w2, fma(w2, fma(w2, Q6, p45), p23), p01);
    let wq = ww * q;
    let corr = wq + (rho + rho * wq);
    // u = σ(−a) = 2^−k/(N + 2^−k).
    let ur = quotient_pair(n.x, n.y, mq, zero);
    let u_hi = ur.x;
    let u_lo = ur.x * ur.y;

    // Coefficients: t' = t·keep + ε/2, 1 − t' = (1 − t)·keep + ε/2.
    let ts = tv * params.keep + params.half_eps;
    let cb = (1.0f - tv) * params.keep + params.half_eps;
    let ca = pwv * ts;
    let c = ca + cb;
    let pos = (bits >> 31u) == 0u;
    let c_far = select(ca, cb, pos);

    // Loss: w·c_far·a + 2^−k·(w·c·L).
    let masked = c_far == 0.0f || wv == 0.0f;
    let far = select((wv * c_far) * min(a_full, F32_MAX), 0.0f, masked);
    let near = times_pow2_neg(wv * c * (y0 + y0 * corr), k, zero);
    let is_inf = (bits & 0x7fffffffu) == 0x7f800000u;
    let l = select(far + near, bitcast<f32>(0x7f800000u), is_inf && !masked);

    // Gradient: ±w·(c_far − c·u), times the scale. For k ≤ 60, c·u as
    // c·u_hi exactly (Dekker) plus the small parts (c's rounding error from
    // TwoSum, u's low part), subtracted from c_far before one rounding, and
    // the weight applied last. For k > 60 the weights multiply u before
    // 2^−k is applied, so a tiny u times a large weight keeps its value.
    let cv = pin(c, zero);
    let cbv = pin(cv - ca, zero);
    let c_err = (ca - pin(cv - cbv, zero)) + (cb - cbv);
    let p60 = pow2_neg(min(k, 60.0f));
    let uh = u_hi * p60;
    let pe = two_prod(cv, uh, zero);
    let g0 = pin(c_far - pe.x, zero);
    let g_small_k = wv * (g0 - (pe.y + (c_err * uh + cv * (u_lo * p60))));
    let wc = wv * c;
    let g_large_k = pin(wv * c_far - times_pow2_neg(wc * u_hi, k, zero), zero)
        - times_pow2_neg(wc * u_lo, k, zero);
    // Where c_far = 0 the exact c_far − c·u is ≤ 0: an underflowed
    // difference is −0, so that the result carries its limit's sign.
    let g1 = select(g_large_k, g_small_k, k <= 60.0f);
    let g = select(g1, -0.0f, c_far == 0.0f && g1 == 0.0f);
    // g·(scale_hi + scale_lo) rounded once, through Dekker's product where
    // g is in its range (scale 1 is exact either way).
    let ga = abs(g);
    let sc = two_prod(g, params.scale_hi, zero);
    let exact = sc.x + (sc.y + g * params.scale_lo);
    let scaled = select(g * params.scale_hi, exact, ga > 0x1p-80f && ga < 0x1p80f);
    let d = select(-scaled, scaled, pos);

    let nan = select(tv, xv, is_nan_bits(xv));
    if is_nan_bits(xv) || is_nan_bits(tv) {
        return vec2<f32>(nan, nan);
    }
    return vec2<f32>(l, d);
}

@compute @workgroup_size(256)
fn bce_with_logits(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    let zero = groups.z - 1u;
    let i = gid.x + gid.y * groups.x * 256u;
    var mine = vec2<f32>(0.0f, 0.0f);
    if i < params.len {
        var wv = 1.0f;
        if (params.flags & HAS_WEIGHT) != 0u {
            wv = w[i];
        }
        var pwv = 1.0f;
        if (params.flags & HAS_POS_WEIGHT) != 0u {
            pwv = pw[(params.class_offset + i) % params.classes];
        }
        let r = element(x[i], t[i], wv, pwv, zero);
        loss[i] = r.x;
        dx[i] = r.y;
        mine = vec2<f32>(r.x, 0.0f);
    }
    sums[lid] = mine;
    for (var step = 128u; step > 0u; step = step >> 1u) {
        workgroupBarrier();
        if lid < step {
            sums[lid] = pair_add(sums[lid], sums[lid + step], zero);
        }
    }
    let wg = wid.x + wid.y * groups.x;
    if lid == 0u {
        partials[2u * wg] = sums[0].x;
        partials[2u * wg + 1u] = sums[0].y;
    }
    // Workgroup 0 zeroes the slots past the last workgroup's (the binding is
    // rounded up to the offset alignment).
    let pad = 2u * groups.x * groups.y + lid;
    if wg == 0u && pad < arrayLength(&partials) {
        partials[pad] = 0.0f;
    }
}
