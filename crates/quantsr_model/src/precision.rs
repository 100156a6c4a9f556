//! The arithmetic a neural rung runs its network in: one type shared by the GPU kernels'
//! generator, the CPU reference and the rung ladder (`quantsr_monitor::Rung::network`).

/// Precision of a network forward: weights, activations and the arithmetic between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetworkPrecision {
    /// f32 weights, activations and math ([`crate::network::forward_f32`]).
    F32,
    /// f16 weights, activations and products ([`crate::network::forward_f16`]).
    F16,
    /// int8 weights and activations, exact integer sums, requantised per layer
    /// ([`crate::network::forward_int8`]).
    Int8,
}

impl NetworkPrecision {
    /// Every precision, widest first.
    pub const ALL: [Self; 3] = [Self::F32, Self::F16, Self::Int8];

    /// `f32`, `f16` or `int8`: the name used in reports, kernel names and the autotune cache.
    pub const fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::Int8 => "int8",
        }
    }
}
