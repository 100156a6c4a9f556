//! glTF 2.0 files as scenes (`quantsr render --gltf FILE`): what real exported levels contain,
//! turned into the same [`Scene`] the built-in scenes produce.
//!
//! Supported:
//! - `.gltf` with external or embedded (base64 data URI) buffers and images, and `.glb`.
//! - The node hierarchy of the default scene (all root nodes when the file names no default
//!   scene); each node's world transform is the product of the transforms down to it.
//! - Meshes with several primitives and materials. `TRIANGLES`, `TRIANGLE_STRIP` and
//!   `TRIANGLE_FAN` (strips and fans are converted to lists); points and lines are skipped
//!   with a warning. Missing indices mean `0..n`; missing normals get flat normals (as the
//!   glTF spec requires, and provided tangents are then ignored); missing tangents are
//!   computed from the UVs when the material has a normal map, otherwise any vector
//!   orthogonal to the normal; a missing `TEXCOORD` set reads as zero.
//! - Morph targets are applied once with the node's (or else the mesh's) default weights.
//! - Skinned meshes are drawn at their bind pose: every vertex is moved by the blend of its
//!   joints' matrices `jointWorld × inverseBindMatrix`, with the joints' node transforms as
//!   stored in the file (no animation is played); as the spec requires, the skinned node's
//!   own transform is ignored. Vertices whose weights are all zero keep their mesh-space
//!   position.
//! - Materials: `baseColorFactor`/`baseColorTexture` (sRGB), `normalTexture` and its scale,
//!   `emissiveFactor`/`emissiveTexture` (sRGB) times `KHR_materials_emissive_strength`,
//!   `alphaMode` (`MASK` with `alphaCutoff`, default 0.5), and `KHR_texture_transform`
//!   (offset, rotation, scale) of the base-colour texture (or, if it has none, of the emissive
//!   texture) as [`Material::uv_transform`]. The renderer samples every texture of a material
//!   with the same UV set and transform, so the set is the base-colour texture's `texCoord`.
//!   Metallic/roughness become the renderer's Blinn-Phong specular and shininess (see
//!   [`blinn_phong`]). `doubleSided` needs nothing: the renderer does not cull. Occlusion,
//!   metallic-roughness textures, vertex colours and other material extensions are ignored.
//! - Samplers are ignored: the renderer samples everything with one repeat/linear/mipmapped
//!   sampler, so `CLAMP_TO_EDGE`, `MIRRORED_REPEAT` and nearest filtering look different.
//! - PNG and JPEG images at any bit depth and channel count, converted to RGBA8.
//! - `KHR_lights_punctual`: the first directional light in the drawn hierarchy lights the
//!   scene (see [`directional_lighting`]); point and spot lights are ignored. A file that lists
//!   it in `extensionsRequired` loads.
//!
//! Not supported, and a clear error when listed in `extensionsRequired`: extensions that change
//! how geometry is stored or placed (`KHR_draco_mesh_compression`, `EXT_meshopt_compression`,
//! `KHR_mesh_quantization`, `EXT_mesh_gpu_instancing`) and texture formats other than PNG and
//! JPEG (`KHR_texture_basisu`, `EXT_texture_webp`, …). Other required extensions the loader
//! does not know (material models such as `KHR_materials_clearcoat`) only change shading:
//! the file loads with a warning and is drawn without them.
//!
//! The scene gets an automatic fly-through of its bounds ([`CameraPath::fly_through`], 2 s,
//! 120 frames); cameras and animations in the file are ignored.

use std::collections::HashMap;
use std::path::Path;

use glam::{Affine2, Mat2, Mat3, Mat4, Vec2, Vec3, Vec4};
use gltf::accessor::{DataType, Dimensions};
use gltf::mesh::Mode;

use crate::{AlphaMode, CameraPath, Lighting, Material, Mesh, Object, Scene, SceneError, TextureImage, Vertex};

/// Required extensions that change how geometry is stored or placed: without them the file
/// cannot be drawn correctly, so it is rejected (with what the extension does).
const UNSUPPORTED_GEOMETRY: &[(&str, &str)] = &[
    ("KHR_draco_mesh_compression", "Draco-compressed geometry"),
    ("EXT_meshopt_compression", "meshoptimizer-compressed buffers"),
    ("KHR_mesh_quantization", "quantized vertex attributes"),
    ("EXT_mesh_gpu_instancing", "GPU-instanced nodes"),
];

/// Required extensions for texture formats the loader does not decode (only PNG and JPEG).
const UNSUPPORTED_TEXTURES: &[(&str, &str)] = &[
    ("KHR_texture_basisu", "KTX2/Basis Universal textures"),
    ("EXT_texture_webp", "WebP textures"),
    ("EXT_texture_avif", "AVIF textures"),
    ("MSFT_texture_dds", "DDS textures"),
];

/// Seconds of the automatic fly-through.
const FLY_THROUGH_SECONDS: f32 = 2.0;

/// Frames rendered by default (60 fps over the fly-through).
const DEFAULT_FRAMES: u32 = 120;

/// Loads a glTF 2.0 file (`.gltf` or `.glb`) as a [`Scene`] with an automatic fly-through
/// camera of its bounding box. See the module documentation for what is supported.
///
/// Errors are [`SceneError::Gltf`] naming the file and what failed: unreadable file, a
/// truncated GLB, malformed JSON, an invalid document, a missing buffer or image, a required
/// extension that changes geometry, out-of-range indices, or nothing drawable.
pub fn load_gltf(path: &Path) -> Result<Scene, SceneError> {
    load(path).map_err(|message| SceneError::Gltf { file: path.display().to_string(), message })
}

