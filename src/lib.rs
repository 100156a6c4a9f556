//! quantsr: a neural temporal upscaler for real-time rendering on wgpu.
//!
//! This facade re-exports the workspace's crates so a renderer depends on one crate:
//! the [`Upscaler`] and its inputs, the jitter helpers, and the supporting crates under
//! their own names ([`gpu`], [`monitor`], [`atomic`]; with the default features `scenes` and
//! `eval`, [`scenes`], [`eval`] and [`sequence`], which an embedder may leave out with
//! `default-features = false`, and with them glTF, EXR and image decoding).

pub use quantsr_core::atomic;
#[cfg(feature = "eval")]
pub use quantsr_eval as eval;
pub use quantsr_gpu as gpu;
pub use quantsr_monitor as monitor;
#[cfg(feature = "scenes")]
pub use quantsr_scenes as scenes;
#[cfg(feature = "sequence")]
pub use quantsr_sequence as sequence;
pub use quantsr_upscaler::*;
