//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing a sequence. Every variant names the file it
/// is about, and where it is about a value, the field and what was expected, so the message
/// alone is enough to fix the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SequenceError {
    /// A file or folder could not be read, written, renamed or removed.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done: "cannot read", "cannot create", …
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// `sequence.json` is not JSON at all (syntax error, truncated file).
    #[error("{}: not valid JSON: {source}", path.display())]
    Json {
        /// The manifest file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },

    /// A required manifest field is absent.
    #[error("{}: missing field `{field}`", path.display())]
    MissingField {
        /// The manifest file.
        path: PathBuf,
        /// The field, as a path such as `frames[3].jitter`.
        field: String,
    },

    /// A manifest field has the wrong JSON type (a string where a number belongs, a size
    /// with three entries, a fractional pixel count).
    #[error("{}: {field} = {got} is not {expected}", path.display())]
    FieldType {
        /// The manifest file.
        path: PathBuf,
        /// The field, as a path such as `display_size[1]`.
        field: String,
        /// The value found, as JSON.
        got: String,
        /// What the field must hold, e.g. "a positive integer".
        expected: &'static str,
    },

    /// A manifest field has the right type but a value this format does not allow.
    #[error("{}: {field} = {got} {problem}", path.display())]
    InvalidField {
        /// The manifest file.
        path: PathBuf,
        /// The field, as a path such as `frames[3].jitter[0]`.
        field: String,
        /// The value found.
        got: String,
        /// Why it is rejected, e.g. "is outside [-0.5, 0.5]".
        problem: String,
    },

    /// A file every frame must have (colour, depth, motion) does not exist.
    #[error("{}: missing (frame {frame} of {count} listed in sequence.json)", path.display())]
    MissingFrameFile {
        /// The file that should exist.
        path: PathBuf,
        /// The frame it belongs to.
        frame: usize,
        /// How many frames the manifest lists.
        count: usize,
    },

    /// An optional per-frame file that must be present for all frames or for none (ground
    /// truth) exists for some frames only.
    #[error(
        "{}: missing, but {present} of {count} frames have a {kind} file \
         (it must be present for all frames or for none)",
        path.display()
    )]
    PartialOptionalFiles {
        /// The first file that is missing.
        path: PathBuf,
        /// Which file kind, e.g. "gt".
        kind: &'static str,
        /// How many frames do have it.
        present: usize,
        /// How many frames the manifest lists.
        count: usize,
    },

    /// An EXR file is truncated, corrupt or uses something this reader does not decode.
    #[error("{}: cannot decode EXR: {reason}", path.display())]
    Exr {
        /// The EXR file.
        path: PathBuf,
        /// The decoder's explanation.
        reason: String,
    },

    /// An image file has the wrong set of channels for its role.
    #[error("{}: has channels [{}], expected {expected}", path.display(), got.join(", "))]
    WrongChannels {
        /// The image file.
        path: PathBuf,
        /// The channel names found.
        got: Vec<String>,
        /// What the role requires, e.g. "R, G, B and optionally A".
        expected: &'static str,
    },

    /// An image channel stores samples of a type this format does not use (u32).
    #[error("{}: channel {channel} holds {got} samples, expected f16 or f32", path.display())]
    WrongSampleType {
        /// The image file.
        path: PathBuf,
        /// The channel name.
        channel: String,
        /// The sample type found.
        got: &'static str,
    },

    /// An image has a size other than the one its role and frame require.
    #[error(
        "{}: is {}x{} pixels, expected {}x{} ({what})",
        path.display(), got[0], got[1], wanted[0], wanted[1]
    )]
    WrongSize {
        /// The image file (or, when writing, the file it was going to be).
        path: PathBuf,
        /// The size found, width and height in pixels.
        got: [u32; 2],
        /// The size required, width and height in pixels.
        wanted: [u32; 2],
        /// Which size is required, e.g. "the frame's render size".
        what: &'static str,
    },

    /// A frame index past the end of the sequence was requested.
    #[error("{}: frame {index} requested, but the sequence has {count} frames", path.display())]
    FrameOutOfRange {
        /// The manifest file.
        path: PathBuf,
        /// The requested index.
        index: usize,
        /// How many frames there are.
        count: usize,
    },

    /// The writer was given a frame whose index is not the next one, or whose optional images
    /// (ground truth) do not match the frames written before.
    #[error("{}: frame {index}: {problem}", path.display())]
    FrameMismatch {
        /// The sequence folder.
        path: PathBuf,
        /// The frame's index.
        index: usize,
        /// What is wrong.
        problem: String,
    },

    /// An image could not be encoded (PNG), or an in-memory image cannot be written in the
    /// requested format (e.g. a channel count PNG has no layout for).
    #[error("{}: cannot encode: {reason}", path.display())]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl SequenceError {
    /// Wraps an I/O error with the path and the action that failed.
    pub(crate) fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), action, source }
    }
}

impl From<quantsr_core::PlaceError> for SequenceError {
    fn from(e: quantsr_core::PlaceError) -> Self {
        Self::io(e.to, "cannot rename into place", e.source)
    }
}
