//! glTF loading, on the CPU: the sample models under `assets/gltf/` and small files written by
//! the tests (required extensions, broken files, skinning, strips, hierarchies).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use glam::{Affine2, Mat4, Vec2, Vec3};
use quantsr_scenes::{AlphaMode, Scene, SceneError, load_gltf};
use serde_json::{Value, json};

fn asset(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/gltf").join(rel)
}

/// A fresh, empty folder for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "quantsr_gltf_test_{}_{}_{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn load(path: &Path) -> Scene {
    load_gltf(path).unwrap_or_else(|e| panic!("{} failed to load: {e}", path.display()))
}

fn load_err(path: &Path) -> String {
    match load_gltf(path) {
        Ok(_) => panic!("{} loaded but should have failed", path.display()),
        Err(e @ SceneError::Gltf { .. }) => e.to_string(),
        Err(e) => panic!("{} failed with the wrong error kind: {e}", path.display()),
    }
}

/// Checks what every loaded scene must satisfy: valid indices, finite unit normals and
/// tangents, finite bounds, a usable camera and clip planes.
fn assert_sane(scene: &Scene) {
    assert!(!scene.objects.is_empty());
    for o in &scene.objects {
        assert!(o.mesh < scene.meshes.len() && o.material < scene.materials.len());
    }
    for m in &scene.materials {
        for t in [m.base_color_texture, m.normal_texture, m.emissive_texture].into_iter().flatten() {
            assert!(t < scene.textures.len());
        }
    }
    for mesh in &scene.meshes {
        assert_eq!(mesh.indices.len() % 3, 0);
        assert!(mesh.indices.iter().all(|&i| (i as usize) < mesh.vertices.len()));
        for v in &mesh.vertices {
            assert!(v.position.iter().chain(&v.uv).all(|x| x.is_finite()));
            let n = Vec3::from(v.normal);
            assert!((n.length() - 1.0).abs() < 1e-3, "normal {n}");
            let t = Vec3::from_slice(&v.tangent[..3]);
            assert!((t.length() - 1.0).abs() < 1e-3, "tangent {t}");
            assert!(v.tangent[3].abs() == 1.0);
        }
    }
    let (lo, hi) = scene.bounds();
    assert!(lo.is_finite() && hi.is_finite() && lo.cmple(hi).all(), "bounds {lo} {hi}");
    assert!(scene.near > 0.0 && scene.far > 100.0 * scene.near);
    assert!(scene.far > (hi - lo).length() * 2.0);
    assert_eq!(scene.default_frames, 120);
    assert!((scene.camera.duration() - 2.0).abs() < 1e-6);
    assert!(scene.camera.validate("test").is_ok());
}

fn assert_close(a: Vec3, b: Vec3) {
    assert!((a - b).length() < 1e-4, "{a} != {b}");
}

#[test]
fn box_textured_gltf_and_glb_load_the_same_textured_cube() {
    let gltf = load(&asset("BoxTextured/BoxTextured.gltf"));
    let glb = load(&asset("BoxTextured/BoxTextured.glb"));
    for scene in [&gltf, &glb] {
        assert_sane(scene);
        assert_eq!(scene.name, "BoxTextured");
        assert_eq!((scene.objects.len(), scene.meshes.len(), scene.materials.len()), (1, 1, 1));
        assert_eq!(scene.textures.len(), 1);
        assert!(scene.textures[0].srgb);
        assert_eq!(scene.materials[0].base_color_texture, Some(0));
        assert_eq!(scene.meshes[0].vertices.len(), 24);
        assert_eq!(scene.meshes[0].indices.len(), 36);
        let (lo, hi) = scene.bounds();
        assert_close(lo, Vec3::splat(-0.5));
        assert_close(hi, Vec3::splat(0.5));
    }
    assert_eq!(gltf.meshes[0].vertices, glb.meshes[0].vertices);
    assert_eq!(gltf.textures[0].mips, glb.textures[0].mips);
    // The root node's matrix turns the file's Z-up box Y-up.
    let m = gltf.objects[0].transform;
    assert_close(m.transform_vector3(Vec3::Y), Vec3::NEG_Z);
}

