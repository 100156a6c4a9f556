//! WGSL loading: the embedded `shaders/` tree, `#include` resolution, naga validation, and
//! bind-group layouts reflected from the shader so bindings are declared once, in WGSL.

use std::collections::{BTreeMap, HashSet};

use crate::GpuError;

include!(concat!(env!("OUT_DIR"), "/shader_files.rs"));

/// Returns the text of `shaders/<path>` as it was at build time, without includes resolved.
pub fn shader_file(path: &str) -> Result<&'static str, GpuError> {
    SHADER_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
        .ok_or_else(|| GpuError::UnknownShader(path.to_string()))
}

/// Returns the source of `shaders/<path>` with every `#include "other.wgsl"` line replaced by
/// that file's (recursively resolved) text, and every `#define NAME VALUE` applied with its
/// default value (see [`load_shader_with`]). Each file is included at most once.
///
/// WGSL has no module system; this is the one place shared WGSL (colour spaces, sampling
/// helpers) gets into a pass's shader.
pub fn load_shader(path: &str) -> Result<String, GpuError> {
    load_shader_with(path, &[])
}

/// As [`load_shader`], with `defines` overriding the values of the shader's own `#define NAME
/// VALUE` lines: from its `#define` on, every whole-word `NAME` (in code and in `#include`
/// lines) becomes the value. This is how one WGSL file serves several variants (an output
/// format, an activation storage include). A define the shader does not declare is an error
/// naming it, so a variant can never silently fall back to the default text.
pub fn load_shader_with(path: &str, defines: &[(&str, &str)]) -> Result<String, GpuError> {
    Preprocessor::new(path, defines).run(|p, out| p.include(path, out))
}

/// Resolves the `#include` and `#define` lines of WGSL made at run time (generated kernels)
/// against the embedded tree, as [`load_shader`] does for a file.
pub fn expand_includes(source: &str) -> Result<String, GpuError> {
    Preprocessor::new("generated WGSL", &[]).run(|p, out| p.lines(source, out))
}

/// The state of one expansion: files already included, and the defines in force.
struct Preprocessor<'a> {
    name: &'a str,
    seen: HashSet<String>,
    overrides: &'a [(&'a str, &'a str)],
    defines: BTreeMap<String, String>,
}

impl<'a> Preprocessor<'a> {
    fn new(name: &'a str, overrides: &'a [(&'a str, &'a str)]) -> Self {
        Self { name, seen: HashSet::new(), overrides, defines: BTreeMap::new() }
    }

    fn run(mut self, expand: impl FnOnce(&mut Self, &mut String) -> Result<(), GpuError>) -> Result<String, GpuError> {
        let mut out = String::new();
        expand(&mut self, &mut out)?;
        if let Some((name, _)) = self.overrides.iter().find(|(n, _)| !self.defines.contains_key(*n)) {
            return Err(GpuError::Shader {
                name: self.name.to_owned(),
                message: format!("the variant sets `{name}`, which the shader does not #define"),
            });
        }
        Ok(out)
    }

    fn include(&mut self, path: &str, out: &mut String) -> Result<(), GpuError> {
        if !self.seen.insert(path.to_string()) {
            return Ok(());
        }
        self.lines(shader_file(path)?, out)
    }

