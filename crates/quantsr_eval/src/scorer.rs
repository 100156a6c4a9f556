//! Scores an upscaled sequence against its ground truth frame by frame (ARCHITECTURE §7): every
//! metric after the display transform, warm-up frames (the first 8 and those right after a
//! reset) reported apart.

use quantsr_sequence::Image;

use crate::metrics::{
    DisplayImage, FrameMetrics, FrameMetricsAccumulator, ImageView, Metrics, MetricsError, flip_display, psnr_display,
    ssim_display, temporal_psnr_display,
};

/// Accumulates per-frame metrics for one method over one sequence.
#[derive(Default)]
pub struct SequenceScorer {
    accumulator: FrameMetricsAccumulator,
    previous: Option<(DisplayImage, DisplayImage)>,
}

fn display(image: &Image) -> Result<DisplayImage, MetricsError> {
    let view = ImageView::new(image.width(), image.height(), image.channels() as u32, image.data())?;
    Ok(DisplayImage::from_linear(&view))
}

impl SequenceScorer {
    /// Scores frame `output` against `ground_truth`; `reset` marks a camera cut (temporal
    /// PSNR skips the pair across it).
    pub fn push(&mut self, ground_truth: &Image, output: &Image, reset: bool) -> Result<FrameMetrics, MetricsError> {
        let (gt, out) = (display(ground_truth)?, display(output)?);
        let tpsnr = match (&self.previous, reset) {
            (Some((prev_gt, prev_out)), false) => Some(temporal_psnr_display(prev_gt, &gt, prev_out, &out)),
            _ => None,
        };
        let frame = FrameMetrics {
            psnr: psnr_display(&gt, &out),
            ssim: ssim_display(&gt, &out),
            tpsnr,
            flip: flip_display(&gt, &out),
        };
        self.accumulator.push(frame, reset);
        self.previous = Some((gt, out));
        Ok(frame)
    }

    /// Means over scored frames and over warm-up frames.
    pub fn summary(&self) -> Metrics {
        self.accumulator.summary()
    }
}