#[test]
fn texture_transform_test_has_the_spec_uv_transforms() {
    let scene = load(&asset("TextureTransformTest/TextureTransformTest.gltf"));
    assert_sane(&scene);
    // 12 nodes draw 9 meshes: the marker meshes are shared, and converted once.
    assert_eq!(scene.objects.len(), 12);
    assert_eq!(scene.meshes.len(), 9);
    assert_eq!(scene.materials.len(), 9);
    assert_eq!(scene.textures.len(), 5);
    let transforms: Vec<Affine2> = scene.materials.iter().map(|m| m.uv_transform).collect();
    let non_identity = transforms.iter().filter(|t| !t.abs_diff_eq(Affine2::IDENTITY, 1e-6)).count();
    assert_eq!(non_identity, 6);
    let has = |want: Affine2| transforms.iter().any(|t| t.abs_diff_eq(want, 1e-5));
    assert!(has(Affine2::from_translation(Vec2::new(0.5, 0.0))), "offset U");
    assert!(has(Affine2::from_translation(Vec2::new(0.5, 0.5))), "offset UV");
    assert!(has(Affine2::from_scale(Vec2::splat(1.5))), "scale");
    // The spec's rotation matrix [[cos, sin], [−sin, cos]]: +U goes to (cos, −sin).
    let r = std::f32::consts::FRAC_PI_8; // the file's 0.39269908169872414
    let rotation = transforms
        .iter()
        .find(|t| {
            t.translation == Vec2::ZERO && (t.matrix2.determinant() - 1.0).abs() < 1e-5 && t.matrix2.x_axis.y < -0.1
        })
        .expect("rotation material");
    assert!((rotation.transform_point2(Vec2::X) - Vec2::new(r.cos(), -r.sin())).length() < 1e-5);
    assert!((rotation.transform_point2(Vec2::Y) - Vec2::new(r.sin(), r.cos())).length() < 1e-5);
    // "All": T(−0.2, −0.1) · R(0.3) · S(1.5): the origin goes to the offset, +U to offset + 1.5 (cos, −sin).
    let all = transforms.iter().find(|t| t.translation.abs_diff_eq(Vec2::new(-0.2, -0.1), 1e-6)).expect("All");
    let p = all.transform_point2(Vec2::X);
    assert!((p - (Vec2::new(-0.2, -0.1) + 1.5 * Vec2::new(0.3f32.cos(), -0.3f32.sin()))).length() < 1e-5, "{p}");
    // Children of the "Rotation" node sit inside its frame.
    let (lo, hi) = scene.bounds();
    assert!(lo.x < -1.5 && hi.x > 1.5, "{lo} {hi}");
}

#[test]
fn simple_skin_loads_at_bind_pose_with_finite_positions() {
    let scene = load(&asset("SimpleSkin/simple_skin.gltf"));
    assert_sane(&scene);
    assert_eq!(scene.objects.len(), 1);
    // Skinned meshes are already in world space.
    assert_eq!(scene.objects[0].transform, Mat4::IDENTITY);
    // No NORMAL attribute: flat normals, one vertex per corner of the 8 triangles.
    let mesh = &scene.meshes[0];
    assert_eq!(mesh.vertices.len(), 24);
    for v in &mesh.vertices {
        assert!(Vec3::from(v.normal).z.abs() > 0.999);
    }
    // jointWorld × inverseBind moves the 1 × 2 strip by −0.5 in x (joints at their rest pose).
    let (lo, hi) = scene.bounds();
    assert_close(lo, Vec3::new(-0.5, 0.0, 0.0));
    assert_close(hi, Vec3::new(0.5, 2.0, 0.0));
}

#[test]
fn clear_coat_test_loads_normal_maps_and_blending() {
    let scene = load(&asset("ClearCoatTest/ClearCoatTest.gltf"));
    assert_sane(&scene);
    assert_eq!(scene.objects.len(), 27);
    assert!(scene.materials.iter().any(|m| m.alpha_mode == AlphaMode::Blend));
    let normal_mapped = scene.materials.iter().filter(|m| m.normal_texture.is_some()).count();
    assert!(normal_mapped >= 5, "{normal_mapped}");
    for m in &scene.materials {
        if let Some(t) = m.normal_texture {
            assert!(!scene.textures[t].srgb, "normal maps are linear");
        }
        if let Some(t) = m.base_color_texture {
            assert!(scene.textures[t].srgb, "base colour is sRGB");
        }
    }
    assert!(!scene.textures.is_empty());
    // A JPEG normal map (PlasticWrap_normals.jpg) decoded.
    assert!(scene.textures.iter().any(|t| !t.srgb && t.width >= 256));
}

#[test]
fn animated_morph_cube_loads_with_its_default_weights() {
    let scene = load(&asset("AnimatedMorphCube/AnimatedMorphCube.gltf"));
    assert_sane(&scene);
    assert_eq!(scene.objects.len(), 1);
    // The node scales the 0.01-unit cube by 100.
    let (lo, hi) = scene.bounds();
    let size = hi - lo;
    assert!(size.min_element() > 1.0 && size.max_element() < 3.0, "{size}");
}

