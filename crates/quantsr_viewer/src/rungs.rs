//! Which rungs of the precision ladder (ARCHITECTURE §4) this build and device can run, and what a
//! frame falls back to when the one asked for cannot.
//!
//! The list itself is `quantsr::monitor::Rung` (so the UI lists new rungs as they are added).
//! The neural rungs run the model built into quantsr; f16 needs `SHADER_F16`. The upscaler
//! reports the same (`Upscaler::available_rungs`); this answers before one is created.

pub use quantsr::monitor::Rung;

/// Whether `rung` can run here, and if not, why (shown in the UI and the log).
///
pub fn availability(rung: Rung, caps: &quantsr::gpu::Capabilities) -> Result<(), &'static str> {
    match rung {
        Rung::F16 if !caps.shader_f16 => Err("the device has no SHADER_F16"),
        _ => Ok(()),
    }
}

/// The rung a frame uses when `wanted` was asked for: `wanted` itself when it can run,
/// otherwise the fallback rung `taau` (never an emulation of the missing one).
pub fn resolve(wanted: Rung, caps: &quantsr::gpu::Capabilities) -> Rung {
    if availability(wanted, caps).is_ok() { wanted } else { Rung::Taau }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(shader_f16: bool) -> quantsr::gpu::Capabilities {
        quantsr::gpu::Capabilities {
            shader_f16,
            timestamps: true,
            timestamps_inside_passes: true,
            subgroups: false,
            float32_filterable: false,
        }
    }

    #[test]
    fn a_missing_rung_falls_back_to_taau_and_says_why() {
        assert_eq!(resolve(Rung::Taau, &caps(true)), Rung::Taau);
        assert_eq!(resolve(Rung::Int8, &caps(true)), Rung::Int8);
        assert_eq!(resolve(Rung::F16, &caps(false)), Rung::Taau);
        assert_eq!(availability(Rung::F16, &caps(false)), Err("the device has no SHADER_F16"));
    }
}
