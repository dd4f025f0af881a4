// Forward Sigmoid: y[i] = σ(x[i]) = 1 / (1 + e^−x[i]).
//
// Numerically stable: only e = e^−|x| ∈ (0, 1] is ever formed, and the result
// is reflected for x < 0 (σ(x) = e/(1 + e)) or taken directly for x ≥ 0
// (σ(x) = 1/(1 + e)). The exponential is computed here rather than with the
// builtin `exp`, whose WGSL error bound is 3 + 2|x| ULP (≈ 200 ULP near the
// underflow edge): Cody–Waite reduction with ln 2 split in two, then the same
// degree-7 polynomial as the CPU exact tier (src/cpu/math.rs), so the accuracy
// depends only on correctly rounded +, −, × and on the device's division.
//
// Special values do not rely on IEEE behaviour (WGSL leaves NaN and ∞ results
// indeterminate): NaN is detected on the bit pattern and passed through, and
// |x| is clamped to 104 before the exponential, so ±∞ give exactly 1 and 0.
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest); the length guard is arrayLength(&y).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

const LOG2E: f32 = 1.442695041;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// Beyond |x| = 104, σ(−|x|) < 2^−150 rounds to 0 and σ(|x|) rounds to 1.
const CLAMP: f32 = 104.0;

fn is_nan_bits(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// e^−a for a in [0, CLAMP].
fn exp_neg(a: f32) -> f32 {
    let z = -a;
    let k = floor(z * LOG2E + 0.5);
    let r = (z - k * LN2_HI) - k * LN2_LO;
    var p = 0.00019907588;
    p = p * r + 0.0013933652;
    p = p * r + 0.008333286;
    p = p * r + 0.041666467;
    p = p * r + 0.16666667;
    p = p * r + 0.5;
    let n = 1.0 + (r + (r * r) * p);
    // k ∈ [−150, 0]: apply 2^k as two factors so neither leaves the normal range.
    let kh = i32(floor(k * 0.5));
    return ldexp(ldexp(n, kh), i32(k) - kh);
}

fn sigmoid(v: f32) -> f32 {
    let a = min(abs(v), CLAMP);
    let e = exp_neg(a);
    let d = 1.0 + e;
    let s = select(1.0 / d, e / d, v < 0.0);
    return select(s, v, is_nan_bits(v));
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
    y[i] = sigmoid(x[i]);
}