/// A model whose JSON is BoxTextured.gltf edited by `edit`, with the buffer and texture beside it.
fn edited_box(name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let dir = temp_dir(name);
    for f in ["BoxTextured0.bin", "CesiumLogoFlat.png"] {
        std::fs::copy(asset(&format!("BoxTextured/{f}")), dir.join(f)).expect("copy");
    }
    let text = std::fs::read_to_string(asset("BoxTextured/BoxTextured.gltf")).expect("read");
    let mut json: Value = serde_json::from_str(&text).expect("parse");
    edit(&mut json);
    let path = dir.join("box.gltf");
    std::fs::write(&path, serde_json::to_vec_pretty(&json).expect("json")).expect("write");
    path
}

#[test]
fn a_file_requiring_khr_lights_punctual_loads_and_uses_its_directional_light() {
    let path = edited_box("lights", |j| {
        j["extensionsUsed"] = json!(["KHR_lights_punctual"]);
        j["extensionsRequired"] = json!(["KHR_lights_punctual"]);
        j["extensions"] = json!({"KHR_lights_punctual": {"lights": [
            {"type": "point", "color": [1.0, 0.0, 0.0], "intensity": 50.0},
            {"type": "directional", "color": [1.0, 0.5, 0.25], "intensity": 2.0}
        ]}});
        // Light 1 on a node rotated −90° about X: it shines along −Z → −Y (downwards), so the
        // direction towards it is +Y.
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let nodes = j["nodes"].as_array_mut().expect("nodes");
        nodes.push(json!({"extensions": {"KHR_lights_punctual": {"light": 0}}}));
        nodes.push(json!({"rotation": [-s, 0.0, 0.0, s], "extensions": {"KHR_lights_punctual": {"light": 1}}}));
        j["scenes"][0]["nodes"].as_array_mut().expect("scene nodes").extend([json!(2), json!(3)]);
    });
    let scene = load(&path);
    assert_sane(&scene);
    assert_close(scene.lighting.direction.normalize(), Vec3::Y);
    let c = scene.lighting.color;
    assert!(c.x > 0.0 && (c.y / c.x - 0.5).abs() < 1e-5 && (c.z / c.x - 0.25).abs() < 1e-5, "{c}");
    assert!(scene.description.contains("directional light"));
}

#[test]
fn a_file_requiring_draco_is_an_error_naming_the_extension() {
    let path = edited_box("draco", |j| {
        j["extensionsUsed"] = json!(["KHR_draco_mesh_compression"]);
        j["extensionsRequired"] = json!(["KHR_draco_mesh_compression"]);
    });
    let err = load_err(&path);
    assert!(err.contains("KHR_draco_mesh_compression"), "{err}");
    assert!(err.contains("box.gltf"), "{err}");
}

#[test]
fn a_required_material_extension_the_loader_ignores_still_loads() {
    let path = edited_box("clearcoat", |j| {
        j["extensionsUsed"] = json!(["KHR_materials_clearcoat"]);
        j["extensionsRequired"] = json!(["KHR_materials_clearcoat"]);
        j["materials"][0]["extensions"] = json!({"KHR_materials_clearcoat": {"clearcoatFactor": 1.0}});
    });
    assert_sane(&load(&path));
}

/// Standard base64 with padding, for data URIs.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ABC[(n >> shift & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn embedded_data_uris_load_like_external_files() {
    let bin = std::fs::read(asset("BoxTextured/BoxTextured0.bin")).expect("read");
    let png = std::fs::read(asset("BoxTextured/CesiumLogoFlat.png")).expect("read");
    let path = edited_box("embedded", |j| {
        j["buffers"][0]["uri"] = json!(format!("data:application/octet-stream;base64,{}", base64(&bin)));
        j["images"][0] = json!({"uri": format!("data:image/png;base64,{}", base64(&png))});
    });
    for f in ["BoxTextured0.bin", "CesiumLogoFlat.png"] {
        std::fs::remove_file(path.with_file_name(f)).expect("remove");
    }
    let embedded = load(&path);
    let external = load(&asset("BoxTextured/BoxTextured.gltf"));
    assert_eq!(embedded.meshes[0].vertices, external.meshes[0].vertices);
    assert_eq!(embedded.textures[0].mips, external.textures[0].mips);
}

