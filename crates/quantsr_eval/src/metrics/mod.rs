//! Image-quality metrics for evaluating upscalers against ground truth, computed on the CPU so
//! they are independent of the GPU code they judge.
//!
//! Every metric reads linear HDR frames ([`ImageView`]) and compares them after the display
//! transform `srgb_oetf(clamp(x, 0, 1))` (ARCHITECTURE §7; NaN counts as 0). The `*_display`
//! variants take frames already transformed ([`DisplayImage`]) so a frame read by several
//! metrics is transformed once. [`FrameMetricsAccumulator`] averages per-frame values with the
//! history warm-up rule.

mod aggregate;
mod filter;
mod flip;
mod image;
mod psnr;
mod ssim;
mod tpsnr;

use thiserror::Error;

pub use aggregate::{DEFAULT_WARMUP_FRAMES, FrameMetrics, FrameMetricsAccumulator, MetricMeans, Metrics};
pub use flip::{DEFAULT_PPD, FlipMap, FlipViewing, flip, flip_display, flip_map, flip_map_display};
pub use image::{DisplayImage, ImageView, check_comparable, clamp_unit, display_transform, srgb_eotf, srgb_oetf};
pub use psnr::{PSNR_CAP_DB, cap_psnr, psnr, psnr_display, psnr_from_mse};
pub use ssim::{SSIM_WINDOW, ssim, ssim_display};
pub use tpsnr::{temporal_psnr, temporal_psnr_display};

/// Why frames cannot be measured.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetricsError {
    /// The pixel data is not `width * height * channels` values long.
    #[error("a {width}x{height} image with {channels} channels needs {wanted} values, got {len}")]
    DataLength {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Channels per pixel.
        channels: u32,
        /// Values supplied.
        len: usize,
        /// Values needed.
        wanted: usize,
    },
    /// The metrics read RGB or RGBA pixels only.
    #[error("images need 3 (RGB) or 4 (RGBA) channels, got {channels}")]
    Channels {
        /// Channels per pixel supplied.
        channels: u32,
    },
    /// The two frames being compared differ in size.
    #[error("frames differ in size: {}x{} vs {}x{}", a[0], a[1], b[0], b[1])]
    SizeMismatch {
        /// Width and height of the first frame.
        a: [u32; 2],
        /// Width and height of the second frame.
        b: [u32; 2],
    },
    /// The frames are smaller than a metric's window (SSIM needs 11x11).
    #[error("frames of {}x{} are smaller than the {min}x{min} pixels the metrics need", size[0], size[1])]
    TooSmall {
        /// Width and height of the frames.
        size: [u32; 2],
        /// Smallest width and height allowed.
        min: u32,
    },
}
