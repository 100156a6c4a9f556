//! What a scene is: meshes, materials, textures, objects that may move, a light and a camera
//! path. Built-in scenes and glTF files both produce this.

use std::sync::Arc;

use glam::{Affine2, Mat4, Vec2, Vec3, Vec4};

use crate::{CameraPath, Mesh, TextureImage};

/// How a material's alpha is used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlphaMode {
    /// Alpha ignored.
    Opaque,
    /// Alpha-tested: fragments below the cutoff are discarded (foliage, grates).
    Mask(f32),
    /// Alpha-blended over what is behind, drawn back to front (smoke, glass).
    Blend,
}

/// Surface appearance.
#[derive(Debug, Clone)]
pub struct Material {
    /// Linear base colour factor (multiplies the texture).
    pub base_color: Vec4,
    /// Index into [`Scene::textures`] of the sRGB base-colour texture.
    pub base_color_texture: Option<usize>,
    /// Index of the tangent-space normal map.
    pub normal_texture: Option<usize>,
    /// Normal map strength (glTF `normalTexture.scale`).
    pub normal_scale: f32,
    /// Linear emissive colour (HDR allowed: values above 1 make highlights).
    pub emissive: Vec3,
    /// Index of the sRGB emissive texture.
    pub emissive_texture: Option<usize>,
    /// Alpha handling.
    pub alpha_mode: AlphaMode,
    /// UV transform (`KHR_texture_transform`), applied before sampling.
    pub uv_transform: Affine2,
    /// Texture scrolling in UV units per second: a change motion vectors do not describe
    /// (animated screens, water); such surfaces should set `reactive`.
    pub uv_scroll: Vec2,
    /// Blinn-Phong specular intensity.
    pub specular: f32,
    /// Blinn-Phong exponent.
    pub shininess: f32,
    /// Reactive-mask value written where this material is drawn (scaled by alpha for blended
    /// materials): how much the upscaler should trust the current frame over history.
    pub reactive: f32,
}

impl Default for Material {
    fn default() -> Self {
        Self {
            base_color: Vec4::ONE,
            base_color_texture: None,
            normal_texture: None,
            normal_scale: 1.0,
            emissive: Vec3::ZERO,
            emissive_texture: None,
            alpha_mode: AlphaMode::Opaque,
            uv_transform: Affine2::IDENTITY,
            uv_scroll: Vec2::ZERO,
            specular: 0.04,
            shininess: 32.0,
            reactive: 0.0,
        }
    }
}

/// A rigid animation: object-to-world transform as a function of time in seconds.
pub type Animation = Arc<dyn Fn(f32) -> Mat4 + Send + Sync>;

/// One drawn instance of a mesh with a material.
#[derive(Clone)]
pub struct Object {
    /// Index into [`Scene::meshes`].
    pub mesh: usize,
    /// Index into [`Scene::materials`].
    pub material: usize,
    /// Object-to-world transform when not animated.
    pub transform: Mat4,
    /// Animated transform; overrides `transform`.
    pub animation: Option<Animation>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("mesh", &self.mesh)
            .field("material", &self.material)
            .field("animated", &self.animation.is_some())
            .finish()
    }
}

impl Object {
    /// A static object.
    pub fn fixed(mesh: usize, material: usize, transform: Mat4) -> Self {
        Self { mesh, material, transform, animation: None }
    }

    /// An object moving along `animation`.
    pub fn animated(mesh: usize, material: usize, animation: impl Fn(f32) -> Mat4 + Send + Sync + 'static) -> Self {
        Self { mesh, material, transform: Mat4::IDENTITY, animation: Some(Arc::new(animation)) }
    }

    /// Object-to-world transform at time `t`.
    pub fn transform_at(&self, t: f32) -> Mat4 {
        self.animation.as_ref().map_or(self.transform, |a| a(t))
    }
}

/// A directional light plus ambient term; the sky colour fills pixels nothing covers.
#[derive(Debug, Clone, Copy)]
pub struct Lighting {
    /// Direction towards the light (normalised by the renderer).
    pub direction: Vec3,
    /// Linear light colour × intensity.
    pub color: Vec3,
    /// Ambient light.
    pub ambient: Vec3,
    /// Background colour.
    pub sky: Vec3,
}

impl Default for Lighting {
    fn default() -> Self {
        Self {
            direction: Vec3::new(0.4, 0.8, 0.3),
            color: Vec3::splat(2.2),
            ambient: Vec3::new(0.22, 0.24, 0.28),
            sky: Vec3::new(0.35, 0.5, 0.8),
        }
    }
}

/// Everything the renderer needs to draw a timeline.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Short name (`quantsr render --scene NAME`).
    pub name: String,
    /// One line on what upscaler failure mode the scene exercises.
    pub description: String,
    /// Meshes.
    pub meshes: Vec<Mesh>,
    /// Materials.
    pub materials: Vec<Material>,
    /// Textures referenced by materials.
    pub textures: Vec<TextureImage>,
    /// Drawn objects.
    pub objects: Vec<Object>,
    /// Light.
    pub lighting: Lighting,
    /// Default camera path.
    pub camera: CameraPath,
    /// Near plane in world units.
    pub near: f32,
    /// Far plane in world units.
    pub far: f32,
    /// Default number of frames.
    pub default_frames: u32,
}

impl Scene {
    /// An empty scene with default lighting, to fill in.
    pub fn new(name: &str, description: &str, camera: CameraPath) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            meshes: Vec::new(),
            materials: Vec::new(),
            textures: Vec::new(),
            objects: Vec::new(),
            lighting: Lighting::default(),
            camera,
            near: 0.1,
            far: 200.0,
            default_frames: 120,
        }
    }

    /// Adds a mesh and returns its index.
    pub fn add_mesh(&mut self, mesh: Mesh) -> usize {
        self.meshes.push(mesh);
        self.meshes.len() - 1
    }

    /// Adds a texture and returns its index.
    pub fn add_texture(&mut self, texture: TextureImage) -> usize {
        self.textures.push(texture);
        self.textures.len() - 1
    }

    /// Adds a material and returns its index.
    pub fn add_material(&mut self, material: Material) -> usize {
        self.materials.push(material);
        self.materials.len() - 1
    }

    /// Adds an object.
    pub fn add(&mut self, object: Object) {
        self.objects.push(object);
    }

    /// Whether anything in the scene writes the reactive mask.
    pub fn has_reactive(&self) -> bool {
        self.objects.iter().any(|o| {
            let m = &self.materials[o.material];
            m.reactive > 0.0 || m.uv_scroll != Vec2::ZERO
        })
    }

    /// World-space bounds of all objects at time 0.
    pub fn bounds(&self) -> (Vec3, Vec3) {
        let mut lo = Vec3::splat(f32::MAX);
        let mut hi = Vec3::splat(f32::MIN);
        for o in &self.objects {
            let (a, b) = self.meshes[o.mesh].bounds();
            let m = o.transform_at(0.0);
            for i in 0..8 {
                let c = Vec3::new(
                    if i & 1 == 0 { a.x } else { b.x },
                    if i & 2 == 0 { a.y } else { b.y },
                    if i & 4 == 0 { a.z } else { b.z },
                );
                let p = m.transform_point3(c);
                lo = lo.min(p);
                hi = hi.max(p);
            }
        }
        (lo, hi)
    }
}
