//! One record per frame: what the controller chose, what it expected and what was measured
//! (ARCHITECTURE §5), written as CSV for spreadsheets and plots, or as JSON.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::{MonitorError, Rung, SwitchReason};

/// The CSV header, exactly as ARCHITECTURE §5 specifies it.
pub const CSV_HEADER: &str = "frame,rung,upscaler_ms,load_ms,frame_ms,predicted_ms,budget_ms,reason,render_size";

/// What happened in one frame. Times are GPU milliseconds; a measurement that never arrived
/// (or was not a valid number) is `None`, an empty CSV field and a JSON `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelemetryRecord {
    /// The frame index the renderer passed to [`Controller::next_rung`](crate::Controller::next_rung).
    pub frame: u64,
    /// The rung the frame was upscaled with.
    pub rung: Rung,
    /// Measured GPU time of the upscaler (all its passes).
    pub upscaler_ms: Option<f64>,
    /// Measured time of everything else in the frame (the renderer's other GPU work, or
    /// the synthetic load), as reported by the host.
    pub load_ms: Option<f64>,
    /// The whole frame: the host's own frame time when it reports one, otherwise
    /// `upscaler_ms + load_ms` (the upscaler alone when no load was reported).
    pub frame_ms: Option<f64>,
    /// The upscaler time the controller predicted for this rung when it chose it; `None`
    /// before anything was measured.
    pub predicted_ms: Option<f64>,
    /// The upscaler's budget when the rung was chosen: target frame time minus the
    /// predicted load.
    pub budget_ms: Option<f64>,
    /// Why the rung changed at this frame; `None` when it did not.
    pub reason: Option<SwitchReason>,
    /// Measured GPU time of each upscaler pass, in recording order (JSON only).
    #[serde(default)]
    pub pass_ms: Vec<f64>,
    /// The render size of the frame (`WxH` in CSV), when the upscaler knows it: with
    /// [`Adapt::Resolution`](crate::Adapt) or [`Adapt::Both`](crate::Adapt) the controller's
    /// second knob.
    #[serde(default)]
    pub render_size: Option<[u32; 2]>,
}

impl TelemetryRecord {
    /// Writes the record as one CSV line (no header) with the columns of [`CSV_HEADER`].
    /// Numbers have three decimals (microseconds); missing ones are empty fields.
    pub fn write_csv_row(&self, w: &mut impl Write) -> std::io::Result<()> {
        fn num(x: Option<f64>) -> String {
            x.map(|v| format!("{v:.3}")).unwrap_or_default()
        }
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{}",
            self.frame,
            self.rung,
            num(self.upscaler_ms),
            num(self.load_ms),
            num(self.frame_ms),
            num(self.predicted_ms),
            num(self.budget_ms),
            self.reason.map(SwitchReason::name).unwrap_or_default(),
            self.render_size.map(|[w, h]| format!("{w}x{h}")).unwrap_or_default()
        )
    }
}

/// The records of a run, in frame order, ready to be written as CSV or JSON. Fill it from
/// [`Controller::drain_telemetry`](crate::Controller::drain_telemetry) each frame and
/// [`Controller::finish_telemetry`](crate::Controller::finish_telemetry) at the end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TelemetryLog {
    records: Vec<TelemetryRecord>,
}

impl TelemetryLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one record.
    pub fn push(&mut self, record: TelemetryRecord) {
        self.records.push(record);
    }

    /// The records so far.
    pub fn records(&self) -> &[TelemetryRecord] {
        &self.records
    }

    /// Writes [`CSV_HEADER`] and one line per record.
    pub fn write_csv(&self, mut w: impl Write) -> Result<(), MonitorError> {
        writeln!(w, "{CSV_HEADER}")?;
        for r in &self.records {
            r.write_csv_row(&mut w)?;
        }
        w.flush()?;
        Ok(())
    }

    /// Writes a JSON array with one object per record (one per line), with the CSV's fields
    /// plus `pass_ms`; missing numbers and reasons are `null`.
    pub fn write_json(&self, mut w: impl Write) -> Result<(), MonitorError> {
        w.write_all(b"[")?;
        for (i, r) in self.records.iter().enumerate() {
            w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut w, r)?;
        }
        w.write_all(b"\n]\n")?;
        w.flush()?;
        Ok(())
    }
}

impl Extend<TelemetryRecord> for TelemetryLog {
    fn extend<T: IntoIterator<Item = TelemetryRecord>>(&mut self, iter: T) {
        self.records.extend(iter);
    }
}

impl FromIterator<TelemetryRecord> for TelemetryLog {
    fn from_iter<T: IntoIterator<Item = TelemetryRecord>>(iter: T) -> Self {
        Self { records: iter.into_iter().collect() }
    }
}
