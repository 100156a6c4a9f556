//! The neural rungs' parameter step (ARCHITECTURE §4 step 2): the network input pass, then the
//! U-Net's layers as generated kernels with the weights baked in (`codegen`), the head writing the
//! same parameter textures `taau_params` writes plus the kernel logits and the recurrent feedback.
//!
//! Kernels: `shaders/network/input.wgsl` (CPU reference `quantsr_model::cpu::network_input`) and
//! one generated kernel per layer and rung (CPU reference `quantsr_model::network`), in the
//! [`KernelVariant`] the autotuner picked for this device (`autotune`).

pub(crate) mod autotune;
mod codegen;
mod graph;
mod probe;

pub use autotune::Autotune;
pub use codegen::{KernelVariant, Math};
pub use probe::{NetworkProbe, ProbeOutput};

use quantsr_gpu::{ComputeKernel, GpuContext, GpuError, NamedResource, expand_includes, validate_wgsl, workgroups};
use quantsr_model::{Network, NetworkPrecision};
use quantsr_monitor::Rung;

use codegen::{Output, SWITCH_BLOCKS, act_include, block_count, group_bytes, layer_kernel};
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
                    let size =
                        u64::from(w) * u64::from(h) * (src.channels as u64 / 4) * group_bytes(NetworkPrecision::F32);
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

/// One layer's pipelines in one [`KernelVariant`]: one with a `switch` over its output blocks
/// (the dispatch's z), or, for layers with many blocks, one per block.
pub(crate) struct LayerKernel {
    name: &'static str,
    node: LayerNode,
    variant: KernelVariant,
    kernels: Vec<ComputeKernel>,
    /// Bind groups: one per kernel for a tensor layer; per frame parity for the head.
    groups: Vec<wgpu::BindGroup>,
    /// The dispatch's z for each kernel.
    z: u32,
}

/// What every layer kernel of a rung binds: the frame uniforms, the activation tensors and
/// the textures the head writes.
pub(crate) struct LayerBindings<'a> {
    pub uniforms: &'a wgpu::Buffer,
    pub tensors: &'a NetworkTensors,
    pub targets: &'a ParamTargets<'a>,
}

/// One neural rung: its input pass and its layer kernels, with the bind groups of the layers
/// (made once: they bind only the upscaler's own buffers and textures).
pub(crate) struct NetworkRung {
    /// Which rung this is.
    pub rung: Rung,
    input: ComputeKernel,
    layers: Vec<LayerKernel>,
}

impl NetworkRung {
    /// Builds the input pass of `rung` for `net` and takes `layers`, one per layer of the graph
    /// in dispatch order (from [`LayerKernel::new`] or the autotuner).
    pub(crate) fn new(ctx: &GpuContext, rung: Rung, net: &Network, layers: Vec<LayerKernel>) -> Result<Self, GpuError> {
        let (_, precision) = rung.network().expect("a neural rung");
        let features = ctx.device.features();
        let constants: Vec<(&str, f64)> = if precision == NetworkPrecision::Int8 {
            vec![("INPUT_SCALE", f64::from(net.input_scale))]
        } else {
            Vec::new()
        };
        let input_source = input_source(precision)?;
        let input_shader = validate_wgsl(&format!("network/input.wgsl ({})", rung.name()), input_source, features)?;
        let input = ComputeKernel::new(ctx, &input_shader, "main", &constants)?;
        Ok(Self { rung, input, layers })
    }

    /// Builds every layer of `rung`, layer `i` (in `quantsr_model::LAYER_NAMES` order) in
    /// `variants[i]`, or every layer in its default variant without `variants`.
    pub(crate) fn with_variants(
        ctx: &GpuContext,
        rung: Rung,
        net: &Network,
        bindings: &LayerBindings<'_>,
        variants: Option<&[KernelVariant]>,
    ) -> Result<Self, crate::UpscalerError> {
        let layers = layer_nodes(net)
            .into_iter()
            .map(|node| {
                let variant = layer_variant(net, rung, &node, variants)?;
                Ok(LayerKernel::new(ctx, rung, net, node, variant, bindings)?)
            })
            .collect::<Result<Vec<_>, crate::UpscalerError>>()?;
        Ok(Self::new(ctx, rung, net, layers)?)
    }

    /// The variant each layer runs, by layer name, in dispatch order.
    pub(crate) fn variants(&self) -> Vec<(&'static str, KernelVariant)> {
        self.layers.iter().map(|l| (l.name, l.variant)).collect()
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
        for _ in 0..repeats {
            self.layers[index].record(pass, 0, render_size);
        }
    }

    /// Records the layers alone (the input tensor already written).
    pub(crate) fn record_layers(&self, pass: &mut wgpu::ComputePass<'_>, parity: usize, render_size: [u32; 2]) {
        for l in &self.layers {
            l.record(pass, parity, render_size);
        }
    }
}

