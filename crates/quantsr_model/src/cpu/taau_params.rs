//! taau_params (render resolution): the `taau` rung's fixed heuristics, filling the same
//! reconstruction-parameter texture the neural rungs predict, so resolve is shared by every
//! rung. Per render pixel: x the kernel σ in render pixels, y the history trust in [0, 1],
//! z the rectification box size in standard deviations, w the longest history in frames.
//!
//! The oracle for `shaders/upscaler/taau_params.wgsl`.

use super::common::{FrameConstants, clamp, mix};
use super::image::{F16Rounding, Image, StorageFormat, TextureStore};

/// Computes the `rgba16float` parameter texture (`render_size`) from prepare's features, rounded
/// to f16 as the device does (`f16_rounding`).
pub fn taau_params(frame: &FrameConstants, features: &Image, f16_rounding: F16Rounding) -> Image {
    let [w, h] = frame.render_size;
    let mut params = Image::zeros(w, h, 4);
    for y in 0..h as i32 {
        for x in 0..w as i32 {
            let f = features.load([x, y]);
            let (disocclusion, reactive) = (f[0], f[1]);
            let trust = (1.0 - disocclusion) * (1.0 - reactive);
            // Freshly revealed or reactive pixels get a wider kernel and a looser box.
            let ratio = frame.display_size[0] as f32 / frame.render_size[0] as f32;
            let sigma = mix(clamp(0.6 / ratio, 0.2, 0.5), 0.75, disocclusion.max(reactive));
            let gamma = 2.0;
            let max_frames = mix(16.0, 2.0, reactive);
            params.store([x, y], StorageFormat::Rgba16Float(f16_rounding), [sigma, trust, gamma, max_frames]);
        }
    }
    params
}
