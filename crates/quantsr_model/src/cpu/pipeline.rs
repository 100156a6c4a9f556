//! The whole frame pipeline on the CPU: prepare → parameters (taau_params, or the network
//! input, a network forward at one precision and its activations) → resolve → sharpen, with the
//! state the GPU `Upscaler` keeps between frames (history and depth history ping-pong, the
//! recurrent feedback, the previous render size, the frame index). Feeding [`CpuUpscaler`] and
//! the GPU upscaler the same frames gives the same outputs up to the stored precisions; it is the
//! oracle for `quantsr_upscaler` as a whole, on every rung.

use super::common::FrameConstants;
use super::image::{F16Rounding, Image, StorageFormat};
use super::network_input::{NetworkInputs, network_input};
use super::prepare::{PrepareInputs, prepare};
use super::resolve::{ResolveInputs, resolve};
use super::sharpen::{DebugView, SharpenInputs, sharpen};
use super::taau_params::taau_params;
use crate::Tensor;
use crate::network::{activate, forward_f16, forward_f32, forward_int8};
use crate::precision::NetworkPrecision;
use crate::weights::Network;

/// A neural rung of the CPU reference: the network and the precision it runs at.
#[derive(Debug, Clone)]
pub struct CpuNetworkRung {
    /// The network (`full` or `lite`).
    pub network: Network,
    /// Its arithmetic.
    pub precision: NetworkPrecision,
}

/// How the CPU upscaler is created (mirrors `quantsr_upscaler::UpscalerDescriptor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuUpscalerDescriptor {
    /// Largest render size any frame will use.
    pub max_render_size: [u32; 2],
    /// Output size.
    pub display_size: [u32; 2],
    /// Depth is reverse-Z (1 near, 0 far).
    pub depth_inverted: bool,
    /// What the output is rounded to: [`StorageFormat::Rgba16Float`] or
    /// [`StorageFormat::Rgba32Float`], as the GPU output texture's format.
    pub output_format: StorageFormat,
    /// How the device rounds to f16 in the internal `rgba16float` textures (features,
    /// parameters, history).
    pub f16_rounding: F16Rounding,
}

/// One frame's inputs (mirrors `quantsr_upscaler::DispatchInputs`). Images hold the frame in
/// their top-left `render_size` texels and may be larger; nothing outside is read.
#[derive(Debug, Clone, Copy)]
pub struct CpuFrameInputs<'a> {
    /// Linear, pre-exposed colour (rgb used).
    pub color: &'a Image,
    /// Device depth (first channel).
    pub depth: &'a Image,
    /// Motion vectors, `uv_previous − uv_current` after `motion_vector_scale` (first two channels).
    pub motion_vectors: &'a Image,
    /// Reactive mask in [0, 1] (first channel), if any.
    pub reactive: Option<&'a Image>,
    /// The exposure value, or the texel of the exposure texture; `None` means 1.
    pub exposure: Option<f32>,
    /// Sub-pixel jitter in render pixels.
    pub jitter: [f32; 2],
    /// Multiplies the motion vectors into UV units.
    pub motion_vector_scale: [f32; 2],
    /// This frame's render size.
    pub render_size: [u32; 2],
    /// Camera cut: discard history.
    pub reset: bool,
    /// Sharpening strength in [0, 1]; `None` or 0 disables it.
    pub sharpness: Option<f32>,
    /// What to output.
    pub debug_view: DebugView,
}

/// The internal textures of the last frame, as the GPU holds them after a dispatch.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameTextures {
    /// The constants the frame ran with.
    pub frame: FrameConstants,
    /// `rg32float` dilated motion (`render_size`).
    pub dilated_motion: Image,
    /// `rgba16float` features (`render_size`).
    pub features: Image,
    /// Reconstruction parameters (`render_size`, f16 values): 4 channels from taau, the 16
    /// activated network outputs from a neural rung.
    pub params: Image,
}

/// The CPU reference upscaler: the same passes and state as the GPU `Upscaler`'s `taau` path.
#[derive(Debug, Clone)]
pub struct CpuUpscaler {
    desc: CpuUpscalerDescriptor,
    frame_index: u64,
    prev_render_size: [u32; 2],
    /// Ping-pong history (`display_size`, `rgba16float`): frame `i` writes `[i % 2]` and reads
    /// the other.
    history: [Image; 2],
    /// Ping-pong inverse depth (each the render size of the frame that wrote it, `r32float`).
    depth_history: [Image; 2],
    /// The feedback the last frame wrote (2 channels, its render size; zero after taau).
    feedback: Image,
    rung: Option<CpuNetworkRung>,
    last: Option<FrameTextures>,
}

