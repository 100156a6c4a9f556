//! Drawing the upscaled images: the host side of `shaders/viewer/present.wgsl`, a fullscreen
//! triangle that applies the display transform (and sRGB encoding where the target format does
//! not), compares two methods (wipe or side by side), and, over a small source rectangle,
//! makes the magnifier's nearest-neighbour enlargement.

use anyhow::Context as _;
use quantsr::gpu::{GpuContext, load_shader, validate_wgsl, wgpu};

/// Uniforms of `present.wgsl` (same layout as its `Params`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
struct PresentParams {
    src_origin: [f32; 2],
    src_extent: [f32; 2],
    src_size: [f32; 2],
    split_x: f32,
    compare: u32,
    encode_srgb: u32,
    line_half_width: f32,
    target_size: [f32; 2],
}

/// How a target shows the images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View {
    /// Image a only.
    Single,
    /// Image a left of `split_x` (display pixels), image b right of it.
    Wipe {
        /// The line, in display pixels.
        split_x: f32,
    },
    /// The centre half of each image next to each other (a on the left).
    SideBySide,
}

/// What one draw shows: which source rectangle, how, into how large a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Framing {
    /// Source (display-resolution) pixel at the target's top-left corner.
    pub origin: [f32; 2],
    /// Source pixels spanned by the target.
    pub extent: [f32; 2],
    /// Size of the source images.
    pub source_size: [u32; 2],
    /// Target size in pixels.
    pub target_size: [u32; 2],
    /// Comparison.
    pub view: View,
    /// Half width of the comparison's divider line in target pixels.
    pub line_half_width: f32,
}

impl Framing {
    /// The whole source stretched over the whole target.
    pub fn whole(source_size: [u32; 2], target_size: [u32; 2], view: View) -> Self {
        Self {
            origin: [0.0, 0.0],
            extent: source_size.map(|v| v as f32),
            source_size,
            target_size,
            view,
            line_half_width: 1.0,
        }
    }
}

/// The present pipelines (one per target format), created once.
pub struct PresentPass {
    layout: wgpu::BindGroupLayout,
    pipelines: Vec<(wgpu::TextureFormat, wgpu::RenderPipeline)>,
}

impl PresentPass {
    /// Builds the pass for every format in `formats` (e.g. the surface's and the magnifier's).
    pub fn new(ctx: &GpuContext, formats: &[wgpu::TextureFormat]) -> anyhow::Result<Self> {
        let device = &ctx.device;
        let path = "viewer/present.wgsl";
        let shader = validate_wgsl(path, load_shader(path)?, device.features())?;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("present"),
            entries: &shader.reflect_group(0, wgpu::ShaderStages::VERTEX_FRAGMENT)?,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(path),
            source: wgpu::ShaderSource::Wgsl(shader.source.as_str().into()),
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("present"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let mut pipelines = Vec::new();
        for &format in formats {
            if pipelines.iter().any(|(f, _)| *f == format) {
                continue;
            }
            let pipeline = ctx
                .checked("creating the present pipeline", || {
                    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                        label: Some("present"),
                        layout: Some(&pipeline_layout),
                        vertex: wgpu::VertexState {
                            module: &module,
                            entry_point: Some("vs_main"),
                            compilation_options: Default::default(),
                            buffers: &[],
                        },
                        primitive: wgpu::PrimitiveState::default(),
                        depth_stencil: None,
                        multisample: Default::default(),
                        fragment: Some(wgpu::FragmentState {
                            module: &module,
                            entry_point: Some("fs_main"),
                            compilation_options: Default::default(),
                            targets: &[Some(wgpu::ColorTargetState {
                                format,
                                blend: None,
                                write_mask: wgpu::ColorWrites::ALL,
                            })],
                        }),
                        multiview_mask: None,
                        cache: None,
                    })
                })
                .context("creating the present pipeline")?;
            pipelines.push((format, pipeline));
        }
        Ok(Self { layout, pipelines })
    }

    fn pipeline(&self, format: wgpu::TextureFormat) -> &wgpu::RenderPipeline {
        &self.pipelines.iter().find(|(f, _)| *f == format).expect("present pipeline made for every target format").1
    }
}

