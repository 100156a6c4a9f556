// Activation storage of the f32 rung: 4 channels per vec4<f32> (16 bytes). Included first by
// every network kernel of the rung (input.wgsl's ACT_STORAGE define and the kernel generator pick
// it, act_f16 or act_int8 for the other rungs).
alias Act = vec4<f32>;

fn act_load(a: Act) -> vec4<f32> {
    return a;
}

fn act_pack(v: vec4<f32>) -> Act {
    return v;
}

fn input_pack(v: vec4<f32>) -> Act {
    return v;
}