impl LayerKernel {
    /// Generates, validates and builds the kernels of `node` (a layer of `net`) in `variant`.
    pub(crate) fn new(
        ctx: &GpuContext,
        rung: Rung,
        net: &Network,
        node: LayerNode,
        variant: KernelVariant,
        bindings: &LayerBindings<'_>,
    ) -> Result<Self, GpuError> {
        let features = ctx.device.features();
        let layer = &net.layers[node.layer];
        let blocks = block_count(layer, &variant);
        let sources = layer_sources(net, &node, &variant)?;
        let split = sources.len() > 1;
        let mut kernels = Vec::new();
        for (only, source) in sources {
            let block = only.map_or(String::new(), |b| format!(" block {b}"));
            let name =
                format!("network/{}.{}{block} ({}, {})", net.kind.name(), layer.spec.name, rung.name(), variant.name());
            let shader = validate_wgsl(&name, source, features)?;
            kernels.push(ComputeKernel::new(ctx, &shader, "main", &[])?);
        }
        let device = &ctx.device;
        let buffer = |i: usize| bindings.tensors.buffers[i].as_entire_binding();
        // The generated WGSL names its sources `src0..`, in the node's source order.
        let source_names: Vec<String> = (0..node.sources.len()).map(|i| format!("src{i}")).collect();
        let mut resources: Vec<NamedResource<'_>> = vec![("frame", bindings.uniforms.as_entire_binding())];
        resources.extend(node.sources.iter().zip(&source_names).map(|(s, name)| (name.as_str(), buffer(s.tensor))));
        let targets = bindings.targets;
        let view = wgpu::BindingResource::TextureView;
        let groups = match node.output {
            Some(o) => {
                resources.push(("dst", buffer(o)));
                kernels.iter().map(|k| k.bind_group(device, 0, &resources)).collect()
            }
            None => targets
                .params_extra
                .iter()
                .map(|extra| {
                    let mut r = resources.clone();
                    r.extend([
                        ("params", view(targets.params)),
                        ("beta_lo", view(targets.beta_lo)),
                        ("beta_hi", view(targets.beta_hi)),
                        ("params_extra", view(extra)),
                    ]);
                    kernels[0].bind_group(device, 0, &r)
                })
                .collect(),
        };
        Ok(Self { name: layer.spec.name, z: if split { 1 } else { blocks }, node, variant, kernels, groups })
    }

    /// Records this layer's dispatches for a frame of `render_size`; an empty level (render
    /// sizes below 8) records nothing, and its tensor reads as zero downstream.
    fn record(&self, pass: &mut wgpu::ComputePass<'_>, parity: usize, render_size: [u32; 2]) {
        let [w, h] = level_size(render_size, self.node.level);
        if w == 0 || h == 0 {
            return;
        }
        let [wx, wy] = self.variant.workgroup;
        let grid = [workgroups(w, wx * self.variant.pixels), workgroups(h, wy), self.z];
        for (i, kernel) in self.kernels.iter().enumerate() {
            let group = if self.node.output.is_some() { &self.groups[i] } else { &self.groups[parity] };
            kernel.record(pass, &[group], grid);
        }
    }
}

/// The WGSL of the network input pass at `precision`, includes expanded.
fn input_source(precision: NetworkPrecision) -> Result<String, GpuError> {
    let storage = format!("\"{}\"", act_include(precision));
    quantsr_gpu::load_shader_with("network/input.wgsl", &[("ACT_STORAGE", &storage)])
}

/// The generated WGSL of layer `node` of `net` in `variant`, includes expanded: one module with
/// a `switch` over its output blocks (`None`), or one module per block beyond
/// [`SWITCH_BLOCKS`] blocks.
fn layer_sources(
    net: &Network,
    node: &LayerNode,
    variant: &KernelVariant,
) -> Result<Vec<(Option<usize>, String)>, GpuError> {
    let layer = &net.layers[node.layer];
    let output = if node.output.is_none() { Output::Head { output_scale: net.output_scale } } else { Output::Tensor };
    let blocks = block_count(layer, variant);
    let split: Vec<Option<usize>> =
        if blocks > SWITCH_BLOCKS { (0..blocks as usize).map(Some).collect() } else { vec![None] };
    split
        .into_iter()
        .map(|only| Ok((only, expand_includes(&layer_kernel(variant, node, layer, &output, only))?)))
        .collect()
}

/// Every kernel `rung` runs for `net`, as a file name and its WGSL (includes expanded), with
/// layer `i` (in `quantsr_model::LAYER_NAMES` order) in `variants[i]`, or in its default
/// variant without `variants`: what `quantsr info --dump-kernels` writes, so a person can read
/// what runs. Names: `input.wgsl`, `LAYER.VARIANT.wgsl`, `LAYER.blockN.VARIANT.wgsl`.
pub fn kernel_sources(
    net: &Network,
    rung: Rung,
    variants: Option<&[KernelVariant]>,
) -> Result<Vec<(String, String)>, crate::UpscalerError> {
    let Some((_, precision)) = rung.network() else { return Ok(Vec::new()) };
    let mut out = vec![("input.wgsl".to_owned(), input_source(precision)?)];
    for node in layer_nodes(net) {
        let spec = &net.layers[node.layer].spec;
        let variant = layer_variant(net, rung, &node, variants)?;
        for (only, source) in layer_sources(net, &node, &variant)? {
            let block = only.map_or(String::new(), |b| format!(".block{b}"));
            out.push((format!("{}{block}.{}.wgsl", spec.name, variant.name()), source));
        }
    }
    Ok(out)
}

/// The variant layer `node` of `net` runs in `rung`: `variants[node.layer]` where given (an
/// error naming the layer when it does not fit it), else the layer's default.
fn layer_variant(
    net: &Network,
    rung: Rung,
    node: &LayerNode,
    variants: Option<&[KernelVariant]>,
) -> Result<KernelVariant, crate::UpscalerError> {
    let (_, precision) = rung.network().expect("a neural rung");
    let spec = &net.layers[node.layer].spec;
    let head = node.output.is_none();
    match variants {
        None => Ok(KernelVariant::default_for(precision, spec, head)),
        Some(v) => v.get(node.layer).copied().filter(|v| v.fits(precision, spec, head)).ok_or_else(|| {
            crate::UpscalerError::RungUnavailable {
                rung,
                why: format!("no variant that fits layer {} was given", spec.name),
            }
        }),
    }
}
