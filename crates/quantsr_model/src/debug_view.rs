//! The debug views of the output pass, shared by the runtime and the CPU reference.

/// Visualisations the output pass writes instead of the image, for debugging an integration
/// (ARCHITECTURE §4); the discriminants are the `debug_view` codes of the frame uniforms, which
/// the GPU kernel (`shaders/upscaler/sharpen.wgsl`) and the CPU reference both switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DebugView {
    /// The upscaled image.
    #[default]
    None = 0,
    /// Dilated motion: hue by direction, brightness by length in render pixels.
    Motion = 1,
    /// Disocclusion detected by prepare.
    Disocclusion = 2,
    /// History rejection: 1 − trust.
    HistoryRejection = 3,
    /// Kernel width: σ / 2.
    Kernel = 4,
    /// Accumulated history length: frames / 16.
    HistoryLength = 5,
    /// Reactive mask.
    Reactive = 6,
}

impl DebugView {
    /// Every view, in code order.
    pub const ALL: [DebugView; 7] = [
        Self::None,
        Self::Motion,
        Self::Disocclusion,
        Self::HistoryRejection,
        Self::Kernel,
        Self::HistoryLength,
        Self::Reactive,
    ];

    /// The code the kernels switch on.
    pub fn code(self) -> u32 {
        self as u32
    }
}
