//! Which rungs of the precision ladder (DESIGN §4) this build and device can run, and what a
//! frame falls back to when the one asked for cannot.
//!
//! The list itself is `quantsr_monitor::Rung` (so the UI lists new rungs as they are added);
//! what can run is decided here until `quantsr_upscaler` reports its own rungs: today it has
//! only `taau`.

pub use quantsr_monitor::Rung;

/// Whether `rung` can run here, and if not, why (shown in the UI and the log).
///
/// Today only `taau` exists in `quantsr_upscaler`; the neural rungs report that they are not
/// built yet, and f16 additionally needs `SHADER_F16` from the device. Replace the neural arm
/// with the upscaler's own answer when it has the rungs.
pub fn availability(rung: Rung, caps: &quantsr::gpu::Capabilities) -> Result<(), &'static str> {
    match rung {
        Rung::Taau => Ok(()),
        Rung::F16 if !caps.shader_f16 => Err("the device has no SHADER_F16"),
        _ => Err("the neural rungs are not built yet"),
    }
}

/// The rung a frame uses when `wanted` was asked for: `wanted` itself when it can run,
/// otherwise the fallback rung `taau` (never an emulation of the missing one).
pub fn resolve(wanted: Rung, caps: &quantsr::gpu::Capabilities) -> Rung {
    if availability(wanted, caps).is_ok() { wanted } else { Rung::Taau }
}

/// The rungs that can run here, best first (what the precision controller may choose).
pub fn available(caps: &quantsr::gpu::Capabilities) -> Vec<Rung> {
    Rung::ALL.into_iter().filter(|&r| availability(r, caps).is_ok()).collect()
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
        assert_eq!(resolve(Rung::Int8, &caps(true)), Rung::Taau);
        assert_eq!(availability(Rung::F16, &caps(false)), Err("the device has no SHADER_F16"));
    }
}
