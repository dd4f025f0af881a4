//! The GPU context shared by the GPU test binaries, and the rule for a
//! missing adapter: print why and skip, unless `SIGMOID_REQUIRE_GPU=1`
//! (CI sets it), where a missing adapter fails the test.

use std::sync::OnceLock;

use sigmoid_kernels::gpu::{GpuContext, GpuError};

/// The shared context, or `None` (after printing why) when no adapter exists.
pub fn ctx() -> Option<&'static GpuContext> {
    static CTX: OnceLock<Result<GpuContext, GpuError>> = OnceLock::new();
    match CTX.get_or_init(GpuContext::new) {
        Ok(ctx) => Some(ctx),
        Err(e) if std::env::var("SIGMOID_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("SIGMOID_REQUIRE_GPU=1 but no GPU context: {e}")
        }
        Err(e) => {
            eprintln!("skipping GPU test: {e} (set SIGMOID_REQUIRE_GPU=1 to fail instead)");
            None
        }
    }
}

/// The shared context, or `return` from the calling test when there is none.
#[allow(unused_macros)] // each GPU test binary uses a subset
macro_rules! gpu_or_skip {
    () => {
        match $crate::support::gpu::ctx() {
            Some(ctx) => ctx,
            None => return,
        }
    };
}
#[allow(unused_imports)] // each GPU test binary uses a subset
pub(crate) use gpu_or_skip;
