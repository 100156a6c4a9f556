//! Runs an upscaling method over a sequence on disk, frame by frame: uploads each frame's
//! inputs, dispatches the method through the public [`quantsr_upscaler`] API, and reads the
//! display-resolution result back. The engine behind `quantsr upscale` and `quantsr eval`.

use quantsr_gpu::{GpuContext, create_texture, read_texture, wgpu};
use quantsr_sequence::{Frame, Image, SequenceReader};
use quantsr_upscaler::{DispatchInputs, Exposure, ModelFile, Rung, Upscaler, UpscalerDescriptor, UpscalerFlags};

use crate::spatial::{SpatialFilter, SpatialUpscaler};

/// Sharpening of the `taau` method unless told otherwise: measured on the built-in scenes, 0.5
/// recovers the softness of reprojected history best (PSNR and SSIM) at 1.5×–2×.
pub const DEFAULT_SHARPNESS: f32 = 0.5;

/// Sharpening of the neural method unless told otherwise: none. The network was trained on
/// the unsharpened output and its kernel is already sharp; on the held-out sequences 0 beat
/// 0.5 by 0.05–0.5 dB PSNR and 0.3–1 dB temporal PSNR.
pub const NEURAL_SHARPNESS: f32 = 0.0;

/// An upscaling method `quantsr upscale --method` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Single-frame bilinear interpolation.
    Bilinear,
    /// Single-frame Catmull-Rom bicubic interpolation.
    Bicubic,
    /// Single-frame edge-adaptive upscaling (FSR 1 EASU-style).
    Easu,
    /// The temporal upscaler with fixed heuristics (the fallback rung and the baseline).
    Taau,
    /// The temporal upscaler with the network at one precision (a neural rung), or `None` for
    /// the best rung the device runs.
    Neural(Option<Rung>),
}

impl Method {
    /// Every method, in the order tables list them.
    pub const ALL: [Method; 8] = [
        Method::Bilinear,
        Method::Bicubic,
        Method::Easu,
        Method::Taau,
        Method::Neural(Some(Rung::F32)),
        Method::Neural(Some(Rung::F16)),
        Method::Neural(Some(Rung::Int8)),
        Method::Neural(Some(Rung::LiteInt8)),
    ];

    /// The command-line name: `neural` is the best rung, `neural-<precision>` one rung.
    pub fn name(self) -> &'static str {
        match self {
            Method::Bilinear => "bilinear",
            Method::Bicubic => "bicubic",
            Method::Easu => "easu",
            Method::Taau => "taau",
            Method::Neural(None) => "neural",
            Method::Neural(Some(Rung::F32)) => "neural-f32",
            Method::Neural(Some(Rung::F16)) => "neural-f16",
            Method::Neural(Some(Rung::Int8)) => "neural-int8",
            Method::Neural(Some(Rung::LiteInt8)) => "neural-lite-int8",
            Method::Neural(Some(Rung::Taau)) => "taau",
        }
    }

    /// The sharpening this method uses unless told otherwise.
    pub fn default_sharpness(self) -> f32 {
        if matches!(self, Method::Neural(_)) { NEURAL_SHARPNESS } else { DEFAULT_SHARPNESS }
    }

    /// This method at another precision (`None`: the best rung); non-neural methods are
    /// unchanged, and `taau` as a precision is the taau method.
    pub fn with_precision(self, precision: Option<Rung>) -> Self {
        match (self, precision) {
            (Method::Neural(_), Some(Rung::Taau)) => Method::Taau,
            (Method::Neural(_), p) => Method::Neural(p),
            (m, _) => m,
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        std::iter::once(Method::Neural(None)).chain(Method::ALL).find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<_> = std::iter::once("neural").chain(Method::ALL.iter().map(|m| m.name())).collect();
            format!("unknown method {s:?}; available: {}", names.join(", "))
        })
    }
}

