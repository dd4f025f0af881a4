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

/// A storage buffer of `len` f32s that can be copied to and from.
pub fn storage(ctx: &GpuContext, label: &str, len: u64) -> wgpu::Buffer {
    use wgpu::BufferUsages as U;
    ctx.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: len * 4,
        usage: U::STORAGE | U::COPY_DST | U::COPY_SRC,
        mapped_at_creation: false,
    })
}

/// Reads `len` f32s at element `offset` of `buffer` back to the host.
pub fn read(ctx: &GpuContext, buffer: &wgpu::Buffer, offset: u64, len: u64) -> Vec<f32> {
    let staging = ctx.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("test readback"),
        size: len * 4,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.device().create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, offset * 4, &staging, 0, len * 4);
    ctx.queue().submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| tx.send(r).unwrap());
    ctx.device()
        .poll(wgpu::PollType::wait_indefinitely())
        .unwrap();
    rx.recv().unwrap().unwrap();
    let view = staging.get_mapped_range(..).unwrap();
    view.chunks_exact(4)
        .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The shared context's adapter, found again, for tests that request a
/// device of their own (other limits or features) for `from_device`.
pub fn same_adapter(ctx: &GpuContext) -> wgpu::Adapter {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters
        .into_iter()
        .find(|a| a.get_info().name == ctx.adapter_info().name)
        .expect("the adapter `GpuContext::new` found")
}
