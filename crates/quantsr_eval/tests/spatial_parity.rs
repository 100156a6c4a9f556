//! The spatial baselines on the GPU (`shaders/baselines/spatial.wgsl`, `easu.wgsl`) compute what
//! their CPU references in `quantsr_eval::spatial_cpu` compute, and the edge-adaptive filter
//! does what it is for: sharper edges than bilinear, no overshoot.
//!
//! Tolerance (f32 on both sides, only rounding and fused multiply-adds differ): the largest
//! absolute difference is at most 1e-4 of the range of the reference output.

use quantsr_eval::Method;
use quantsr_eval::spatial::{SpatialFilter, SpatialUpscaler};
use quantsr_eval::spatial_cpu;
use quantsr_gpu::{create_texture, create_texture_with_data, read_texture, test_gpu, wgpu};
use quantsr_sequence::Image;

const FILTERS: [SpatialFilter; 3] = [SpatialFilter::Bilinear, SpatialFilter::Bicubic, SpatialFilter::Easu];

/// A size that is neither a multiple of the workgroup nor an integer ratio of the display.
const RENDER: [u32; 2] = [37, 23];
const DISPLAY: [u32; 2] = [80, 52];
const JITTER: [f32; 2] = [0.31, -0.22];

/// Runs `filter` on the GPU. The render image is uploaded into the top-left of a larger
/// texture whose other texels are bright garbage, as the runner's max-render-size textures
/// are, so reading outside `render_size` would show.
fn gpu_upscale(filter: SpatialFilter, color: &Image, display_size: [u32; 2], jitter: [f32; 2]) -> Image {
    let ctx = test_gpu();
    let [w, h] = color.size();
    let padded = Image::from_fn(w + 3, h + 2, 4, |x, y, c| if x < w && y < h { color.pixel(x, y)[c] } else { 1.0e4 });
    let input = create_texture_with_data(
        &ctx.device,
        &ctx.queue,
        "spatial parity colour",
        padded.size(),
        wgpu::TextureFormat::Rgba32Float,
        bytemuck::cast_slice(padded.data()),
    );
    let output = create_texture(
        &ctx.device,
        "spatial parity output",
        display_size,
        wgpu::TextureFormat::Rgba32Float,
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
    );
    let mut upscaler = SpatialUpscaler::new(&ctx, filter, display_size).unwrap();
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    let view = |t: &wgpu::Texture| t.create_view(&Default::default());
    upscaler.dispatch(&ctx, &mut encoder, &view(&input), &view(&output), color.size(), jitter);
    ctx.queue.submit([encoder.finish()]);
    let data = read_texture(&ctx, &output).unwrap().to_f32();
    Image::new(display_size[0], display_size[1], 4, data)
}

/// Asserts the GPU output of every filter matches the CPU reference on `color`.
fn assert_gpu_matches_cpu(color: &Image, what: &str) {
    for filter in FILTERS {
        let gpu = gpu_upscale(filter, color, DISPLAY, JITTER);
        let cpu = spatial_cpu::upscale(filter, color, DISPLAY, JITTER);
        assert!(cpu.data().iter().all(|v| v.is_finite()), "{filter:?} on {what}: CPU reference is not finite");
        let (lo, hi) = cpu.data().iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        let tolerance = 1e-4 * (hi - lo).max(1.0e-6);
        let mut worst = (0.0f32, 0usize);
        for (i, (g, c)) in gpu.data().iter().zip(cpu.data()).enumerate() {
            let err = if g.is_finite() { (g - c).abs() } else { f32::INFINITY };
            if err > worst.0 {
                worst = (err, i);
            }
        }
        let (err, i) = worst;
        let (x, y, ch) = ((i / 4) as u32 % DISPLAY[0], (i / 4) as u32 / DISPLAY[0], i % 4);
        assert!(
            err <= tolerance,
            "{filter:?} on {what}: GPU {} vs CPU {} at ({x}, {y}) channel {ch}: error {err:e} > {tolerance:e}",
            gpu.data()[i],
            cpu.data()[i],
        );
    }
}

/// splitmix64: a deterministic, dependency-free source of test noise.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Log-uniform HDR radiance from about 0.007 to 55, some exact zeros, and a few pixels that
/// are NaN, ±Inf or negative (a renderer's bad samples).
fn random_hdr(size: [u32; 2], seed: u64) -> Image {
    let mut rng = Rng(seed);
    let mut img = Image::from_fn(size[0], size[1], 4, |_, _, c| match c {
        3 => 1.0,
        _ if rng.unit() < 0.05 => 0.0,
        _ => (rng.unit() * 9.0 - 5.0).exp(),
    });
    let bad =
        [(3, 4, f32::NAN), (20, 10, f32::INFINITY), (36, 22, f32::NEG_INFINITY), (0, 0, f32::NAN), (12, 17, -0.75)];
    for (x, y, v) in bad {
        let i = (y as usize * size[0] as usize + x as usize) * 4;
        img.data_mut()[i..i + 3].copy_from_slice(&[v, 0.5, v]);
    }
    img
}

