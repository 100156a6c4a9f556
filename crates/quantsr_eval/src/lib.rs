//! Evaluation of quantsr's upscalers: image-quality metrics against ground truth (PSNR, SSIM,
//! temporal PSNR, FLIP) and their per-sequence aggregation for `quantsr eval`.

pub mod metrics;
