//! The wgpu rasterizer that turns a [`Scene`] at an instant into the upscaler's inputs
//! (jittered colour, depth, motion, reactive mask at render resolution) and a supersampled
//! ground truth at display resolution.

use glam::{Mat4, Vec3, Vec4};
use quantsr_gpu::{GpuContext, ValidatedShader, create_texture, load_shader, validate_wgsl, wgpu};
use wgpu::util::DeviceExt as _;

use crate::{AlphaMode, CameraPose, GroundTruthAccumulator, Scene, SceneError, Vertex, camera::projection};

/// Formats of the render-resolution targets, as the sequence format and the upscaler take them.
pub const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
/// Motion vectors in UV units; f32 so large motions keep sub-pixel precision.
pub const MOTION_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rg32Float;
/// Device depth (reverse-Z) as a colour target, so it can be sampled and copied like colour.
pub const DEPTH_OUT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R32Float;
/// Reactive mask in [0, 1].
pub const REACTIVE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R16Float;
const DEPTH_BUFFER_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// Uniform stride of one view slot (the `View` struct padded to the offset alignment).
const VIEW_STRIDE: u64 = 512;

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ViewUniform {
    view_proj: Mat4,
    unjittered: Mat4,
    prev_unjittered: Mat4,
    camera_pos: Vec4,
    light_dir: Vec4,
    light_color: Vec4,
    ambient: Vec4,
    params: Vec4,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ObjectUniform {
    model: Mat4,
    prev_model: Mat4,
    normal_matrix: Mat4,
    base_color: Vec4,
    emissive: Vec4,
    uv_row0: Vec4,
    uv_row1: Vec4,
    shading: Vec4,
    alpha: Vec4,
}

/// One frame to render.
#[derive(Debug, Clone, Copy)]
pub struct FrameRequest {
    /// Time of the frame in seconds.
    pub time: f32,
    /// Time of the previous frame (for motion vectors).
    pub prev_time: f32,
    /// Camera at `time`.
    pub camera: CameraPose,
    /// Camera at `prev_time`.
    pub prev_camera: CameraPose,
    /// Vertical field of view in radians.
    pub fov_y: f32,
    /// Render size of this frame (at most the renderer's maximum).
    pub render_size: [u32; 2],
    /// Sub-pixel jitter in render pixels (ARCHITECTURE §3).
    pub jitter: [f32; 2],
    /// Texture LOD bias for the render-resolution pass.
    pub mip_bias: f32,
}

struct GpuMesh {
    vertices: wgpu::Buffer,
    indices: wgpu::Buffer,
    count: u32,
}

/// The render-resolution targets a frame's inputs are drawn into.
#[derive(Debug)]
pub struct InputTargets {
    /// Linear HDR colour.
    pub color: wgpu::Texture,
    /// Motion vectors, uv_previous − uv_current.
    pub motion: wgpu::Texture,
    /// Device depth (reverse-Z).
    pub depth: wgpu::Texture,
    /// Reactive mask.
    pub reactive: wgpu::Texture,
    depth_buffer: wgpu::Texture,
}

struct GroundTruthTargets {
    sample: wgpu::Texture,
    depth_buffer: wgpu::Texture,
}

/// Draws one scene: owns its GPU meshes, textures, pipelines and targets.
pub struct SceneRenderer {
    ctx: GpuContext,
    meshes: Vec<GpuMesh>,
    material_groups: Vec<wgpu::BindGroup>,
    objects: wgpu::Buffer,
    views: wgpu::Buffer,
    view_groups: Vec<wgpu::BindGroup>,
    inputs_opaque: wgpu::RenderPipeline,
    inputs_blend: wgpu::RenderPipeline,
    gt_opaque: wgpu::RenderPipeline,
    gt_blend: wgpu::RenderPipeline,
    accumulator: GroundTruthAccumulator,
    inputs: InputTargets,
    gt: GroundTruthTargets,
    max_render_size: [u32; 2],
    display_size: [u32; 2],
    spp: u32,
}

impl SceneRenderer {
    /// Uploads `scene` and creates every pipeline and target for rendering inputs up to
    /// `max_render_size` and ground truth at `display_size` with `spp` samples per pixel.
    pub fn new(
        ctx: &GpuContext,
        scene: &Scene,
        max_render_size: [u32; 2],
        display_size: [u32; 2],
        spp: u32,
    ) -> Result<Self, SceneError> {
        let max_dim = ctx.device.limits().max_texture_dimension_2d;
        for (what, size) in [("render size", max_render_size), ("display size", display_size)] {
            if size[0] == 0 || size[1] == 0 || size[0] > max_dim || size[1] > max_dim {
                return Err(SceneError::Size { what, size, max: max_dim });
            }
        }
        let spp = spp.max(1);
        let device = &ctx.device;
        let shader = validate_wgsl("scenes/raster.wgsl", load_shader("scenes/raster.wgsl")?, device.features())?;
        let vf = wgpu::ShaderStages::VERTEX_FRAGMENT;
        let view_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("scene view"),
            entries: &shader.reflect_group(0, vf)?,
        });
        let material_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("scene material"),
            entries: &shader.reflect_group(1, vf)?,
        });
        let pipelines = Pipelines::new(ctx, &shader, &[&view_layout, &material_layout])?;

        let meshes = scene
            .meshes
            .iter()
            .map(|m| GpuMesh {
                vertices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("scene vertices"),
                    contents: bytemuck::cast_slice(&m.vertices),
                    usage: wgpu::BufferUsages::VERTEX,
                }),
                indices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("scene indices"),
                    contents: bytemuck::cast_slice(&m.indices),
                    usage: wgpu::BufferUsages::INDEX,
                }),
                count: m.indices.len() as u32,
            })
            .collect();

        let textures: Vec<wgpu::TextureView> = scene.textures.iter().map(|t| upload_mipmapped(ctx, t)).collect();
        let white = upload_mipmapped(ctx, &crate::TextureImage::solid([255; 4], true));
        let flat = upload_mipmapped(ctx, &crate::TextureImage::solid([128, 128, 255, 255], false));
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("material sampler"),
            address_mode_u: wgpu::AddressMode::Repeat,
            address_mode_v: wgpu::AddressMode::Repeat,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            // Trilinear only: lavapipe emulates anisotropic filtering so slowly (50x per frame)
            // that sequences would take hours; the mip bias already keeps textures sharp.
            anisotropy_clamp: 1,
            ..Default::default()
        });
        let material_groups = scene
            .materials
            .iter()
            .map(|m| {
                let pick = |i: Option<usize>, fallback| i.map_or(fallback, |i| &textures[i]);
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("material"),
                    layout: &material_layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::TextureView(pick(m.base_color_texture, &white)),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: wgpu::BindingResource::TextureView(pick(m.normal_texture, &flat)),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: wgpu::BindingResource::TextureView(pick(m.emissive_texture, &white)),
                        },
                        wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::Sampler(&sampler) },
                    ],
                })
            })
            .collect();

        let objects = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scene objects"),
            size: (size_of::<ObjectUniform>() * scene.objects.len().max(1)) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        // Slot 0: the render-resolution view; slots 1..=spp: one per ground-truth sample, so a
        // whole frame records into one encoder.
        let slots = 1 + spp as u64;
        let views = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scene views"),
            size: VIEW_STRIDE * slots,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let view_groups = (0..slots)
            .map(|i| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("scene view slot"),
                    layout: &view_layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &views,
                                offset: i * VIEW_STRIDE,
                                size: wgpu::BufferSize::new(size_of::<ViewUniform>() as u64),
                            }),
                        },
                        wgpu::BindGroupEntry { binding: 1, resource: objects.as_entire_binding() },
                    ],
                })
            })
            .collect();

        let inputs = InputTargets::new(device, max_render_size);
        let gt = GroundTruthTargets::new(device, display_size);
        let accumulator =
            GroundTruthAccumulator::new(ctx, &gt.sample.create_view(&Default::default()), display_size, spp)?;
        Ok(Self {
            ctx: ctx.clone(),
            meshes,
            material_groups,
            objects,
            views,
            view_groups,
            inputs_opaque: pipelines.inputs_opaque,
            inputs_blend: pipelines.inputs_blend,
            gt_opaque: pipelines.gt_opaque,
            gt_blend: pipelines.gt_blend,
            accumulator,
            inputs,
            gt,
            max_render_size,
            display_size,
            spp,
        })
    }

    /// The render-resolution targets (valid in the top-left `render_size` after a frame).
    pub fn inputs(&self) -> &InputTargets {
        &self.inputs
    }

    /// The ground-truth output texture (Rgba32Float, display size).
    pub fn ground_truth(&self) -> &wgpu::Texture {
        self.accumulator.output()
    }

    /// Largest render size this renderer draws.
    pub fn max_render_size(&self) -> [u32; 2] {
        self.max_render_size
    }

    /// The ground truth's size (the display size).
    pub fn display_size(&self) -> [u32; 2] {
        self.display_size
    }

    /// Writes this frame's object and view uniforms and records the render-resolution pass
    /// (and, if `ground_truth`, the supersampled display-resolution passes) into `encoder`.
    /// Submit `encoder` before recording the next frame: the uniforms are per frame.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        frame: &FrameRequest,
        ground_truth: bool,
    ) -> Result<(), SceneError> {
        let rs = frame.render_size;
        if rs[0] == 0 || rs[1] == 0 || rs[0] > self.max_render_size[0] || rs[1] > self.max_render_size[1] {
            return Err(SceneError::Size {
                what: "frame render size",
                size: rs,
                max: self.max_render_size[0].max(self.max_render_size[1]),
            });
        }
        let queue = &self.ctx.queue;
        let objects: Vec<ObjectUniform> =
            scene.objects.iter().map(|o| object_uniform(scene, o, frame.time, frame.prev_time)).collect();
        if !objects.is_empty() {
            queue.write_buffer(&self.objects, 0, bytemuck::cast_slice(&objects));
        }
        let order = draw_order(scene, frame.camera.position, frame.time);

        // Render resolution, jittered.
        let jitter_clip = quantsr_core::projection_jitter(frame.jitter, rs);
        queue.write_buffer(
            &self.views,
            0,
            bytemuck::bytes_of(&view_uniform(scene, frame, rs, jitter_clip, frame.mip_bias)),
        );
        let inputs = &self.inputs;
        let color_views = [&inputs.color, &inputs.motion, &inputs.depth, &inputs.reactive]
            .map(|t| t.create_view(&Default::default()));
        let sky = scene.lighting.sky;
        let clears = [
            wgpu::Color { r: f64::from(sky.x), g: f64::from(sky.y), b: f64::from(sky.z), a: 1.0 },
            wgpu::Color::TRANSPARENT,
            wgpu::Color::TRANSPARENT,
            wgpu::Color::TRANSPARENT,
        ];
        let attachments: Vec<Option<wgpu::RenderPassColorAttachment<'_>>> = color_views
            .iter()
            .zip(clears)
            .map(|(view, clear)| {
                Some(wgpu::RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Clear(clear), store: wgpu::StoreOp::Store },
                })
            })
            .collect();
        let depth_view = inputs.depth_buffer.create_view(&Default::default());
        self.draw_pass(
            encoder,
            &attachments,
            &depth_view,
            rs,
            0,
            scene,
            &order,
            [&self.inputs_opaque, &self.inputs_blend],
        );

        if ground_truth {
            let ds = self.display_size;
            let sample_view = self.gt.sample.create_view(&Default::default());
            let gt_depth = self.gt.depth_buffer.create_view(&Default::default());
            let bias = quantsr_core::mip_bias(ds[0], ds[0]);
            for k in 0..self.spp {
                let j = quantsr_core::jitter_offset(k, self.spp);
                let jc = quantsr_core::projection_jitter(j, ds);
                let slot = 1 + k as usize;
                queue.write_buffer(
                    &self.views,
                    slot as u64 * VIEW_STRIDE,
                    bytemuck::bytes_of(&view_uniform(scene, frame, ds, jc, bias)),
                );
                let attachment = [Some(wgpu::RenderPassColorAttachment {
                    view: &sample_view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Clear(clears[0]), store: wgpu::StoreOp::Store },
                })];
                self.draw_pass(
                    encoder,
                    &attachment,
                    &gt_depth,
                    ds,
                    slot,
                    scene,
                    &order,
                    [&self.gt_opaque, &self.gt_blend],
                );
                self.accumulator.record_pass(queue, encoder, k, j);
            }
            self.accumulator.record_finish(encoder);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_pass(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        attachments: &[Option<wgpu::RenderPassColorAttachment<'_>>],
        depth: &wgpu::TextureView,
        size: [u32; 2],
        view_slot: usize,
        scene: &Scene,
        order: &[usize],
        pipelines: [&wgpu::RenderPipeline; 2],
    ) {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("scene"),
            color_attachments: attachments,
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: depth,
                depth_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(0.0), store: wgpu::StoreOp::Discard }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_viewport(0.0, 0.0, size[0] as f32, size[1] as f32, 0.0, 1.0);
        pass.set_scissor_rect(0, 0, size[0], size[1]);
        pass.set_bind_group(0, Some(&self.view_groups[view_slot]), &[]);
        let mut current: Option<bool> = None;
        for &i in order {
            let o = &scene.objects[i];
            let blend = scene.materials[o.material].alpha_mode == AlphaMode::Blend;
            if current != Some(blend) {
                pass.set_pipeline(pipelines[usize::from(blend)]);
                current = Some(blend);
            }
            let mesh = &self.meshes[o.mesh];
            pass.set_bind_group(1, Some(&self.material_groups[o.material]), &[]);
            pass.set_vertex_buffer(0, mesh.vertices.slice(..));
            pass.set_index_buffer(mesh.indices.slice(..), wgpu::IndexFormat::Uint32);
            pass.draw_indexed(0..mesh.count, 0, i as u32..i as u32 + 1);
        }
    }
}