#[test]
fn image_files_load_by_content_with_escaped_names_and_wrong_mime_types() {
    let path = edited_box("escaped", |j| {
        j["images"][0] = json!({"uri": "Cesium%20Logo.jpg", "mimeType": "image/jpeg"});
    });
    std::fs::rename(path.with_file_name("CesiumLogoFlat.png"), path.with_file_name("Cesium Logo.jpg")).expect("rename");
    let scene = load(&path);
    let external = load(&asset("BoxTextured/BoxTextured.gltf"));
    assert_eq!(scene.textures[0].mips, external.textures[0].mips);
}

#[test]
fn a_missing_buffer_file_is_an_error_naming_it() {
    let dir = temp_dir("missing_bin");
    let path = dir.join("BoxTextured.gltf");
    std::fs::copy(asset("BoxTextured/BoxTextured.gltf"), &path).expect("copy");
    let err = load_err(&path);
    assert!(err.contains("BoxTextured.gltf") && err.contains("BoxTextured0.bin"), "{err}");
}

#[test]
fn a_missing_image_file_is_an_error_naming_it() {
    let dir = temp_dir("missing_png");
    std::fs::copy(asset("BoxTextured/BoxTextured0.bin"), dir.join("BoxTextured0.bin")).expect("copy");
    let path = dir.join("BoxTextured.gltf");
    std::fs::copy(asset("BoxTextured/BoxTextured.gltf"), &path).expect("copy");
    let err = load_err(&path);
    assert!(err.contains("CesiumLogoFlat.png"), "{err}");
}

#[test]
fn a_truncated_glb_is_an_error_naming_the_file() {
    let bytes = std::fs::read(asset("BoxTextured/BoxTextured.glb")).expect("read");
    let dir = temp_dir("truncated");
    for (name, len) in [("half.glb", bytes.len() / 2), ("header.glb", 10), ("json.glb", 100)] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes[..len]).expect("write");
        let err = load_err(&path);
        assert!(err.contains(name) && err.contains("truncated"), "{err}");
    }
}

