//! Writing a sequence folder frame by frame, with `sequence.json` written last.

use std::path::{Path, PathBuf};

use crate::frame::is_frame_file_name;
use quantsr_core::write_atomically;

use crate::image::write_exr;
use crate::{
    FRAMES_DIR, Frame, FrameFile, FrameMeta, Image, MANIFEST_FILE, Manifest, SamplePrecision, SequenceError,
    SequenceHeader,
};

type Result<T> = std::result::Result<T, SequenceError>;

/// How a [`SequenceWriter`] stores images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Sample type of the colour and ground-truth files (depth, motion and reactive are
    /// always f32). Default: f32, lossless.
    pub color_precision: SamplePrecision,
}

/// Writes a sequence (ARCHITECTURE §6) one frame at a time, so a renderer never holds the whole
/// sequence in memory.
///
/// Every file is written under a temporary name in the same folder and renamed into place, and
/// `sequence.json` is written only by [`Self::finish`]: a run that fails or is interrupted
/// leaves a folder without a manifest, which [`crate::SequenceReader::open`] rejects, never a
/// sequence that looks complete but is not.
///
/// Writing into a folder that already holds a sequence overwrites it: [`Self::create`] first
/// removes the old `sequence.json`, then the old frame files (only files named like frame
/// files, `frames/NNNNN.{color,depth,motion,gt,reactive}.exr`, and the writer's own leftover
/// temporary files), so no stale ground truth or reactive mask can mix into the new sequence.
/// Nothing else in the folder is touched.
#[derive(Debug)]
pub struct SequenceWriter {
    dir: PathBuf,
    header: SequenceHeader,
    options: WriteOptions,
    frames: Vec<FrameMeta>,
    has_gt: Option<bool>,
}

impl SequenceWriter {
    /// Starts a sequence in folder `dir` (created if needed) with the default options (f32
    /// colour). See the type's documentation for what happens to an existing sequence there.
    pub fn create(dir: impl AsRef<Path>, header: SequenceHeader) -> Result<Self> {
        Self::create_with_options(dir, header, WriteOptions::default())
    }

    /// Starts a sequence in folder `dir` with explicit options (e.g. f16 colour).
    pub fn create_with_options(dir: impl AsRef<Path>, header: SequenceHeader, options: WriteOptions) -> Result<Self> {
        let dir = dir.as_ref().to_owned();
        let manifest_path = dir.join(MANIFEST_FILE);
        header.validate(&manifest_path)?;

        let frames_dir = dir.join(FRAMES_DIR);
        std::fs::create_dir_all(&frames_dir).map_err(|e| SequenceError::io(&frames_dir, "cannot create", e))?;
        // The old manifest goes first, so the folder never looks complete while it is rewritten.
        match std::fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(SequenceError::io(&manifest_path, "cannot remove the old", e));
            }
            _ => {}
        }
        let entries = std::fs::read_dir(&frames_dir).map_err(|e| SequenceError::io(&frames_dir, "cannot list", e))?;
        for entry in entries {
            let entry = entry.map_err(|e| SequenceError::io(&frames_dir, "cannot list", e))?;
            if entry.file_name().to_str().is_some_and(is_frame_file_name) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|e| SequenceError::io(&path, "cannot remove the old", e))?;
            }
        }
        Ok(Self { dir, header, options, frames: Vec::new(), has_gt: None })
    }

    /// Number of frames written so far; the index the next frame must have.
    pub fn frames_written(&self) -> usize {
        self.frames.len()
    }

    /// Checks `frame` against the header and the frames before it, then writes its files.
    /// Frames must come in order (`frame.index` = [`Self::frames_written`]); ground truth must
    /// be given for every frame or for none; the reactive mask may be given for any frame.
    pub fn write_frame(&mut self, frame: &Frame) -> Result<()> {
        let index = self.frames.len();
        let mismatch = |problem: String| SequenceError::FrameMismatch { path: self.dir.clone(), index, problem };
        if frame.index != index {
            return Err(SequenceError::FrameMismatch {
                path: self.dir.clone(),
                index: frame.index,
                problem: format!("frames must be written in order, the next one is frame {index}"),
            });
        }
        frame.meta.validate(index, &self.header, &self.dir.join(MANIFEST_FILE))?;
        match (self.has_gt, frame.gt.is_some()) {
            (Some(true), false) => {
                return Err(mismatch("has no ground truth, but earlier frames do".into()));
            }
            (Some(false), true) => {
                return Err(mismatch("has ground truth, but earlier frames do not".into()));
            }
            _ => {}
        }

        // Check everything before writing anything.
        let files = self.plan(frame);
        for file in &files {
            let image = file.image;
            if !file.channels.contains(&image.channels()) {
                let wanted: Vec<String> = file.channels.iter().map(ToString::to_string).collect();
                return Err(mismatch(format!(
                    "{} image has {} channels, expected {}",
                    file.kind.kind(),
                    image.channels(),
                    wanted.join(" or ")
                )));
            }
            if image.size() != file.size {
                let path = file.kind.path(&self.dir, index);
                return Err(SequenceError::WrongSize { path, got: image.size(), wanted: file.size, what: file.what });
            }
        }
        for file in files {
            write_exr(file.kind.path(&self.dir, index), file.image, file.precision)?;
        }
        self.has_gt = Some(frame.gt.is_some());
        self.frames.push(frame.meta);
        Ok(())
    }

    /// The files `frame` becomes, with what each must look like.
    fn plan<'f>(&self, frame: &'f Frame) -> Vec<PlannedFile<'f>> {
        let render_size = frame.meta.render_size_in(&self.header);
        let render = |kind, image, channels, precision| PlannedFile {
            kind,
            image,
            channels,
            size: render_size,
            what: "the frame's render size",
            precision,
        };
        let color = self.options.color_precision;
        let mut files = vec![
            render(FrameFile::Color, &frame.color, &[3, 4], color),
            render(FrameFile::Depth, &frame.depth, &[1], SamplePrecision::F32),
            render(FrameFile::Motion, &frame.motion, &[2], SamplePrecision::F32),
        ];
        if let Some(gt) = &frame.gt {
            files.push(PlannedFile {
                kind: FrameFile::GroundTruth,
                image: gt,
                channels: &[3, 4],
                size: self.header.display_size,
                what: "the display size",
                precision: color,
            });
        }
        if let Some(reactive) = &frame.reactive {
            files.push(render(FrameFile::Reactive, reactive, &[1], SamplePrecision::F32));
        }
        files
    }

    /// Writes `sequence.json`, which makes the sequence readable, and returns the manifest.
    /// Fails (writing nothing) if no frame was written.
    pub fn finish(self) -> Result<Manifest> {
        let path = self.dir.join(MANIFEST_FILE);
        let manifest = Manifest::new(self.header, self.frames);
        manifest.validate(&path)?;
        let json = manifest.to_json();
        write_atomically(&path, |tmp| {
            std::fs::write(tmp, json.as_bytes()).map_err(|e| SequenceError::io(&path, "cannot write", e))
        })?;
        Ok(manifest)
    }
}

/// One file of a frame about to be written, and what its image must look like.
struct PlannedFile<'f> {
    kind: FrameFile,
    image: &'f Image,
    /// Channel counts the image may have.
    channels: &'static [usize],
    /// Required size in pixels, and which size that is (for the error).
    size: [u32; 2],
    what: &'static str,
    precision: SamplePrecision,
}
