//! The one error type of this crate.

use std::path::PathBuf;

/// What can go wrong setting up the controller, parsing a rung or a load profile, or writing
/// telemetry. Each variant carries the input it is about and what was expected, so the
/// message alone is enough to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// A controller setting is out of its range.
    #[error("controller setting {field} = {got} is not {expected}")]
    Setting {
        /// The field of [`crate::ControllerSettings`], e.g. `margin`.
        field: &'static str,
        /// The value found.
        got: String,
        /// What the field accepts, e.g. "a fraction in [0, 1)".
        expected: &'static str,
    },

    /// A load profile specification that does not parse.
    #[error("load profile {spec:?}: {problem}")]
    LoadProfile {
        /// The specification as given, e.g. `ramp:4`.
        spec: String,
        /// What is wrong and what the form should be.
        problem: String,
    },

    /// The file of a `trace:FILE` load profile could not be read.
    #[error("{}: cannot read load trace: {source}", path.display())]
    TraceIo {
        /// The trace file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A line of a `trace:FILE` load profile is not a finite, non-negative number of
    /// milliseconds.
    #[error("{}:{line}: {got:?} is not a load in milliseconds (one finite number >= 0 per line)", path.display())]
    TraceValue {
        /// The trace file.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
        /// The text of the line.
        got: String,
    },

    /// Writing telemetry failed.
    #[error("cannot write telemetry: {0}")]
    TelemetryIo(#[from] std::io::Error),

    /// Encoding telemetry as JSON failed.
    #[error("cannot encode telemetry as JSON: {0}")]
    TelemetryJson(#[from] serde_json::Error),
}
