//! quantsr as a Bevy 0.20 plugin: the camera's 3D main pass renders at a lower resolution and
//! quantsr's neural (or TAAU) temporal upscaler reconstructs the display-resolution image, in
//! the post-processing slot Bevy's TAA and DLSS use.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use quantsr_bevy::{Quantsr, QuantsrPlugin};
//!
//! App::new()
//!     .add_plugins((DefaultPlugins, QuantsrPlugin))
//!     .add_systems(Startup, |mut commands: Commands| {
//!         commands.spawn((Camera3d::default(), Msaa::Off, Quantsr::default()));
//!     })
//!     .run();
//! ```
//!
//! The upscaler runs on Bevy's own device and queue and records into Bevy's command encoder;
//! [`QuantsrTelemetry`] reports what it did. Bevy's jitter, motion-vector and depth
//! conventions are converted in [`conventions`].

mod component;
pub mod conventions;
mod render;
mod telemetry;

use bevy::core_pipeline::schedule::{Core3d, Core3dSystems};
use bevy::prelude::*;
use bevy::render::view::prepare_view_targets;
use bevy::render::{ExtractSchedule, Render, RenderApp, RenderSystems};
use log::warn;

pub use component::{Quantsr, QuantsrMethod, QuantsrScale};
pub use quantsr_upscaler::{Precision, QualityMode, Rung};
pub use telemetry::{QuantsrTelemetry, UpscalerStatus, ViewTelemetry};

/// Adds quantsr upscaling to every camera with a [`Quantsr`] component. Add it after
/// Bevy's render plugins (`DefaultPlugins`), which create the render world it lives in.
#[derive(Default)]
pub struct QuantsrPlugin;

impl Plugin for QuantsrPlugin {
    fn build(&self, app: &mut App) {
        let shared = telemetry::SharedTelemetry::default();
        app.insert_resource(shared.clone())
            .init_resource::<QuantsrTelemetry>()
            .add_systems(First, telemetry::publish_telemetry);
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            warn!("QuantsrPlugin was added without a render app (add it after DefaultPlugins); it does nothing");
            return;
        };
        render_app
            .insert_resource(shared)
            .init_resource::<render::HostFrameTime>()
            .add_systems(ExtractSchedule, render::extract_quantsr)
            .add_systems(
                Render,
                render::prepare_quantsr.in_set(RenderSystems::PrepareViews).before(prepare_view_targets),
            )
            .add_systems(Core3d, render::quantsr_upscale.in_set(Core3dSystems::EarlyPostProcess));
    }
}
