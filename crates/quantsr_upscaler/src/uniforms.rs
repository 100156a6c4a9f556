//! The per-frame uniform block every upscaler pass reads (`FrameUniforms` in
//! `shaders/upscaler/common.wgsl`; the layouts must match field for field).

/// Per-frame constants, as laid out in WGSL.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct FrameUniforms {
    pub render_size: [u32; 2],
    pub display_size: [u32; 2],
    pub prev_render_size: [u32; 2],
    pub frame_index: u32,
    pub reset: u32,
    pub jitter: [f32; 2],
    pub motion_scale: [f32; 2],
    pub exposure: f32,
    pub use_exposure_texture: u32,
    pub sharpness: f32,
    pub debug_view: u32,
    pub depth_inverted: u32,
    pub has_reactive: u32,
    pub hdr: u32,
    pub pad: u32,
}

impl FrameUniforms {
    /// The block for `frame`; with `use_exposure_texture` the kernels read the exposure from
    /// its texture instead of `frame.exposure`.
    pub fn new(frame: &quantsr_model::FrameConstants, use_exposure_texture: bool, hdr: bool) -> Self {
        Self {
            render_size: frame.render_size,
            display_size: frame.display_size,
            prev_render_size: frame.prev_render_size,
            frame_index: frame.frame_index,
            reset: u32::from(frame.reset),
            jitter: frame.jitter,
            motion_scale: frame.motion_scale,
            exposure: frame.exposure,
            use_exposure_texture: u32::from(use_exposure_texture),
            sharpness: frame.sharpness,
            debug_view: frame.debug_view,
            depth_inverted: u32::from(frame.depth_inverted),
            has_reactive: u32::from(frame.has_reactive),
            hdr: u32::from(hdr),
            pad: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn layout_matches_the_wgsl_struct() {
        let shader = quantsr_gpu::validate_wgsl(
            "upscaler/common.wgsl",
            quantsr_gpu::load_shader("upscaler/common.wgsl").unwrap(),
            quantsr_gpu::all_shader_features(),
        )
        .unwrap();
        let ty = shader
            .module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some("FrameUniforms"))
            .map(|(_, t)| t.inner.clone())
            .unwrap();
        let naga::TypeInner::Struct { span, .. } = ty else { panic!("FrameUniforms is not a struct") };
        assert_eq!(span as usize, size_of::<super::FrameUniforms>());
    }
}