/// Opaque and masked objects first (any order), then blended ones back to front.
fn draw_order(scene: &Scene, eye: Vec3, time: f32) -> Vec<usize> {
    let is_blend = |i: &usize| scene.materials[scene.objects[*i].material].alpha_mode == AlphaMode::Blend;
    let mut order: Vec<usize> = (0..scene.objects.len()).filter(|i| !is_blend(i)).collect();
    let mut blended: Vec<(f32, usize)> = (0..scene.objects.len())
        .filter(is_blend)
        .map(|i| {
            let o = &scene.objects[i];
            let (lo, hi) = scene.meshes[o.mesh].bounds();
            let centre = o.transform_at(time).transform_point3((lo + hi) * 0.5);
            (centre.distance_squared(eye), i)
        })
        .collect();
    blended.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    order.extend(blended.into_iter().map(|(_, i)| i));
    order
}

fn view_uniform(
    scene: &Scene,
    frame: &FrameRequest,
    size: [u32; 2],
    jitter_clip: [f32; 2],
    mip_bias: f32,
) -> ViewUniform {
    let aspect = size[0] as f32 / size[1] as f32;
    let proj = projection(frame.fov_y, aspect, scene.near, scene.far);
    let unjittered = proj * frame.camera.view();
    let jitter = Mat4::from_translation(Vec3::new(jitter_clip[0], jitter_clip[1], 0.0));
    let l = &scene.lighting;
    ViewUniform {
        view_proj: jitter * unjittered,
        unjittered,
        prev_unjittered: proj * frame.prev_camera.view(),
        camera_pos: frame.camera.position.extend(1.0),
        light_dir: l.direction.normalize_or(Vec3::Y).extend(0.0),
        light_color: l.color.extend(0.0),
        ambient: l.ambient.extend(0.0),
        params: Vec4::new(mip_bias, frame.time, 0.0, 0.0),
    }
}

