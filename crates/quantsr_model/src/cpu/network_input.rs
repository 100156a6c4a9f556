//! network input (render resolution): the 16-channel tensor the neural rungs read, built per
//! render pixel from the frame's inputs, prepare's outputs and the upscaler's state, exactly
//! as `training/NETWORK.md` lays it out (the training graph builds the same tensor in torch).
//!
//! The oracle for `shaders/network/input.wgsl`, the first pass of every neural rung.

use super::common::{
    FrameConstants, LUMA, Vec2, Vec3, clamp, clamp_render, clamp_to, exposure, inverse_depth, offset, sanitize, tonemap,
};
use super::image::Image;
use super::resolve::sample_history;

pub use crate::weights::INPUT_CHANNELS;

/// What the network input reads.
#[derive(Debug, Clone, Copy)]
pub struct NetworkInputs<'a> {
    /// Linear colour (rgb used), at least `render_size`.
    pub color: &'a Image,
    /// Device depth (first channel), at least `render_size`.
    pub depth: &'a Image,
    /// prepare's dilated motion (`render_size`, UV units).
    pub dilated_motion: &'a Image,
    /// prepare's features (`render_size`): disocclusion, reactive, luma.
    pub features: &'a Image,
    /// The previous frame's history (`display_size`, tonemapped rgb + length in frames).
    pub history: &'a Image,
    /// The previous frame's feedback (2 channels, at least `prev_render_size`), or `None`
    /// when the previous frame ran a rung that writes none (then it reads as 0).
    pub feedback: Option<&'a Image>,
}

/// The network's input: `render_size` pixels of 16 channels, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct InputTensor {
    /// Width and height (the frame's render size).
    pub size: [u32; 2],
    /// One 16-channel vector per pixel.
    pub data: Vec<[f32; INPUT_CHANNELS]>,
}

impl InputTensor {
    /// The channels of pixel (x, y).
    pub fn pixel(&self, x: u32, y: u32) -> &[f32; INPUT_CHANNELS] {
        &self.data[(y * self.size[0] + x) as usize]
    }
}

/// Builds the tensor for every render pixel.
pub fn network_input(frame: &FrameConstants, inputs: &NetworkInputs<'_>) -> InputTensor {
    let [w, h] = frame.render_size;
    let data = (0..h as i32).flat_map(|y| (0..w as i32).map(move |x| pixel(frame, inputs, [x, y]))).collect();
    InputTensor { size: [w, h], data }
}

fn pixel(frame: &FrameConstants, inputs: &NetworkInputs<'_>, p: [i32; 2]) -> [f32; INPUT_CHANNELS] {
    let mut t = [0.0f32; INPUT_CHANNELS];
    let rsize = Vec2::from_u32(frame.render_size);
    let c = tonemap(sanitize(Vec3::from_rgb(inputs.color.load(p)) * exposure(frame)));
    let f = inputs.features.load(p);
    t[0..3].copy_from_slice(&[c.x, c.y, c.z]);
    t[3] = f[0];
    t[4] = f[1];
    t[5] = c.dot(LUMA);

    let mv_raw = inputs.dilated_motion.load(p);
    let mv = Vec2::new(mv_raw[0], mv_raw[1]);
    let uv = (Vec2::from_i32(p) + 0.5) / rsize;
    let prev_uv = uv + mv;
    let on = !frame.reset && prev_uv.inside(0.0, 1.0);
    if on {
        let h = sample_history(frame, inputs.history, prev_uv * Vec2::from_u32(frame.display_size));
        t[6..9].copy_from_slice(&h[0..3]);
        t[9] = h[3] / 16.0;
        if let Some(feedback) = inputs.feedback {
            let fb = bilinear2(feedback, prev_uv * Vec2::from_u32(frame.prev_render_size), frame.prev_render_size);
            t[14] = fb[0];
            t[15] = fb[1];
        }
    }
    t[10] = frame.jitter[0];
    t[11] = frame.jitter[1];
    t[12] = clamp((mv * rsize).length() / 8.0, 0.0, 1.0);

    let depth_at = |q: [i32; 2]| {
        let d = inputs.depth.load(clamp_render(q, frame))[0];
        inverse_depth(if d.is_nan() { 0.0 } else { clamp(d, 0.0, 1.0) }, frame.depth_inverted)
    };
    let centre = depth_at(p);
    let mut edge = 0.0f32;
    for dy in -1..=1 {
        for dx in -1..=1 {
            let q = depth_at(offset(p, dx, dy));
            edge = edge.max((q - centre).abs() / q.max(centre));
        }
    }
    t[13] = clamp(edge, 0.0, 1.0);
    t
}

