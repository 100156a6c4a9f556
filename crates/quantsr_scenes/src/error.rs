//! Errors of scene loading and rendering.

/// What can go wrong building or rendering a scene.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SceneError {
    /// A camera path file is malformed.
    #[error("camera path {file}: {message}")]
    CameraPath {
        /// The file (or label) the path came from.
        file: String,
        /// What is wrong, naming the field.
        message: String,
    },
    /// No built-in scene has this name.
    #[error("unknown scene {name:?}; built-in scenes: {known}")]
    UnknownScene {
        /// The name asked for.
        name: String,
        /// The names available.
        known: String,
    },
    /// A glTF file could not be loaded.
    #[error("glTF {file}: {message}")]
    Gltf {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A size is zero or above the device's limit.
    #[error("{what} {}x{} is not usable: each side must be between 1 and {max}", size[0], size[1])]
    Size {
        /// Which size.
        what: &'static str,
        /// The size given.
        size: [u32; 2],
        /// The largest side allowed.
        max: u32,
    },
    /// Render options are out of range.
    #[error("{0}")]
    Options(String),
    /// Writing the sequence failed.
    #[error(transparent)]
    Sequence(#[from] quantsr_sequence::SequenceError),
    /// The GPU layer failed (shader, device, readback).
    #[error(transparent)]
    Gpu(#[from] quantsr_gpu::GpuError),
}
