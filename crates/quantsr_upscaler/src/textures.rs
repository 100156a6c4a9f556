//! The upscaler's internal textures, and the one table that names every resource of a frame
//! the way the passes' WGSL declares it, so each pass binds by name what it reads and writes.

use quantsr_gpu::{GpuContext, NamedResource, create_texture, create_texture_with_data, wgpu};

/// Internal textures, allocated once at their largest size.
pub(crate) struct Textures {
    pub dilated_motion: wgpu::TextureView,
    pub features: wgpu::TextureView,
    pub params: wgpu::TextureView,
    /// Kernel logits β0–3 and β4–7 (render res).
    pub beta_lo: wgpu::TextureView,
    pub beta_hi: wgpu::TextureView,
    /// β8 and the recurrent feedback (.yz), per frame parity: the next frame's network input
    /// reads what this frame wrote.
    pub params_extra: [wgpu::TextureView; 2],
    pub depth_history: [wgpu::TextureView; 2],
    pub history: [wgpu::TextureView; 2],
    /// Bound when the caller gives no reactive mask or exposure texture.
    pub no_reactive: wgpu::TextureView,
    pub unit_exposure: wgpu::TextureView,
}

/// The caller's textures of one frame, with the defaults in place of optional ones.
pub(crate) struct CallerViews<'a> {
    pub color: &'a wgpu::TextureView,
    pub depth: &'a wgpu::TextureView,
    pub motion_vectors: &'a wgpu::TextureView,
    pub reactive: &'a wgpu::TextureView,
    pub exposure: &'a wgpu::TextureView,
    pub output: &'a wgpu::TextureView,
}

impl CallerViews<'_> {
    /// The views in a fixed order, to recognise a renderer's rotating sets of textures.
    pub fn key(&self) -> [&wgpu::TextureView; 6] {
        [self.color, self.depth, self.motion_vectors, self.reactive, self.exposure, self.output]
    }
}

impl Textures {
    /// Allocates the textures for render sizes up to `render` and a display of `display`.
    pub fn new(ctx: &GpuContext, render: [u32; 2], display: [u32; 2]) -> Self {
        let device = &ctx.device;
        let storage = wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING;
        let tex =
            |label, size, format| create_texture(device, label, size, format, storage).create_view(&Default::default());
        Self {
            dilated_motion: tex("dilated motion", render, wgpu::TextureFormat::Rg32Float),
            features: tex("features", render, wgpu::TextureFormat::Rgba16Float),
            params: tex("reconstruction params", render, wgpu::TextureFormat::Rgba16Float),
            beta_lo: tex("kernel logits 0-3", render, wgpu::TextureFormat::Rgba16Float),
            beta_hi: tex("kernel logits 4-7", render, wgpu::TextureFormat::Rgba16Float),
            params_extra: [0, 1].map(|_| tex("kernel logit 8 and feedback", render, wgpu::TextureFormat::Rgba16Float)),
            depth_history: [0, 1].map(|_| tex("depth history", render, wgpu::TextureFormat::R32Float)),
            history: [0, 1].map(|_| tex("history", display, wgpu::TextureFormat::Rgba16Float)),
            no_reactive: tex("no reactive", [1, 1], wgpu::TextureFormat::R32Float),
            unit_exposure: create_texture_with_data(
                device,
                &ctx.queue,
                "unit exposure",
                [1, 1],
                wgpu::TextureFormat::R32Float,
                bytemuck::bytes_of(&1.0f32),
            )
            .create_view(&Default::default()),
        }
    }

    /// Every resource of a frame of parity `parity`, by the name the passes' WGSL binds it as.
    /// A texture written this frame and read by the next is `*_out`/`params_extra` here and
    /// `prev_*`/`*_in` the frame after, so the parities are resolved once, here.
    pub fn frame_resources<'a>(
        &'a self,
        caller: &CallerViews<'a>,
        uniforms: &'a wgpu::Buffer,
        network_input: &'a wgpu::Buffer,
        parity: usize,
    ) -> Vec<NamedResource<'a>> {
        let (cur, prev) = (parity, 1 - parity);
        let view = wgpu::BindingResource::TextureView;
        vec![
            ("frame", uniforms.as_entire_binding()),
            ("color_in", view(caller.color)),
            ("depth_in", view(caller.depth)),
            ("motion_in", view(caller.motion_vectors)),
            ("reactive_in", view(caller.reactive)),
            ("exposure_in", view(caller.exposure)),
            ("output", view(caller.output)),
            ("prev_depth", view(&self.depth_history[prev])),
            ("depth_out", view(&self.depth_history[cur])),
            ("dilated_motion", view(&self.dilated_motion)),
            ("features", view(&self.features)),
            ("params", view(&self.params)),
            ("beta_lo", view(&self.beta_lo)),
            ("beta_hi", view(&self.beta_hi)),
            ("params_extra", view(&self.params_extra[cur])),
            ("feedback_in", view(&self.params_extra[prev])),
            ("history_in", view(&self.history[prev])),
            ("history_out", view(&self.history[cur])),
            ("resolved", view(&self.history[cur])),
            ("tensor", network_input.as_entire_binding()),
        ]
    }
}
