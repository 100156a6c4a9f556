//! Runs one rung's network on a given input tensor, outside the frame pipeline: the GPU side of
//! the network parity tests (against `quantsr_model::network`) and a way to time the kernels
//! alone. The same kernels as the `Upscaler`'s, fed through the same buffers.

use std::collections::BTreeMap;

use quantsr_gpu::{GpuContext, create_texture, read_buffer};
use quantsr_model::{ModelFile, Network, NetworkPrecision, Tensor};
use quantsr_monitor::Rung;

use super::graph::{TENSORS, layer_nodes, level_size};
use super::{KernelVariant, LayerBindings, NetworkRung, NetworkTensors, ParamTargets};
use crate::UpscalerError;
use crate::uniforms::FrameUniforms;

/// What a probe run produced.
#[derive(Debug, Clone)]
pub struct ProbeOutput {
    /// The 16 activated parameters per pixel (training/NETWORK.md "Output"), CHW, as the head
    /// stores them (f16 textures); channel 15 is 0.
    pub params: Tensor,
    /// Every intermediate tensor by layer name (`d1` … `u1`, and `input`), CHW, as stored:
    /// f32 values, f16 values widened, or the int8 rungs' integers.
    pub tensors: BTreeMap<String, Tensor>,
}

/// One rung's network for tensors up to a maximum size.
pub struct NetworkProbe {
    ctx: GpuContext,
    precision: NetworkPrecision,
    network: Network,
    max_size: [u32; 2],
    /// The frame constants the kernels read (only the render size matters here).
    uniforms: wgpu::Buffer,
    tensors: NetworkTensors,
    textures: [wgpu::Texture; 5],
    rung: NetworkRung,
}

impl NetworkProbe {
    /// Builds `rung`'s kernels for tensors of up to `max_size` (width, height). Building is the
    /// expensive part (seconds on lavapipe for the full network); runs are cheap.
    pub fn new(ctx: &GpuContext, model: &ModelFile, rung: Rung, max_size: [u32; 2]) -> Result<Self, UpscalerError> {
        Self::with_variants(ctx, model, rung, max_size, None)
    }

    /// As [`NetworkProbe::new`], with layer `i` (in `quantsr_model::LAYER_NAMES` order) in
    /// `variants[i]` instead of its default variant: how the parity tests run every candidate
    /// the autotuner may pick.
    pub fn with_variants(
        ctx: &GpuContext,
        model: &ModelFile,
        rung: Rung,
        max_size: [u32; 2],
        variants: Option<&[KernelVariant]>,
    ) -> Result<Self, UpscalerError> {
        let size = max_size;
        let Some((kind, precision)) = rung.network() else {
            return Err(UpscalerError::RungUnavailable { rung, why: "taau has no network".into() });
        };
        if precision == NetworkPrecision::F16 && !ctx.caps.shader_f16 {
            return Err(UpscalerError::RungUnavailable { rung, why: "the device does not support SHADER_F16".into() });
        }
        let network = model.network(kind).clone();
        let device = &ctx.device;
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("probe uniforms"),
            size: size_of::<FrameUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let tensors = NetworkTensors::new(device, size, &[&network]);
        let usage =
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_SRC;
        let textures =
            [0; 5].map(|_| create_texture(device, "probe params", size, wgpu::TextureFormat::Rgba16Float, usage));
        let views: Vec<wgpu::TextureView> = textures.iter().map(|t| t.create_view(&Default::default())).collect();
        let targets = ParamTargets {
            params: &views[0],
            beta_lo: &views[1],
            beta_hi: &views[2],
            params_extra: [&views[3], &views[4]],
        };
        let bindings = LayerBindings { uniforms: &uniforms, tensors: &tensors, targets: &targets };
        let rung = NetworkRung::with_variants(ctx, rung, &network, &bindings, variants)?;
        Ok(Self { ctx: ctx.clone(), precision, network, max_size, uniforms, tensors, textures, rung })
    }

    /// Runs the layers on `input` (16 channels, CHW, at most the probe's size) and reads
    /// everything back.
    /// The int8 rungs quantise the input by the network's input scale first, as the input pass
    /// does; [`NetworkProbe::run_quantized`] takes the integers directly.
    pub fn run(&self, input: &Tensor) -> Result<ProbeOutput, UpscalerError> {
        let stored: Vec<u8> = match self.precision {
            NetworkPrecision::F32 => bytemuck::cast_slice(&hwc(input)).to_vec(),
            NetworkPrecision::F16 => {
                hwc(input).iter().flat_map(|&v| half::f16::from_f32(v).to_bits().to_le_bytes()).collect()
            }
            NetworkPrecision::Int8 => {
                let q = self.network.quantize_input(input);
                return self.run_quantized(&q);
            }
        };
        self.run_stored(input, &stored)
    }

    /// Runs an int8 rung on an already quantised input.
    pub fn run_quantized(&self, input: &Tensor<i8>) -> Result<ProbeOutput, UpscalerError> {
        let f = input.map(f32::from);
        let bytes: Vec<u8> = hwc(&f).iter().map(|&v| v as i8 as u8).collect();
        self.run_stored(&f, &bytes)
    }

