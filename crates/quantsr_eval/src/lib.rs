//! Evaluation of quantsr's upscalers: image-quality metrics against ground truth (PSNR, SSIM,
//! temporal PSNR, FLIP), their per-sequence aggregation for `quantsr eval`, and the runner
//! that drives a method over a sequence on disk.

pub mod metrics;
pub mod runner;
pub mod scorer;
pub mod spatial;
pub mod spatial_cpu;

pub use quantsr_upscaler::{NEURAL_SHARPNESS, TAAU_SHARPNESS};
pub use runner::{Method, RunError, SequenceRunner};
pub use scorer::SequenceScorer;
