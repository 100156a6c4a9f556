//! The crate's error type: everything that can be wrong with a weight file or a model fixture.

use safetensors::SafeTensorError;

/// Why a weight file (`assets/models/quantsr.safetensors`) or a model fixture could not be
/// used. Every variant names the file (as given to [`crate::ModelFile::from_bytes`] or the path
/// given to [`crate::ModelFile::load`]) and, where there is one, the tensor or metadata key, so
/// the message alone says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A rung name that is none of `f32`, `f16`, `int8`, `lite-int8`, `taau`.
    #[error("unknown rung {got:?}: expected one of f32, f16, int8, lite-int8, taau")]
    UnknownRung {
        /// The name that was given.
        got: String,
    },

    /// The file could not be read from disk.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system reported.
        source: std::io::Error,
    },

    /// The bytes are not a safetensors file (a bad or truncated header, tensor offsets that do
    /// not cover the data, a file cut short).
    #[error("{file}: not a valid safetensors file (truncated or corrupt?): {source}")]
    Safetensors {
        /// The file.
        file: String,
        /// The safetensors crate's diagnosis.
        source: SafeTensorError,
    },

    /// The metadata `format` is missing or names another kind of file.
    #[error("{file}: metadata `format` is {}, expected \"{expected}\"", quoted(found))]
    Format {
        /// The file.
        file: String,
        /// The value found, `None` when the key (or the whole metadata) is absent.
        found: Option<String>,
        /// The value this reader needs.
        expected: &'static str,
    },

    /// The metadata `version` is missing or not one this build reads.
    #[error("{file}: metadata `version` is {}, this build reads version(s) {}", quoted(found), supported.join(", "))]
    Version {
        /// The file.
        file: String,
        /// The value found, `None` when the key is absent.
        found: Option<String>,
        /// The versions this build reads.
        supported: &'static [&'static str],
    },

    /// A metadata key the format requires is absent.
    #[error("{file}: metadata `{key}` is missing")]
    MissingMetadata {
        /// The file.
        file: String,
        /// The metadata key.
        key: &'static str,
    },

    /// A metadata value does not parse as the format requires.
    #[error("{file}: metadata `{key}` is invalid: {reason}")]
    InvalidMetadata {
        /// The file.
        file: String,
        /// The metadata key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A tensor the format requires is absent.
    #[error("{file}: tensor `{tensor}` is missing")]
    MissingTensor {
        /// The file.
        file: String,
        /// The tensor's name.
        tensor: String,
    },

    /// A tensor has another element type than the format requires.
    #[error("{file}: tensor `{tensor}` has dtype {found}, expected {expected}")]
    WrongDtype {
        /// The file.
        file: String,
        /// The tensor's name.
        tensor: String,
        /// The dtype required (safetensors' name: `F32`, `I8`).
        expected: &'static str,
        /// The dtype found.
        found: String,
    },

    /// A tensor has another shape than its layer's specification gives.
    #[error("{file}: tensor `{tensor}` has shape {found:?}, expected {expected:?}")]
    WrongShape {
        /// The file.
        file: String,
        /// The tensor's name.
        tensor: String,
        /// The shape required.
        expected: Vec<usize>,
        /// The shape found.
        found: Vec<usize>,
    },

    /// A tensor has another number of dimensions than required (fixtures: CHW tensors).
    #[error("{file}: tensor `{tensor}` has shape {found:?}, expected {expected_rank} dimensions")]
    WrongRank {
        /// The file.
        file: String,
        /// The tensor's name.
        tensor: String,
        /// The number of dimensions required.
        expected_rank: usize,
        /// The shape found.
        found: Vec<usize>,
    },

    /// A weight or bias is NaN or infinite.
    #[error("{file}: tensor `{tensor}` holds a non-finite value ({value}) at flat index {index}")]
    NonFinite {
        /// The file.
        file: String,
        /// The tensor's name.
        tensor: String,
        /// Flat (row-major) index of the first bad element.
        index: usize,
        /// The value found.
        value: f32,
    },

    /// A quantisation scale is NaN, infinite, zero or negative.
    #[error("{file}: tensor `{tensor}` holds scale {value} at flat index {index}, scales must be finite and > 0")]
    InvalidScale {
        /// The file.
        file: String,
        /// The tensor's name.
        tensor: String,
        /// Flat index of the first bad element.
        index: usize,
        /// The value found.
        value: f32,
    },

    /// Two scales that NETWORK.md ties together differ (the input tensor's scale is also the
    /// input scale of `d1` and, concatenated with `u1`, of the head).
    #[error("{file}: tensor `{tensor}` is {value}, but it must equal `{expected_tensor}` = {expected}")]
    ScaleMismatch {
        /// The file.
        file: String,
        /// The tensor that disagrees.
        tensor: String,
        /// Its value.
        value: f32,
        /// The tensor it must equal.
        expected_tensor: String,
        /// That tensor's value.
        expected: f32,
    },

    /// A layer's int8 accumulator could reach 2^24, where summing its integer products in f32
    /// stops being exact (the bound is `|bias_q[c]| + 128 · Σ|weight_q[c, ·]|`).
    #[error(
        "{file}: layer `{layer}` output channel {channel}: int8 accumulator bound {bound} (|bias_q| = {bias_q}) \
         is not below 2^24 = 16777216; the bias or the scales are out of range"
    )]
    AccumulatorOverflow {
        /// The file.
        file: String,
        /// The layer, with its network prefix (`full.e3`).
        layer: String,
        /// The output channel.
        channel: usize,
        /// The bound reached (may be infinite when the bias does not fit the accumulator's scale).
        bound: f64,
        /// The pre-scaled bias `round_half_even(bias / (act_scale · weight_scale))`, as f32.
        bias_q: f32,
    },
}

/// `"value"` or `missing` for error messages.
fn quoted(found: &Option<String>) -> String {
    match found {
        Some(value) => format!("{value:?}"),
        None => "missing".to_owned(),
    }
}
