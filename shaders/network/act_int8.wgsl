// Activation storage of the int8 rungs: 4 channels as one u32 of packed i8 (4 bytes), the
// quantisation of training/NETWORK.md. Integer products are summed in f32, which is exact: the
// host checks that no partial sum can reach 2^24. Included first by every network kernel.
alias Act = u32;

// Scale of the network's input tensor (set per network when the pipeline is created).
override INPUT_SCALE: f32 = 1.0;

fn act_load(a: Act) -> vec4<f32> {
    return vec4<f32>(unpack4xI8(a));
}

// q = clamp(round_half_even(acc · M), lo, 127): WGSL's round is half-to-even, as torch's.
fn act_requantize(acc: vec4<f32>, m: vec4<f32>, lo: f32) -> Act {
    return pack4xI8(vec4<i32>(clamp(round(acc * m), vec4<f32>(lo), vec4<f32>(127.0))));
}

fn input_pack(v: vec4<f32>) -> Act {
    return pack4xI8(vec4<i32>(clamp(round(v / INPUT_SCALE), vec4<f32>(-128.0), vec4<f32>(127.0))));
}
