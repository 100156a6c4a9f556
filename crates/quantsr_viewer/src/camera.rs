//! The viewer's camera: the scene's own camera path (looping, pausable, steppable) or a fly
//! camera (WASD + mouse look), and the previous frame's pose the motion vectors need.

use glam::{Vec2, Vec3};
use quantsr::scenes::{CameraPath, CameraPose};

/// Where the camera comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraMode {
    /// The scene's default camera path.
    Path,
    /// Free flight.
    Fly,
}

/// Which movement keys are held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlyKeys {
    /// W
    pub forward: bool,
    /// S
    pub back: bool,
    /// A
    pub left: bool,
    /// D
    pub right: bool,
    /// E or Space… (up)
    pub up: bool,
    /// Q (down)
    pub down: bool,
    /// Shift: four times faster.
    pub fast: bool,
}

/// A free-flying camera: a position and a view direction from yaw and pitch (radians; yaw 0
/// looks down −Z, positive yaw turns right, positive pitch looks up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlyCamera {
    /// Eye position in world units.
    pub position: Vec3,
    /// Rotation about +Y.
    pub yaw: f32,
    /// Elevation, within ±1.5 rad.
    pub pitch: f32,
    /// World units per second.
    pub speed: f32,
}

/// Radians of rotation per pixel of mouse movement.
const LOOK_RADIANS_PER_PIXEL: f32 = 0.003;
const PITCH_LIMIT: f32 = 1.5;

impl FlyCamera {
    /// A fly camera at `pose`, looking the same way.
    pub fn from_pose(pose: CameraPose, speed: f32) -> Self {
        let d = (pose.target - pose.position).normalize_or(Vec3::NEG_Z);
        Self {
            position: pose.position,
            yaw: d.x.atan2(-d.z),
            pitch: d.y.clamp(-1.0, 1.0).asin().clamp(-PITCH_LIMIT, PITCH_LIMIT),
            speed,
        }
    }

    /// Unit view direction.
    pub fn forward(&self) -> Vec3 {
        let (sy, cy) = self.yaw.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        Vec3::new(cp * sy, sp, -cp * cy)
    }

    /// The pose for the renderer.
    pub fn pose(&self) -> CameraPose {
        CameraPose { position: self.position, target: self.position + self.forward() }
    }

    /// Turns by a mouse movement of `delta` pixels (right and down positive).
    pub fn look(&mut self, delta: Vec2) {
        self.yaw += delta.x * LOOK_RADIANS_PER_PIXEL;
        self.pitch = (self.pitch - delta.y * LOOK_RADIANS_PER_PIXEL).clamp(-PITCH_LIMIT, PITCH_LIMIT);
    }

    /// Moves for `dt` seconds with the held keys (relative to the view, up is world +Y).
    pub fn fly(&mut self, keys: &FlyKeys, dt: f32) {
        let forward = self.forward();
        let right = forward.cross(Vec3::Y).normalize_or(Vec3::X);
        let axis = |plus: bool, minus: bool| f32::from(u8::from(plus)) - f32::from(u8::from(minus));
        let dir = forward * axis(keys.forward, keys.back)
            + right * axis(keys.right, keys.left)
            + Vec3::Y * axis(keys.up, keys.down);
        let speed = self.speed * if keys.fast { 4.0 } else { 1.0 };
        self.position += dir.normalize_or_zero() * speed * dt;
    }
}

/// What the renderer needs from the camera for one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraFrame {
    /// Scene time in seconds (animations).
    pub time: f32,
    /// Scene time of the previous frame.
    pub prev_time: f32,
    /// Pose now.
    pub camera: CameraPose,
    /// Pose in the previous frame (equal to `camera` after a reset).
    pub prev_camera: CameraPose,
    /// Vertical field of view in radians.
    pub fov_y: f32,
    /// The view jumped (path cut, loop, switch to/from flight): history must be discarded.
    pub reset: bool,
}

/// The camera state of the viewer.
#[derive(Debug, Clone)]
pub struct CameraRig {
    /// Path or flight.
    pub mode: CameraMode,
    /// Scene time stands still (the jitter keeps moving, so temporal methods still converge).
    pub paused: bool,
    /// Held keys for flight.
    pub keys: FlyKeys,
    /// The fly camera (follows the path while in path mode, so flight starts where it is).
    pub fly: FlyCamera,
    path: CameraPath,
    duration: f32,
    time: f32,
    step_requested: bool,
    previous: Option<(f32, CameraPose, CameraMode)>,
}

impl CameraRig {
    /// Follows `path`, looping after `duration` seconds.
    pub fn new(path: CameraPath, duration: f32, fly_speed: f32) -> Self {
        let start = path.sample(0.0);
        Self {
            mode: CameraMode::Path,
            paused: false,
            keys: FlyKeys::default(),
            fly: FlyCamera::from_pose(start, fly_speed),
            path,
            duration: duration.max(1.0 / 60.0),
            time: 0.0,
            step_requested: false,
            previous: None,
        }
    }

    /// Scene time in seconds.
    pub fn time(&self) -> f32 {
        self.time
    }

    /// Length of the path's loop in seconds.
    pub fn duration(&self) -> f32 {
        self.duration
    }

    /// Advances one frame while paused (by 1/60 s).
    pub fn step(&mut self) {
        self.step_requested = true;
    }

