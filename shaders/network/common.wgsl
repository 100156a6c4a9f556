// Shared by the network kernels: the sizes of the U-Net's levels this frame and the layout of
// the activation tensors. Included with `#include "network/common.wgsl"`; the including shader
// declares `frame: FrameUniforms`. The host prepends each kernel with the rung's storage type
// `Act` (4 channels: vec4<f32> for f32, vec2<u32> of packed halves for f16, u32 of packed i8
// for int8) and its `act_load`/`input_pack` conversions.
//
// Tensors live in storage buffers, pixel-major: element (y · width + x) · C/4 + c/4 holds
// channels c..c+3 of pixel (x, y), for the level's size this frame.
#include "upscaler/common.wgsl"

// Level sizes (training/NETWORK.md): ½ and ¼ come from 2×2 stride-2 convolutions without padding
// (floor), ⅛ from a 3×3 stride-2 convolution with padding 1 (ceil). Level 0 is the render size.
fn level_size(level: u32) -> vec2<u32> {
    var s = frame.render_size;
    if level >= 1u {
        s = s / 2u;
    }
    if level >= 2u {
        s = s / 2u;
    }
    if level >= 3u {
        s = (s + 1u) / 2u;
    }
    return s;
}

// Element index of channel group `c4` of pixel `q` in a tensor of `size` with `groups` channel
// groups; `q` is clamped into the tensor so a load never leaves it.
fn tensor_index(q: vec2<i32>, size: vec2<u32>, groups: u32, c4: u32) -> u32 {
    let c = vec2<u32>(clamp(q, vec2<i32>(0), vec2<i32>(max(size, vec2<u32>(1u))) - 1));
    return (c.y * size.x + c.x) * groups + c4;
}

// Whether `q` lies inside a tensor of `size` (zero padding outside).
fn inside(q: vec2<i32>, size: vec2<u32>) -> bool {
    return all(q >= vec2<i32>(0)) && all(q < vec2<i32>(size));
}

// Nearest ×2 upsampling to the skip's size: output texel p reads min(p / 2, n − 1).
fn up_coord(p: vec2<u32>, src: vec2<u32>) -> vec2<i32> {
    return vec2<i32>(min(p / 2u, max(src, vec2<u32>(1u)) - 1u));
}

// Replaces NaN and infinities by 0: a poisoned value never enters the network.
fn finite4(v: vec4<f32>) -> vec4<f32> {
    return select(vec4<f32>(0.0), v, (v == v) & (abs(v) <= vec4<f32>(3.0e38)));
}
