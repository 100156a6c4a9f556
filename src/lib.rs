//! quantsr: a neural temporal upscaler for real-time rendering on wgpu.
//!
//! This facade re-exports the workspace's library crates so a renderer depends on one crate.
//! [`gpu`] opens a device on any adapter and holds the shared wgpu helpers.

pub use quantsr_gpu as gpu;