impl CpuUpscaler {
    /// A fresh upscaler: zero history, no previous frame (the first frame resets).
    pub fn new(desc: CpuUpscalerDescriptor) -> Self {
        let [w, h] = desc.display_size;
        Self {
            desc,
            frame_index: 0,
            // What the GPU upscaler's warm-up dispatch (render size 1×1) leaves behind.
            prev_render_size: [1, 1],
            history: [Image::zeros(w, h, 4), Image::zeros(w, h, 4)],
            depth_history: [Image::zeros(1, 1, 1), Image::zeros(1, 1, 1)],
            feedback: Image::zeros(1, 1, 2),
            rung: None,
            last: None,
        }
    }

    /// Chooses how the next frames get their parameters: `None` for the taau heuristics, or a
    /// network rung. Like the GPU upscaler, it may change on any frame.
    pub fn set_rung(&mut self, rung: Option<CpuNetworkRung>) {
        self.rung = rung;
    }

    /// The descriptor this upscaler was created with.
    pub fn descriptor(&self) -> &CpuUpscalerDescriptor {
        &self.desc
    }

    /// Frames dispatched so far.
    pub fn frame_index(&self) -> u64 {
        self.frame_index
    }

    /// Runs one frame and returns its output (`display_size`, rgba), as `dispatch` on the GPU.
    ///
    /// # Panics
    /// When the render size is zero or exceeds `max_render_size`, or an input image does not
    /// cover it.
    pub fn dispatch(&mut self, inputs: &CpuFrameInputs<'_>) -> Image {
        let rs = inputs.render_size;
        let max = self.desc.max_render_size;
        assert!(
            rs[0] >= 1 && rs[1] >= 1 && rs[0] <= max[0] && rs[1] <= max[1],
            "render size {rs:?} is outside 1x1..={max:?}"
        );
        // Only the render rectangle is handed to the passes: a load outside it panics.
        let crop = |image: &Image| image.crop(rs);
        let color = crop(inputs.color);
        let depth = crop(inputs.depth);
        let motion_vectors = crop(inputs.motion_vectors);
        let reactive = inputs.reactive.map(crop);

        let frame = FrameConstants::from_inputs(&crate::FrameInputs {
            render_size: rs,
            display_size: self.desc.display_size,
            prev_render_size: self.prev_render_size,
            frame_index: self.frame_index,
            reset: inputs.reset,
            jitter: inputs.jitter,
            motion_vector_scale: inputs.motion_vector_scale,
            exposure: inputs.exposure,
            sharpness: inputs.sharpness,
            debug_view: inputs.debug_view,
            depth_inverted: self.desc.depth_inverted,
            has_reactive: reactive.is_some(),
        });
        let (cur, prev) = ((self.frame_index % 2) as usize, 1 - (self.frame_index % 2) as usize);

        let prepared = prepare(
            &frame,
            &PrepareInputs {
                color: &color,
                depth: &depth,
                motion_vectors: &motion_vectors,
                reactive: reactive.as_ref(),
                prev_depth: &self.depth_history[prev],
            },
            self.desc.f16_rounding,
        );
        let params = match &self.rung {
            None => taau_params(&frame, &prepared.features, self.desc.f16_rounding),
            Some(rung) => {
                let input = network_input(
                    &frame,
                    &NetworkInputs {
                        color: &color,
                        depth: &depth,
                        dilated_motion: &prepared.dilated_motion,
                        features: &prepared.features,
                        history: &self.history[prev],
                        feedback: Some(&self.feedback),
                    },
                );
                let input = Tensor::from(&input);
                let raw = match rung.precision {
                    NetworkPrecision::F32 => forward_f32(&rung.network, &input),
                    NetworkPrecision::F16 => forward_f16(&rung.network, &input),
                    NetworkPrecision::Int8 => forward_int8(&rung.network, &input, None),
                };
                let out = activate(&raw);
                // The head stores its outputs in rgba16float textures.
                let round = |v: f32| self.desc.f16_rounding.round(v);
                Image::from_fn(rs[0], rs[1], 16, |x, y, c| round(out.get(c, y as usize, x as usize)))
            }
        };
        // Feedback for the next frame: outputs 13–14, or zero when taau wrote the parameters.
        self.feedback =
            Image::from_fn(
                rs[0],
                rs[1],
                2,
                |x, y, c| {
                    if params.channels() >= 16 { params.pixel(x, y)[13 + c] } else { 0.0 }
                },
            );
        self.history[cur] = resolve(
            &frame,
            &ResolveInputs {
                color: &color,
                dilated_motion: &prepared.dilated_motion,
                params: &params,
                history: &self.history[prev],
            },
            self.desc.f16_rounding,
        );
        self.depth_history[cur] = prepared.depth;
        self.last =
            Some(FrameTextures { frame, dilated_motion: prepared.dilated_motion, features: prepared.features, params });
        self.frame_index += 1;
        self.prev_render_size = rs;
        self.output(inputs.debug_view)
    }

