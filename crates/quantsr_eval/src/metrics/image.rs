//! The images metrics read: a borrowed linear HDR frame, the display transform every metric
//! applies first, and the display-space RGB image the metrics are computed on.

use super::MetricsError;
use super::filter::par_rows;

/// A borrowed linear HDR frame as the renderer and the upscalers write it: `width * height`
/// pixels, row-major, `channels` interleaved `f32` per pixel (RGB or RGBA; alpha is ignored).
#[derive(Clone, Copy, Debug)]
pub struct ImageView<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Interleaved channels per pixel: 3 (RGB) or 4 (RGBA).
    pub channels: u32,
    /// `width * height * channels` linear values, row-major.
    pub data: &'a [f32],
}

impl<'a> ImageView<'a> {
    /// Wraps `data`, checking that it holds exactly `width * height * channels` values and that
    /// the pixels have 3 or 4 channels, so the metrics can index it without further checks.
    pub fn new(width: u32, height: u32, channels: u32, data: &'a [f32]) -> Result<Self, MetricsError> {
        let view = Self { width, height, channels, data };
        view.validate()?;
        Ok(view)
    }

    /// Checks a view built from its public fields (see [`ImageView::new`]).
    pub fn validate(&self) -> Result<(), MetricsError> {
        if !(3..=4).contains(&self.channels) {
            return Err(MetricsError::Channels { channels: self.channels });
        }
        let wanted = self.width as usize * self.height as usize * self.channels as usize;
        if self.data.len() != wanted {
            return Err(MetricsError::DataLength {
                width: self.width,
                height: self.height,
                channels: self.channels,
                len: self.data.len(),
                wanted,
            });
        }
        Ok(())
    }

