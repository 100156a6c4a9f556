//! Motion vectors are right: warping the previous frame's ground truth with them reproduces
//! the current ground truth wherever the surface was visible in both frames. This is the check
//! of `shaders/scenes/raster.wgsl` (its depth through the CPU camera, `eye_distance`, and its
//! motion vectors): the rasteriser has no CPU twin.

use quantsr_gpu::{read_texture, read_texture_rect, test_gpu, wgpu};
use quantsr_scenes::{BUILTIN_SCENES, FrameRequest, Scene, SceneRenderer, builtin_scene};

const SIZE: [u32; 2] = [240, 136];

struct Rendered {
    gt: Vec<f32>,
    motion: Vec<f32>,
    depth: Vec<f32>,
    reactive: Vec<f32>,
}

fn render_at(renderer: &SceneRenderer, scene: &Scene, t: f32, dt: f32) -> Rendered {
    let ctx = test_gpu();
    let request = FrameRequest {
        time: t,
        prev_time: t - dt,
        camera: scene.camera.sample(t),
        prev_camera: scene.camera.sample(t - dt),
        fov_y: scene.camera.fov_y,
        render_size: SIZE,
        // Unjittered inputs, so render pixel centres coincide with display pixel centres.
        jitter: [0.0, 0.0],
        mip_bias: -1.0,
    };
    let mut encoder = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    renderer.record(&mut encoder, scene, &request, true).unwrap();
    ctx.queue.submit([encoder.finish()]);
    let inputs = renderer.inputs();
    Rendered {
        gt: read_texture(&ctx, renderer.ground_truth()).unwrap().to_f32(),
        motion: read_texture_rect(&ctx, &inputs.motion, SIZE).unwrap().to_f32(),
        depth: read_texture_rect(&ctx, &inputs.depth, SIZE).unwrap().to_f32(),
        reactive: read_texture_rect(&ctx, &inputs.reactive, SIZE).unwrap().to_f32(),
    }
}

/// Distance from the eye to the surface seen at pixel (x, y), from reverse-Z device depth:
/// unlike view-space depth it does not change when the camera only rotates.
fn eye_distance(scene: &Scene, d: f32, x: f32, y: f32) -> f32 {
    let (near, far) = (scene.near, scene.far);
    let z = near * far / (near + d * (far - near));
    let t = (scene.camera.fov_y * 0.5).tan();
    let aspect = SIZE[0] as f32 / SIZE[1] as f32;
    let (rx, ry) = ((2.0 * x / SIZE[0] as f32 - 1.0) * t * aspect, (1.0 - 2.0 * y / SIZE[1] as f32) * t);
    z * (1.0 + rx * rx + ry * ry).sqrt()
}

/// Catmull-Rom (bicubic) sample of channel `c` at pixel coordinates (x, y): sharper than
/// bilinear, so sub-pixel highlights survive the warp.
fn bicubic(img: &[f32], channels: usize, x: f32, y: f32, c: usize) -> f32 {
    let [w, h] = SIZE.map(|v| v as i32);
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (x.floor() as i32, y.floor() as i32);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let weights = |t: f32| {
        let (t2, t3) = (t * t, t * t * t);
        [
            (-t3 + 2.0 * t2 - t) * 0.5,
            (3.0 * t3 - 5.0 * t2 + 2.0) * 0.5,
            (-3.0 * t3 + 4.0 * t2 + t) * 0.5,
            (t3 - t2) * 0.5,
        ]
    };
    let (wx, wy) = (weights(fx), weights(fy));
    let at = |xi: i32, yi: i32| img[((yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)) as usize) * channels + c];
    let mut sum = 0.0;
    for (j, wyj) in wy.iter().enumerate() {
        for (i, wxi) in wx.iter().enumerate() {
            sum += wxi * wyj * at(x0 - 1 + i as i32, y0 - 1 + j as i32);
        }
    }
    sum
}

fn display(v: f32) -> f32 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

