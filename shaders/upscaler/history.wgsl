// Reprojected history sampling, shared by resolve and the network input (which reads history
// exactly as resolve will). Included with `#include "upscaler/history.wgsl"`; the including
// shader declares `frame: FrameUniforms` and `history_in` (the previous history, display res).

fn load_history(p: vec2<i32>) -> vec4<f32> {
    let q = clamp(p, vec2<i32>(0), vec2<i32>(frame.display_size) - 1);
    return textureLoad(history_in, q, 0);
}

// Catmull-Rom weights for the four taps around a sample at fraction t.
fn catmull_rom_weights(t: f32) -> vec4<f32> {
    let t2 = t * t;
    let t3 = t2 * t;
    return vec4<f32>(
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    );
}

// History at display-pixel position `pos` (pixel centres at +0.5): colour by Catmull-Rom
// (sharp under sub-pixel motion), weight by the nearest texel.
fn sample_history(pos: vec2<f32>) -> vec4<f32> {
    let x = pos - 0.5;
    let base = vec2<i32>(floor(x));
    let f = x - floor(x);
    let wx = catmull_rom_weights(f.x);
    let wy = catmull_rom_weights(f.y);
    var color = vec3<f32>(0.0);
    var lo = vec3<f32>(1.0);
    var hi = vec3<f32>(0.0);
    for (var j = 0; j < 4; j++) {
        for (var i = 0; i < 4; i++) {
            let h = load_history(base + vec2<i32>(i - 1, j - 1)).rgb;
            color += wx[i] * wy[j] * h;
            if i >= 1 && i <= 2 && j >= 1 && j <= 2 {
                lo = min(lo, h);
                hi = max(hi, h);
            }
        }
    }
    // Catmull-Rom overshoots at edges: keep it inside the 2×2 footprint's range.
    color = clamp(color, lo, hi);
    let weight = load_history(vec2<i32>(floor(pos))).a;
    return vec4<f32>(color, weight);
}