/// Loader result: the message of a [`SceneError::Gltf`] (the caller adds the file).
type Res<T> = Result<T, String>;

fn load(path: &Path) -> Res<Scene> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let is_glb_name = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("glb"));
    let (json, bin) = if bytes.starts_with(b"glTF") {
        let (json, bin) = split_glb(&bytes)?;
        (json, bin.map(<[u8]>::to_vec))
    } else if is_glb_name {
        return Err(format!(
            "not a binary glTF file: it does not start with the magic bytes \"glTF\" ({} bytes)",
            bytes.len()
        ));
    } else {
        (&bytes[..], None)
    };
    let mut value: serde_json::Value = serde_json::from_slice(json).map_err(|e| format!("malformed JSON: {e}"))?;
    check_document_header(&mut value)?;
    let root: gltf::json::Root =
        serde_json::from_value(value).map_err(|e| format!("not a valid glTF 2.0 document: {e}"))?;
    let document = gltf::Document::from_json(root).map_err(|e| format!("not a valid glTF 2.0 document: {e}"))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let buffers = load_buffers(&document, base, bin)?;

    let name = path.file_stem().map_or_else(|| "gltf".to_string(), |s| s.to_string_lossy().into_owned());
    let mut builder = Builder {
        document: &document,
        base,
        buffers,
        world: node_world_transforms(&document)?,
        scene: Scene::new(&name, "", CameraPath::fly_through(Vec3::ZERO, Vec3::ONE, FLY_THROUGH_SECONDS)),
        textures: HashMap::new(),
        materials: HashMap::new(),
        meshes: HashMap::new(),
        light: None,
    };
    builder.draw_hierarchy()?;
    builder.finish(&name)
}

/// Splits a GLB file into its JSON chunk and optional BIN chunk, checking the header.
fn split_glb(bytes: &[u8]) -> Res<(&[u8], Option<&[u8]>)> {
    const JSON: u32 = 0x4E4F_534A;
    const BIN: u32 = 0x004E_4942;
    let u32_at =
        |at: usize| -> Option<u32> { bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])) };
    let (Some(version), Some(length)) = (u32_at(4), u32_at(8)) else {
        return Err(format!("truncated GLB: {} bytes, shorter than the 12-byte header", bytes.len()));
    };
    if version != 2 {
        return Err(format!("GLB container version {version} is not supported (only 2)"));
    }
    let length = length as usize;
    if length > bytes.len() {
        return Err(format!("truncated GLB: the header says {length} bytes, the file has {}", bytes.len()));
    }
    let bytes = &bytes[..length];
    let chunk = |at: usize| -> Res<Option<(u32, &[u8])>> {
        if at >= bytes.len() {
            return Ok(None);
        }
        let (Some(len), Some(kind)) = (u32_at(at), u32_at(at + 4)) else {
            return Err(format!("truncated GLB: chunk header at byte {at} is cut off"));
        };
        let start = at + 8;
        let end = start.checked_add(len as usize).filter(|&e| e <= bytes.len()).ok_or_else(|| {
            format!("truncated GLB: the chunk at byte {at} says {len} bytes, only {} remain", bytes.len() - start)
        })?;
        Ok(Some((kind, &bytes[start..end])))
    };
    let json = match chunk(12)? {
        Some((JSON, json)) => json,
        Some((kind, _)) => {
            return Err(format!("GLB: the first chunk has type {kind:#010x}, expected JSON"));
        }
        None => return Err("GLB: no JSON chunk".into()),
    };
    // Chunks are padded to 4 bytes and their length includes the padding.
    let bin = match chunk(20 + json.len())? {
        Some((BIN, bin)) => Some(bin),
        _ => None,
    };
    Ok((json, bin))
}

/// Checks the glTF version and `extensionsRequired` before the `gltf` crate sees the document:
/// extensions that change geometry or texture formats are errors; other unknown required
/// extensions only change shading, so they are dropped from the list with a warning (the
/// `gltf` crate would otherwise reject the file).
fn check_document_header(value: &mut serde_json::Value) -> Res<()> {
    let Some(root) = value.as_object_mut() else {
        return Err("not a glTF document: the JSON is not an object".into());
    };
    if let Some(version) = root.get("asset").and_then(|a| a.get("version")).and_then(|v| v.as_str())
        && version.split('.').next() != Some("2")
    {
        return Err(format!("glTF version {version} is not supported (only 2.x)"));
    }
    let Some(required) = root.get_mut("extensionsRequired").and_then(|r| r.as_array_mut()) else {
        return Ok(());
    };
    for ext in required.iter().filter_map(|e| e.as_str()) {
        if let Some((_, what)) = UNSUPPORTED_GEOMETRY.iter().find(|(name, _)| *name == ext) {
            return Err(format!(
                "the file requires extension {ext} ({what}), which quantsr does not support; \
                 re-export it without that extension"
            ));
        }
        if let Some((_, what)) = UNSUPPORTED_TEXTURES.iter().find(|(name, _)| *name == ext) {
            return Err(format!(
                "the file requires extension {ext} ({what}); quantsr decodes only PNG and JPEG \
                 textures, re-export it with those"
            ));
        }
    }
    required.retain(|e| match e.as_str() {
        Some(ext) if !gltf::json::extensions::ENABLED_EXTENSIONS.contains(&ext) => {
            log::warn!("glTF requires extension {ext}, which quantsr ignores: drawing without it");
            false
        }
        _ => true,
    });
    Ok(())
}

