//! What a renderer gives the [`crate::Upscaler`] and gets back: the descriptor it is created
//! with, the inputs of each frame, and what each dispatch did.

use std::sync::Arc;

use quantsr_gpu::wgpu;
use quantsr_model::{DebugView, ModelFile};
use quantsr_monitor::{Rung, SwitchReason};

use crate::network::Autotune;
use crate::{QualityMode, render_size};

/// How the upscaler is created: sizes, depth convention, output format.
#[derive(Debug, Clone)]
pub struct UpscalerDescriptor {
    /// Largest render size any frame will use (dynamic resolution may go below it).
    pub max_render_size: [u32; 2],
    /// Output size. Changing it means creating a new `Upscaler`.
    pub display_size: [u32; 2],
    /// Flags describing the inputs.
    pub flags: UpscalerFlags,
    /// Format of the output textures given to `dispatch` (`Rgba16Float` or `Rgba32Float`).
    pub output_format: wgpu::TextureFormat,
    /// The networks' weights: the model built into quantsr by default
    /// ([`ModelFile::embedded`]), or one loaded with [`ModelFile::load`]; `None` leaves only
    /// the `taau` rung.
    pub model: Option<Arc<ModelFile>>,
    /// The rungs to build (each costs pipelines and, on drivers that compile at first
    /// dispatch, start-up time); `None` builds every rung the device can run.
    pub rungs: Option<Vec<Rung>>,
    /// How each layer's kernel variant is chosen: timed on this device and cached (the
    /// default), taken from the cache only where present, or the untuned defaults. Initialised
    /// from `QUANTSR_AUTOTUNE` by the constructors.
    pub autotune: Autotune,
    /// The autotune cache file; `None` for the user's cache directory (`$QUANTSR_CACHE_DIR`,
    /// else `$XDG_CACHE_HOME/quantsr`, else `~/.cache/quantsr`, file `autotune.json`). An
    /// application may keep it with its own data instead.
    pub autotune_cache: Option<std::path::PathBuf>,
}

impl UpscalerDescriptor {
    /// A descriptor for `display_size` at a quality mode, reverse-Z depth, HDR, f16 output.
    pub fn for_mode(display_size: [u32; 2], mode: QualityMode) -> Self {
        Self::for_ratio(display_size, mode.ratio())
    }

    /// A descriptor for `display_size` at any per-axis ratio in [1, 4].
    pub fn for_ratio(display_size: [u32; 2], ratio: f32) -> Self {
        Self {
            max_render_size: render_size(display_size, ratio),
            display_size,
            flags: UpscalerFlags::default(),
            output_format: wgpu::TextureFormat::Rgba16Float,
            model: Some(ModelFile::embedded()),
            rungs: None,
            autotune: Autotune::from_env(),
            autotune_cache: None,
        }
    }

    /// The same descriptor building only `rungs` (e.g. `[Rung::Taau]` for the heuristic path
    /// alone, which starts fastest).
    pub fn with_rungs(mut self, rungs: &[Rung]) -> Self {
        self.rungs = Some(rungs.to_vec());
        self
    }
}

/// Input conventions, as FSR/DLSS integrations declare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpscalerFlags {
    /// Colour may exceed 1 (linear HDR). Always handled; recorded for telemetry.
    pub hdr: bool,
    /// Depth is reverse-Z (1 near, 0 far).
    pub depth_inverted: bool,
    /// The projection has an infinite far plane.
    pub depth_infinite: bool,
}

impl Default for UpscalerFlags {
    fn default() -> Self {
        Self { hdr: true, depth_inverted: true, depth_infinite: false }
    }
}

/// Exposure of the input colour: the upscaler multiplies by it before tonemapping its
/// internal history and divides it out of the output.
#[derive(Debug, Clone, Copy)]
pub enum Exposure<'a> {
    /// One value for the frame.
    Value(f32),
    /// A 1×1 `R32Float` texture written by the renderer's auto-exposure.
    Texture(&'a wgpu::TextureView),
}