    /// The output pass of the last frame again, showing `view` (sharpness and exposure as
    /// that frame had them). The debug views read the internal textures, so this checks
    /// prepare and the parameter step on their own.
    ///
    /// # Panics
    /// Before the first [`CpuUpscaler::dispatch`].
    pub fn output(&self, view: DebugView) -> Image {
        let last = self.last.as_ref().expect("output() needs a dispatched frame");
        let frame = FrameConstants { debug_view: view.code(), ..last.frame };
        let inputs = SharpenInputs {
            history: self.history(),
            dilated_motion: &last.dilated_motion,
            features: &last.features,
            params: &last.params,
        };
        sharpen(&frame, &inputs, self.desc.output_format)
    }

    /// The history the last frame wrote (`display_size`, tonemapped rgb + weight in frames).
    pub fn history(&self) -> &Image {
        &self.history[((self.frame_index + 1) % 2) as usize]
    }

    /// The internal textures of the last frame, `None` before the first.
    pub fn last_frame(&self) -> Option<&FrameTextures> {
        self.last.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upscaler() -> CpuUpscaler {
        CpuUpscaler::new(CpuUpscalerDescriptor {
            max_render_size: [8, 6],
            display_size: [16, 12],
            depth_inverted: true,
            output_format: StorageFormat::Rgba32Float,
            f16_rounding: F16Rounding::NearestEven,
        })
    }

    fn flat_frame<'a>(color: &'a Image, depth: &'a Image, motion: &'a Image, jitter: [f32; 2]) -> CpuFrameInputs<'a> {
        CpuFrameInputs {
            color,
            depth,
            motion_vectors: motion,
            reactive: None,
            exposure: None,
            jitter,
            motion_vector_scale: [1.0, 1.0],
            render_size: [8, 6],
            reset: false,
            sharpness: None,
            debug_view: DebugView::None,
        }
    }

    #[test]
    fn a_flat_static_image_stays_flat_and_accumulates_history() {
        let color = Image::from_fn(8, 6, 4, |_, _, c| [0.5, 0.25, 2.0, 1.0][c]);
        let depth = Image::from_fn(8, 6, 1, |_, _, _| 0.5);
        let motion = Image::zeros(8, 6, 2);
        let mut up = upscaler();
        let mut out = Image::zeros(1, 1, 4);
        for i in 0..6 {
            let jitter = [0.25 * (i % 2) as f32 - 0.125, 0.125];
            out = up.dispatch(&flat_frame(&color, &depth, &motion, jitter));
        }
        for y in 0..12 {
            for x in 0..16 {
                let px = out.pixel(x, y);
                for (got, want) in px.iter().zip([0.5, 0.25, 2.0, 1.0]) {
                    // History is f16 in tonemapped space: about 1e-3 relative after inversion.
                    assert!((got - want).abs() <= 2e-3 * want, "({x}, {y}): {px:?}");
                }
            }
        }
        // Nothing moved, so nothing is disoccluded after the first frame, and history grew.
        let last = up.last_frame().unwrap();
        assert!(last.features.data().chunks(4).all(|f| f[0] == 0.0));
        assert!(up.history().data().chunks(4).all(|h| h[3] > 2.0));
        // The debug views read the same state.
        let rejection = up.output(DebugView::HistoryRejection);
        assert!(rejection.data().chunks(4).all(|p| p[0] == 0.0 && p[3] == 1.0));
    }

    #[test]
    fn the_first_frame_and_reset_frames_discard_history() {
        let color = Image::from_fn(8, 6, 4, |x, _, _| x as f32 * 0.1);
        let depth = Image::from_fn(8, 6, 1, |_, _, _| 0.5);
        let motion = Image::zeros(8, 6, 2);
        let mut up = upscaler();
        up.dispatch(&flat_frame(&color, &depth, &motion, [0.0, 0.0]));
        assert!(up.last_frame().unwrap().frame.reset);
        assert!(up.last_frame().unwrap().features.data().chunks(4).all(|f| f[0] == 1.0));
        up.dispatch(&flat_frame(&color, &depth, &motion, [0.0, 0.0]));
        assert!(!up.last_frame().unwrap().frame.reset);
        let mut reset = flat_frame(&color, &depth, &motion, [0.0, 0.0]);
        reset.reset = true;
        up.dispatch(&reset);
        // After a reset the weight is one frame's sample weight at most.
        assert!(up.history().data().chunks(4).all(|h| h[3] <= 1.0));
    }

    #[test]
    #[should_panic(expected = "render size")]
    fn render_sizes_beyond_the_maximum_are_rejected() {
        let color = Image::zeros(9, 6, 4);
        let depth = Image::zeros(9, 6, 1);
        let motion = Image::zeros(9, 6, 2);
        let mut inputs = flat_frame(&color, &depth, &motion, [0.0, 0.0]);
        inputs.render_size = [9, 6];
        upscaler().dispatch(&inputs);
    }
}
