//! What the upscalers in the render world did, readable from the main world.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use bevy::prelude::*;
use quantsr_upscaler::Rung;

/// Where a view's upscaler stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum UpscalerStatus {
    /// Being built on a worker thread; the view renders natively meanwhile.
    #[default]
    Building,
    /// Upscaling every frame.
    Ready,
    /// Could not be created or dispatched; the message says why. The view renders natively.
    Failed(String),
}

/// The latest frame of one view's upscaler.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewTelemetry {
    /// Building, ready or failed.
    pub status: UpscalerStatus,
    /// The rung of the latest upscaled frame.
    pub rung: Option<Rung>,
    /// GPU time of the upscaler's passes, in milliseconds, as measured a few frames late
    /// (timestamp queries, or the controller's completion-time estimate where timestamps
    /// are missing or meaningless); `None` until a measurement arrives.
    pub gpu_ms: Option<f64>,
    /// The render size of the latest frame.
    pub render_size: UVec2,
    /// The display size the upscaler writes.
    pub display_size: UVec2,
    /// Frames this upscaler has dispatched (its `FrameInfo::frame_index` + 1).
    pub frames: u64,
    /// Under automatic precision: the controller's budget for the upscaler, in milliseconds.
    pub budget_ms: Option<f64>,
    /// The rungs the upscaler can switch between without being rebuilt, best first.
    pub available_rungs: Vec<Rung>,
    /// Upscalers built for this view so far (display-size changes and new rung sets rebuild).
    pub builds: u32,
}

/// Telemetry of every quantsr camera, keyed by the main-world camera entity; refreshed from
/// the render world at the start of every frame (values lag the GPU by a few frames).
#[derive(Resource, Debug, Clone, Default)]
pub struct QuantsrTelemetry {
    /// Per camera.
    pub views: HashMap<Entity, ViewTelemetry>,
}

impl QuantsrTelemetry {
    /// The telemetry of `camera`, if it has a quantsr upscaler.
    pub fn view(&self, camera: Entity) -> Option<&ViewTelemetry> {
        self.views.get(&camera)
    }

    /// One line for a title bar or overlay: status, rung, GPU time and sizes of `camera`.
    pub fn summary(&self, camera: Entity) -> String {
        let Some(v) = self.view(camera) else { return "quantsr off".to_owned() };
        match &v.status {
            UpscalerStatus::Building => "quantsr: building the upscaler…".to_owned(),
            UpscalerStatus::Failed(e) => format!("quantsr failed: {e}"),
            UpscalerStatus::Ready => format!(
                "quantsr {} | {} ms | {}x{} -> {}x{} | frame {}",
                v.rung.map_or("-", Rung::name),
                v.gpu_ms.map_or_else(|| "-".to_owned(), |ms| format!("{ms:.2}")),
                v.render_size.x,
                v.render_size.y,
                v.display_size.x,
                v.display_size.y,
                v.frames,
            ),
        }
    }
}

/// The mailbox between the worlds: the render world writes, the main world copies.
#[derive(Resource, Clone, Default)]
pub(crate) struct SharedTelemetry(pub(crate) Arc<Mutex<HashMap<Entity, ViewTelemetry>>>);

impl SharedTelemetry {
    /// Runs `f` on the map (a panic elsewhere never poisons telemetry for good).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut HashMap<Entity, ViewTelemetry>) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Main world, every frame: copies the render world's latest telemetry into [`QuantsrTelemetry`].
pub(crate) fn publish_telemetry(shared: Res<SharedTelemetry>, mut telemetry: ResMut<QuantsrTelemetry>) {
    shared.with(|views| {
        if telemetry.views != *views {
            telemetry.views.clone_from(views);
        }
    });
}
