//! Reading a sequence folder: the manifest and file layout are checked up front, frames are
//! decoded one at a time.

use std::path::{Path, PathBuf};

use crate::image::{Role, read_exr};
use crate::{Frame, FrameFile, Image, MANIFEST_FILE, Manifest, SequenceError};

type Result<T> = std::result::Result<T, SequenceError>;

/// An open sequence (ARCHITECTURE §6). Opening validates `sequence.json` and checks that every
/// frame's files exist, so a bad sequence fails before any work starts; [`Self::frame`] then
/// decodes one frame at a time, so memory use does not grow with the sequence length.
#[derive(Clone, Debug)]
pub struct SequenceReader {
    dir: PathBuf,
    manifest: Manifest,
    has_gt: bool,
}

impl SequenceReader {
    /// Opens the sequence in folder `dir`: parses and validates `dir/sequence.json`, and checks
    /// that the colour, depth and motion files of every frame exist and that ground truth
    /// exists for all frames or for none. Decodes no image.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_owned();
        let manifest_path = dir.join(MANIFEST_FILE);
        let text =
            std::fs::read_to_string(&manifest_path).map_err(|e| SequenceError::io(&manifest_path, "cannot read", e))?;
        let manifest = Manifest::from_json(&text, &manifest_path)?;

        let count = manifest.frames.len();
        for index in 0..count {
            for kind in [FrameFile::Color, FrameFile::Depth, FrameFile::Motion] {
                let path = kind.path(&dir, index);
                if !path.is_file() {
                    return Err(SequenceError::MissingFrameFile { path, frame: index, count });
                }
            }
        }
        let gt_present: Vec<bool> =
            (0..count).map(|index| FrameFile::GroundTruth.path(&dir, index).is_file()).collect();
        let present = gt_present.iter().filter(|&&p| p).count();
        if present != 0 && present != count {
            let first_missing = gt_present.iter().position(|&p| !p).unwrap_or_default();
            return Err(SequenceError::PartialOptionalFiles {
                path: FrameFile::GroundTruth.path(&dir, first_missing),
                kind: FrameFile::GroundTruth.kind(),
                present,
                count,
            });
        }
        Ok(Self { dir, manifest, has_gt: present == count })
    }

    /// The validated manifest: sizes, depth convention, frame rate and per-frame values.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The sequence folder this reader was opened on.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of frames (at least 1: an empty sequence does not open).
    pub fn frame_count(&self) -> usize {
        self.manifest.frames.len()
    }

    /// Whether frames carry ground truth (rendered sequences) or not (captures), so evaluation
    /// knows up front whether it can compute metrics.
    pub fn has_ground_truth(&self) -> bool {
        self.has_gt
    }

    /// Decodes frame `index` and checks every image's channels and size against the manifest:
    /// render-resolution images at the frame's render size, ground truth at the display size.
    /// NaN and infinite samples are returned as they are, not rejected.
    pub fn frame(&self, index: usize) -> Result<Frame> {
        let count = self.frame_count();
        let meta = *self.manifest.frames.get(index).ok_or_else(|| SequenceError::FrameOutOfRange {
            path: self.dir.join(MANIFEST_FILE),
            index,
            count,
        })?;
        let render_size = meta.render_size_in(&self.manifest.header);
        let render = |kind: FrameFile, role: Role| self.read(kind, index, role, render_size, "the frame's render size");
        let color = render(FrameFile::Color, Role::Rgba)?;
        let depth = render(FrameFile::Depth, Role::Single)?;
        let motion = render(FrameFile::Motion, Role::Motion)?;
        let reactive = if FrameFile::Reactive.path(&self.dir, index).is_file() {
            Some(render(FrameFile::Reactive, Role::Single)?)
        } else {
            None
        };
        let gt = if self.has_gt {
            let size = self.manifest.header.display_size;
            Some(self.read(FrameFile::GroundTruth, index, Role::Rgba, size, "the display size")?)
        } else {
            None
        };
        Ok(Frame { index, meta, color, depth, motion, gt, reactive })
    }

    /// Decodes every frame in order, one at a time.
    pub fn frames(&self) -> impl Iterator<Item = Result<Frame>> + '_ {
        (0..self.frame_count()).map(|index| self.frame(index))
    }

    /// The path of one of frame `index`'s files (whether or not it exists).
    pub fn frame_path(&self, kind: FrameFile, index: usize) -> PathBuf {
        kind.path(&self.dir, index)
    }

    fn read(&self, kind: FrameFile, index: usize, role: Role, wanted: [u32; 2], what: &'static str) -> Result<Image> {
        let path = kind.path(&self.dir, index);
        let image = read_exr(&path, role)?;
        if image.size() != wanted {
            return Err(SequenceError::WrongSize { path, got: image.size(), wanted, what });
        }
        Ok(image)
    }
}
