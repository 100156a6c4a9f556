// Shared by every upscaler pass: the per-frame uniforms and colour-space helpers.
// Included with `#include "upscaler/common.wgsl"`.

struct FrameUniforms {
    render_size: vec2<u32>,       // this frame's render size (top-left of the input textures)
    display_size: vec2<u32>,
    prev_render_size: vec2<u32>,  // render size of the previous frame (dynamic resolution)
    frame_index: u32,
    reset: u32,                   // 1: discard history this frame
    jitter: vec2<f32>,            // render pixels, FSR 2 convention
    motion_scale: vec2<f32>,      // multiplies the input motion vectors into UV units
    exposure: f32,                // sanitised scalar exposure (1 when unknown)
    use_exposure_texture: u32,
    sharpness: f32,               // 0: no sharpening
    debug_view: u32,
    depth_inverted: u32,
    has_reactive: u32,
    hdr: u32,
    _pad: u32,
}

const LUMA = vec3<f32>(0.2126, 0.7152, 0.0722);
const HALF_MAX: f32 = 65504.0;

// Replaces NaN/Inf by 0 so one bad pixel never reaches history, and clamps the rest to
// [0, HALF_MAX]: negatives become 0, HDR values beyond f16's range saturate (not black).
fn sanitize(c: vec3<f32>) -> vec3<f32> {
    let finite = (c == c) & (abs(c) <= vec3<f32>(3.0e38));
    return clamp(select(vec3<f32>(0.0), c, finite), vec3<f32>(0.0), vec3<f32>(HALF_MAX));
}

fn is_finite3(c: vec3<f32>) -> bool {
    return all((c == c) & (abs(c) <= vec3<f32>(3.0e38)));
}

// Reversible tonemap into [0, 1): history blending and clipping happen in this space so
// HDR highlights cannot dominate the filter.
fn tonemap(c: vec3<f32>) -> vec3<f32> {
    return c / (1.0 + max(max(c.r, c.g), c.b));
}

fn inverse_tonemap(c: vec3<f32>) -> vec3<f32> {
    return c / max(1.0 - max(max(c.r, c.g), c.b), 1.0 / HALF_MAX);
}

fn rgb_to_ycocg(c: vec3<f32>) -> vec3<f32> {
    return vec3<f32>(
        0.25 * c.r + 0.5 * c.g + 0.25 * c.b,
        0.5 * c.r - 0.5 * c.b,
        -0.25 * c.r + 0.5 * c.g - 0.25 * c.b,
    );
}

fn ycocg_to_rgb(c: vec3<f32>) -> vec3<f32> {
    return vec3<f32>(c.x + c.y - c.z, c.x + c.z, c.x - c.y - c.z);
}

// 1/z up to a constant, for either depth convention: comparisons of relative depth then
// need neither near nor far.
fn inverse_depth(d: f32, inverted: u32) -> f32 {
    let v = select(1.0 - d, d, inverted == 1u);
    return max(v, 1e-7);
}

// Clamps a pixel coordinate into the current render rectangle.
fn clamp_render(p: vec2<i32>, size: vec2<u32>) -> vec2<i32> {
    return clamp(p, vec2<i32>(0), vec2<i32>(size) - 1);
}

// The frame's exposure: the scalar, or the renderer's 1×1 texture value when it gave one;
// anything non-finite, zero or absurd counts as 1.
fn frame_exposure(scalar: f32, use_texture: u32, texture_value: f32) -> f32 {
    let e = select(scalar, texture_value, use_texture == 1u);
    return select(1.0, e, e == e && e > 1e-8 && e < 1e8);
}
