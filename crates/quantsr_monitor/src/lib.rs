//! Measuring the upscaler's GPU time every frame without ever waiting for the GPU, and
//! turning those timings into the rung of the next frame (ARCHITECTURE §5).
//!
//! * [`TimestampRing`]: a ring of timestamp-query slots, resolved into buffers that are
//!   mapped asynchronously and harvested frames later.
//! * [`Controller`]: the precision controller, a plain type fed with [`FrameObservation`]s
//!   that returns a [`Decision`] per frame; tested without a GPU on scripted traces
//!   ([`sim`]).
//! * [`TelemetryLog`]: one [`TelemetryRecord`] per frame, as CSV or JSON.
//! * [`JointController`]: the choice of precision, render resolution or both ([`Adapt`]),
//!   from a [`QualityTable`] of each rung's PSNR at each render scale.
//! * [`LoadProfile`]: synthetic load (`steady:MS`, `ramp:A-B`, `spikes`, `scene:MS`,
//!   `trace:FILE`), and
//!   [`SyntheticLoad`], the calibrated GPU pass that burns that much time.

mod adapt;
mod controller;
mod error;
mod load;
mod load_pass;
pub mod sim;
mod telemetry;
mod timestamps;

pub use adapt::{Adapt, JointController, JointDecision, JointObservation, JointSettings, QualityTable, fixed_share};
pub use controller::{
    Controller, ControllerSettings, ControllerStats, Decision, FrameObservation, SwitchReason, TELEMETRY_HORIZON_FRAMES,
};
pub use error::MonitorError;
pub use load::LoadProfile;
pub use load_pass::SyntheticLoad;
pub use quantsr_model::{Precision, Rung};
pub use telemetry::{CSV_HEADER, TelemetryLog, TelemetryRecord};
pub use timestamps::{FrameTimings, TimestampRing};