/// Reads every buffer (GLB binary chunk, data URI or external file) and checks that the
/// buffer views fit in them.
fn load_buffers(document: &gltf::Document, base: &Path, mut bin: Option<Vec<u8>>) -> Res<Vec<gltf::buffer::Data>> {
    let mut buffers = Vec::new();
    for buffer in document.buffers() {
        let what = match buffer.source() {
            gltf::buffer::Source::Bin => "the GLB binary chunk".to_string(),
            gltf::buffer::Source::Uri(uri) => describe_uri(base, uri),
        };
        let data = gltf::buffer::Data::from_source_and_blob(buffer.source(), Some(base), &mut bin)
            .map_err(|e| format!("buffer {} ({what}): {e}", buffer.index()))?;
        if data.len() < buffer.length() {
            return Err(format!(
                "buffer {} ({what}) has {} bytes, the file says {}",
                buffer.index(),
                data.len(),
                buffer.length()
            ));
        }
        buffers.push(data);
    }
    for view in document.views() {
        let available = buffers[view.buffer().index()].len();
        if view.offset().checked_add(view.length()).is_none_or(|end| end > available) {
            return Err(format!(
                "bufferView {} (bytes {}..+{}) lies outside buffer {}, which has {available} bytes",
                view.index(),
                view.offset(),
                view.length(),
                view.buffer().index()
            ));
        }
    }
    Ok(buffers)
}

/// A URI for messages: the resolved path of a file, or a note for an embedded data URI.
fn describe_uri(base: &Path, uri: &str) -> String {
    if uri.starts_with("data:") {
        "embedded data URI".into()
    } else {
        base.join(percent_decode(uri)).display().to_string()
    }
}

/// Decodes `%XX` escapes of a relative URI into a file path (glTF URIs are URI-encoded).
fn percent_decode(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// World transform of every node (also of nodes outside the drawn scene, which joints may be).
fn node_world_transforms(document: &gltf::Document) -> Res<Vec<Mat4>> {
    let count = document.nodes().len();
    let mut parent = vec![None; count];
    for node in document.nodes() {
        for child in node.children() {
            if parent[child.index()].is_some() {
                log::warn!("glTF node {} has several parents; using the first", child.index());
            } else {
                parent[child.index()] = Some(node.index());
            }
        }
    }
    let local: Vec<Mat4> = document.nodes().map(|n| Mat4::from_cols_array_2d(&n.transform().matrix())).collect();
    (0..count)
        .map(|n| {
            let mut world = local[n];
            let mut at = n;
            for _ in 0..count {
                match parent[at] {
                    Some(p) => {
                        world = local[p] * world;
                        at = p;
                    }
                    None => return Ok(world),
                }
            }
            Err(format!("the node hierarchy has a cycle through node {n}"))
        })
        .collect()
}

/// Converts a punctual light's colour and intensity (lux for directional lights) to the
/// renderer's light colour: intensity 1 (the glTF default) gives the built-in scenes' sun
/// brightness, intensities above 20 are taken as photometric lux and divided by 683 lm/W (as
/// exporters that convert watts write them), and the result is capped at 20× the sun.
pub(crate) fn directional_lighting(direction: Vec3, color: [f32; 3], intensity: f32) -> Lighting {
    let sun = Lighting::default();
    let intensity = if intensity > 20.0 { intensity / 683.0 } else { intensity };
    Lighting {
        direction: direction.normalize(),
        color: Vec3::from(color) * intensity.clamp(0.0, 20.0) * sun.color.x,
        ..sun
    }
}

/// Maps glTF metallic/roughness to the renderer's Blinn-Phong `(specular, shininess)`: the
/// exponent matches the GGX lobe width (`2/α² − 2` with `α = roughness²`), the highlight is
/// dielectric (0.04) for non-metals, stronger for metals, and fades with roughness.
pub(crate) fn blinn_phong(metallic: f32, roughness: f32) -> (f32, f32) {
    let (metallic, roughness) = (metallic.clamp(0.0, 1.0), roughness.clamp(0.0, 1.0));
    let alpha2 = roughness.powi(4).max(1e-4);
    let shininess = (2.0 / alpha2 - 2.0).clamp(2.0, 1024.0);
    let specular = (0.04 + 0.46 * metallic) * (1.0 - 0.75 * roughness);
    (specular, shininess)
}

/// `KHR_texture_transform` as an affine UV map: `T × R × S` with the rotation
/// counter-clockwise in UV space, as the extension defines it.
pub(crate) fn texture_transform(offset: [f32; 2], rotation: f32, scale: [f32; 2]) -> Affine2 {
    let (s, c) = rotation.sin_cos();
    // Rows (c, s) and (−s, c) of the spec's rotation matrix, as glam columns.
    let rotate = Mat2::from_cols(Vec2::new(c, -s), Vec2::new(s, c));
    Affine2::from_mat2_translation(rotate * Mat2::from_diagonal(Vec2::from(scale)), Vec2::from(offset))
}

/// One `JOINTS_n`/`WEIGHTS_n` pair: four joint indices and weights per vertex.
type Influences = (Vec<[u16; 4]>, Vec<[f32; 4]>);

/// Vertex data of one primitive, read and triangulated, before it becomes a [`Mesh`].
struct Geometry {
    positions: Vec<Vec3>,
    normals: Option<Vec<Vec3>>,
    tangents: Option<Vec<Vec4>>,
    uvs: Vec<Vec2>,
    /// Per influence set (`JOINTS_n`/`WEIGHTS_n`): joint indices and weights per vertex.
    influences: Vec<Influences>,
    indices: Vec<u32>,
}

/// What a glTF material became.
#[derive(Clone, Copy)]
struct MaterialSlot {
    /// Index in [`Scene::materials`].
    index: usize,
    /// The `TEXCOORD` set its textures use.
    uv_set: u32,
}

/// Cache key of a converted primitive: mesh, primitive, morph weights (as bits).
type PrimitiveKey = (usize, usize, Vec<u32>);

struct Builder<'a> {
    document: &'a gltf::Document,
    base: &'a Path,
    buffers: Vec<gltf::buffer::Data>,
    /// World transform of each node.
    world: Vec<Mat4>,
    scene: Scene,
    /// (image, sRGB) → index in `scene.textures`.
    textures: HashMap<(usize, bool), usize>,
    /// glTF material (None: the default material) → converted material.
    materials: HashMap<Option<usize>, MaterialSlot>,
    /// Converted unskinned primitives (None: skipped).
    meshes: HashMap<PrimitiveKey, Option<usize>>,
    light: Option<Lighting>,
}