/// Errors of running a method over a sequence.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Reading the sequence failed.
    #[error(transparent)]
    Sequence(#[from] quantsr_sequence::SequenceError),
    /// The upscaler refused the inputs.
    #[error(transparent)]
    Upscaler(#[from] quantsr_upscaler::UpscalerError),
    /// The GPU layer failed.
    #[error(transparent)]
    Gpu(#[from] quantsr_gpu::GpuError),
}

/// GPU textures holding one frame's inputs, at the sequence's largest render size.
struct InputTextures {
    color: wgpu::Texture,
    depth: wgpu::Texture,
    motion: wgpu::Texture,
    reactive: wgpu::Texture,
}

/// Views made once, so the upscaler sees the same views every frame and reuses its bind groups.
struct Views {
    color: wgpu::TextureView,
    depth: wgpu::TextureView,
    motion: wgpu::TextureView,
    reactive: wgpu::TextureView,
    output: wgpu::TextureView,
}

fn upload_rect(queue: &wgpu::Queue, texture: &wgpu::Texture, image: &Image) {
    let bpp = 4 * image.channels() as u32;
    queue.write_texture(
        texture.as_image_copy(),
        bytemuck::cast_slice(image.data()),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(image.width() * bpp),
            rows_per_image: Some(image.height()),
        },
        quantsr_gpu::extent(image.size()),
    );
}

enum Engine {
    Temporal(Box<Upscaler>),
    Spatial(SpatialUpscaler),
}

/// A method bound to one sequence's sizes, ready to run frames in order.
pub struct SequenceRunner {
    sharpness: f32,
    ctx: GpuContext,
    engine: Engine,
    inputs: InputTextures,
    output: wgpu::Texture,
    views: Views,
    display_size: [u32; 2],
}

impl SequenceRunner {
    /// Creates the method's upscaler for the sequence `reader` opened.
    pub fn new(ctx: &GpuContext, reader: &SequenceReader, method: Method) -> Result<Self, RunError> {
        let header = &reader.manifest().header;
        let spatial = |filter| SpatialUpscaler::new(ctx, filter, header.display_size).map(Engine::Spatial);
        let engine = match method {
            Method::Bilinear => spatial(SpatialFilter::Bilinear)?,
            Method::Bicubic => spatial(SpatialFilter::Bicubic)?,
            Method::Easu => spatial(SpatialFilter::Easu)?,
            Method::Taau | Method::Neural(_) => {
                // Build only the rung the method runs: every rung costs start-up time.
                let rungs = match method {
                    Method::Neural(Some(rung)) => vec![rung],
                    Method::Neural(None) => Rung::ALL.to_vec(),
                    _ => vec![Rung::Taau],
                };
                let desc = UpscalerDescriptor {
                    max_render_size: header.render_size,
                    display_size: header.display_size,
                    flags: UpscalerFlags {
                        hdr: true,
                        depth_inverted: header.depth.inverted,
                        depth_infinite: header.depth.infinite,
                    },
                    output_format: wgpu::TextureFormat::Rgba32Float,
                    model: matches!(method, Method::Neural(_)).then(ModelFile::embedded),
                    rungs: Some(rungs),
                };
                let mut upscaler = Upscaler::new(ctx, desc)?;
                if let Method::Neural(Some(rung)) = method {
                    upscaler.set_rung(rung)?;
                }
                Engine::Temporal(Box::new(upscaler))
            }
        };
        let usage = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST;
        let rs = header.render_size;
        let device = &ctx.device;
        let inputs = InputTextures {
            color: create_texture(device, "sequence colour", rs, wgpu::TextureFormat::Rgba32Float, usage),
            depth: create_texture(device, "sequence depth", rs, wgpu::TextureFormat::R32Float, usage),
            motion: create_texture(device, "sequence motion", rs, wgpu::TextureFormat::Rg32Float, usage),
            reactive: create_texture(device, "sequence reactive", rs, wgpu::TextureFormat::R32Float, usage),
        };
        let output = create_texture(
            device,
            "upscaled",
            header.display_size,
            wgpu::TextureFormat::Rgba32Float,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
        );
        let view = |t: &wgpu::Texture| t.create_view(&Default::default());
        let views = Views {
            color: view(&inputs.color),
            depth: view(&inputs.depth),
            motion: view(&inputs.motion),
            reactive: view(&inputs.reactive),
            output: view(&output),
        };
        Ok(Self {
            sharpness: method.default_sharpness(),
            ctx: ctx.clone(),
            engine,
            inputs,
            output,
            views,
            display_size: header.display_size,
        })
    }

    /// Sets the sharpening strength of the temporal method (0 disables it).
    pub fn with_sharpness(mut self, sharpness: f32) -> Self {
        self.sharpness = sharpness;
        self
    }

    /// The rungs the temporal method can switch between (empty for spatial methods).
    pub fn available_rungs(&self) -> Vec<Rung> {
        match &self.engine {
            Engine::Temporal(u) => u.available_rungs(),
            Engine::Spatial(_) => Vec::new(),
        }
    }

    /// Switches the rung of the temporal method from the next frame on (no reset).
    pub fn set_rung(&mut self, rung: Rung) -> Result<(), RunError> {
        match &mut self.engine {
            Engine::Temporal(u) => Ok(u.set_rung(rung)?),
            Engine::Spatial(_) => Err(quantsr_upscaler::UpscalerError::RungUnavailable {
                rung,
                why: "a spatial method has no rungs".into(),
            }
            .into()),
        }
    }

    /// Upscales one frame (frames must come in order) and returns the RGBA result.
    pub fn run_frame(&mut self, frame: &Frame) -> Result<Image, RunError> {
        let q = &self.ctx.queue;
        let i = &self.inputs;
        upload_rect(q, &i.color, &frame.color);
        upload_rect(q, &i.depth, &frame.depth);
        upload_rect(q, &i.motion, &frame.motion);
        if let Some(r) = &frame.reactive {
            upload_rect(q, &i.reactive, r);
        }
        let Views { color, depth, motion, reactive, output } = &self.views;
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        let upscaler = match &mut self.engine {
            Engine::Spatial(s) => {
                s.dispatch(&self.ctx, &mut encoder, color, output, frame.render_size(), frame.meta.jitter);
                q.submit([encoder.finish()]);
                let data = read_texture(&self.ctx, &self.output)?;
                return Ok(Image::new(self.display_size[0], self.display_size[1], 4, data.to_f32()));
            }
            Engine::Temporal(u) => u,
        };
        upscaler.dispatch(
            &mut encoder,
            &DispatchInputs {
                color,
                depth,
                motion_vectors: motion,
                exposure: Some(Exposure::Value(frame.meta.exposure)),
                reactive: frame.reactive.as_ref().map(|_| reactive),
                output,
                jitter: frame.meta.jitter,
                motion_vector_scale: [1.0, 1.0],
                render_size: frame.render_size(),
                reset: frame.meta.reset,
                frame_time_delta_ms: frame.meta.frame_time_ms.unwrap_or(0.0),
                sharpness: Some(self.sharpness),
                camera: None,
                debug_view: Default::default(),
            },
        )?;
        q.submit([encoder.finish()]);
        let data = read_texture(&self.ctx, &self.output)?;
        Ok(Image::new(self.display_size[0], self.display_size[1], 4, data.to_f32()))
    }
}