fn object_uniform(scene: &Scene, o: &crate::Object, time: f32, prev_time: f32) -> ObjectUniform {
    let m = &scene.materials[o.material];
    let model = o.transform_at(time);
    let t = m.uv_transform;
    let (mode, cutoff) = match m.alpha_mode {
        AlphaMode::Opaque => (0.0, 0.0),
        AlphaMode::Mask(c) => (1.0, c),
        AlphaMode::Blend => (2.0, 0.0),
    };
    let normal_scale = if m.normal_texture.is_some() { m.normal_scale.max(1e-4) } else { 0.0 };
    let reactive = if m.uv_scroll != glam::Vec2::ZERO { m.reactive.max(1.0) } else { m.reactive };
    ObjectUniform {
        model,
        prev_model: o.transform_at(prev_time),
        normal_matrix: model.inverse().transpose(),
        base_color: m.base_color,
        emissive: m.emissive.extend(0.0),
        uv_row0: Vec4::new(t.matrix2.x_axis.x, t.matrix2.y_axis.x, t.translation.x, m.uv_scroll.x),
        uv_row1: Vec4::new(t.matrix2.x_axis.y, t.matrix2.y_axis.y, t.translation.y, m.uv_scroll.y),
        shading: Vec4::new(m.specular, m.shininess.max(1.0), normal_scale, reactive),
        alpha: Vec4::new(mode, cutoff, 0.0, 0.0),
    }
}