impl Builder<'_> {
    /// Draws the default scene's nodes (all root nodes without a default scene) and their
    /// descendants, and takes the first directional light.
    fn draw_hierarchy(&mut self) -> Res<()> {
        let document = self.document;
        let roots: Vec<gltf::Node<'_>> = match document.default_scene() {
            Some(scene) => scene.nodes().collect(),
            None => {
                let mut is_child = vec![false; document.nodes().len()];
                document.nodes().flat_map(|n| n.children()).for_each(|c| is_child[c.index()] = true);
                document.nodes().filter(|n| !is_child[n.index()]).collect()
            }
        };
        let mut visited = vec![false; document.nodes().len()];
        let mut stack: Vec<gltf::Node<'_>> = roots.into_iter().rev().collect();
        while let Some(node) = stack.pop() {
            if std::mem::replace(&mut visited[node.index()], true) {
                log::warn!("glTF node {} is reached twice; drawing it once", node.index());
                continue;
            }
            if let Some(mesh) = node.mesh() {
                self.draw_node(&node, &mesh)?;
            }
            if let Some(light) = node.light() {
                self.take_light(&node, &light);
            }
            stack.extend(node.children().collect::<Vec<_>>().into_iter().rev());
        }
        Ok(())
    }

    fn take_light(&mut self, node: &gltf::Node<'_>, light: &gltf::khr_lights_punctual::Light<'_>) {
        if !matches!(light.kind(), gltf::khr_lights_punctual::Kind::Directional) {
            log::info!("glTF: point and spot lights are ignored (light {})", light.index());
            return;
        }
        if self.light.is_some() {
            log::info!("glTF: only the first directional light is used (ignoring light {})", light.index());
            return;
        }
        // A directional light shines along its node's −Z: the direction towards it is +Z.
        let towards = self.world[node.index()].transform_vector3(Vec3::Z);
        if towards.length_squared() > 0.0 && towards.is_finite() {
            self.light = Some(directional_lighting(towards, light.color(), light.intensity()));
        }
    }

    fn draw_node(&mut self, node: &gltf::Node<'_>, mesh: &gltf::Mesh<'_>) -> Res<()> {
        let weights: Vec<f32> = node.weights().or(mesh.weights()).unwrap_or(&[]).to_vec();
        let joints = node.skin().map(|skin| self.joint_matrices(&skin)).transpose()?;
        let world = self.world[node.index()];
        for primitive in mesh.primitives() {
            let material = self.material(&primitive.material())?;
            let label = format!("mesh {} primitive {}", mesh.index(), primitive.index());
            let normal_mapped = self.scene.materials[material.index].normal_texture.is_some();
            match &joints {
                None => {
                    let key = (mesh.index(), primitive.index(), weights.iter().map(|w| w.to_bits()).collect());
                    let index = match self.meshes.get(&key) {
                        Some(&index) => index,
                        None => {
                            let index = self
                                .read_geometry(&primitive, &weights, material.uv_set, &label)?
                                .map(|g| build_mesh(g, None, normal_mapped, &label))
                                .transpose()?
                                .map(|m| self.scene.add_mesh(m));
                            self.meshes.insert(key, index);
                            index
                        }
                    };
                    if let Some(index) = index {
                        self.scene.add(Object::fixed(index, material.index, world));
                    }
                }
                Some(joints) => {
                    // Skinned: the joints place the vertices in world space.
                    if let Some(g) = self.read_geometry(&primitive, &weights, material.uv_set, &label)? {
                        let mesh = build_mesh(g, Some(joints), normal_mapped, &label)?;
                        let index = self.scene.add_mesh(mesh);
                        self.scene.add(Object::fixed(index, material.index, Mat4::IDENTITY));
                    }
                }
            }
        }
        Ok(())
    }

    /// `jointWorld × inverseBindMatrix` for each joint of a skin.
    fn joint_matrices(&self, skin: &gltf::Skin<'_>) -> Res<Vec<Mat4>> {
        let joints: Vec<usize> = skin.joints().map(|j| j.index()).collect();
        let inverse_bind = match skin.inverse_bind_matrices() {
            Some(accessor) => {
                let what = format!("skin {} inverseBindMatrices", skin.index());
                expect_type(&accessor, &[DataType::F32], Dimensions::Mat4, &what)?;
                let m: Vec<[[f32; 4]; 4]> = self.read(&accessor, &what)?;
                if m.len() < joints.len() {
                    return Err(format!("{what} has {} matrices for {} joints", m.len(), joints.len()));
                }
                m.iter().map(Mat4::from_cols_array_2d).collect()
            }
            None => vec![Mat4::IDENTITY; joints.len()],
        };
        Ok(joints.iter().zip(inverse_bind).map(|(&j, ibm)| self.world[j] * ibm).collect())
    }

    fn material(&mut self, m: &gltf::Material<'_>) -> Res<MaterialSlot> {
        if let Some(&slot) = self.materials.get(&m.index()) {
            return Ok(slot);
        }
        let pbr = m.pbr_metallic_roughness();
        let base_info = pbr.base_color_texture();
        let emissive_info = m.emissive_texture();
        let normal = m.normal_texture();
        let uv_set = base_info
            .as_ref()
            .map(|i| i.texture_transform().and_then(|t| t.tex_coord()).unwrap_or(i.tex_coord()))
            .or_else(|| emissive_info.as_ref().map(|i| i.tex_coord()))
            .or_else(|| normal.as_ref().map(|n| n.tex_coord()))
            .unwrap_or(0);
        let uv_transform = base_info
            .as_ref()
            .or(emissive_info.as_ref())
            .and_then(|i| i.texture_transform())
            .map_or(Affine2::IDENTITY, |t| texture_transform(t.offset(), t.rotation(), t.scale()));
        let base_color_texture = base_info.map(|i| self.texture(&i.texture(), true)).transpose()?;
        let emissive_texture = emissive_info.map(|i| self.texture(&i.texture(), true)).transpose()?;
        let normal_texture = normal.as_ref().map(|n| self.texture(&n.texture(), false)).transpose()?;
        let (specular, shininess) = blinn_phong(pbr.metallic_factor(), pbr.roughness_factor());
        let material = Material {
            base_color: Vec4::from(pbr.base_color_factor()),
            base_color_texture,
            normal_texture,
            normal_scale: normal.as_ref().map_or(1.0, |n| n.scale()),
            emissive: Vec3::from(m.emissive_factor()) * m.emissive_strength().unwrap_or(1.0),
            emissive_texture,
            alpha_mode: match m.alpha_mode() {
                gltf::material::AlphaMode::Opaque => AlphaMode::Opaque,
                gltf::material::AlphaMode::Mask => AlphaMode::Mask(m.alpha_cutoff().unwrap_or(0.5)),
                gltf::material::AlphaMode::Blend => AlphaMode::Blend,
            },
            uv_transform,
            specular,
            shininess,
            ..Material::default()
        };
        let slot = MaterialSlot { index: self.scene.add_material(material), uv_set };
        self.materials.insert(m.index(), slot);
        Ok(slot)
    }

    /// Decodes a texture's image (once per image and colour space) into the scene.
    fn texture(&mut self, texture: &gltf::Texture<'_>, srgb: bool) -> Res<usize> {
        let image = texture.source();
        if let Some(&index) = self.textures.get(&(image.index(), srgb)) {
            return Ok(index);
        }
        let fail = |e: &dyn std::fmt::Display, what: &str| format!("image {} ({what}): {e}", image.index());
        // Images in buffer views and files are decoded by content, so a PNG labelled
        // `image/jpeg` (or named `.jpg`) still loads; data URIs go through the gltf crate.
        let decoded = match image.source() {
            gltf::image::Source::View { view, mime_type } => {
                let what = format!("bufferView {}, {mime_type}", view.index());
                let bytes = &self.buffers[view.buffer().index()][view.offset()..view.offset() + view.length()];
                TextureImage::decode(bytes, srgb).map_err(|e| fail(&e, &what))?
            }
            gltf::image::Source::Uri { uri, .. } if !uri.contains(':') => {
                let path = self.base.join(percent_decode(uri));
                let what = path.display().to_string();
                let bytes = std::fs::read(&path).map_err(|e| fail(&e, &what))?;
                TextureImage::decode(&bytes, srgb).map_err(|e| fail(&e, &what))?
            }
            gltf::image::Source::Uri { uri, .. } => {
                // Data URIs: the gltf crate decodes them.
                let what = describe_uri(self.base, uri);
                let data = gltf::image::Data::from_source(image.source(), Some(self.base), &self.buffers)
                    .map_err(|e| fail(&e, &what))?;
                TextureImage::new(data.width, data.height, to_rgba8(&data), srgb)
            }
        };
        let index = self.scene.add_texture(decoded);
        self.textures.insert((image.index(), srgb), index);
        Ok(index)
    }

    /// Reads an accessor after checking that it lies inside its buffer view (the `gltf`
    /// crate's reader panics or truncates on malformed accessors).
    fn read<T: gltf::accessor::Item + Copy>(&self, accessor: &gltf::Accessor<'_>, what: &str) -> Res<Vec<T>> {
        let size = size_of::<T>();
        let count = accessor.count();
        if count == 0 {
            return Err(format!("{what}: accessor {} has count 0", accessor.index()));
        }
        let fits = |view: &gltf::buffer::View<'_>, offset: usize, n: usize, label: &str| -> Res<()> {
            let stride = view.stride().unwrap_or(size);
            let end = stride.checked_mul(n - 1).and_then(|s| s.checked_add(offset)).and_then(|s| s.checked_add(size));
            if stride < size || end.is_none_or(|e| e > view.length()) {
                return Err(format!(
                    "{what}: accessor {} ({label}) does not fit in bufferView {} ({n} elements of {size} bytes, \
                     stride {stride}, offset {offset}, view length {})",
                    accessor.index(),
                    view.index(),
                    view.length()
                ));
            }
            Ok(())
        };
        if let Some(view) = accessor.view() {
            fits(&view, accessor.offset(), count, "data")?;
        }
        if let Some(sparse) = accessor.sparse() {
            let n = sparse.count();
            if n == 0 || n > count {
                return Err(format!(
                    "{what}: accessor {} has {n} sparse values for {count} elements",
                    accessor.index()
                ));
            }
            let index_size = sparse.indices().index_type().size();
            let view = sparse.indices().view();
            let stride = view.stride().unwrap_or(index_size);
            let end = stride.checked_mul(n - 1).and_then(|s| s.checked_add(sparse.indices().offset() + index_size));
            if end.is_none_or(|e| e > view.length()) {
                return Err(format!("{what}: accessor {} sparse indices do not fit in their view", accessor.index()));
            }
            fits(&sparse.values().view(), sparse.values().offset(), n, "sparse values")?;
        } else if accessor.view().is_none() {
            // No data: the accessor reads as zeros.
            return Ok(vec![T::zero(); count]);
        }
        let buffers = &self.buffers;
        let values: Vec<T> =
            gltf::accessor::Iter::new(accessor.clone(), |b: gltf::Buffer<'_>| buffers.get(b.index()).map(|d| &d[..]))
                .ok_or_else(|| format!("{what}: accessor {} cannot be read", accessor.index()))?
                .collect();
        if values.len() != count {
            return Err(format!("{what}: accessor {} gave {} of {count} elements", accessor.index(), values.len()));
        }
        Ok(values)
    }

    fn read_vec3(&self, accessor: &gltf::Accessor<'_>, what: &str) -> Res<Vec<Vec3>> {
        expect_type(accessor, &[DataType::F32], Dimensions::Vec3, what)?;
        Ok(self.read::<[f32; 3]>(accessor, what)?.into_iter().map(Vec3::from).collect())
    }

    /// Reads a normalized-or-float attribute (UVs, weights) as floats.
    fn read_unorm<const N: usize>(
        &self,
        accessor: &gltf::Accessor<'_>,
        dims: Dimensions,
        what: &str,
    ) -> Res<Vec<[f32; N]>>
    where
        [f32; N]: gltf::accessor::Item,
        [u8; N]: gltf::accessor::Item,
        [u16; N]: gltf::accessor::Item,
    {
        expect_type(accessor, &[DataType::F32, DataType::U8, DataType::U16], dims, what)?;
        Ok(match accessor.data_type() {
            DataType::U8 => {
                self.read::<[u8; N]>(accessor, what)?.into_iter().map(|v| v.map(|x| f32::from(x) / 255.0)).collect()
            }
            DataType::U16 => {
                self.read::<[u16; N]>(accessor, what)?.into_iter().map(|v| v.map(|x| f32::from(x) / 65535.0)).collect()
            }
            _ => self.read::<[f32; N]>(accessor, what)?,
        })
    }

    /// Reads, morphs and triangulates a primitive; `None` when it is not drawn as triangles.
    fn read_geometry(
        &self,
        primitive: &gltf::Primitive<'_>,
        morph_weights: &[f32],
        uv_set: u32,
        label: &str,
    ) -> Res<Option<Geometry>> {
        use gltf::Semantic;
        let mode = primitive.mode();
        if !matches!(mode, Mode::Triangles | Mode::TriangleStrip | Mode::TriangleFan) {
            log::warn!("glTF {label}: mode {mode:?} is not drawn (only triangles)");
            return Ok(None);
        }
        let Some(pos_accessor) = primitive.get(&Semantic::Positions) else {
            log::warn!("glTF {label}: no POSITION attribute, not drawn");
            return Ok(None);
        };
        let mut positions = self.read_vec3(&pos_accessor, &format!("{label} POSITION"))?;
        let n = positions.len();
        let same_count = |len: usize, what: &str| -> Res<()> {
            if len != n {
                return Err(format!("{label}: {what} has {len} elements, POSITION has {n}"));
            }
            Ok(())
        };
        let mut normals = match primitive.get(&Semantic::Normals) {
            Some(a) => Some(self.read_vec3(&a, &format!("{label} NORMAL"))?),
            None => None,
        };
        let mut tangents = match primitive.get(&Semantic::Tangents) {
            Some(a) if normals.is_some() => {
                let what = format!("{label} TANGENT");
                expect_type(&a, &[DataType::F32], Dimensions::Vec4, &what)?;
                Some(self.read::<[f32; 4]>(&a, &what)?.into_iter().map(Vec4::from).collect::<Vec<_>>())
            }
            _ => None,
        };
        let uv_accessor =
            primitive.get(&Semantic::TexCoords(uv_set)).or_else(|| primitive.get(&Semantic::TexCoords(0)));
        let uvs = match uv_accessor {
            Some(a) => self
                .read_unorm::<2>(&a, Dimensions::Vec2, &format!("{label} TEXCOORD"))?
                .into_iter()
                .map(Vec2::from)
                .collect(),
            None => vec![Vec2::ZERO; n],
        };
        same_count(normals.as_ref().map_or(n, Vec::len), "NORMAL")?;
        same_count(tangents.as_ref().map_or(n, Vec::len), "TANGENT")?;
        same_count(uvs.len(), "TEXCOORD")?;

        for (t, target) in primitive.morph_targets().enumerate() {
            let w = morph_weights.get(t).copied().unwrap_or(0.0);
            if w == 0.0 {
                continue;
            }
            if let Some(a) = target.positions() {
                let d = self.read_vec3(&a, &format!("{label} morph target {t} POSITION"))?;
                same_count(d.len(), "a morph target")?;
                positions.iter_mut().zip(d).for_each(|(p, d)| *p += w * d);
            }
            if let (Some(a), Some(normals)) = (target.normals(), normals.as_mut()) {
                let d = self.read_vec3(&a, &format!("{label} morph target {t} NORMAL"))?;
                same_count(d.len(), "a morph target")?;
                normals.iter_mut().zip(d).for_each(|(v, d)| *v += w * d);
            }
            if let (Some(a), Some(tangents)) = (target.tangents(), tangents.as_mut()) {
                let d = self.read_vec3(&a, &format!("{label} morph target {t} TANGENT"))?;
                same_count(d.len(), "a morph target")?;
                tangents.iter_mut().zip(d).for_each(|(v, d)| *v += (w * d).extend(0.0));
            }
        }

        let mut influences = Vec::new();
        for set in 0.. {
            let (Some(j), Some(w)) = (primitive.get(&Semantic::Joints(set)), primitive.get(&Semantic::Weights(set)))
            else {
                break;
            };
            let what = format!("{label} JOINTS_{set}");
            expect_type(&j, &[DataType::U8, DataType::U16], Dimensions::Vec4, &what)?;
            let joints: Vec<[u16; 4]> = match j.data_type() {
                DataType::U8 => self.read::<[u8; 4]>(&j, &what)?.into_iter().map(|v| v.map(u16::from)).collect(),
                _ => self.read::<[u16; 4]>(&j, &what)?,
            };
            let weights = self.read_unorm::<4>(&w, Dimensions::Vec4, &format!("{label} WEIGHTS_{set}"))?;
            same_count(joints.len(), "JOINTS")?;
            same_count(weights.len(), "WEIGHTS")?;
            influences.push((joints, weights));
        }

        let indices: Vec<u32> = match primitive.indices() {
            Some(a) => {
                let what = format!("{label} indices");
                expect_type(&a, &[DataType::U8, DataType::U16, DataType::U32], Dimensions::Scalar, &what)?;
                match a.data_type() {
                    DataType::U8 => self.read::<u8>(&a, &what)?.into_iter().map(u32::from).collect(),
                    DataType::U16 => self.read::<u16>(&a, &what)?.into_iter().map(u32::from).collect(),
                    _ => self.read::<u32>(&a, &what)?,
                }
            }
            None => (0..n as u32).collect(),
        };
        if let Some((i, &bad)) = indices.iter().enumerate().find(|&(_, &v)| v as usize >= n) {
            return Err(format!("{label}: index {i} is {bad}, but there are only {n} vertices"));
        }
        if let Some(i) = positions.iter().position(|p| !p.is_finite()) {
            return Err(format!("{label}: vertex {i} has a non-finite position {}", positions[i]));
        }
        let indices = triangulate(mode, &indices, label);
        Ok(Some(Geometry { positions, normals, tangents, uvs, influences, indices }))
    }
}

