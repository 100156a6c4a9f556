// Activation storage of the f16 rung: 4 channels as two u32 of packed halves (8 bytes), math in
// f16. Included first by every network kernel of the rung.
enable f16;

alias Act = vec2<u32>;

fn act_load(a: Act) -> vec4<f16> {
    return vec4<f16>(vec4<f32>(unpack2x16float(a.x), unpack2x16float(a.y)));
}

fn act_pack(v: vec4<f32>) -> Act {
    return vec2<u32>(pack2x16float(v.xy), pack2x16float(v.zw));
}

fn input_pack(v: vec4<f32>) -> Act {
    return act_pack(v);
}
