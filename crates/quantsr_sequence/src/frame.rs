//! One decoded frame and the names of the files it is stored in.

use std::path::{Path, PathBuf};

use crate::{FrameMeta, Image};

/// The folder inside a sequence that holds the frame images.
pub const FRAMES_DIR: &str = "frames";

/// One frame of a sequence, decoded: what the upscaler gets as input for that frame, plus the
/// ground truth to compare its output with.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Position in the sequence, from 0.
    pub index: usize,
    /// Jitter, reset flag, dynamic render size, exposure, frame time.
    pub meta: FrameMeta,
    /// Linear, pre-exposed colour at the frame's render size, RGBA (alpha 1 where the file
    /// has none).
    pub color: Image,
    /// Device depth at the frame's render size, 1 channel.
    pub depth: Image,
    /// Motion at the frame's render size, 2 channels: `uv_previous − uv_current` in UV units.
    /// Meaningless on frame 0 and on reset frames.
    pub motion: Image,
    /// Reference image at display size, RGBA, when the sequence has one (rendered sequences
    /// do, captures do not).
    pub gt: Option<Image>,
    /// How much to trust this frame over history, in [0, 1], 1 channel at the frame's render
    /// size, when the renderer provided one.
    pub reactive: Option<Image>,
}

impl Frame {
    /// This frame's render size, `[width, height]` in pixels (the size of its colour image).
    pub fn render_size(&self) -> [u32; 2] {
        self.color.size()
    }
}

/// The files a frame is stored in; [`FrameFile::file_name`] gives the name on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameFile {
    /// `NNNNN.color.exr`: render size, RGB(A).
    Color,
    /// `NNNNN.depth.exr`: render size, one channel.
    Depth,
    /// `NNNNN.motion.exr`: render size, R = du, G = dv.
    Motion,
    /// `NNNNN.gt.exr`: display size, RGB(A); all frames or none.
    GroundTruth,
    /// `NNNNN.reactive.exr`: render size, one channel; optional per frame.
    Reactive,
}

impl FrameFile {
    /// Every kind, in the order the writer writes them.
    pub const ALL: [FrameFile; 5] =
        [FrameFile::Color, FrameFile::Depth, FrameFile::Motion, FrameFile::GroundTruth, FrameFile::Reactive];

    /// The kind's part of the file name (`color`, `depth`, `motion`, `gt`, `reactive`).
    pub fn kind(self) -> &'static str {
        match self {
            FrameFile::Color => "color",
            FrameFile::Depth => "depth",
            FrameFile::Motion => "motion",
            FrameFile::GroundTruth => "gt",
            FrameFile::Reactive => "reactive",
        }
    }

    /// The file name of frame `index`, e.g. `00007.depth.exr` (five digits, more past 99999).
    pub fn file_name(self, index: usize) -> String {
        format!("{index:05}.{}.exr", self.kind())
    }

    /// The file's path inside the sequence folder `dir`: `dir/frames/NNNNN.kind.exr`.
    pub fn path(self, dir: &Path, index: usize) -> PathBuf {
        dir.join(FRAMES_DIR).join(self.file_name(index))
    }
}

/// Whether `name` is one of the frame file names this format uses (or a temporary name the
/// writer uses for one), so the writer removes exactly those when it overwrites a sequence.
pub(crate) fn is_frame_file_name(name: &str) -> bool {
    let is_final = |name: &str| {
        let mut parts = name.splitn(2, '.');
        let (Some(digits), Some(rest)) = (parts.next(), parts.next()) else {
            return false;
        };
        digits.len() >= 5
            && digits.bytes().all(|b| b.is_ascii_digit())
            && FrameFile::ALL.iter().any(|f| rest == format!("{}.exr", f.kind()))
    };
    if is_final(name) {
        return true;
    }
    quantsr_core::is_temp_name(name).is_some_and(is_final)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_file_names_are_recognised_exactly() {
        assert_eq!(FrameFile::Reactive.file_name(7), "00007.reactive.exr");
        assert_eq!(FrameFile::Color.file_name(123_456), "123456.color.exr");
        for name in ["00000.color.exr", "00012.gt.exr", "123456.motion.exr", ".00003.depth.exr.4242.tmp"] {
            assert!(is_frame_file_name(name), "{name}");
        }
        for name in ["0001.color.exr", "00001.colour.exr", "notes.txt", "00001.color.exr.bak", ".00001.color.exr.x.tmp"]
        {
            assert!(!is_frame_file_name(name), "{name}");
        }
    }
}