struct Pipelines {
    inputs_opaque: wgpu::RenderPipeline,
    inputs_blend: wgpu::RenderPipeline,
    gt_opaque: wgpu::RenderPipeline,
    gt_blend: wgpu::RenderPipeline,
}

impl Pipelines {
    fn new(
        ctx: &GpuContext,
        shader: &ValidatedShader,
        layouts: &[&wgpu::BindGroupLayout; 2],
    ) -> Result<Self, SceneError> {
        let device = &ctx.device;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(&shader.name),
            source: wgpu::ShaderSource::Wgsl(shader.source.as_str().into()),
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scene"),
            bind_group_layouts: &[Some(layouts[0]), Some(layouts[1])],
            immediate_size: 0,
        });
        let alpha_blend = wgpu::BlendState {
            color: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::SrcAlpha,
                dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
                operation: wgpu::BlendOperation::Add,
            },
            alpha: wgpu::BlendComponent::OVER,
        };
        let max_blend = wgpu::BlendState {
            color: wgpu::BlendComponent {
                src_factor: wgpu::BlendFactor::One,
                dst_factor: wgpu::BlendFactor::One,
                operation: wgpu::BlendOperation::Max,
            },
            alpha: wgpu::BlendComponent::REPLACE,
        };
        let target = |format, blend, write| {
            Some(wgpu::ColorTargetState {
                format,
                blend,
                write_mask: if write { wgpu::ColorWrites::ALL } else { wgpu::ColorWrites::empty() },
            })
        };
        let make = |label: &str, entry: &str, targets: &[Option<wgpu::ColorTargetState>], blended: bool| {
            ctx.checked(&format!("creating scene pipeline {label}"), || {
                device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                    label: Some(label),
                    layout: Some(&layout),
                    vertex: wgpu::VertexState {
                        module: &module,
                        entry_point: Some("vs_main"),
                        compilation_options: Default::default(),
                        buffers: &[Some(wgpu::VertexBufferLayout {
                            array_stride: size_of::<Vertex>() as u64,
                            step_mode: wgpu::VertexStepMode::Vertex,
                            attributes: &wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 2 => Float32x4, 3 => Float32x2],
                        })],
                    },
                    primitive: wgpu::PrimitiveState { cull_mode: None, ..Default::default() },
                    depth_stencil: Some(wgpu::DepthStencilState {
                        format: DEPTH_BUFFER_FORMAT,
                        depth_write_enabled: Some(!blended),
                        depth_compare: Some(wgpu::CompareFunction::GreaterEqual),
                        stencil: Default::default(),
                        bias: Default::default(),
                    }),
                    multisample: Default::default(),
                    fragment: Some(wgpu::FragmentState {
                        module: &module,
                        entry_point: Some(entry),
                        compilation_options: Default::default(),
                        targets,
                    }),
                    multiview_mask: None,
                    cache: None,
                })
            })
        };
        let ab = Some(alpha_blend);
        Ok(Self {
            inputs_opaque: make(
                "inputs opaque",
                "fs_inputs",
                &[
                    target(COLOR_FORMAT, None, true),
                    target(MOTION_FORMAT, None, true),
                    target(DEPTH_OUT_FORMAT, None, true),
                    target(REACTIVE_FORMAT, None, true),
                ],
                false,
            )?,
            // Blended surfaces keep the motion and depth of what is behind them (as engines do),
            // and raise the reactive mask by their coverage.
            inputs_blend: make(
                "inputs blend",
                "fs_inputs",
                &[
                    target(COLOR_FORMAT, ab, true),
                    target(MOTION_FORMAT, None, false),
                    target(DEPTH_OUT_FORMAT, None, false),
                    target(REACTIVE_FORMAT, Some(max_blend), true),
                ],
                true,
            )?,
            gt_opaque: make("ground truth opaque", "fs_color", &[target(COLOR_FORMAT, None, true)], false)?,
            gt_blend: make("ground truth blend", "fs_color", &[target(COLOR_FORMAT, ab, true)], true)?,
        })
    }
}

