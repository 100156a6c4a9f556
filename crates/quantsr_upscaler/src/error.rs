//! The upscaler's error type.

/// Why an upscaler could not be created or a frame could not be dispatched. Nothing is
/// recorded into the encoder when `dispatch` returns an error, and history is untouched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpscalerError {
    /// A size is zero, larger than allowed, or larger than the device supports.
    #[error("{what} {}x{} is not allowed: {why}", size[0], size[1])]
    Size {
        /// Which size (e.g. "render_size", "display_size", "color texture").
        what: &'static str,
        /// The size given.
        size: [u32; 2],
        /// What it must satisfy.
        why: String,
    },
    /// An input or output texture has a format the upscaler cannot use.
    #[error("{what} has format {got:?}; expected one of {expected}")]
    Format {
        /// Which texture.
        what: &'static str,
        /// Its format.
        got: wgpu::TextureFormat,
        /// The formats accepted.
        expected: String,
    },
    /// A texture lacks a usage flag the upscaler needs.
    #[error("{what} lacks usage {needed:?} (it has {has:?})")]
    Usage {
        /// Which texture.
        what: &'static str,
        /// The usage needed.
        needed: wgpu::TextureUsages,
        /// The usages it was created with.
        has: wgpu::TextureUsages,
    },
    /// A numeric input is out of range.
    #[error("{what} = {value} is out of range: {why}")]
    Value {
        /// Which input.
        what: &'static str,
        /// Its value.
        value: f32,
        /// The valid range.
        why: &'static str,
    },
    /// The network's weight file is invalid.
    #[error(transparent)]
    Model(#[from] quantsr_model::ModelError),
    /// A rung was asked for that this upscaler cannot run.
    #[error("rung {rung} is not available: {why}")]
    RungUnavailable {
        /// The rung asked for.
        rung: quantsr_monitor::Rung,
        /// Why (not requested at creation, no weights, or a device feature missing).
        why: String,
    },
    /// The precision controller's settings are out of range.
    #[error(transparent)]
    Controller(#[from] quantsr_monitor::MonitorError),
    /// A timing source was asked for that the device cannot provide.
    #[error("cannot time frames that way: {why}")]
    Timing {
        /// What is missing.
        why: String,
    },
    /// The GPU layer failed (shader, pipeline, device).
    #[error(transparent)]
    Gpu(#[from] quantsr_gpu::GpuError),
}