    fn run_stored(&self, input: &Tensor, bytes: &[u8]) -> Result<ProbeOutput, UpscalerError> {
        let [w, h] = [input.width as u32, input.height as u32];
        let [mw, mh] = self.max_size;
        if input.channels != quantsr_model::INPUT_CHANNELS || w == 0 || h == 0 || w > mw || h > mh {
            return Err(UpscalerError::Size {
                what: "probe input",
                size: [w, h],
                why: format!("it must have 16 channels and at most the probe's size {mw}x{mh}"),
            });
        }
        let size = [w, h];
        self.ctx.queue.write_buffer(
            &self.uniforms,
            0,
            bytemuck::bytes_of(&FrameUniforms { render_size: size, ..Default::default() }),
        );
        self.ctx.queue.write_buffer(self.tensors.input(), 0, bytes);
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            self.rung.record_layers(&mut pass, 0, size);
        }
        self.ctx.queue.submit([encoder.finish()]);

        let mut tensors = BTreeMap::new();
        let mut channels = [0usize; TENSORS.len()];
        let mut levels = [0u32; TENSORS.len()];
        channels[0] = quantsr_model::INPUT_CHANNELS;
        for node in layer_nodes(&self.network) {
            for s in &node.sources {
                channels[s.tensor] = s.channels;
                levels[s.tensor] = s.level;
            }
        }
        for (i, name) in TENSORS.iter().enumerate() {
            let [lw, lh] = level_size(size, levels[i]);
            let n = lw as usize * lh as usize * channels[i];
            let bytes: Vec<u8> = read_buffer(&self.ctx, &self.tensors.buffers[i])?;
            let values: Vec<f32> = match self.precision {
                NetworkPrecision::F32 => bytemuck::cast_slice::<u8, f32>(&bytes[..n * 4]).to_vec(),
                NetworkPrecision::F16 => bytes[..n * 2]
                    .chunks_exact(2)
                    .map(|b| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
                    .collect(),
                NetworkPrecision::Int8 => bytes[..n].iter().map(|&b| f32::from(b as i8)).collect(),
            };
            tensors.insert((*name).to_owned(), chw(&values, channels[i], lw as usize, lh as usize));
        }
        let mut params = Tensor::zeros(16, h as usize, w as usize);
        for (t, texture) in self.textures[..4].iter().enumerate() {
            let data = quantsr_gpu::read_texture_rect(&self.ctx, texture, size)?.to_f32();
            for y in 0..h as usize {
                for x in 0..w as usize {
                    for c in 0..4 {
                        let i = params.index(4 * t + c, y, x);
                        params.data[i] = data[(y * w as usize + x) * 4 + c];
                    }
                }
            }
        }
        // Texture 3 (params_extra) holds β8 and the feedback: outputs 12–14, and 15 = 0.
        Ok(ProbeOutput { params, tensors })
    }
}

impl NetworkProbe {
    /// The variant each layer runs, by name, in dispatch order.
    pub fn variants(&self) -> Vec<(&'static str, KernelVariant)> {
        self.rung.variants()
    }

    /// Wall-clock milliseconds per dispatch of every layer at `size` (at most the probe's), each
    /// run `repeats` times in one submission after one warm-up submission: what each kernel
    /// costs on its own, for tuning. The tensors hold whatever the last run left.
    pub fn time_layers(&self, size: [u32; 2], repeats: u32) -> Result<Vec<(&'static str, f64)>, UpscalerError> {
        self.ctx.queue.write_buffer(
            &self.uniforms,
            0,
            bytemuck::bytes_of(&FrameUniforms { render_size: size, ..Default::default() }),
        );
        let mut out = Vec::new();
        for (i, name) in self.rung.layer_names().into_iter().enumerate() {
            let mut ms = 0.0;
            for (round, n) in [(0, 1), (1, repeats.max(1))] {
                let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    self.rung.record_layer(&mut pass, i, size, n);
                }
                let t = std::time::Instant::now();
                self.ctx.queue.submit([encoder.finish()]);
                self.ctx.wait_idle()?;
                if round == 1 {
                    ms = t.elapsed().as_secs_f64() * 1e3 / f64::from(n);
                }
            }
            out.push((name, ms));
        }
        Ok(out)
    }
}

/// CHW → pixel-major channel-interleaved (the GPU tensors' layout).
fn hwc(t: &Tensor) -> Vec<f32> {
    let mut out = Vec::with_capacity(t.data.len());
    for y in 0..t.height {
        for x in 0..t.width {
            for c in 0..t.channels {
                out.push(t.get(c, y, x));
            }
        }
    }
    out
}

fn chw(values: &[f32], channels: usize, width: usize, height: usize) -> Tensor {
    Tensor::from_fn(channels, height, width, |c, y, x| values[(y * width + x) * channels + c])
}
