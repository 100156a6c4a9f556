//! Compute pipelines whose layouts come from the shader itself, and dispatch-size math.

use crate::{GpuContext, GpuError, ValidatedShader, load_shader, validate_wgsl};

/// Number of workgroups needed to cover `size` items with workgroups of `workgroup` items.
pub const fn workgroups(size: u32, workgroup: u32) -> u32 {
    size.div_ceil(workgroup)
}

/// Workgroup counts covering a `[width, height]` grid with `[wx, wy]` workgroups.
pub const fn workgroups_2d(size: [u32; 2], workgroup: [u32; 2]) -> [u32; 3] {
    [workgroups(size[0], workgroup[0]), workgroups(size[1], workgroup[1]), 1]
}

/// A compute pipeline with the bind-group layouts reflected from its shader.
///
/// Resources are bound by the names the WGSL declares them with, so the declaration is the only
/// place a binding is described: its number, type and access never appear in host code.
#[derive(Debug)]
pub struct ComputeKernel {
    /// The pipeline.
    pub pipeline: wgpu::ComputePipeline,
    /// One layout per bind group, in group order.
    pub layouts: Vec<wgpu::BindGroupLayout>,
    /// Per group, the `@binding` numbers and the WGSL names of its bindings.
    bindings: Vec<Vec<(u32, String)>>,
    label: String,
}

/// A resource for the binding the shader declares as `name` (see [`ComputeKernel::bind_group`]).
pub type NamedResource<'a> = (&'a str, wgpu::BindingResource<'a>);

impl ComputeKernel {
    /// Loads `shaders/<path>`, validates it for this device, and builds entry point `entry`.
    pub fn from_path(ctx: &GpuContext, path: &str, entry: &str) -> Result<Self, GpuError> {
        let shader = validate_wgsl(path, load_shader(path)?, ctx.device.features())?;
        Self::new(ctx, &shader, entry, &[])
    }

    /// Builds entry point `entry` of an already validated shader, with pipeline-overridable
    /// constants set to `constants`.
    pub fn new(
        ctx: &GpuContext,
        shader: &ValidatedShader,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Result<Self, GpuError> {
        let label = format!("{}:{entry}", shader.name);
        let mut layouts = Vec::new();
        let mut bindings = Vec::new();
        for group in 0..shader.group_count() {
            let entries = shader.reflect_group(group, wgpu::ShaderStages::COMPUTE)?;
            bindings.push(shader.binding_names(group));
            layouts.push(
                ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(&label),
                    entries: &entries,
                }),
            );
        }
        let pipeline = ctx.checked(&format!("creating pipeline {label}"), || {
            let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&shader.name),
                source: wgpu::ShaderSource::Wgsl(shader.source.as_str().into()),
            });
            let layout_refs: Vec<Option<&wgpu::BindGroupLayout>> = layouts.iter().map(Some).collect();
            let layout = ctx.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(&label),
                bind_group_layouts: &layout_refs,
                immediate_size: 0,
            });
            ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&label),
                layout: Some(&layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            })
        })?;
        Ok(Self { pipeline, layouts, bindings, label })
    }

    /// Creates a bind group for `group`, binding each of the shader's declarations to the
    /// resource `resources` names it by. `resources` may name more than the shader declares (a
    /// frame's whole set of textures, of which each pass takes its own).
    ///
    /// # Panics
    /// When a binding the shader declares is not among `resources`: that is a bug in the host
    /// module driving this kernel, not a user error.
    pub fn bind_group(&self, device: &wgpu::Device, group: u32, resources: &[NamedResource<'_>]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = self.bindings[group as usize]
            .iter()
            .map(|(binding, name)| {
                let resource = resources.iter().find(|(n, _)| n == name).map(|(_, r)| r.clone()).unwrap_or_else(|| {
                    let given: Vec<&str> = resources.iter().map(|(n, _)| *n).collect();
                    panic!(
                        "{}: group {group} binds `{name}`, which the host did not give (given: {given:?})",
                        self.label
                    )
                });
                wgpu::BindGroupEntry { binding: *binding, resource }
            })
            .collect();
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&self.label),
            layout: &self.layouts[group as usize],
            entries: &entries,
        })
    }

    /// Records this kernel into an open compute pass.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>, groups: &[&wgpu::BindGroup], workgroups: [u32; 3]) {
        pass.set_pipeline(&self.pipeline);
        for (i, g) in groups.iter().enumerate() {
            pass.set_bind_group(i as u32, Some(*g), &[]);
        }
        pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
    }

    /// Records this kernel in a compute pass of its own, optionally timestamped.
    pub fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        groups: &[&wgpu::BindGroup],
        workgroups: [u32; 3],
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        let mut pass =
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(&self.label), timestamp_writes });
        self.record(&mut pass, groups, workgroups);
    }
}
