//! The neural rungs' parameter step (DESIGN §4 step 2): the network input pass, then the
//! U-Net's layers as generated kernels with the weights baked in (`codegen`), the head writing the
//! same parameter textures `taau_params` writes plus the kernel logits and the recurrent feedback.
//!
//! Kernels: `shaders/network/input.wgsl` (CPU reference `quantsr_model::cpu::network_input`) and
//! one generated kernel per layer and rung (CPU reference `quantsr_model::network`).

mod codegen;
mod graph;
mod probe;

pub use probe::{NetworkProbe, ProbeOutput};

pub(crate) use codegen::Precision;

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, expand_includes, validate_wgsl, workgroups};
use quantsr_model::Network;
use quantsr_monitor::Rung;

use codegen::{Output, WORKGROUP, block_count, layer_kernel};
use graph::{LayerNode, TENSORS, layer_nodes, level_size};

/// The activation tensors, shared by every rung: one storage buffer per tensor, sized for the
/// widest network at f32 at the largest render size.
pub(crate) struct NetworkTensors {
    pub(crate) buffers: Vec<wgpu::Buffer>,
}

impl NetworkTensors {
    pub(crate) fn new(device: &wgpu::Device, max_render_size: [u32; 2], networks: &[&Network]) -> Self {
        let mut bytes = [0u64; TENSORS.len()];
        for net in networks {
            for node in layer_nodes(net) {
                for src in &node.sources {
                    let [w, h] = level_size(max_render_size, src.level);
                    let size = u64::from(w) * u64::from(h) * (src.channels as u64 / 4) * Precision::F32.group_bytes();
                    bytes[src.tensor] = bytes[src.tensor].max(size);
                }
            }
        }
        let buffers = TENSORS
            .iter()
            .zip(bytes)
            .map(|(name, size)| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(&format!("network tensor {name}")),
                    // A tensor empty at this size still needs a valid binding.
                    size: size.max(16),
                    // Copies serve the probe (tests, kernel timing).
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })
            .collect();
        Self { buffers }
    }

    /// The buffer of the network input tensor (written by the input pass).
    pub(crate) fn input(&self) -> &wgpu::Buffer {
        &self.buffers[0]
    }
}

/// Where the head writes: the textures resolve reads, `params_extra` per frame parity (the next
/// frame's input reads the feedback this frame wrote).
pub(crate) struct ParamTargets<'a> {
    pub params: &'a wgpu::TextureView,
    pub beta_lo: &'a wgpu::TextureView,
    pub beta_hi: &'a wgpu::TextureView,
    pub params_extra: [&'a wgpu::TextureView; 2],
}

struct LayerKernel {
    name: &'static str,
    node: LayerNode,
    kernel: ComputeKernel,
    blocks: u32,
    px: u32,
}

/// One neural rung: its input pass and its layer kernels, with the bind groups of the layers
/// (made once: they bind only the upscaler's own buffers and textures).
pub(crate) struct NetworkRung {
    /// Which rung this is.
    pub rung: Rung,
    input: ComputeKernel,
    layers: Vec<LayerKernel>,
    /// Bind groups of every layer but the head.
    layer_groups: Vec<wgpu::BindGroup>,
    /// The head's bind group per frame parity.
    head_groups: [wgpu::BindGroup; 2],
}