/// Checks an accessor's component type and dimensions before reading it.
fn expect_type(accessor: &gltf::Accessor<'_>, types: &[DataType], dims: Dimensions, what: &str) -> Res<()> {
    if accessor.dimensions() != dims || !types.contains(&accessor.data_type()) {
        return Err(format!(
            "{what}: accessor {} is {:?} {:?}, expected {dims:?} of {types:?}",
            accessor.index(),
            accessor.dimensions(),
            accessor.data_type()
        ));
    }
    Ok(())
}

/// Index list of a triangle list, strip or fan (counter-clockwise as glTF orders them).
fn triangulate(mode: Mode, indices: &[u32], label: &str) -> Vec<u32> {
    match mode {
        Mode::TriangleStrip => (0..indices.len().saturating_sub(2))
            .flat_map(|i| {
                if i % 2 == 0 {
                    [indices[i], indices[i + 1], indices[i + 2]]
                } else {
                    [indices[i + 1], indices[i], indices[i + 2]]
                }
            })
            .collect(),
        Mode::TriangleFan => {
            (1..indices.len().saturating_sub(1)).flat_map(|i| [indices[i], indices[i + 1], indices[0]]).collect()
        }
        _ => {
            if !indices.len().is_multiple_of(3) {
                log::warn!("glTF {label}: {} indices is not a multiple of 3; dropping the rest", indices.len());
            }
            indices[..indices.len() / 3 * 3].to_vec()
        }
    }
}