/// Bilinear sample of the first two channels at pixel position `pos` (centres at +0.5),
/// clamped to `[0, size)`.
fn bilinear2(image: &Image, pos: Vec2, size: [u32; 2]) -> [f32; 2] {
    let x = pos - 0.5;
    let base = x.floor().to_i32();
    let f = x - x.floor();
    let at = |dx: i32, dy: i32| image.load(clamp_to(offset(base, dx, dy), size));
    let mut out = [0.0; 2];
    for (c, o) in out.iter_mut().enumerate() {
        let top = at(0, 0)[c] * (1.0 - f.x) + at(1, 0)[c] * f.x;
        let bottom = at(0, 1)[c] * (1.0 - f.x) + at(1, 1)[c] * f.x;
        *o = top * (1.0 - f.y) + bottom * f.y;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(reset: bool) -> FrameConstants {
        FrameConstants {
            render_size: [6, 4],
            display_size: [12, 8],
            prev_render_size: [6, 4],
            frame_index: 3,
            reset,
            jitter: [0.25, -0.125],
            motion_scale: [1.0, 1.0],
            exposure: 2.0,
            sharpness: 0.0,
            debug_view: 0,
            depth_inverted: true,
            has_reactive: false,
        }
    }

    #[test]
    fn channels_follow_the_contract() {
        let color = Image::from_fn(6, 4, 4, |x, _, c| if c < 3 { 0.5 + x as f32 * 0.1 } else { 1.0 });
        let depth = Image::from_fn(6, 4, 1, |x, _, _| if x < 3 { 0.5 } else { 0.25 });
        let motion = Image::zeros(6, 4, 2);
        let features = Image::from_fn(6, 4, 4, |_, _, c| [0.2, 0.3, 0.0, 0.0][c]);
        let history = Image::from_fn(12, 8, 4, |_, _, c| [0.1, 0.2, 0.3, 8.0][c]);
        let feedback = Image::from_fn(6, 4, 2, |_, _, c| [0.5, -0.5][c]);
        let inputs = NetworkInputs {
            color: &color,
            depth: &depth,
            dilated_motion: &motion,
            features: &features,
            history: &history,
            feedback: Some(&feedback),
        };
        let t = network_input(&frame(false), &inputs);
        let p = t.pixel(2, 1);
        let c = tonemap(Vec3::new(0.7, 0.7, 0.7) * 2.0);
        assert!((p[0] - c.x).abs() < 1e-6);
        assert_eq!(&p[3..5], &[0.2, 0.3]);
        assert!((p[6] - 0.1).abs() < 1e-6 && (p[9] - 0.5).abs() < 1e-6);
        assert_eq!(&p[10..12], &[0.25, -0.125]);
        assert_eq!(p[12], 0.0);
        // Next to the depth step, the discontinuity is (1/0.5 vs 1/0.25): |0.25 − 0.5| / 0.5.
        assert!((p[13] - 0.5).abs() < 1e-6, "{}", p[13]);
        assert_eq!(t.pixel(0, 0)[13], 0.0);
        assert_eq!(&p[14..16], &[0.5, -0.5]);
        // On a reset, history and feedback read as zero.
        let r = network_input(&frame(true), &inputs);
        assert!(r.pixel(2, 1)[6..10].iter().chain(&r.pixel(2, 1)[14..16]).all(|&v| v == 0.0));
    }
}
