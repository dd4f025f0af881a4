// Backward Sigmoid from the saved forward output: dx[i] = dy[i]·y[i]·(1 − y[i]).
//
// As on the CPU (`backward_lanes` in src/cpu/math.rs): w = y·(1 − y) rounded
// once, then dx = dy·w, two roundings in all. For y ≥ 0.5, 1 − y is exact
// (Sterbenz) and w = y·(1 − y) is one product; below, w = fma(−y, y, y) is
// one fused operation. (On an adapter that evaluates `fma` unfused, w carries
// a second rounding for y < 0.5.) NaN in y or dy is detected on the bit
// pattern and is returned unchanged (WGSL leaves NaN propagation through
// arithmetic indeterminate).
//
// Dispatch: 256 invocations per workgroup, workgroups laid out in 2-D
// (x up to 65535, y for the rest); the length guard is arrayLength(&dx).

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn is_nan_bits(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
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
    let w = select(fma(-yi, yi, yi), yi * (1.0 - yi), yi >= 0.5);
    let r = g * w;
    // A NaN input is passed through as the result.
    let nan_in = select(g, yi, is_nan_bits(yi));
    dx[i] = select(r, nan_in, is_nan_bits(yi) || is_nan_bits(g));
}
