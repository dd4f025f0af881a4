// Backward Sigmoid from the saved forward output: dx[i] = dy[i]·y[i]·(1 − y[i]).
//
// As on the CPU (`backward_lanes` in src/cpu/sigma.rs): w = y·(1 − y) rounded
// once, then dx = dy·w, two roundings in all. The CPU rounds w once with a
// fused multiply-subtract; WGSL's `fma` may be unfused (it is on lavapipe),
// so here w comes from exact pieces: 1 − y = s + s_lo (Fast2Sum; s_lo = 0
// for y ≥ 0.5), y·s = p + p_err (Dekker's product over 12-bit halves), and
// w = p + (p_err + y·s_lo), whose inner sum is tiny next to p. The inputs of
// the error-free steps are pinned, as in the forward shader. NaN in y or dy
// is detected on the bit pattern and is returned unchanged (WGSL leaves NaN
// propagation through arithmetic indeterminate).
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest) and one deep in z (`pin` relies on it);
// the length guard is arrayLength(&dx).

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn is_nan_bits(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// `pin` and `split`: shaders/exact_arith.wgsl, joined in front of this file.

// y·(1 − y) rounded once.
fn y_one_minus_y(yi: f32, zero: u32) -> f32 {
    let y = pin(yi, zero);
    let s = pin(1.0 - y, zero);
    let s_lo = (1.0 - s) - y;
    let p = pin(y * s, zero);
    let ys = split(y, zero);
    let ss = split(s, zero);
    let hh = pin(ys.x * ss.x - p, zero);
    let p_err = pin(pin(hh + ys.x * ss.y, zero) + ys.y * ss.x, zero) + ys.y * ss.y;
    return p + pin(p_err + y * s_lo, zero);
}

@compute @workgroup_size(256)
fn sigmoid_backward(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = gid.x + gid.y * groups.x * 256u;
    if i >= arrayLength(&dx) {
        return;
    }
    let yi = y[i];
    let g = dy[i];
    // The dispatch is one workgroup deep (see `encode.rs`): groups.z − 1 = 0.
    // |y| > 2 is never a σ output; the plain product keeps the split from
    // overflowing there.
    let w = select(y_one_minus_y(yi, groups.z - 1u), yi * (1.0 - yi), abs(yi) > 2.0);
    let r = g * w;
    // A NaN input is passed through as the result.
    let nan_in = select(g, yi, is_nan_bits(yi));
    dx[i] = select(r, nan_in, is_nan_bits(yi) || is_nan_bits(g));
}