    /// Puts the path at time `t` (clamped to the loop): a camera cut, so the next frame
    /// resets temporal history.
    pub fn seek(&mut self, t: f32) {
        self.time = t.clamp(0.0, self.duration);
        self.previous = None;
    }

    /// Switches between path and flight; flight starts at the current pose.
    pub fn set_mode(&mut self, mode: CameraMode) {
        if mode == CameraMode::Fly && self.mode == CameraMode::Path {
            self.fly = FlyCamera::from_pose(self.path.sample(self.time), self.fly.speed);
        }
        self.mode = mode;
    }

    /// The camera for the next frame, `dt` seconds after the previous one.
    pub fn advance(&mut self, dt: f32) -> CameraFrame {
        let dt = dt.clamp(0.0, 0.25);
        let mut reset = false;
        if !self.paused || std::mem::take(&mut self.step_requested) {
            let step = if self.paused { 1.0 / 60.0 } else { dt };
            let t = self.time + step;
            if t > self.duration {
                // Looping back to the start of the path is a camera cut.
                self.time = 0.0;
                reset |= self.mode == CameraMode::Path;
            } else {
                reset |= self.mode == CameraMode::Path && self.path.cut_in(self.time, t);
                self.time = t;
            }
        }
        if self.mode == CameraMode::Fly {
            self.fly.fly(&self.keys, dt);
        }
        let camera = match self.mode {
            CameraMode::Path => self.path.sample(self.time),
            CameraMode::Fly => self.fly.pose(),
        };
        let (prev_time, prev_camera) = match self.previous {
            Some((t, pose, mode)) if !reset && mode == self.mode => (t, pose),
            _ => {
                reset = true;
                (self.time, camera)
            }
        };
        self.previous = Some((self.time, camera, self.mode));
        CameraFrame { time: self.time, prev_time, camera, prev_camera, fov_y: self.path.fov_y, reset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantsr::scenes::Keyframe;

    fn line_path() -> CameraPath {
        let key = |t: f32, x: f32, cut| Keyframe { t, position: [x, 1.0, 0.0], target: [x, 1.0, -1.0], cut };
        CameraPath { fov_y: 1.0, keyframes: vec![key(0.0, 0.0, false), key(1.0, 1.0, false), key(1.5, 5.0, true)] }
    }

    #[test]
    fn fly_camera_keeps_the_view_direction_of_the_pose_it_starts_from() {
        let pose = CameraPose { position: Vec3::new(1.0, 2.0, 3.0), target: Vec3::new(2.0, 2.5, 1.0) };
        let fly = FlyCamera::from_pose(pose, 2.0);
        let want = (pose.target - pose.position).normalize();
        assert!(fly.forward().distance(want) < 1e-5, "{} vs {want}", fly.forward());
    }

    #[test]
    fn w_moves_along_the_view_and_mouse_right_turns_right() {
        let mut fly = FlyCamera::from_pose(CameraPose { position: Vec3::ZERO, target: Vec3::NEG_Z }, 2.0);
        fly.fly(&FlyKeys { forward: true, ..Default::default() }, 0.5);
        assert!(fly.position.distance(Vec3::new(0.0, 0.0, -1.0)) < 1e-5, "{}", fly.position);
        fly.look(Vec2::new(100.0, 0.0));
        assert!(fly.forward().x > 0.2, "turned towards +X: {}", fly.forward());
        fly.look(Vec2::new(0.0, 1e6));
        assert!(fly.pitch >= -PITCH_LIMIT, "pitch is clamped");
    }

    #[test]
    fn path_frames_carry_the_previous_pose_and_reset_on_cuts_and_loops() {
        let mut rig = CameraRig::new(line_path(), 2.0, 1.0);
        let first = rig.advance(0.1);
        assert!(first.reset, "the first frame has no history");
        let second = rig.advance(0.1);
        assert!(!second.reset);
        assert_eq!(second.prev_camera, first.camera);
        assert!((second.prev_time - first.time).abs() < 1e-6);
        // Crossing the cut at t = 1.5 resets.
        let mut cut = false;
        for _ in 0..14 {
            cut |= rig.advance(0.1).reset;
        }
        assert!(cut, "the cut keyframe resets history");
        // Past the duration, the path loops to the start with a reset.
        let wrapped = (0..10).map(|_| rig.advance(0.1)).find(|f| f.time == 0.0).expect("looped");
        assert!(wrapped.reset);
    }

    #[test]
    fn pause_freezes_time_and_step_advances_one_frame() {
        let mut rig = CameraRig::new(line_path(), 2.0, 1.0);
        rig.advance(0.1);
        rig.paused = true;
        let a = rig.advance(0.1);
        let b = rig.advance(0.1);
        assert_eq!(a.time, b.time);
        assert_eq!(b.camera, b.prev_camera, "no motion while paused");
        rig.step();
        let c = rig.advance(0.1);
        assert!((c.time - b.time - 1.0 / 60.0).abs() < 1e-6);
    }

    #[test]
    fn switching_to_flight_starts_at_the_path_pose_and_resets() {
        let mut rig = CameraRig::new(line_path(), 2.0, 1.0);
        let on_path = rig.advance(0.1);
        rig.paused = true;
        rig.set_mode(CameraMode::Fly);
        let flying = rig.advance(0.1);
        assert!(flying.reset);
        assert!(flying.camera.position.distance(on_path.camera.position) < 1e-5);
    }
}
