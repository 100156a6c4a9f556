//! Dynamic resolution as a game would drive it: scale the render size (below the quality
//! mode's) down while frames run over the target and back up when there is headroom. The
//! upscaler takes the new size every frame without reallocation or reset (ARCHITECTURE §3).

/// Smallest fraction of the mode's render size per axis.
pub const MIN_SCALE: f32 = 0.5;

/// Per-axis scale of the render size, adjusted every frame from the last frame time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynamicResolution {
    scale: f32,
}

impl Default for DynamicResolution {
    fn default() -> Self {
        Self { scale: 1.0 }
    }
}

impl DynamicResolution {
    /// Feeds the last frame time: over 105 % of the target shrinks by 3 %, under 85 % grows
    /// by 1 % (slower up than down, so it settles instead of oscillating). Off: full size.
    pub fn update(&mut self, enabled: bool, frame_ms: Option<f64>, target_ms: f64) {
        if !enabled {
            self.scale = 1.0;
            return;
        }
        let Some(ms) = frame_ms.filter(|v| v.is_finite()) else { return };
        if ms > 1.05 * target_ms {
            self.scale = (self.scale * 0.97).max(MIN_SCALE);
        } else if ms < 0.85 * target_ms {
            self.scale = (self.scale * 1.01).min(1.0);
        }
    }

    /// The render size for a mode whose render size is `max`.
    pub fn render_size(&self, max: [u32; 2]) -> [u32; 2] {
        max.map(|v| ((v as f32 * self.scale).floor() as u32).clamp(1, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_when_over_budget_grows_back_with_headroom_and_stays_in_range() {
        let mut d = DynamicResolution::default();
        for _ in 0..200 {
            d.update(true, Some(40.0), 16.7);
        }
        assert_eq!(d.scale, MIN_SCALE);
        assert_eq!(d.render_size([480, 270]), [240, 135]);
        d.update(true, Some(10.0), 16.7);
        assert!(d.scale > MIN_SCALE);
        for _ in 0..200 {
            d.update(true, Some(10.0), 16.7);
        }
        assert_eq!(d.render_size([480, 270]), [480, 270]);
        d.update(true, Some(16.0), 16.7);
        assert_eq!(d.scale, 1.0, "inside the dead band nothing changes");
        d.update(false, Some(40.0), 16.7);
        assert_eq!(d.scale, 1.0);
    }
}
