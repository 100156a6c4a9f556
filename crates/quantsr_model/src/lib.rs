//! The GPU-free side of quantsr: plain-Rust references of every GPU pass, written for clarity
//! rather than speed. They are the oracle the WGSL kernels are tested against (ARCHITECTURE §8,
//! vello's `compare_gpu_cpu` pattern), and what the runtime needs of the model: weights, rungs,
//! frame constants.
//!
//! | module      | what it holds |
//! |-------------|---------------|
//! | [`cpu`]     | references of the upscaler's frame passes (`shaders/upscaler/`) |
//! | [`weights`] | the network description (training/NETWORK.md) and the weight file loader |
//! | [`network`] | the parameter network's forward pass per rung (`f32`, `f16`, `int8`) and its output activations |
//! | [`precision`] | [`NetworkPrecision`], the arithmetic of a neural rung |
//! | [`rung`] | [`Rung`], the ladder the controller climbs, and [`Precision`], auto or one rung |
//! | [`frame`] | [`FrameConstants`], the per-frame constants, cleaned up once for GPU and CPU |
//! | [`DebugView`] | the output pass's debug visualisations (GPU and CPU) |
//! | [`fixture`] | the model fixture training writes (torch's outputs on fixed inputs), for CPU and GPU parity tests |
//! | [`error`]   | [`ModelError`], what can be wrong with a weight file or fixture |
//!
//! `cpu`, `network` and `fixture` (the oracle) come with the `cpu-reference` feature, on by
//! default; the runtime depends on the crate without it, so it builds without the oracle.

#[cfg(feature = "cpu-reference")]
pub mod cpu;
mod debug_view;
pub mod error;
#[cfg(feature = "cpu-reference")]
pub mod fixture;
pub mod frame;
#[cfg(feature = "cpu-reference")]
pub mod network;
pub mod precision;
pub mod rung;
mod tensor;
mod tensor_file;
pub mod weights;

pub use debug_view::DebugView;
pub use error::ModelError;
#[cfg(feature = "cpu-reference")]
pub use fixture::ModelFixture;
pub use frame::{FrameConstants, FrameInputs};
#[cfg(feature = "cpu-reference")]
pub use network::{activate, forward_f16, forward_f32, forward_int8, layers_f16, layers_f32};
pub use precision::NetworkPrecision;
pub use rung::{Precision, Rung};
pub use tensor::Tensor;
pub use weights::{
    INPUT_CHANNELS, LAYER_NAMES, Layer, LayerSpec, ModelFile, Network, NetworkKind, OUTPUT_CHANNELS, layer_specs,
};
