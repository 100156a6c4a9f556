//! The runtime a renderer embeds: the [`jitter`] conventions shared with renderers, and (as
//! it lands) the `Upscaler` with its passes, rungs and history.

pub mod jitter;

pub use jitter::{
    QualityMode, jitter_offset, jitter_phase_count, mip_bias, projection_jitter, render_size,
};