/// Camera parameters, when the renderer knows them (optional: quantsr works without).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraInfo {
    /// Near plane distance.
    pub near: f32,
    /// Far plane distance (ignored when depth is infinite).
    pub far: f32,
    /// Vertical field of view in radians.
    pub fov_y: f32,
}

/// Sharpening of the `taau` rung unless told otherwise: measured on the built-in scenes, 0.5
/// recovers the softness of reprojected history best (PSNR and SSIM) at 1.5×–2×.
pub const TAAU_SHARPNESS: f32 = 0.5;

/// Sharpening of the neural rungs unless told otherwise: none. The network was trained on
/// the unsharpened output and its kernel is already sharp; on the held-out sequences 0 beat
/// 0.5 by 0.05–0.5 dB PSNR and 0.3–1 dB temporal PSNR.
pub const NEURAL_SHARPNESS: f32 = 0.0;

/// Everything one frame needs, FSR 3.1-style. Textures hold the frame in their top-left
/// `render_size` pixels; they may be larger (dynamic resolution).
#[derive(Debug, Clone, Copy)]
pub struct DispatchInputs<'a> {
    /// Linear, pre-exposed colour (`Rgba16Float`/`Rgba32Float`/`Rg11b10Ufloat`).
    pub color: &'a wgpu::TextureView,
    /// Device depth (`R32Float`, `R16Float` or `Depth32Float`).
    pub depth: &'a wgpu::TextureView,
    /// Motion vectors, `uv_previous − uv_current` after `motion_vector_scale` (`Rg16Float`/`Rg32Float`).
    pub motion_vectors: &'a wgpu::TextureView,
    /// Exposure of `color`; `None` means 1.
    pub exposure: Option<Exposure<'a>>,
    /// How much to trust this frame over history per render pixel, in [0, 1] (`R8Unorm`/`R16Float`/`R32Float`).
    pub reactive: Option<&'a wgpu::TextureView>,
    /// Where the display-resolution result goes (the descriptor's `output_format`, with
    /// `STORAGE_BINDING`).
    pub output: &'a wgpu::TextureView,
    /// Sub-pixel jitter of this frame in render pixels (see [`crate::jitter_offset`]).
    pub jitter: [f32; 2],
    /// Multiplies the motion vectors into UV units of `uv_previous − uv_current`:
    /// `[1, 1]` for quantsr's convention, `[-1/w, -1/h]` for pixel vectors pointing forward.
    pub motion_vector_scale: [f32; 2],
    /// Render size of this frame (at most the descriptor's `max_render_size`).
    pub render_size: [u32; 2],
    /// Camera cut: discard history.
    pub reset: bool,
    /// Time since the previous frame in milliseconds (telemetry; not used for blending).
    pub frame_time_delta_ms: f32,
    /// Sharpening strength in [0, 1]; `None` or 0 disables it.
    pub sharpness: Option<f32>,
    /// Camera parameters, if known.
    pub camera: Option<CameraInfo>,
    /// Debug visualisation to output instead of the image.
    pub debug_view: DebugView,
}

/// What a dispatch did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameInfo {
    /// Index of this frame since creation.
    pub frame_index: u64,
    /// Render size used.
    pub render_size: [u32; 2],
    /// Whether history was discarded (reset flag or first frame).
    pub reset: bool,
    /// The rung that computed the reconstruction parameters.
    pub rung: Rung,
    /// With the controller on: the upscaler's budget for this frame (target frame time minus
    /// the predicted load), in milliseconds.
    pub budget_ms: Option<f64>,
    /// With the controller on: the upscaler time it predicted for `rung`, in milliseconds.
    pub predicted_ms: Option<f64>,
    /// With the controller on: why the rung changed at this frame, if it did.
    pub switch_reason: Option<SwitchReason>,
    /// The render size the controller wants for the next frame: the maximum render size,
    /// unless its [`crate::ControllerSettings::adapt`] turns the resolution knob (then render the
    /// next frame at this size; any other size in range works too, it is only measured).
    pub next_render_size: [u32; 2],
}