/// Builds the renderer's mesh: skins (when `joints` is given), computes missing normals and
/// tangents.
fn build_mesh(g: Geometry, joints: Option<&[Mat4]>, normal_mapped: bool, label: &str) -> Res<Mesh> {
    let Geometry { mut positions, mut normals, mut tangents, uvs, influences, mut indices } = g;
    if let Some(joints) = joints {
        for v in 0..positions.len() {
            let mut m = Mat4::ZERO;
            let mut total = 0.0;
            for (js, ws) in &influences {
                for k in 0..4 {
                    let w = ws[v][k];
                    if w == 0.0 {
                        continue;
                    }
                    let joint = js[v][k] as usize;
                    let matrix = joints.get(joint).ok_or_else(|| {
                        format!("{label}: vertex {v} uses joint {joint}, but the skin has {} joints", joints.len())
                    })?;
                    m += *matrix * w;
                    total += w;
                }
            }
            // All-zero weights: the vertex keeps its mesh-space position.
            if total <= 0.0 || !total.is_finite() {
                continue;
            }
            let m = m * (1.0 / total);
            positions[v] = m.transform_point3(positions[v]);
            let linear = Mat3::from_mat4(m);
            if let Some(n) = normals.as_mut() {
                n[v] = linear.inverse().transpose() * n[v];
            }
            if let Some(t) = tangents.as_mut() {
                t[v] = (linear * t[v].truncate()).extend(t[v].w);
            }
        }
        if let Some(i) = positions.iter().position(|p| !p.is_finite()) {
            return Err(format!("{label}: skinning moved vertex {i} to a non-finite position"));
        }
    }

    let mut uvs = uvs;
    if normals.is_none() {
        // Flat normals: one vertex per corner, normal of its triangle.
        positions = indices.iter().map(|&i| positions[i as usize]).collect();
        uvs = indices.iter().map(|&i| uvs[i as usize]).collect();
        tangents = None;
        let flat = positions
            .chunks_exact(3)
            .flat_map(|p| [(p[1] - p[0]).cross(p[2] - p[0]).normalize_or(Vec3::Z); 3])
            .collect();
        normals = Some(flat);
        indices = (0..positions.len() as u32).collect();
    }
    let mut normals = normals.unwrap_or_default();
    if normals.iter().any(|n| !n.is_finite() || n.length_squared() < 1e-12) {
        // Broken normals in the file: use area-weighted smooth normals for those vertices.
        let mut smooth = vec![Vec3::ZERO; positions.len()];
        for t in indices.chunks_exact(3) {
            let [a, b, c] = [t[0] as usize, t[1] as usize, t[2] as usize];
            let n = (positions[b] - positions[a]).cross(positions[c] - positions[a]);
            for i in [a, b, c] {
                smooth[i] += n;
            }
        }
        for (n, s) in normals.iter_mut().zip(smooth) {
            if !n.is_finite() || n.length_squared() < 1e-12 {
                *n = s.normalize_or(Vec3::Z);
            }
        }
    }

    let vertices = (0..positions.len())
        .map(|i| {
            let n = normals[i].normalize_or(Vec3::Z);
            let tangent = match tangents.as_ref().map(|t| t[i]) {
                Some(t) if t.truncate().length_squared() > 1e-12 && t.is_finite() => {
                    let w = if t.w < 0.0 { -1.0 } else { 1.0 };
                    t.truncate().normalize().extend(w)
                }
                _ => n.any_orthonormal_vector().extend(1.0),
            };
            Vertex {
                position: positions[i].to_array(),
                normal: n.to_array(),
                tangent: tangent.to_array(),
                uv: uvs[i].to_array(),
            }
        })
        .collect();
    let mut mesh = Mesh { vertices, indices };
    if tangents.is_none() && normal_mapped {
        mesh.compute_tangents();
    }
    Ok(mesh)
}