impl InputTargets {
    fn new(device: &wgpu::Device, size: [u32; 2]) -> Self {
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT
            | wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::COPY_SRC;
        Self {
            color: create_texture(device, "input colour", size, COLOR_FORMAT, usage),
            motion: create_texture(device, "input motion", size, MOTION_FORMAT, usage),
            depth: create_texture(device, "input depth", size, DEPTH_OUT_FORMAT, usage),
            reactive: create_texture(device, "input reactive", size, REACTIVE_FORMAT, usage),
            depth_buffer: create_texture(
                device,
                "input depth buffer",
                size,
                DEPTH_BUFFER_FORMAT,
                wgpu::TextureUsages::RENDER_ATTACHMENT,
            ),
        }
    }
}

impl GroundTruthTargets {
    fn new(device: &wgpu::Device, size: [u32; 2]) -> Self {
        Self {
            sample: create_texture(
                device,
                "gt sample",
                size,
                COLOR_FORMAT,
                wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
            ),
            depth_buffer: create_texture(
                device,
                "gt depth buffer",
                size,
                DEPTH_BUFFER_FORMAT,
                wgpu::TextureUsages::RENDER_ATTACHMENT,
            ),
        }
    }
}

fn upload_mipmapped(ctx: &GpuContext, image: &crate::TextureImage) -> wgpu::TextureView {
    let format = if image.srgb { wgpu::TextureFormat::Rgba8UnormSrgb } else { wgpu::TextureFormat::Rgba8Unorm };
    let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("material texture"),
        size: quantsr_gpu::extent([image.width, image.height]),
        mip_level_count: image.mips.len() as u32,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    for (level, data) in image.mips.iter().enumerate() {
        let (w, h) = ((image.width >> level).max(1), (image.height >> level).max(1));
        ctx.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &texture,
                mip_level: level as u32,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            data,
            wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(4 * w), rows_per_image: Some(h) },
            quantsr_gpu::extent([w, h]),
        );
    }
    texture.create_view(&Default::default())
}