#[test]
fn malformed_json_and_missing_files_are_errors_naming_the_file() {
    let dir = temp_dir("malformed");
    let path = dir.join("broken.gltf");
    std::fs::write(&path, b"{\"asset\": {\"version\": \"2.0\"}, \"nodes\": [").expect("write");
    let err = load_err(&path);
    assert!(err.contains("broken.gltf") && err.contains("JSON"), "{err}");

    let missing = dir.join("nothing_here.gltf");
    let err = load_err(&missing);
    assert!(err.contains("nothing_here.gltf"), "{err}");

    let v1 = dir.join("v1.gltf");
    std::fs::write(&v1, br#"{"asset": {"version": "1.0"}}"#).expect("write");
    assert!(load_err(&v1).contains("1.0"));

    let empty = dir.join("empty.gltf");
    std::fs::write(&empty, br#"{"asset": {"version": "2.0"}}"#).expect("write");
    assert!(load_err(&empty).contains("nothing to draw"));
}

/// Writes a glTF file with one binary buffer built from the accessors added to it.
#[derive(Default)]
struct Fixture {
    bin: Vec<u8>,
    views: Vec<Value>,
    accessors: Vec<Value>,
}

impl Fixture {
    fn add(&mut self, bytes: &[u8], component: u32, kind: &str, count: usize) -> usize {
        while !self.bin.len().is_multiple_of(4) {
            self.bin.push(0);
        }
        self.views.push(json!({"buffer": 0, "byteOffset": self.bin.len(), "byteLength": bytes.len()}));
        self.bin.extend_from_slice(bytes);
        self.accessors.push(json!({
            "bufferView": self.views.len() - 1, "componentType": component, "type": kind, "count": count
        }));
        self.accessors.len() - 1
    }

    fn positions(&mut self, p: &[[f32; 3]]) -> usize {
        let a = self.add(bytemuck::cast_slice(p), 5126, "VEC3", p.len());
        let lo = p.iter().fold(Vec3::MAX, |m, &v| m.min(v.into()));
        let hi = p.iter().fold(Vec3::MIN, |m, &v| m.max(v.into()));
        self.accessors[a]["min"] = json!(lo.to_array());
        self.accessors[a]["max"] = json!(hi.to_array());
        a
    }

    fn write(self, name: &str, mut root: Value) -> PathBuf {
        let dir = temp_dir(name);
        std::fs::write(dir.join("model.bin"), &self.bin).expect("write bin");
        root["asset"] = json!({"version": "2.0"});
        root["buffers"] = json!([{"uri": "model.bin", "byteLength": self.bin.len()}]);
        root["bufferViews"] = Value::Array(self.views);
        root["accessors"] = Value::Array(self.accessors);
        let path = dir.join("model.gltf");
        std::fs::write(&path, serde_json::to_vec_pretty(&root).expect("json")).expect("write gltf");
        path
    }
}

const TRIANGLE: [[f32; 3]; 3] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];

#[test]
fn skinned_vertices_follow_their_joints_and_unweighted_ones_keep_mesh_space() {
    let mut f = Fixture::default();
    let pos = f.positions(&TRIANGLE);
    let joints = f.add(bytemuck::cast_slice(&[[0u8; 4]; 3]), 5121, "VEC4", 3);
    // Vertex 0 has no weights; vertices 1 and 2 follow joint 0 fully.
    let weights: [[f32; 4]; 3] = [[0.0; 4], [1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]];
    let weights = f.add(bytemuck::cast_slice(&weights), 5126, "VEC4", 3);
    let path = f.write(
        "skin",
        json!({
            "scene": 0,
            "scenes": [{"nodes": [0, 1]}],
            // The skinned node's own transform is ignored.
            "nodes": [
                {"mesh": 0, "skin": 0, "translation": [100.0, 0.0, 0.0]},
                {"translation": [0.0, 0.0, 5.0]}
            ],
            "skins": [{"joints": [1]}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": pos, "JOINTS_0": joints, "WEIGHTS_0": weights}}]}]
        }),
    );
    let scene = load(&path);
    assert_sane(&scene);
    let world: Vec<Vec3> = scene.meshes[0]
        .vertices
        .iter()
        .map(|v| scene.objects[0].transform.transform_point3(v.position.into()))
        .collect();
    assert_eq!(world.len(), 3);
    assert_close(world[0], Vec3::ZERO);
    assert_close(world[1], Vec3::new(1.0, 0.0, 5.0));
    assert_close(world[2], Vec3::new(0.0, 1.0, 5.0));
}

#[test]
fn strips_fans_and_hierarchies_become_world_space_triangle_lists() {
    let mut f = Fixture::default();
    let quad = f.positions(&[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]);
    let fan = f.positions(&[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]);
    let lines = f.positions(&TRIANGLE);
    let path = f.write(
        "strips",
        json!({
            "scene": 0,
            "scenes": [{"nodes": [0]}],
            "nodes": [
                {"translation": [10.0, 0.0, 0.0], "scale": [2.0, 2.0, 2.0], "children": [1]},
                {"translation": [0.0, 1.0, 0.0], "mesh": 0}
            ],
            "meshes": [{"primitives": [
                {"attributes": {"POSITION": quad}, "mode": 5},
                {"attributes": {"POSITION": fan}, "mode": 6},
                {"attributes": {"POSITION": lines}, "mode": 1}
            ]}]
        }),
    );
    let scene = load(&path);
    assert_sane(&scene);
    // Lines are skipped; the strip and the fan give two triangles each.
    assert_eq!(scene.objects.len(), 2);
    for o in &scene.objects {
        let mesh = &scene.meshes[o.mesh];
        assert_eq!(mesh.indices.len(), 6);
        for tri in mesh.indices.chunks_exact(3) {
            let p: Vec<Vec3> = tri.iter().map(|&i| Vec3::from(mesh.vertices[i as usize].position)).collect();
            // Counter-clockwise seen from +Z, and the flat normal agrees.
            assert!((p[1] - p[0]).cross(p[2] - p[0]).z > 0.0);
            assert!(mesh.vertices[tri[0] as usize].normal[2] > 0.999);
        }
        // parent T(10,0,0)·S(2) times child T(0,1,0): the unit square lands at x 10..12, y 2..4.
        assert_close(o.transform.transform_point3(Vec3::ZERO), Vec3::new(10.0, 2.0, 0.0));
        assert_close(o.transform.transform_point3(Vec3::ONE.with_z(0.0)), Vec3::new(12.0, 4.0, 0.0));
    }
}

#[test]
fn out_of_range_indices_are_an_error() {
    let mut f = Fixture::default();
    let pos = f.positions(&TRIANGLE);
    let idx = f.add(bytemuck::cast_slice(&[0u16, 1, 7, 0]), 5123, "SCALAR", 3);
    let path = f.write(
        "bad_index",
        json!({
            "nodes": [{"mesh": 0}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": pos}, "indices": idx}]}]
        }),
    );
    let err = load_err(&path);
    assert!(err.contains("index") && err.contains('7'), "{err}");
}