    fn lines(&mut self, text: &str, out: &mut String) -> Result<(), GpuError> {
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some(rest) = trimmed.strip_prefix("#define") {
                let (name, default) = rest.trim().split_once(char::is_whitespace).unwrap_or((rest.trim(), ""));
                let value =
                    self.overrides.iter().find(|(n, _)| *n == name).map_or(default.trim(), |(_, v)| *v).to_owned();
                self.defines.insert(name.to_owned(), value);
                continue;
            }
            let line = self.substitute(line);
            match line.trim().strip_prefix("#include") {
                Some(rest) => {
                    let target = rest.trim().trim_matches('"').to_owned();
                    self.include(&target, out)?;
                }
                None => {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
        Ok(())
    }

    /// `line` with every whole-word occurrence of a define replaced by its value.
    fn substitute(&self, line: &str) -> String {
        if self.defines.is_empty() {
            return line.to_owned();
        }
        let mut out = String::with_capacity(line.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            out.push_str(self.defines.get(word.as_str()).map_or(word.as_str(), String::as_str));
            word.clear();
        };
        for c in line.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }
}

/// A parsed and validated shader, ready to create pipelines from.
#[derive(Debug)]
pub struct ValidatedShader {
    /// Path or label used in error messages.
    pub name: String,
    /// The full WGSL text (includes resolved).
    pub source: String,
    /// naga's module, used for layout reflection.
    pub module: naga::Module,
}

/// Parses and validates WGSL with naga, for the features `features` grants (all of them when
/// checking shaders offline). Errors carry naga's diagnostic with line and column.
pub fn validate_wgsl(name: &str, source: String, features: wgpu::Features) -> Result<ValidatedShader, GpuError> {
    let module = naga::front::wgsl::parse_str(&source)
        .map_err(|e| GpuError::Shader { name: name.to_string(), message: e.emit_to_string_with_path(&source, name) })?;
    let mut validator =
        wgpu_naga_bridge::create_validator(features, wgpu::DownlevelFlags::all(), naga::valid::ValidationFlags::all());
    validator
        .validate(&module)
        .map_err(|e| GpuError::Shader { name: name.to_string(), message: e.emit_to_string_with_path(&source, name) })?;
    Ok(ValidatedShader { name: name.to_string(), source, module })
}

/// Every feature a quantsr shader may use; for validating the shader tree offline.
pub fn all_shader_features() -> wgpu::Features {
    wgpu::Features::SHADER_F16 | wgpu::Features::SUBGROUP | wgpu::Features::SHADER_INT64
}

impl ValidatedShader {
    /// Derives the layout entries of bind group `group` from the shader's global variables.
    ///
    /// Float textures are declared filterable only when the shader samples them (so `r32float`
    /// depth read with `textureLoad` works without `FLOAT32_FILTERABLE`).
    pub fn reflect_group(
        &self,
        group: u32,
        visibility: wgpu::ShaderStages,
    ) -> Result<Vec<wgpu::BindGroupLayoutEntry>, GpuError> {
        let sampled = sampled_images(&self.module);
        let mut entries = BTreeMap::new();
        for (handle, var) in self.module.global_variables.iter() {
            let Some(rb) = &var.binding else { continue };
            if rb.group != group {
                continue;
            }
            let unsupported =
                || GpuError::UnsupportedBinding { name: self.name.clone(), group: rb.group, binding: rb.binding };
            let ty = match var.space {
                naga::AddressSpace::Uniform => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                naga::AddressSpace::Storage { access } => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: !access.contains(naga::StorageAccess::STORE) },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                naga::AddressSpace::Handle => match &self.module.types[var.ty].inner {
                    naga::TypeInner::Sampler { comparison: true } => {
                        wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Comparison)
                    }
                    naga::TypeInner::Sampler { comparison: false } => {
                        wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering)
                    }
                    naga::TypeInner::Image { dim, arrayed, class } => {
                        let view_dimension = view_dimension(*dim, *arrayed);
                        match class {
                            naga::ImageClass::Sampled { kind, multi } => wgpu::BindingType::Texture {
                                sample_type: match kind {
                                    naga::ScalarKind::Float => wgpu::TextureSampleType::Float {
                                        filterable: sampled.all || sampled.globals.contains(&handle),
                                    },
                                    naga::ScalarKind::Sint => wgpu::TextureSampleType::Sint,
                                    naga::ScalarKind::Uint => wgpu::TextureSampleType::Uint,
                                    _ => return Err(unsupported()),
                                },
                                view_dimension,
                                multisampled: *multi,
                            },
                            naga::ImageClass::Depth { multi } => wgpu::BindingType::Texture {
                                sample_type: wgpu::TextureSampleType::Depth,
                                view_dimension,
                                multisampled: *multi,
                            },
                            naga::ImageClass::Storage { format, access } => {
                                let access = if access.contains(naga::StorageAccess::LOAD | naga::StorageAccess::STORE)
                                {
                                    wgpu::StorageTextureAccess::ReadWrite
                                } else if access.contains(naga::StorageAccess::STORE) {
                                    wgpu::StorageTextureAccess::WriteOnly
                                } else {
                                    wgpu::StorageTextureAccess::ReadOnly
                                };
                                wgpu::BindingType::StorageTexture {
                                    access,
                                    format: wgpu_naga_bridge::map_storage_format_from_naga(*format),
                                    view_dimension,
                                }
                            }
                            naga::ImageClass::External => return Err(unsupported()),
                        }
                    }
                    _ => return Err(unsupported()),
                },
                _ => return Err(unsupported()),
            };
            entries.insert(rb.binding, wgpu::BindGroupLayoutEntry { binding: rb.binding, visibility, ty, count: None });
        }
        Ok(entries.into_values().collect())
    }

    /// The names of bind group `group`'s bindings, by `@binding` number: the variable names of
    /// the WGSL declarations, which is how host code refers to a binding.
    pub fn binding_names(&self, group: u32) -> Vec<(u32, String)> {
        let mut names: Vec<(u32, String)> = self
            .module
            .global_variables
            .iter()
            .filter_map(|(_, v)| {
                let b = v.binding.as_ref().filter(|b| b.group == group)?;
                Some((b.binding, v.name.clone().unwrap_or_else(|| format!("binding{}", b.binding))))
            })
            .collect();
        names.sort();
        names
    }

    /// Highest bind group index the shader uses, plus one.
    pub fn group_count(&self) -> u32 {
        self.module
            .global_variables
            .iter()
            .filter_map(|(_, v)| v.binding.as_ref().map(|b| b.group + 1))
            .max()
            .unwrap_or(0)
    }
}

struct SampledImages {
    globals: HashSet<naga::Handle<naga::GlobalVariable>>,
    /// An image reached the sampler through a function argument: be conservative.
    all: bool,
}

fn sampled_images(module: &naga::Module) -> SampledImages {
    let mut out = SampledImages { globals: HashSet::new(), all: false };
    let functions = module.functions.iter().map(|(_, f)| f).chain(module.entry_points.iter().map(|e| &e.function));
    for function in functions {
        for (_, expr) in function.expressions.iter() {
            if let naga::Expression::ImageSample { image, .. } = expr {
                match function.expressions[*image] {
                    naga::Expression::GlobalVariable(g) => {
                        out.globals.insert(g);
                    }
                    _ => out.all = true,
                }
            }
        }
    }
    out
}

fn view_dimension(dim: naga::ImageDimension, arrayed: bool) -> wgpu::TextureViewDimension {
    match (dim, arrayed) {
        (naga::ImageDimension::D1, _) => wgpu::TextureViewDimension::D1,
        (naga::ImageDimension::D2, false) => wgpu::TextureViewDimension::D2,
        (naga::ImageDimension::D2, true) => wgpu::TextureViewDimension::D2Array,
        (naga::ImageDimension::D3, _) => wgpu::TextureViewDimension::D3,
        (naga::ImageDimension::Cube, false) => wgpu::TextureViewDimension::Cube,
        (naga::ImageDimension::Cube, true) => wgpu::TextureViewDimension::CubeArray,
    }
}