/// Converts decoded image pixels of any format the decoder returns to RGBA8.
fn to_rgba8(data: &gltf::image::Data) -> Vec<u8> {
    use gltf::image::Format;
    let px = &data.pixels;
    let (channels, values): (usize, Vec<u8>) = match data.format {
        Format::R8 | Format::R8G8 | Format::R8G8B8 | Format::R8G8B8A8 => {
            let channels = match data.format {
                Format::R8 => 1,
                Format::R8G8 => 2,
                Format::R8G8B8 => 3,
                _ => 4,
            };
            (channels, px.clone())
        }
        Format::R16 | Format::R16G16 | Format::R16G16B16 | Format::R16G16B16A16 => {
            let channels = match data.format {
                Format::R16 => 1,
                Format::R16G16 => 2,
                Format::R16G16B16 => 3,
                _ => 4,
            };
            let values = px
                .chunks_exact(2)
                .map(|b| ((u32::from(u16::from_ne_bytes([b[0], b[1]])) * 255 + 32767) / 65535) as u8)
                .collect();
            (channels, values)
        }
        Format::R32G32B32FLOAT | Format::R32G32B32A32FLOAT => {
            let channels = if data.format == Format::R32G32B32FLOAT { 3 } else { 4 };
            let values = px
                .chunks_exact(4)
                .map(|b| (f32::from_ne_bytes([b[0], b[1], b[2], b[3]]).clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
                .collect();
            (channels, values)
        }
    };
    values
        .chunks_exact(channels)
        .flat_map(|c| match channels {
            1 => [c[0], c[0], c[0], 255],
            2 => [c[0], c[0], c[0], c[1]],
            3 => [c[0], c[1], c[2], 255],
            _ => [c[0], c[1], c[2], c[3]],
        })
        .collect()
}

impl Builder<'_> {
    /// Bounds, camera, clip planes and light of the finished scene.
    fn finish(mut self, name: &str) -> Res<Scene> {
        if self.scene.objects.is_empty() {
            return Err("nothing to draw: the scene has no triangle meshes".into());
        }
        let (lo, hi) = self.scene.bounds();
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(format!("the scene's bounds are not finite ({lo} .. {hi})"));
        }
        let diag = (hi - lo).length().max(1e-3);
        let scene = &mut self.scene;
        scene.camera = CameraPath::fly_through(lo, hi, FLY_THROUGH_SECONDS);
        // A fixed 1e4 far/near ratio keeps depth precision; an absolute floor of 1 cm (as for
        // levels) would clip objects smaller than that.
        scene.near = (diag * 1e-3).max(1e-5);
        scene.far = diag * 10.0;
        scene.default_frames = DEFAULT_FRAMES;
        if let Some(light) = self.light {
            scene.lighting = light;
        }
        scene.description = format!(
            "glTF file {name}: {} draws, {} meshes, {} materials, {} textures{}",
            scene.objects.len(),
            scene.meshes.len(),
            scene.materials.len(),
            scene.textures.len(),
            if self.light.is_some() { ", lit by its directional light" } else { "" }
        );
        Ok(self.scene)
    }
}
