//! Scripted sessions: what the viewer does by itself for CI and documentation — change
//! settings, run frames, resize the window, take screenshots — in a real window, through the
//! same code paths as a person clicking the panel.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use quantsr::DebugView;

use crate::settings::{CompareMode, METHODS, Method, Precision};

/// Scripts selectable with `--script`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScriptName {
    /// 30 frames per method from the same start (one screenshot each into `--shots`, without
    /// the UI so the images can be compared whole), every precision of the neural method (the
    /// rung switches), a debug view, dynamic resolution, a programmatic window resize and back,
    /// then a side-by-side comparison with the UI and the magnifier.
    CycleMethods,
    /// Resizes the window back and forth 60 times (a few frames at each size), printing the
    /// process's resident memory along the way: it must level off, not grow with each resize.
    ResizeSoak,
}

/// One thing a script does.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Sets the method of the main image.
    Method(Method),
    /// Sets the neural method's precision.
    Precision(Precision),
    /// Sets (or clears) the comparison.
    Compare(Option<Method>, CompareMode),
    /// Sets the debug view.
    Debug(DebugView),
    /// Turns dynamic resolution on or off.
    Dynamic(bool),
    /// Turns the magnifier on or off.
    Magnifier(bool),
    /// Shows or hides the controls and HUD.
    Ui(bool),
    /// Puts the camera path at this time (a camera cut, so temporal history restarts).
    Seek(f32),
    /// Asks the window system for this inner size and waits until the viewer runs at it.
    Resize([u32; 2]),
    /// Renders this many frames.
    Frames(u32),
    /// Saves the next frame to this PNG.
    Shot(PathBuf),
    /// Prints the process's resident memory with this label (Linux; elsewhere nothing).
    Memory(String),
}

/// The steps of a named script for a window of `size`; per-method screenshots go to `shots`.
pub fn steps(name: ScriptName, size: [u32; 2], shots: Option<&Path>) -> Vec<Step> {
    match name {
        ScriptName::CycleMethods => {
            let mut s = vec![Step::Compare(None, CompareMode::Wipe), Step::Ui(false)];
            for m in METHODS {
                // The same start for every method, so their screenshots show the same frame.
                s.extend([Step::Method(m), Step::Seek(0.5), Step::Frames(30)]);
                if let Some(dir) = shots {
                    s.push(Step::Shot(dir.join(format!("{m}.png"))));
                }
            }
            s.extend([Step::Ui(true), Step::Method(Method::NEURAL)]);
            for p in Precision::all() {
                s.extend([Step::Precision(p), Step::Frames(5)]);
            }
            s.extend([Step::Precision(Precision::Auto), Step::Method(Method::Taau)]);
            s.extend([Step::Debug(DebugView::Motion), Step::Frames(3), Step::Debug(DebugView::None)]);
            s.extend([Step::Dynamic(true), Step::Frames(10), Step::Dynamic(false)]);
            let smaller = [(size[0] * 3 / 4).max(64), (size[1] * 3 / 4).max(64)];
            s.extend([Step::Resize(smaller), Step::Frames(5), Step::Resize(size), Step::Frames(5)]);
            s.extend([
                Step::Compare(Some(Method::Bilinear), CompareMode::SideBySide),
                Step::Magnifier(true),
                Step::Seek(0.5),
                Step::Frames(30),
            ]);
            s
        }
        ScriptName::ResizeSoak => {
            let sizes = [size, [(size[0] / 2).max(64), (size[1] / 2).max(64)], [(size[0] * 3 / 4).max(64), size[1]]];
            let mut s = vec![Step::Method(Method::Taau), Step::Compare(Some(Method::Bicubic), CompareMode::Wipe)];
            for i in 0..60 {
                s.extend([Step::Resize(sizes[i % sizes.len()]), Step::Frames(2)]);
                if i % 20 == 19 {
                    s.push(Step::Memory(format!("after {} resizes", i + 1)));
                }
            }
            s.extend([Step::Resize(size), Step::Frames(2)]);
            s
        }
    }
}

/// Resident memory of this process in MiB, where the system says (Linux).
pub fn resident_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// A script being run.
#[derive(Debug, Default)]
pub struct Script {
    steps: VecDeque<Step>,
    resize_requested: bool,
    resize_frames: u32,
}

/// Frames a resize may take to reach the viewer before the script fails.
const RESIZE_FRAMES_ALLOWED: u32 = 300;

impl Script {
    /// A script running `steps` in order.
    pub fn new(steps: Vec<Step>) -> Self {
        Self { steps: steps.into(), ..Default::default() }
    }

    /// Whether every step has run.
    pub fn is_done(&self) -> bool {
        self.steps.is_empty()
    }

    /// The step to act on now, if any. Frames, shots and resizes stay at the front until they
    /// are complete; call [`Script::frame_rendered`] after each frame.
    pub fn front(&self) -> Option<&Step> {
        self.steps.front()
    }

    /// Removes the front step (it has been applied).
    pub fn pop(&mut self) {
        self.steps.pop_front();
        self.resize_requested = false;
        self.resize_frames = 0;
    }

    /// Records that a resize was requested; returns false when it was already.
    pub fn request_resize_once(&mut self) -> bool {
        !std::mem::replace(&mut self.resize_requested, true)
    }

    /// Counts a frame against the front step: a `Frames` step counts down, a `Shot` is done
    /// (the frame was saved), a pending resize fails after [`RESIZE_FRAMES_ALLOWED`] frames.
    pub fn frame_rendered(&mut self) -> anyhow::Result<()> {
        match self.steps.front_mut() {
            Some(Step::Frames(n)) => {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.pop();
                }
            }
            Some(Step::Shot(_)) => self.pop(),
            Some(Step::Resize(size)) => {
                self.resize_frames += 1;
                if self.resize_frames > RESIZE_FRAMES_ALLOWED {
                    anyhow::bail!(
                        "the window system did not resize the window to {}x{} within {RESIZE_FRAMES_ALLOWED} frames",
                        size[0],
                        size[1]
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_methods_runs_thirty_frames_per_method_and_shoots_each() {
        let steps = steps(ScriptName::CycleMethods, [960, 540], Some(Path::new("shots")));
        for m in METHODS {
            let at = steps.iter().position(|s| *s == Step::Method(m)).unwrap();
            assert_eq!(steps[at + 1..at + 3], [Step::Seek(0.5), Step::Frames(30)], "{m}");
            assert_eq!(steps[at + 3], Step::Shot(PathBuf::from(format!("shots/{m}.png"))));
        }
        assert!(steps.contains(&Step::Resize([720, 405])) && steps.contains(&Step::Resize([960, 540])));
        for p in Precision::all() {
            assert!(steps.contains(&Step::Precision(p)), "{p}");
        }
    }

    #[test]
    fn frames_count_down_and_a_stuck_resize_fails() {
        let mut s = Script::new(vec![Step::Frames(2), Step::Resize([10, 10])]);
        s.frame_rendered().unwrap();
        assert_eq!(s.front(), Some(&Step::Frames(1)));
        s.frame_rendered().unwrap();
        assert_eq!(s.front(), Some(&Step::Resize([10, 10])));
        assert!(s.request_resize_once() && !s.request_resize_once());
        let err = (0..=RESIZE_FRAMES_ALLOWED).map(|_| s.frame_rendered()).find_map(Result::err).unwrap();
        assert!(err.to_string().contains("10x10"), "{err}");
    }
}
