//! Bevy 0.20's rendering conventions turned into quantsr's, in one place.
//!
//! Everything the plugin hands to [`quantsr_upscaler::Upscaler::dispatch`] that depends on how
//! Bevy renders goes through this module, so the facts below are stated (and tested) once.
//!
//! **Jitter.** Bevy's [`TemporalJitter::jitter_projection`] adds
//! `offset · (2, −2) / main_pass_size` to the perspective matrix's `z_axis.x/y`
//! (`bevy_render/src/camera.rs`: `let mut jitter = (self.offset * vec2(2.0, -2.0)) / view_size;
//! clip_from_view.z_axis.x += jitter.x; clip_from_view.z_axis.y += jitter.y;`), and
//! `prepare_view_uniforms` passes the main pass viewport, i.e. the render size under a
//! `MainPassResolutionOverride`. That column multiplies the view-space z, which is `−w` in
//! Bevy's right-handed projection, so clip x/y change by `−offset·(2, −2)/size · w`: the image
//! moves by **−offset** render pixels (x right, y down). quantsr's jitter is the opposite
//! movement: its `projection_jitter` is a clip-space *translation* (`clip.xy += j_clip · w`,
//! as `quantsr_scenes` applies it) that "moves the image by +jitter pixels", and its resolve
//! pass assumes "render pixel k sampled the scene at k + 0.5 − jitter". So
//! **quantsr jitter = −Bevy offset**, both in render pixels within [−0.5, 0.5] — exactly what
//! Bevy's DLSS node passes (`jitter_offset: (-temporal_jitter.offset)`; DLSS and FSR 2 share
//! the convention). The unit test below projects a point both ways to prove it.
//!
//! **Motion vectors.** Bevy's prepass writes
//! `(clip_position − previous_clip_position) · vec2(0.5, −0.5)` from the unjittered
//! projections (`bevy_pbr/src/prepass/prepass.wesl`), i.e. `uv_current − uv_previous` in UV
//! units of the main-pass viewport (the render rectangle), in an `Rg16Float` texture.
//! quantsr wants `uv_previous − uv_current` in UV units of the render size, so the scale is
//! `[−1, −1]`. (Bevy's DLSS node passes `motion_vector_scale = −render_resolution`: the
//! same sign flip, into DLSS's pixel units.)
//!
//! **Depth.** Bevy's perspective projection is `perspective_infinite_reverse`
//! (`bevy_camera/src/projection.rs`): reverse-Z with an infinite far plane, written to a
//! `Depth32Float` prepass texture. So `depth_inverted = true, depth_infinite = true`.
//!
//! **Colour.** With [`Hdr`](bevy::camera::Hdr) the main texture is linear `Rgba16Float`, already
//! multiplied by the camera's exposure in the PBR shader: quantsr's "pre-exposed colour", so
//! no exposure is passed.
//!
//! [`TemporalJitter::jitter_projection`]: bevy::render::camera::TemporalJitter::jitter_projection

use bevy::math::{UVec2, Vec2};
use quantsr_upscaler::UpscalerFlags;

/// Multiplies Bevy's prepass motion vectors into quantsr's `uv_previous − uv_current`
/// (see the module documentation).
pub const MOTION_VECTOR_SCALE: [f32; 2] = [-1.0, -1.0];

/// The input flags for a Bevy perspective camera with `Hdr`: reverse-Z, infinite far plane.
pub const FLAGS: UpscalerFlags = UpscalerFlags { hdr: true, depth_inverted: true, depth_infinite: true };

/// quantsr's jitter (render pixels) for a Bevy `TemporalJitter::offset`: the negation, since
/// Bevy's offset moves the image by −offset pixels and quantsr's jitter by +jitter.
pub fn jitter_from_bevy(offset: Vec2) -> [f32; 2] {
    (-offset).to_array()
}

/// Bevy's `TemporalJitter::offset` that makes Bevy render with quantsr's jitter `jitter`.
pub fn jitter_to_bevy(jitter: [f32; 2]) -> Vec2 {
    -Vec2::from_array(jitter)
}

/// A Bevy prepass motion vector (`uv_current − uv_previous`, render-rectangle UV units)
/// as quantsr's motion in render pixels: `uv_previous − uv_current`, times the render size.
/// What quantsr's prepare pass computes from the texture and [`MOTION_VECTOR_SCALE`].
pub fn motion_to_render_pixels(bevy_motion: Vec2, render_size: UVec2) -> Vec2 {
    bevy_motion * Vec2::from_array(MOTION_VECTOR_SCALE) * render_size.as_vec2()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::math::{Mat4, Vec3, Vec4};
    use bevy::render::camera::TemporalJitter;

    /// Bevy's jittered projection moves a projected point by exactly quantsr's jitter (in
    /// render pixels, y down) when the offset comes from `jitter_to_bevy`, and agrees with
    /// quantsr's own `projection_jitter` applied as a clip-space translation.
    #[test]
    fn bevy_jitter_moves_the_image_by_quantsr_jitter() {
        let size = Vec2::new(160.0, 90.0);
        let proj = bevy::math::proj::perspective_infinite_reverse(1.0, size.x / size.y, 0.1);
        let jitter = [0.25, -0.375];
        let mut bevy_jittered = proj;
        TemporalJitter { offset: jitter_to_bevy(jitter) }.jitter_projection(&mut bevy_jittered, size);
        let clip = quantsr_upscaler::projection_jitter(jitter, [160, 90]);
        let quantsr_jittered = Mat4::from_translation(Vec3::new(clip[0], clip[1], 0.0)) * proj;
        let to_pixel = |m: Mat4| {
            let c = m * Vec4::new(0.3, -0.2, -4.0, 1.0);
            let ndc = c.truncate() / c.w;
            Vec2::new((ndc.x * 0.5 + 0.5) * size.x, (0.5 - ndc.y * 0.5) * size.y)
        };
        let moved = to_pixel(bevy_jittered) - to_pixel(proj);
        let expected = Vec2::from_array(jitter);
        assert!((moved - expected).abs().max_element() < 1e-4, "bevy moved {moved}, quantsr wants {expected}");
        let moved_q = to_pixel(quantsr_jittered) - to_pixel(proj);
        assert!((moved_q - expected).abs().max_element() < 1e-4, "quantsr moved {moved_q}");
        assert_eq!(jitter_from_bevy(jitter_to_bevy(jitter)), jitter);
    }

    /// A point moving right on screen has Bevy motion +x and quantsr motion −x pixels.
    #[test]
    fn motion_sign_and_units() {
        let px = motion_to_render_pixels(Vec2::new(0.1, -0.05), UVec2::new(200, 100));
        assert_eq!(px, Vec2::new(-20.0, 5.0));
    }
}