impl NetworkRung {
    /// Generates, validates and builds every kernel of `rung` for `net`.
    pub(crate) fn new(
        ctx: &GpuContext,
        rung: Rung,
        precision: Precision,
        net: &Network,
        uniforms: &wgpu::Buffer,
        tensors: &NetworkTensors,
        targets: &ParamTargets<'_>,
    ) -> Result<Self, GpuError> {
        let features = ctx.device.features();
        let constants: Vec<(&str, f64)> =
            if precision == Precision::Int8 { vec![("INPUT_SCALE", f64::from(net.input_scale))] } else { Vec::new() };
        let input_source = expand_includes(
            &quantsr_gpu::shader_file("network/input.wgsl")?
                .replace(Precision::F32.act_include(), precision.act_include()),
        )?;
        let input_shader = validate_wgsl(&format!("network/input.wgsl ({})", rung.name()), input_source, features)?;
        let input = ComputeKernel::new(ctx, &input_shader, "main", &constants)?;

        let mut layers = Vec::new();
        for node in layer_nodes(net) {
            let layer = &net.layers[node.layer];
            let head = node.output.is_none();
            let output = if head { Output::Head { output_scale: net.output_scale } } else { Output::Tensor };
            let source = expand_includes(&layer_kernel(precision, &node, layer, &output))?;
            let name = format!("network/{}.{} ({})", net.kind.name(), layer.spec.name, rung.name());
            let shader = validate_wgsl(&name, source, features)?;
            let kernel = ComputeKernel::new(ctx, &shader, "main", &[])?;
            layers.push(LayerKernel {
                name: layer.spec.name,
                blocks: block_count(layer, head),
                px: precision.pixels(&layer.spec, head),
                node,
                kernel,
            });
        }

        let device = &ctx.device;
        let buffer = |i: usize| tensors.buffers[i].as_entire_binding();
        let mut layer_groups = Vec::new();
        let mut head_groups = Vec::new();
        for l in &layers {
            let mut resources = vec![uniforms.as_entire_binding()];
            resources.extend(l.node.sources.iter().map(|s| buffer(s.tensor)));
            match l.node.output {
                Some(o) => {
                    resources.push(buffer(o));
                    layer_groups.push(l.kernel.bind_group(device, 0, &resources));
                }
                None => {
                    for extra in targets.params_extra {
                        let mut r = resources.clone();
                        r.extend(
                            [targets.params, targets.beta_lo, targets.beta_hi, extra]
                                .map(wgpu::BindingResource::TextureView),
                        );
                        head_groups.push(l.kernel.bind_group(device, 0, &r));
                    }
                }
            }
        }
        let head_groups: [wgpu::BindGroup; 2] =
            head_groups.try_into().unwrap_or_else(|_| unreachable!("the graph ends in exactly one head"));
        Ok(Self { rung, input, layers, layer_groups, head_groups })
    }

    /// The input pass's kernel (its bind group depends on the caller's textures).
    pub(crate) fn input_kernel(&self) -> &ComputeKernel {
        &self.input
    }

    /// Records the input pass and every layer into `pass` for a frame of `render_size` whose
    /// feedback goes to `params_extra[parity]`.
    pub(crate) fn record(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        input_group: &wgpu::BindGroup,
        parity: usize,
        render_size: [u32; 2],
    ) {
        self.input.record(pass, &[input_group], quantsr_gpu::workgroups_2d(render_size, [8, 8]));
        self.record_layers(pass, parity, render_size);
    }

    /// Names of the layers in dispatch order, with the multiply-adds each does per output texel.
    pub(crate) fn layer_names(&self) -> Vec<&'static str> {
        self.layers.iter().map(|l| l.name).collect()
    }

    /// Records layer `index` alone `repeats` times (timing one kernel).
    pub(crate) fn record_layer(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        index: usize,
        render_size: [u32; 2],
        repeats: u32,
    ) {
        let l = &self.layers[index];
        let [w, h] = level_size(render_size, l.node.level);
        let group = match l.node.output {
            Some(_) => &self.layer_groups[self.layers[..index].iter().filter(|x| x.node.output.is_some()).count()],
            None => &self.head_groups[0],
        };
        let grid = [workgroups(w, WORKGROUP[0] * l.px), workgroups(h, WORKGROUP[1]), l.blocks];
        for _ in 0..repeats {
            l.kernel.record(pass, &[group], grid);
        }
    }

    /// Records the layers alone (the input tensor already written).
    pub(crate) fn record_layers(&self, pass: &mut wgpu::ComputePass<'_>, parity: usize, render_size: [u32; 2]) {
        let mut tensor_layers = self.layer_groups.iter();
        for l in &self.layers {
            let [w, h] = level_size(render_size, l.node.level);
            if w == 0 || h == 0 {
                // An empty level (render sizes below 8): its tensor reads as zero downstream.
                if l.node.output.is_some() {
                    tensor_layers.next();
                }
                continue;
            }
            let group = match l.node.output {
                Some(_) => tensor_layers.next().expect("one bind group per tensor layer"),
                None => &self.head_groups[parity],
            };
            let grid = [workgroups(w, WORKGROUP[0] * l.px), workgroups(h, WORKGROUP[1]), l.blocks];
            l.kernel.record(pass, &[group], grid);
        }
    }
}
