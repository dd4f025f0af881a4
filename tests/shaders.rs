//! Every WGSL file in `shaders/` parses and validates with naga (the
//! kernels with the shared helpers of `exact_arith.wgsl` in front, as the
//! crate joins them), and defines the entry point the crate asks for. Needs no GPU, so a broken shader fails
//! CI on any machine.
#![cfg(feature = "gpu")]

use std::path::Path;

fn validate(name: &str, source: &str) -> naga::Module {
    // The binary16 kernels (`enable f16;`) need the f16 capability
    // (wgpu's SHADER_F16), the correctly rounded one f64 (SHADER_F64); the
    // others must validate without either.
    let caps = if source.starts_with("enable f16;") {
        naga::valid::Capabilities::SHADER_FLOAT16
    } else if name.ends_with("sigmoid_cr.wgsl") {
        naga::valid::Capabilities::FLOAT64
    } else {
        naga::valid::Capabilities::empty()
    };
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{name}: WGSL parse error:\n{}", e.emit_to_string(source)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: naga validation error: {e:?}"));
    module
}

#[test]
fn every_shader_file_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let prelude = dir.join("exact_arith.wgsl");
    let helpers = std::fs::read_to_string(&prelude).expect("shaders/exact_arith.wgsl");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("shaders/ exists") {
        let path = entry.expect("readable dir entry").path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            let source = std::fs::read_to_string(&path).expect("readable shader");
            // The helpers and the f64 kernel stand alone (as
            // `gpu::cr::CR_WGSL` compiles it); the others get the helpers.
            let source = if path == prelude || path.ends_with("sigmoid_cr.wgsl") {
                source
            } else if path.ends_with("sigmoid_f16.wgsl") {
                // As `gpu::half16::F16_WGSL` joins it.
                format!("enable f16;\n{helpers}{source}")
            } else {
                format!("{helpers}{source}")
            };
            validate(&path.display().to_string(), &source);
            count += 1;
        }
    }
    assert!(
        count >= 3,
        "expected at least the helpers and the forward and backward shaders, found {count}"
    );
}

#[test]
fn embedded_shaders_have_their_entry_points() {
    for (name, source, entry) in [
        (
            "forward",
            sigmoid_kernels::gpu::FORWARD_WGSL,
            "sigmoid_forward",
        ),
        (
            "backward",
            sigmoid_kernels::gpu::BACKWARD_WGSL,
            "sigmoid_backward",
        ),
    ] {
        let module = validate(name, source);
        let points: Vec<_> = module
            .entry_points
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(points, [entry], "{name}: entry points");
        assert_eq!(module.entry_points[0].workgroup_size, [256, 1, 1], "{name}");
    }
}

#[test]
fn f16_shader_has_its_entry_points() {
    let module = validate("f16", sigmoid_kernels::gpu::half16::F16_WGSL);
    let points: Vec<_> = module
        .entry_points
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(points, ["sigmoid_f16_forward", "sigmoid_f16_backward"]);
    for e in &module.entry_points {
        assert_eq!(e.workgroup_size, [256, 1, 1], "{}", e.name);
    }
}

#[test]
fn stable_shaders_have_their_entry_points() {
    for (name, source, entries) in [
        (
            "softplus",
            sigmoid_kernels::gpu::stable::SOFTPLUS_WGSL,
            &["softplus", "log_sigmoid"][..],
        ),
        (
            "backward from input",
            sigmoid_kernels::gpu::stable::BACKWARD_FROM_INPUT_WGSL,
            &["sigmoid_backward_from_input"][..],
        ),
    ] {
        let module = validate(name, source);
        let points: Vec<_> = module
            .entry_points
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(points, entries, "{name}: entry points");
        for e in &module.entry_points {
            assert_eq!(e.workgroup_size, [256, 1, 1], "{name}: {}", e.name);
        }
    }
}

#[test]
fn bce_shader_has_its_entry_point() {
    let module = validate("bce", sigmoid_kernels::gpu::loss::BCE_WGSL);
    let points: Vec<_> = module
        .entry_points
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(points, ["bce_with_logits"], "bce: entry points");
    assert_eq!(module.entry_points[0].workgroup_size, [256, 1, 1], "bce");
}

#[test]
fn silu_shaders_have_their_entry_points() {
    for (source, entry) in [
        (sigmoid_kernels::gpu::silu::SILU_WGSL, "silu"),
        (
            sigmoid_kernels::gpu::silu::SILU_BACKWARD_WGSL,
            "silu_backward",
        ),
    ] {
        let module = validate(entry, source);
        let points: Vec<_> = module
            .entry_points
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(points, [entry], "{entry}: entry points");
        assert_eq!(
            module.entry_points[0].workgroup_size,
            [256, 1, 1],
            "{entry}"
        );
    }
}
