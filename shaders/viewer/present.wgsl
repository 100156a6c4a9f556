// Viewer present: draws display-resolution upscaled images (linear HDR) into a window surface
// or a small UI texture, through the display transform `srgb_oetf(clamp(x, 0, 1))` the
// evaluation uses. Two images can be compared: a wipe (image_a left of `split_x`, image_b
// right of it, in source pixels) or side by side (the centre half of each image, a on the left).
// The target pixel at uv maps to source pixel `src_origin + uv * src_extent` and reads the
// nearest texel, so the magnifier is the same pass over a small source rectangle.
// Bindings: params (uniform), image_a and image_b (float textures, read with textureLoad).
// Draw: one fullscreen triangle (3 vertices, no buffers).

struct Params {
    // Source pixel at target uv (0, 0), and the source pixels the target spans.
    src_origin: vec2<f32>,
    src_extent: vec2<f32>,
    // Size of the source images in pixels (both have it).
    src_size: vec2<f32>,
    // Wipe position in source pixels: image_b from here on.
    split_x: f32,
    // 0 single image (a), 1 wipe, 2 side by side.
    compare: u32,
    // 1: write sRGB-encoded values (target format is not sRGB); 0: linear (sRGB target).
    encode_srgb: u32,
    // Half width of the divider line in target pixels (0: no line).
    line_half_width: f32,
    // Target size in pixels.
    target_size: vec2<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var image_a: texture_2d<f32>;
@group(0) @binding(2) var image_b: texture_2d<f32>;

struct VertexOutput {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOutput {
    // (0,0), (2,0), (0,2) in uv: one triangle covering the whole target.
    let uv = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    var out: VertexOutput;
    out.position = vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, 0.0, 1.0);
    out.uv = uv;
    return out;
}

fn srgb_oetf(c: vec3<f32>) -> vec3<f32> {
    let lo = c * 12.92;
    let hi = 1.055 * pow(c, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(hi, lo, c <= vec3<f32>(0.0031308));
}

fn load_nearest(use_b: bool, p: vec2<f32>) -> vec3<f32> {
    let texel = vec2<i32>(clamp(floor(p), vec2<f32>(0.0), params.src_size - 1.0));
    if use_b {
        return textureLoad(image_b, texel, 0).rgb;
    }
    return textureLoad(image_a, texel, 0).rgb;
}

@fragment
fn fs_main(in: VertexOutput) -> @location(0) vec4<f32> {
    var uv = in.uv;
    var use_b = false;
    var on_line = false;
    let target_x = in.uv.x * params.target_size.x;
    if params.compare == 2u {
        // Side by side: each half of the target shows the centre half of one image.
        use_b = uv.x >= 0.5;
        uv.x = select(uv.x + 0.25, uv.x - 0.25, use_b);
        on_line = abs(target_x - 0.5 * params.target_size.x) < params.line_half_width;
    }
    let p = params.src_origin + uv * params.src_extent;
    if params.compare == 1u {
        use_b = p.x >= params.split_x;
        let line_x = (params.split_x - params.src_origin.x) / params.src_extent.x * params.target_size.x;
        on_line = abs(target_x - line_x) < params.line_half_width;
    }
    var color = load_nearest(use_b, p);
    // NaN never reaches the screen as garbage: show it as magenta.
    // `x != x` compiles to an ordered comparison (false for NaN): test equality instead.
    if !all(color == color) {
        color = vec3<f32>(1.0, 0.0, 1.0);
    }
    color = clamp(color, vec3<f32>(0.0), vec3<f32>(1.0));
    if on_line {
        color = vec3<f32>(0.9);
    }
    if params.encode_srgb == 1u {
        color = srgb_oetf(color);
    }
    return vec4<f32>(color, 1.0);
}
