// Test-scene rasterizer: forward shading (base colour, normal map, emissive, directional
// light + ambient, Blinn-Phong highlight, alpha mask/blend) of one object per draw.
// Entry points:
//   vs_main            vertex stage; the object is `objects[instance_index]`
//   fs_inputs          render-resolution inputs: colour, motion (uv_prev − uv_cur from
//                      unjittered projections), device depth, reactive mask (4 targets)
//   fs_color           colour only: one ground-truth sample pass at display resolution
// Bindings: group 0 = view (uniform) + objects (storage); group 1 = the material's textures
// and sampler. Depth: reverse-Z (greater is closer).

struct View {
    view_proj: mat4x4<f32>,        // jittered: what is rasterized
    unjittered: mat4x4<f32>,       // this frame, without jitter
    prev_unjittered: mat4x4<f32>,  // previous frame, without jitter
    camera_pos: vec4<f32>,
    light_dir: vec4<f32>,          // towards the light, normalised
    light_color: vec4<f32>,
    ambient: vec4<f32>,
    params: vec4<f32>,             // x: texture LOD bias, y: time in seconds
}

struct Object {
    model: mat4x4<f32>,
    prev_model: mat4x4<f32>,
    normal_matrix: mat4x4<f32>,
    base_color: vec4<f32>,
    emissive: vec4<f32>,
    uv_row0: vec4<f32>,            // (a, b, tx, scroll u per second)
    uv_row1: vec4<f32>,            // (c, d, ty, scroll v per second)
    shading: vec4<f32>,            // x: specular, y: shininess, z: normal scale (0 = none), w: reactive
    alpha: vec4<f32>,              // x: mode (0 opaque, 1 mask, 2 blend), y: cutoff
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<storage, read> objects: array<Object>;

@group(1) @binding(0) var base_tex: texture_2d<f32>;
@group(1) @binding(1) var normal_tex: texture_2d<f32>;
@group(1) @binding(2) var emissive_tex: texture_2d<f32>;
@group(1) @binding(3) var material_sampler: sampler;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) tangent: vec4<f32>,
    @location(3) uv: vec2<f32>,
}

struct Varyings {
    @builtin(position) clip: vec4<f32>,
    @location(0) world_pos: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) tangent: vec4<f32>,
    @location(3) uv: vec2<f32>,
    @location(4) cur_clip: vec4<f32>,
    @location(5) prev_clip: vec4<f32>,
    @location(6) @interpolate(flat) object: u32,
}

@vertex
fn vs_main(v: VertexIn, @builtin(instance_index) object: u32) -> Varyings {
    let o = objects[object];
    let world = o.model * vec4<f32>(v.position, 1.0);
    let prev_world = o.prev_model * vec4<f32>(v.position, 1.0);
    var out: Varyings;
    out.clip = view.view_proj * world;
    out.world_pos = world.xyz;
    out.normal = (o.normal_matrix * vec4<f32>(v.normal, 0.0)).xyz;
    out.tangent = vec4<f32>((o.model * vec4<f32>(v.tangent.xyz, 0.0)).xyz, v.tangent.w);
    out.uv = v.uv;
    out.cur_clip = view.unjittered * world;
    out.prev_clip = view.prev_unjittered * prev_world;
    out.object = object;
    return out;
}

struct Surface {
    color: vec3<f32>,
    alpha: f32,
    reactive: f32,
}

fn clip_to_uv(c: vec4<f32>) -> vec2<f32> {
    let ndc = c.xy / c.w;
    return vec2<f32>(ndc.x * 0.5 + 0.5, 0.5 - ndc.y * 0.5);
}

fn shade(in: Varyings, front: bool) -> Surface {
    let o = objects[in.object];
    let t = view.params.y;
    let uv = vec2<f32>(
        dot(o.uv_row0.xy, in.uv) + o.uv_row0.z + o.uv_row0.w * t,
        dot(o.uv_row1.xy, in.uv) + o.uv_row1.z + o.uv_row1.w * t,
    );
    let bias = view.params.x;
    let base = o.base_color * textureSampleBias(base_tex, material_sampler, uv, bias);
    let nt = textureSampleBias(normal_tex, material_sampler, uv, bias).xyz * 2.0 - 1.0;
    let emissive = o.emissive.rgb * textureSampleBias(emissive_tex, material_sampler, uv, bias).rgb;

    var n = normalize(in.normal);
    if !front {
        n = -n;
    }
    if o.shading.z > 0.0 {
        let tangent = normalize(in.tangent.xyz - n * dot(n, in.tangent.xyz));
        let bitangent = cross(n, tangent) * in.tangent.w;
        let m = normalize(vec3<f32>(nt.xy * o.shading.z, max(nt.z, 1e-3)));
        n = normalize(tangent * m.x + bitangent * m.y + n * m.z);
    }
    let l = view.light_dir.xyz;
    let v = normalize(view.camera_pos.xyz - in.world_pos);
    let h = normalize(l + v);
    let lambert = max(dot(n, l), 0.0);
    let spec = o.shading.x * pow(max(dot(n, h), 0.0), o.shading.y) * select(0.0, 1.0, lambert > 0.0);
    let lit = base.rgb * (view.ambient.rgb + view.light_color.rgb * lambert) + view.light_color.rgb * spec + emissive;
    return Surface(lit, base.a, o.shading.w);
}

fn alpha_test(in: Varyings, alpha: f32) {
    let a = objects[in.object].alpha;
    if a.x == 1.0 && alpha < a.y {
        discard;
    }
}

struct Inputs {
    @location(0) color: vec4<f32>,
    @location(1) motion: vec2<f32>,
    @location(2) depth: f32,
    @location(3) reactive: f32,
}

@fragment
fn fs_inputs(in: Varyings, @builtin(front_facing) front: bool) -> Inputs {
    let s = shade(in, front);
    alpha_test(in, s.alpha);
    var out: Inputs;
    let blended = objects[in.object].alpha.x == 2.0;
    out.color = vec4<f32>(s.color, select(1.0, s.alpha, blended));
    out.motion = clip_to_uv(in.prev_clip) - clip_to_uv(in.cur_clip);
    out.depth = in.clip.z;
    out.reactive = s.reactive * select(1.0, s.alpha, blended);
    return out;
}

@fragment
fn fs_color(in: Varyings, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    let s = shade(in, front);
    alpha_test(in, s.alpha);
    let blended = objects[in.object].alpha.x == 2.0;
    return vec4<f32>(s.color, select(1.0, s.alpha, blended));
}
