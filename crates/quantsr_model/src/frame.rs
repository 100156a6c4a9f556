//! The per-frame constants of a dispatch and the one place the caller's values are cleaned up
//! (reset on the first frame, exposure and sharpness made usable), shared by the GPU runtime
//! and the CPU reference.

use crate::DebugView;

/// One frame's values as the caller gave them, with what the upscaler carries from frame to
/// frame: everything [`FrameConstants::from_inputs`] turns into the constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameInputs {
    /// This frame's render size in pixels.
    pub render_size: [u32; 2],
    /// Output size in pixels.
    pub display_size: [u32; 2],
    /// Render size of the previous frame, `[1, 1]` before the first.
    pub prev_render_size: [u32; 2],
    /// Frames dispatched before this one.
    pub frame_index: u64,
    /// The caller's reset flag (camera cut).
    pub reset: bool,
    /// Sub-pixel jitter in render pixels.
    pub jitter: [f32; 2],
    /// Multiplies the input motion vectors into UV units.
    pub motion_vector_scale: [f32; 2],
    /// The exposure value, if one was given as a value.
    pub exposure: Option<f32>,
    /// Sharpening strength, if any.
    pub sharpness: Option<f32>,
    /// What to output.
    pub debug_view: DebugView,
    /// Depth is reverse-Z.
    pub depth_inverted: bool,
    /// A reactive mask is given.
    pub has_reactive: bool,
}

/// The per-frame constants every pass reads (`FrameUniforms` in `shaders/upscaler/common.wgsl`),
/// made only by [`FrameConstants::from_inputs`] in the GPU `Upscaler::dispatch` and in the CPU
/// reference alike, so their clean-up of the caller's values cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameConstants {
    /// This frame's render size in pixels (the top-left of the input textures).
    pub render_size: [u32; 2],
    /// Output size in pixels.
    pub display_size: [u32; 2],
    /// Render size of the previous frame (dynamic resolution), `[1, 1]` before the first.
    pub prev_render_size: [u32; 2],
    /// Frames dispatched before this one.
    pub frame_index: u32,
    /// History is discarded this frame (the reset flag, or the first frame).
    pub reset: bool,
    /// Sub-pixel jitter in render pixels (FSR 2's convention).
    pub jitter: [f32; 2],
    /// Multiplies the input motion vectors into UV units.
    pub motion_scale: [f32; 2],
    /// The exposure (1 where none was given or it was not finite and positive; with an
    /// exposure texture, the kernels read its texel and replace an unusable one by 1).
    pub exposure: f32,
    /// Sharpening strength in [0, 1]; 0 disables it.
    pub sharpness: f32,
    /// Debug view code (`DebugView as u32`); 0 outputs the image.
    pub debug_view: u32,
    /// Depth is reverse-Z (1 near, 0 far).
    pub depth_inverted: bool,
    /// A reactive mask is bound.
    pub has_reactive: bool,
}

impl FrameConstants {
    /// The constants of a frame: history is discarded on the first frame as on a reset, an
    /// exposure that is absent, not finite or not positive is 1, and a sharpness that is absent
    /// or not finite is 0, clamped to [0, 1].
    pub fn from_inputs(inputs: &FrameInputs) -> Self {
        Self {
            render_size: inputs.render_size,
            display_size: inputs.display_size,
            prev_render_size: inputs.prev_render_size,
            frame_index: inputs.frame_index as u32,
            reset: inputs.reset || inputs.frame_index == 0,
            jitter: inputs.jitter,
            motion_scale: inputs.motion_vector_scale,
            exposure: inputs.exposure.filter(|e| e.is_finite() && *e > 0.0).unwrap_or(1.0),
            sharpness: inputs.sharpness.filter(|s| s.is_finite()).unwrap_or(0.0).clamp(0.0, 1.0),
            debug_view: inputs.debug_view.code(),
            depth_inverted: inputs.depth_inverted,
            has_reactive: inputs.has_reactive,
        }
    }
}
