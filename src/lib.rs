//! quantsr: a neural temporal upscaler for real-time rendering on wgpu.
//!
//! This facade re-exports the workspace's crates so a renderer depends on one crate:
//! the [`Upscaler`] and its inputs, the jitter helpers, and the supporting crates under
//! their own names ([`gpu`], [`sequence`], [`scenes`], [`eval`]).

pub use quantsr_eval as eval;
pub use quantsr_gpu as gpu;
pub use quantsr_scenes as scenes;
pub use quantsr_sequence as sequence;
pub use quantsr_upscaler::*;
