//! Measuring the upscaler's GPU time every frame without ever waiting for the GPU: a ring of
//! timestamp-query slots, resolved into buffers that are mapped asynchronously and harvested
//! frames later (DESIGN §5). The precision controller that consumes these timings lands here
//! next.

mod timestamps;

pub use timestamps::{FrameTimings, TimestampRing};
