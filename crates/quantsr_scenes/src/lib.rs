//! quantsr's test-sequence renderer: built-in scenes aimed at upscaler failure modes and glTF
//! files, rasterized with wgpu into the upscaler's inputs (jittered colour, depth, motion
//! vectors, reactive mask) and a supersampled ground truth, written as sequence format v1.

mod accumulate;
mod builtin;
mod camera;
mod error;
mod gltf_scene;
mod mesh;
mod renderer;
mod scene;
mod sequence_render;
pub mod texture;

pub use accumulate::{GroundTruthAccumulator, accumulate_cpu};
pub use builtin::{BUILTIN_SCENES, builtin_scene, builtin_scene_seeded};
pub use camera::{CameraPath, CameraPose, Keyframe, projection};
pub use error::SceneError;
pub use gltf_scene::load_gltf;
pub use mesh::{Mesh, Vertex};
pub use renderer::{
    COLOR_FORMAT, DEPTH_OUT_FORMAT, FrameRequest, InputTargets, MOTION_FORMAT, REACTIVE_FORMAT, SceneRenderer,
};
pub use scene::{AlphaMode, Animation, Lighting, Material, Object, Scene};
pub use sequence_render::{RenderOptions, Timeline, render_frame, render_sequence};
pub use texture::TextureImage;
