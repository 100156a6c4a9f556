//! Counts of live GPU objects, to check that long runs allocate nothing after warm-up.

use crate::GpuContext;

/// Live wgpu objects by kind (wgpu-core's registry report): what a leak would make grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceCounts {
    /// Buffers.
    pub buffers: usize,
    /// Textures.
    pub textures: usize,
    /// Texture views.
    pub texture_views: usize,
    /// Bind groups.
    pub bind_groups: usize,
    /// Query sets.
    pub query_sets: usize,
    /// Compute pipelines.
    pub compute_pipelines: usize,
}

/// The objects alive on `ctx`'s instance now; `None` where the backend gives no report.
pub fn resource_counts(ctx: &GpuContext) -> Option<ResourceCounts> {
    let report = ctx.instance.generate_report()?;
    let hub = report.hub_report();
    Some(ResourceCounts {
        buffers: hub.buffers.num_kept_from_user,
        textures: hub.textures.num_kept_from_user,
        texture_views: hub.texture_views.num_kept_from_user,
        bind_groups: hub.bind_groups.num_kept_from_user,
        query_sets: hub.query_sets.num_kept_from_user,
        compute_pipelines: hub.compute_pipelines.num_kept_from_user,
    })
}
