//! Ground-truth reconstruction (`shaders/scenes/accumulate.wgsl`): every supersample pass is
//! splatted into an f32 accumulator with a Gaussian filter (σ = 0.5 display pixels, 3×3
//! support), and a final pass divides by the weights. [`accumulate_cpu`] is its CPU reference.

use quantsr_gpu::{ComputeKernel, GpuContext, create_texture, load_shader, validate_wgsl, wgpu, workgroups_2d};

use crate::SceneError;

const PARAMS_STRIDE: u64 = 256;

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    size: [u32; 2],
    offset: [f32; 2],
    first: u32,
    pad: [u32; 3],
}

/// Accumulates `passes` supersample images of `size` into a filtered `Rgba32Float` image.
pub struct GroundTruthAccumulator {
    accumulate: ComputeKernel,
    finish: ComputeKernel,
    params: wgpu::Buffer,
    groups: Vec<wgpu::BindGroup>,
    output: wgpu::Texture,
    size: [u32; 2],
}

impl GroundTruthAccumulator {
    /// Creates the kernels, the accumulator and one parameter slot per pass; `sample` is the
    /// texture each pass renders into (read by [`GroundTruthAccumulator::record_pass`]).
    pub fn new(ctx: &GpuContext, sample: &wgpu::TextureView, size: [u32; 2], passes: u32) -> Result<Self, SceneError> {
        let device = &ctx.device;
        let path = "scenes/accumulate.wgsl";
        let shader = validate_wgsl(path, load_shader(path)?, device.features())?;
        let accumulate = ComputeKernel::new(ctx, &shader, "accumulate", &[])?;
        let finish = ComputeKernel::new(ctx, &shader, "finish", &[])?;
        let accum = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gt accumulator"),
            size: 16 * u64::from(size[0]) * u64::from(size[1]),
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let output = create_texture(
            device,
            "ground truth",
            size,
            wgpu::TextureFormat::Rgba32Float,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::TEXTURE_BINDING,
        );
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("accumulate params"),
            size: PARAMS_STRIDE * u64::from(passes.max(1)),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let output_view = output.create_view(&Default::default());
        let groups = (0..u64::from(passes.max(1)))
            .map(|i| {
                accumulate.bind_group(
                    device,
                    0,
                    &[
                        (
                            "params",
                            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &params,
                                offset: i * PARAMS_STRIDE,
                                size: wgpu::BufferSize::new(size_of::<Params>() as u64),
                            }),
                        ),
                        ("samples", wgpu::BindingResource::TextureView(sample)),
                        ("accum", accum.as_entire_binding()),
                        ("output", wgpu::BindingResource::TextureView(&output_view)),
                    ],
                )
            })
            .collect();
        Ok(Self { accumulate, finish, params, groups, output, size })
    }

    /// Records the splat of pass `index`, whose image was rendered with sub-pixel `jitter`
    /// (display pixels, ARCHITECTURE §3 convention). Pass 0 starts a new frame.
    pub fn record_pass(&self, queue: &wgpu::Queue, encoder: &mut wgpu::CommandEncoder, index: u32, jitter: [f32; 2]) {
        let params =
            Params { size: self.size, offset: [-jitter[0], -jitter[1]], first: u32::from(index == 0), pad: [0; 3] };
        queue.write_buffer(&self.params, u64::from(index) * PARAMS_STRIDE, bytemuck::bytes_of(&params));
        self.accumulate.dispatch(encoder, &[&self.groups[index as usize]], workgroups_2d(self.size, [8, 8]), None);
    }

    /// Records the normalisation into [`GroundTruthAccumulator::output`].
    pub fn record_finish(&self, encoder: &mut wgpu::CommandEncoder) {
        self.finish.dispatch(encoder, &[&self.groups[0]], workgroups_2d(self.size, [8, 8]), None);
    }

    /// The reconstructed image (`Rgba32Float`, alpha 1).
    pub fn output(&self) -> &wgpu::Texture {
        &self.output
    }
}

/// CPU reference: filters `passes` (RGBA images of `size`, each with the jitter it was rendered
/// with) exactly as the kernels do, skipping non-finite samples.
pub fn accumulate_cpu(passes: &[(&[f32], [f32; 2])], size: [u32; 2]) -> Vec<f32> {
    let [w, h] = [size[0] as i32, size[1] as i32];
    let mut out = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let mut sum = [0.0f32; 4];
            for (image, jitter) in passes {
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let (qx, qy) = (x + dx, y + dy);
                        if qx < 0 || qy < 0 || qx >= w || qy >= h {
                            continue;
                        }
                        let i = ((qy * w + qx) * 4) as usize;
                        let c = [image[i], image[i + 1], image[i + 2]];
                        if c.iter().any(|v| !v.is_finite() || v.abs() > 3.0e38) {
                            continue;
                        }
                        let d = [dx as f32 - jitter[0], dy as f32 - jitter[1]];
                        let wgt = (-(d[0] * d[0] + d[1] * d[1]) * 2.0).exp();
                        for k in 0..3 {
                            sum[k] += c[k] * wgt;
                        }
                        sum[3] += wgt;
                    }
                }
            }
            let norm = sum[3].max(1e-12);
            out.extend([sum[0] / norm, sum[1] / norm, sum[2] / norm, 1.0]);
        }
    }
    out
}
