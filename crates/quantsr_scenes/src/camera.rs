//! Camera paths: keyframes interpolated with Catmull-Rom, cuts, the JSON format of ARCHITECTURE.md §6,
//! and the reverse-Z projection the renderer uses.

use glam::{Mat4, Vec3};
use serde::Deserialize;

use crate::SceneError;

/// One camera keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyframe {
    /// Time in seconds.
    pub t: f32,
    /// Camera position in world units.
    pub position: [f32; 3],
    /// Point the camera looks at.
    pub target: [f32; 3],
    /// A camera cut happens at this keyframe: no interpolation from the previous one, and the
    /// first frame at or after `t` has the reset flag.
    #[serde(default)]
    pub cut: bool,
}

/// A camera path: vertical field of view and keyframes sorted by time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraPath {
    /// Vertical field of view in radians.
    #[serde(default = "default_fov")]
    pub fov_y: f32,
    /// Keyframes, strictly increasing in `t`.
    pub keyframes: Vec<Keyframe>,
}

fn default_fov() -> f32 {
    1.0
}

/// Where the camera is and what it looks at, at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraPose {
    /// Eye position.
    pub position: Vec3,
    /// Look-at point.
    pub target: Vec3,
}

impl CameraPose {
    /// World-to-view matrix (right-handed, looking down −Z, +Y up).
    pub fn view(&self) -> Mat4 {
        let forward = (self.target - self.position).normalize_or(Vec3::NEG_Z);
        // Avoid a degenerate basis when looking straight up or down.
        let up = if forward.y.abs() > 0.999 { Vec3::Z } else { Vec3::Y };
        Mat4::look_at_rh(self.position, self.position + forward, up)
    }
}

/// Reverse-Z perspective projection with a finite far plane: device depth 1 at `near`, 0 at
/// `far` (the depth convention of the sequences quantsr renders: `inverted: true`).
pub fn projection(fov_y: f32, aspect: f32, near: f32, far: f32) -> Mat4 {
    Mat4::perspective_rh(fov_y, aspect, far, near)
}

/// Largest camera coordinate accepted, in scene units.
const MAX_COORDINATE: f32 = 1e6;
/// Latest keyframe time accepted, in seconds.
const MAX_TIME_S: f32 = 1e6;

impl CameraPath {
    /// Parses and validates the JSON of a camera path file; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<Self, SceneError> {
        let path: CameraPath = serde_json::from_str(text)
            .map_err(|e| SceneError::CameraPath { file: source.into(), message: e.to_string() })?;
        path.validate(source)?;
        Ok(path)
    }

    /// Checks keyframes are finite, non-empty, increasing in time, and that the field of view
    /// is a usable angle.
    pub fn validate(&self, source: &str) -> Result<(), SceneError> {
        let bad = |message: String| Err(SceneError::CameraPath { file: source.into(), message });
        if !(self.fov_y.is_finite() && self.fov_y > 0.01 && self.fov_y < 3.1) {
            return bad(format!("fov_y = {} is not an angle in (0.01, 3.1) radians", self.fov_y));
        }
        if self.keyframes.is_empty() {
            return bad("keyframes is empty".into());
        }
        for (i, k) in self.keyframes.iter().enumerate() {
            let finite = k.t.is_finite() && k.position.iter().chain(&k.target).all(|v| v.is_finite());
            if !finite {
                return bad(format!("keyframes[{i}] has a non-finite number"));
            }
            // Beyond this, view matrices overflow f32 (found by fuzzing: a position of 1.8e19
            // is finite but its distance to the target squared is not).
            if k.position.iter().chain(&k.target).any(|v| v.abs() > MAX_COORDINATE) || k.t > MAX_TIME_S {
                return bad(format!(
                    "keyframes[{i}] is out of range: coordinates must be within ±{MAX_COORDINATE:e}, t within {MAX_TIME_S:e} s"
                ));
            }
            if k.t < 0.0 {
                return bad(format!("keyframes[{i}].t = {} is negative", k.t));
            }
            if i > 0 && k.t <= self.keyframes[i - 1].t {
                return bad(format!(
                    "keyframes[{i}].t = {} does not increase (previous {})",
                    k.t,
                    self.keyframes[i - 1].t
                ));
            }
            if Vec3::from(k.position).distance(Vec3::from(k.target)) < 1e-6 {
                return bad(format!("keyframes[{i}]: position and target coincide"));
            }
        }
        Ok(())
    }

    /// Time of the last keyframe.
    pub fn duration(&self) -> f32 {
        self.keyframes.last().map_or(0.0, |k| k.t)
    }

    /// The pose at time `t` (clamped to the path), interpolated with a uniform Catmull-Rom
    /// spline inside the segment between cuts that contains `t`.
    pub fn sample(&self, t: f32) -> CameraPose {
        let keys = &self.keyframes;
        // The segment is the run of keyframes since the last cut at or before t.
        let start = keys.iter().rposition(|k| k.cut && k.t <= t).unwrap_or(0);
        let end = keys[start + 1..].iter().position(|k| k.cut).map_or(keys.len(), |p| start + 1 + p);
        let seg = &keys[start..end];
        if seg.len() == 1 || t <= seg[0].t {
            return pose(&seg[0]);
        }
        let last = seg.len() - 1;
        if t >= seg[last].t {
            return pose(&seg[last]);
        }
        let i = seg.windows(2).position(|w| t >= w[0].t && t < w[1].t).unwrap_or(last - 1);
        let s = (t - seg[i].t) / (seg[i + 1].t - seg[i].t);
        let at = |j: isize| seg[j.clamp(0, last as isize) as usize];
        let (k0, k1, k2, k3) = (at(i as isize - 1), at(i as isize), at(i as isize + 1), at(i as isize + 2));
        let cr =
            |f: fn(&Keyframe) -> [f32; 3]| catmull_rom(f(&k0).into(), f(&k1).into(), f(&k2).into(), f(&k3).into(), s);
        CameraPose { position: cr(|k| k.position), target: cr(|k| k.target) }
    }

    /// Whether a cut keyframe lies in the time interval `(t0, t1]`.
    pub fn cut_in(&self, t0: f32, t1: f32) -> bool {
        self.keyframes.iter().any(|k| k.cut && k.t > t0 && k.t <= t1)
    }

    /// An automatic fly-through for a scene with the given bounds: a slow loop around the
    /// centre at eye height, inside the box for large (level-like) scenes and around it for
    /// small objects.
    pub fn fly_through(lo: Vec3, hi: Vec3, duration: f32) -> Self {
        let centre = (lo + hi) * 0.5;
        let half = (hi - lo) * 0.5;
        let radius = half.x.max(half.z).max(1e-3);
        // Objects (roughly as tall as wide) are orbited from outside; levels from inside.
        let orbit = if half.y > 0.35 * radius { 2.2 * half.length().max(1e-3) } else { 0.6 * radius };
        let eye_y = centre.y + if half.y > 0.35 * radius { 0.35 * half.length() } else { 0.1 * half.y.max(0.1) };
        let n = 8;
        let keyframes = (0..=n)
            .map(|i| {
                let a = i as f32 / n as f32 * std::f32::consts::PI * 0.75;
                let position = [centre.x + orbit * a.cos(), eye_y, centre.z + orbit * a.sin()];
                let look = if half.y > 0.35 * radius {
                    centre
                } else {
                    Vec3::new(
                        centre.x + orbit * (a + 0.8).cos() * 0.5,
                        eye_y - 0.05 * half.y,
                        centre.z + orbit * (a + 0.8).sin() * 0.5,
                    )
                };
                Keyframe { t: duration * i as f32 / n as f32, position, target: look.to_array(), cut: false }
            })
            .collect();
        Self { fov_y: 1.0, keyframes }
    }
}

