// Error-free arithmetic helpers shared by both shaders (the Rust side joins
// this file in front of each: `FORWARD_WGSL`, `BACKWARD_WGSL`).

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