/// One place the images are drawn to (the window, the magnifier): its uniforms and the bind
/// group of the images it showed last (remade only when the images change).
pub struct PresentTarget {
    format: wgpu::TextureFormat,
    params: wgpu::Buffer,
    bind: Option<([wgpu::TextureView; 2], wgpu::BindGroup)>,
}

impl PresentTarget {
    /// A target of `format`; `PresentPass` must have been built for it.
    pub fn new(ctx: &GpuContext, format: wgpu::TextureFormat) -> Self {
        let params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("present params"),
            size: size_of::<PresentParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Self { format, params, bind: None }
    }

    /// Writes this frame's uniforms and binds `a` and `b` (the same view twice for a single
    /// image). Call once per frame before [`PresentTarget::draw`].
    pub fn prepare(
        &mut self,
        ctx: &GpuContext,
        pass: &PresentPass,
        a: &wgpu::TextureView,
        b: &wgpu::TextureView,
        framing: &Framing,
    ) {
        let (compare, split_x) = match framing.view {
            View::Single => (0, f32::MAX),
            View::Wipe { split_x } => (1, split_x),
            View::SideBySide => (2, f32::MAX),
        };
        let params = PresentParams {
            src_origin: framing.origin,
            src_extent: framing.extent,
            src_size: framing.source_size.map(|v| v as f32),
            split_x,
            compare,
            encode_srgb: u32::from(!self.format.is_srgb()),
            line_half_width: framing.line_half_width,
            target_size: framing.target_size.map(|v| v as f32),
        };
        ctx.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        let key = [a.clone(), b.clone()];
        if self.bind.as_ref().is_none_or(|(k, _)| *k != key) {
            let group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("present"),
                layout: &pass.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.params.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(a) },
                    wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(b) },
                ],
            });
            self.bind = Some((key, group));
        }
    }

    /// Draws the prepared images into an open render pass on a target of this format.
    pub fn draw(&self, pass: &PresentPass, rpass: &mut wgpu::RenderPass<'_>) {
        let Some((_, group)) = &self.bind else { return };
        rpass.set_pipeline(pass.pipeline(self.format));
        rpass.set_bind_group(0, Some(group), &[]);
        rpass.draw(0..3, 0..1);
    }

    /// Forgets the bound images (their textures are about to be dropped).
    pub fn release(&mut self) {
        self.bind = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantsr::gpu::{create_texture_with_data, read_texture, test_gpu};

    /// The display transform of `quantsr eval`, on the CPU: `srgb_oetf(clamp(x, 0, 1))`.
    fn srgb_oetf(x: f32) -> f32 {
        let x = x.clamp(0.0, 1.0);
        if x <= 0.0031308 { 12.92 * x } else { 1.055 * x.powf(1.0 / 2.4) - 0.055 }
    }

    fn image(ctx: &GpuContext, size: [u32; 2], f: impl Fn(u32, u32) -> [f32; 4]) -> wgpu::TextureView {
        let f = &f;
        let data: Vec<f32> = (0..size[1]).flat_map(|y| (0..size[0]).flat_map(move |x| f(x, y))).collect();
        let format = wgpu::TextureFormat::Rgba32Float;
        create_texture_with_data(&ctx.device, &ctx.queue, "test image", size, format, bytemuck::cast_slice(&data))
            .create_view(&Default::default())
    }

    fn render(ctx: &GpuContext, a: &wgpu::TextureView, b: &wgpu::TextureView, framing: &Framing) -> Vec<[u8; 4]> {
        let format = wgpu::TextureFormat::Rgba8Unorm;
        let pass = PresentPass::new(ctx, &[format]).unwrap();
        let mut target = PresentTarget::new(ctx, format);
        let texture = quantsr::gpu::create_texture(
            &ctx.device,
            "present test target",
            framing.target_size,
            format,
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        );
        let view = texture.create_view(&Default::default());
        target.prepare(ctx, &pass, a, b, framing);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        {
            let mut rpass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: None,
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            target.draw(&pass, &mut rpass);
        }
        ctx.queue.submit([encoder.finish()]);
        read_texture(ctx, &texture).unwrap().bytes.chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]).collect()
    }

    #[test]
    fn present_matches_the_cpu_display_transform_texel_for_texel() {
        let ctx = test_gpu();
        let size = [16, 8];
        let value = |x: u32, y: u32| [x as f32 / 12.0 - 0.1, y as f32 / 5.0, 2.0, 1.0];
        let a = image(&ctx, size, value);
        let pixels = render(&ctx, &a, &a, &Framing::whole(size, size, View::Single));
        for y in 0..size[1] {
            for x in 0..size[0] {
                let got = pixels[(y * size[0] + x) as usize];
                let want = value(x, y).map(|v| (srgb_oetf(v) * 255.0).round() as i32);
                for c in 0..3 {
                    assert!((i32::from(got[c]) - want[c]).abs() <= 1, "({x},{y}) channel {c}: {got:?} vs {want:?}");
                }
            }
        }
    }

    #[test]
    fn wipe_and_side_by_side_take_each_half_from_one_image() {
        let ctx = test_gpu();
        let size = [32, 4];
        // a is dark and b bright; both carry their x in green to check which part is shown.
        let a = image(&ctx, size, |x, _| [0.0, x as f32 / 32.0, 0.0, 1.0]);
        let b = image(&ctx, size, |x, _| [1.0, x as f32 / 32.0, 0.0, 1.0]);
        let wipe = Framing { line_half_width: 0.0, ..Framing::whole(size, size, View::Wipe { split_x: 8.0 }) };
        let px = render(&ctx, &a, &b, &wipe);
        assert!(px[..8].iter().all(|p| p[0] == 0) && px[8..32].iter().all(|p| p[0] == 255), "{px:?}");
        let side = Framing { line_half_width: 0.0, ..Framing::whole(size, size, View::SideBySide) };
        let px = render(&ctx, &a, &b, &side);
        // Left half: a's pixels 8..24; right half: b's pixels 8..24.
        assert!(px[..16].iter().all(|p| p[0] == 0) && px[16..32].iter().all(|p| p[0] == 255));
        assert_eq!(px[0][1], px[16][1], "both halves show the same part of the images");
        assert_eq!(px[0][1], (srgb_oetf(8.0 / 32.0) * 255.0).round() as u8);
    }

    #[test]
    fn a_small_source_rectangle_is_enlarged_with_nearest_texels() {
        let ctx = test_gpu();
        let size = [8, 8];
        let a = image(&ctx, size, |x, y| [x as f32 / 8.0, y as f32 / 8.0, 0.0, 1.0]);
        // Source texels (2..4, 3..5) over a 8×8 target: each texel becomes 4×4 pixels.
        let framing = Framing {
            origin: [2.0, 3.0],
            extent: [2.0, 2.0],
            source_size: size,
            target_size: [8, 8],
            view: View::Single,
            line_half_width: 0.0,
        };
        let px = render(&ctx, &a, &a, &framing);
        let at = |x: usize, y: usize| px[y * 8 + x];
        let enc = |v: f32| (srgb_oetf(v) * 255.0).round() as u8;
        assert_eq!(at(0, 0)[..2], [enc(2.0 / 8.0), enc(3.0 / 8.0)]);
        assert_eq!(at(3, 3), at(0, 0));
        assert_eq!(at(4, 4)[..2], [enc(3.0 / 8.0), enc(4.0 / 8.0)]);
    }
}