fn pose(k: &Keyframe) -> CameraPose {
    CameraPose { position: k.position.into(), target: k.target.into() }
}

fn catmull_rom(p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3, s: f32) -> Vec3 {
    let (s2, s3) = (s * s, s * s * s);
    0.5 * ((2.0 * p1)
        + (p2 - p0) * s
        + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * s2
        + (3.0 * p1 - p0 - 3.0 * p2 + p3) * s3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(json: &str) -> Result<CameraPath, SceneError> {
        CameraPath::from_json(json, "cam.json")
    }

    #[test]
    fn passes_through_keyframes_and_respects_cuts() {
        let p = path(
            r#"{"fov_y": 0.9, "keyframes": [
            {"t": 0, "position": [0,0,0], "target": [0,0,-1]},
            {"t": 1, "position": [1,0,0], "target": [1,0,-1]},
            {"t": 2, "position": [10,0,0], "target": [10,0,-1], "cut": true},
            {"t": 3, "position": [11,0,0], "target": [11,0,-1]}]}"#,
        )
        .unwrap();
        assert_eq!(p.sample(1.0).position, Vec3::new(1.0, 0.0, 0.0));
        // Before the cut the path never heads towards the far side of the cut.
        assert!(p.sample(1.99).position.x <= 1.0 + 1e-4);
        assert_eq!(p.sample(2.0).position, Vec3::new(10.0, 0.0, 0.0));
        assert!(p.cut_in(1.99, 2.0) && !p.cut_in(2.0, 2.5));
        let mid = p.sample(0.5).position.x;
        assert!(mid > 0.4 && mid < 0.6, "{mid}");
    }

    #[test]
    fn malformed_paths_name_the_problem() {
        let cases = [
            ("{", "EOF"),
            (r#"{"keyframes": []}"#, "keyframes is empty"),
            (r#"{"keyframes": [{"t": 0, "position": [0,0], "target": [0,0,1]}]}"#, "expected"),
            (
                r#"{"keyframes": [{"t": 1, "position": [0,0,0], "target": [0,0,1]}, {"t": 0.5, "position": [0,0,0], "target": [0,0,1]}]}"#,
                "keyframes[1].t",
            ),
            (r#"{"fov_y": 0, "keyframes": [{"t": 0, "position": [0,0,0], "target": [0,0,1]}]}"#, "fov_y"),
            (r#"{"keyframes": [{"t": 0, "position": [0,0,0], "target": [0,0,0]}]}"#, "coincide"),
            (r#"{"keyframes": [{"t": 0, "position": [0,0,0], "target": [0,0,1], "speed": 2}]}"#, "unknown field"),
        ];
        for (json, needle) in cases {
            let e = path(json).unwrap_err().to_string();
            assert!(e.contains("cam.json") && e.contains(needle), "{json}: {e}");
        }
    }

    #[test]
    fn reverse_z_projection_maps_near_to_one_and_far_to_zero() {
        let p = projection(1.0, 1.5, 0.1, 100.0);
        let near = p.project_point3(Vec3::new(0.0, 0.0, -0.1));
        let far = p.project_point3(Vec3::new(0.0, 0.0, -100.0));
        assert!((near.z - 1.0).abs() < 1e-5 && far.z.abs() < 1e-5, "{near} {far}");
    }
}