/// PSNR of the warped previous ground truth against the current one, over pixels visible in
/// both frames and not marked reactive; also returns the fraction of pixels compared.
fn warp_psnr(scene: &Scene, prev: &Rendered, cur: &Rendered) -> (f64, f64) {
    let (mut se, mut n) = (0.0f64, 0usize);
    let [w, h] = SIZE;
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) as usize;
            if cur.reactive[i] > 0.0 {
                continue;
            }
            let (u, v) =
                ((x as f32 + 0.5) / w as f32 + cur.motion[2 * i], (y as f32 + 0.5) / h as f32 + cur.motion[2 * i + 1]);
            let (px, py) = (u * w as f32, v * h as f32);
            if px < 1.0 || py < 1.0 || px > w as f32 - 1.0 || py > h as f32 - 1.0 {
                continue;
            }
            // Disocclusion: the previous frame saw something at a different distance there.
            let d_cur = eye_distance(scene, cur.depth[i], x as f32 + 0.5, y as f32 + 0.5);
            let visible = [(-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)].iter().all(|(ox, oy)| {
                let (sx, sy) =
                    ((px + ox).clamp(0.0, w as f32 - 1.0) as u32, (py + oy).clamp(0.0, h as f32 - 1.0) as u32);
                let d_prev = eye_distance(scene, prev.depth[(sy * w + sx) as usize], sx as f32 + 0.5, sy as f32 + 0.5);
                (d_prev - d_cur).abs() < 0.05 * d_cur
            });
            if !visible {
                continue;
            }
            for c in 0..3 {
                let a = display(bicubic(&prev.gt, 4, px, py, c)) as f64;
                let b = display(cur.gt[i * 4 + c]) as f64;
                se += (a - b) * (a - b);
            }
            n += 1;
        }
    }
    let mse = se / (3 * n.max(1)) as f64;
    (10.0 * (1.0 / mse.max(1e-12)).log10(), n as f64 / (w * h) as f64)
}

#[test]
fn warping_ground_truth_with_motion_vectors_matches_the_next_frame_in_every_scene() {
    let ctx = test_gpu();
    let dt = 1.0 / 60.0;
    let mut report = Vec::new();
    // QUANTSR_SCENES=a,b narrows the run by hand; CI checks every scene.
    let only = std::env::var("QUANTSR_SCENES").ok();
    for (name, _) in BUILTIN_SCENES {
        if only.as_ref().is_some_and(|o| !o.split(',').any(|n| n == name)) {
            continue;
        }
        let started = std::time::Instant::now();
        let scene = builtin_scene(name).unwrap();
        let renderer = SceneRenderer::new(&ctx, &scene, SIZE, SIZE, 16).unwrap();
        // Moments with motion; for cut_rotation, inside the fast rotation after the cut.
        let t = if name == "cut_rotation" { 1.4 } else { 0.8 };
        let prev = render_at(&renderer, &scene, t - dt, dt);
        let cur = render_at(&renderer, &scene, t, dt);
        let (psnr, coverage) = warp_psnr(&scene, &prev, &cur);
        report.push(format!(
            "{name}: {psnr:.1} dB over {:.0}% of pixels ({:.1} s)",
            coverage * 100.0,
            started.elapsed().as_secs_f64()
        ));
        assert!(coverage > 0.5, "{name}: only {:.0}% of pixels comparable", coverage * 100.0);
        assert!(psnr >= 30.0, "{name}: warped ground truth is {psnr:.1} dB from the next frame\n{}", report.join("\n"));
    }
    println!("{}", report.join("\n"));
}

#[test]
fn scrolling_texture_and_smoke_are_covered_by_the_reactive_mask() {
    let ctx = test_gpu();
    let scene = builtin_scene("particles").unwrap();
    let renderer = SceneRenderer::new(&ctx, &scene, SIZE, SIZE, 1).unwrap();
    let r = render_at(&renderer, &scene, 1.0, 1.0 / 60.0);
    let full = r.reactive.iter().filter(|&&v| v > 0.99).count();
    let partial = r.reactive.iter().filter(|&&v| v > 0.01 && v < 0.99).count();
    // The screen is fully reactive; smoke is partially reactive by its coverage.
    assert!(full > 500, "only {full} fully reactive pixels");
    assert!(partial > 200, "only {partial} partially reactive pixels");
    assert!(!builtin_scene("interior").unwrap().has_reactive());
}