    /// Number of pixels (`width * height`).
    pub fn pixel_count(&self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// Checks that two frames can be compared: both valid, the same size, and at least `min_size`
/// pixels in each dimension (SSIM needs [`super::SSIM_WINDOW`]). Call it once per sequence;
/// the metric functions themselves panic on frames that fail it.
pub fn check_comparable(a: &ImageView<'_>, b: &ImageView<'_>, min_size: u32) -> Result<(), MetricsError> {
    a.validate()?;
    b.validate()?;
    if (a.width, a.height) != (b.width, b.height) {
        return Err(MetricsError::SizeMismatch { a: [a.width, a.height], b: [b.width, b.height] });
    }
    if a.width < min_size || a.height < min_size {
        return Err(MetricsError::TooSmall { size: [a.width, a.height], min: min_size });
    }
    Ok(())
}

/// The exact piecewise sRGB encoding (OETF) of a linear value in [0, 1]: `12.92 x` up to
/// 0.0031308, `1.055 x^(1/2.4) - 0.055` above.
/// 1 and above encode to exactly 1 (the `f32` formula alone gives 0.99999994).
pub fn srgb_oetf(x: f32) -> f32 {
    if x <= 0.003_130_8 {
        12.92 * x
    } else if x >= 1.0 {
        1.0
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    }
}

/// The exact inverse of [`srgb_oetf`]: decodes an sRGB value in [0, 1] to linear (FLIP's input
/// conversion).
/// 1 and above decode to exactly 1.
pub fn srgb_eotf(v: f32) -> f32 {
    if v <= 0.040_45 {
        v / 12.92
    } else if v >= 1.0 {
        1.0
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// Clamps a linear HDR value to [0, 1], mapping NaN to 0 so a NaN pixel counts as an error
/// instead of poisoning a mean.
pub fn clamp_unit(x: f32) -> f32 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

/// The display transform every metric is computed after (ARCHITECTURE §7):
/// `srgb_oetf(clamp(x, 0, 1))`, with NaN treated as 0.
pub fn display_transform(x: f32) -> f32 {
    srgb_oetf(clamp_unit(x))
}

/// A frame after the display transform: RGB in [0, 1], 3 interleaved `f32` per pixel.
///
/// Converting each frame once and passing it to the `*_display` metric functions saves the
/// transform when several metrics (and next frame's temporal PSNR) read the same frame.
#[derive(Clone, Debug, PartialEq)]
pub struct DisplayImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` display-space values in [0, 1], row-major.
    pub rgb: Vec<f32>,
}

impl DisplayImage {
    /// Applies [`display_transform`] to the RGB channels of a linear frame (alpha is dropped).
    ///
    /// # Panics
    /// If `image` fails [`ImageView::validate`].
    pub fn from_linear(image: &ImageView<'_>) -> Self {
        if let Err(e) = image.validate() {
            panic!("invalid image: {e}");
        }
        let channels = image.channels as usize;
        let width = image.width as usize;
        let mut rgb = vec![0.0; image.pixel_count() * 3];
        par_rows(&mut rgb, width * 3, width * 60, |first_row, rows| {
            let src = &image.data[first_row * width * channels..];
            for (out, px) in rows.chunks_exact_mut(3).zip(src.chunks_exact(channels)) {
                for c in 0..3 {
                    out[c] = display_transform(px[c]);
                }
            }
        });
        Self { width: image.width, height: image.height, rgb }
    }

    /// Number of pixels (`width * height`).
    pub fn pixel_count(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Rec.709 luma of the display-space RGB (the channel SSIM is computed on).
    pub fn luma(&self) -> Vec<f32> {
        self.rgb.chunks_exact(3).map(|p| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]).collect()
    }
}

/// Panics with a clear message when two display images cannot be compared pixel by pixel.
pub(crate) fn assert_same_size(a: &DisplayImage, b: &DisplayImage) {
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "metric inputs differ in size: {}x{} vs {}x{}",
        a.width,
        a.height,
        b.width,
        b.height
    );
    assert_eq!(a.rgb.len(), a.pixel_count() * 3, "DisplayImage holds the wrong number of values");
    assert_eq!(b.rgb.len(), b.pixel_count() * 3, "DisplayImage holds the wrong number of values");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_transform_clamps_hdr_and_negative_values() {
        assert_eq!(display_transform(1.0), 1.0);
        assert_eq!(display_transform(7.5), 1.0);
        assert_eq!(display_transform(f32::INFINITY), 1.0);
        assert_eq!(display_transform(-3.0), 0.0);
        assert_eq!(display_transform(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn display_transform_maps_nan_to_black() {
        assert_eq!(display_transform(f32::NAN), 0.0);
    }

    #[test]
    fn srgb_oetf_is_the_exact_piecewise_curve() {
        assert_eq!(srgb_oetf(0.0), 0.0);
        assert!((srgb_oetf(0.002) - 0.002 * 12.92).abs() < 1e-7);
        assert!((srgb_oetf(0.18) - (1.055 * 0.18f32.powf(1.0 / 2.4) - 0.055)).abs() < 1e-7);
        assert_eq!(srgb_oetf(1.0), 1.0);
        assert_eq!(srgb_eotf(1.0), 1.0);
        // The two pieces meet at the threshold.
        let t = 0.003_130_8f32;
        assert!((12.92 * t - (1.055 * t.powf(1.0 / 2.4) - 0.055)).abs() < 1e-6);
    }

    #[test]
    fn srgb_eotf_inverts_oetf() {
        for i in 0..=1000 {
            let x = i as f32 / 1000.0;
            assert!((srgb_eotf(srgb_oetf(x)) - x).abs() < 1e-5, "x = {x}");
        }
    }

    #[test]
    fn display_image_drops_alpha_and_transforms_rgb() {
        let data = [0.0, 0.5, 2.0, 0.25, f32::NAN, 1.0, -1.0, 1.0];
        let view = ImageView::new(2, 1, 4, &data).unwrap();
        let d = DisplayImage::from_linear(&view);
        assert_eq!(d.rgb.len(), 6);
        assert_eq!(d.rgb[0], 0.0);
        assert_eq!(d.rgb[1], srgb_oetf(0.5));
        assert_eq!(d.rgb[2], 1.0);
        assert_eq!(d.rgb[3], 0.0);
        assert_eq!(d.rgb[4], 1.0);
        assert_eq!(d.rgb[5], 0.0);
    }

    #[test]
    fn image_view_rejects_wrong_length_and_channels() {
        let data = [0.0; 12];
        assert!(ImageView::new(2, 2, 3, &data).is_ok());
        assert!(matches!(ImageView::new(2, 2, 4, &data), Err(MetricsError::DataLength { wanted: 16, .. })));
        assert!(matches!(ImageView::new(3, 2, 2, &data), Err(MetricsError::Channels { channels: 2 })));
    }

    #[test]
    fn check_comparable_reports_size_mismatch_and_small_frames() {
        let a = [0.0; 12];
        let b = [0.0; 18];
        let va = ImageView::new(2, 2, 3, &a).unwrap();
        let vb = ImageView::new(3, 2, 3, &b).unwrap();
        assert!(matches!(check_comparable(&va, &vb, 1), Err(MetricsError::SizeMismatch { .. })));
        assert!(matches!(check_comparable(&va, &va, 11), Err(MetricsError::TooSmall { min: 11, .. })));
        assert!(check_comparable(&va, &va, 2).is_ok());
    }
}