/// A smooth horizontal ramp with a bright half-plane behind a diagonal hard edge.
fn gradient_and_edge(size: [u32; 2]) -> Image {
    Image::from_fn(size[0], size[1], 4, |x, y, c| {
        let ramp = 0.05 + 1.5 * x as f32 / size[0] as f32 + 0.1 * c as f32;
        let bright = (y as f32) > 0.45 * x as f32 + 4.0;
        match c {
            3 => 1.0,
            _ if bright => ramp + 6.0,
            _ => ramp,
        }
    })
}

#[test]
fn spatial_filters_match_cpu_reference_on_random_hdr_with_bad_pixels() {
    assert_gpu_matches_cpu(&random_hdr(RENDER, 7), "random HDR");
    assert_gpu_matches_cpu(&random_hdr(RENDER, 1234), "random HDR (second seed)");
}

#[test]
fn spatial_filters_match_cpu_reference_on_gradient_and_hard_edge() {
    assert_gpu_matches_cpu(&gradient_and_edge(RENDER), "gradient + edge");
}

/// Width in display pixels between the 10% and 90% crossings of a rising row.
fn transition_width(row: &[f32], lo: f32, hi: f32) -> f32 {
    let crossing = |level: f32| {
        let i = row.iter().position(|&v| v >= level).expect("row reaches the level");
        assert!(i > 0, "row starts above the level");
        let (a, b) = (row[i - 1], row[i]);
        (i - 1) as f32 + (level - a) / (b - a)
    };
    crossing(lo + 0.9 * (hi - lo)) - crossing(lo + 0.1 * (hi - lo))
}

#[test]
fn easu_keeps_a_step_edge_sharper_than_bilinear_without_overshoot() {
    let (lo, hi) = (0.1, 3.0);
    let step = Image::from_fn(16, 8, 4, |x, _, c| {
        if c == 3 {
            1.0
        } else if x < 8 {
            lo
        } else {
            hi
        }
    });
    let display = [32, 16];
    for jitter in [[0.0, 0.0], [0.37, 0.1], [-0.2, 0.45]] {
        let row = |img: &Image| (0..display[0]).map(|x| img.pixel(x, display[1] / 2)[1]).collect::<Vec<_>>();
        let easu = gpu_upscale(SpatialFilter::Easu, &step, display, jitter);
        let bilinear = gpu_upscale(SpatialFilter::Bilinear, &step, display, jitter);
        let (w_easu, w_bilinear) = (transition_width(&row(&easu), lo, hi), transition_width(&row(&bilinear), lo, hi));
        assert!(w_easu < w_bilinear, "jitter {jitter:?}: easu edge {w_easu} px wide, bilinear {w_bilinear} px");
        for (i, p) in easu.data().chunks_exact(4).enumerate() {
            for &v in &p[..3] {
                assert!(
                    (lo - 1e-5..=hi + 1e-5).contains(&v),
                    "jitter {jitter:?}: pixel {i} = {v} outside [{lo}, {hi}]"
                );
            }
        }
    }
}

#[test]
fn easu_stays_within_the_input_range_on_hdr_noise() {
    let input = random_hdr(RENDER, 99);
    let finite = |v: &f32| v.is_finite();
    let (lo, hi) = input
        .data()
        .chunks_exact(4)
        .flat_map(|p| p[..3].iter().copied().filter(finite))
        .fold((0.0f32, 0.0f32), |(l, h), v| (l.min(v.max(0.0)), h.max(v)));
    let out = gpu_upscale(SpatialFilter::Easu, &input, DISPLAY, JITTER);
    for p in out.data().chunks_exact(4) {
        for &v in &p[..3] {
            assert!(v >= lo && v <= hi * (1.0 + 1e-5), "{v} outside [{lo}, {hi}]");
        }
    }
}

#[test]
fn easu_is_a_method_listed_after_bicubic() {
    assert_eq!("easu".parse::<Method>(), Ok(Method::Easu));
    let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        ["bilinear", "bicubic", "easu", "taau", "neural-f32", "neural-f16", "neural-int8", "neural-lite-int8"]
    );
    // `neural` alone is the best rung; every listed name parses back to its method.
    assert_eq!("neural".parse::<Method>(), Ok(Method::Neural(None)));
    for m in Method::ALL {
        assert_eq!(m.name().parse::<Method>(), Ok(m));
    }
}
