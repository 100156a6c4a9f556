//! The on-disk frame sequence format v1 of quantsr (ARCHITECTURE §6): what the CLI renders into,
//! upscales from and evaluates against, and what captures from real applications are
//! converted to.
//!
//! ```text
//! SEQ/sequence.json             the manifest: sizes, depth convention, fps, per-frame values
//! SEQ/frames/NNNNN.color.exr    render size, RGB(A) linear, f16 or f32
//! SEQ/frames/NNNNN.depth.exr    render size, one channel (R or Y), device depth
//! SEQ/frames/NNNNN.motion.exr   render size, R = du, G = dv (uv_previous − uv_current)
//! SEQ/frames/NNNNN.gt.exr       display size, RGB(A); all frames or none
//! SEQ/frames/NNNNN.reactive.exr render size, one channel in [0, 1]; optional per frame
//! ```
//!
//! [`SequenceReader`] validates a sequence when it opens it and decodes one frame at a time;
//! [`SequenceWriter`] writes one frame at a time and the manifest last, so a partial sequence
//! never looks complete. Malformed input is rejected with a [`SequenceError`] that names the
//! file and the field. The crate needs no GPU.
//!
//! ```no_run
//! use quantsr_sequence::SequenceReader;
//!
//! let seq = SequenceReader::open("SEQ")?;
//! for frame in seq.frames() {
//!     let frame = frame?;
//!     println!("frame {} jitter {:?} at {:?}", frame.index, frame.meta.jitter, frame.render_size());
//! }
//! # Ok::<(), quantsr_sequence::SequenceError>(())
//! ```

mod args;
mod error;
mod frame;
mod image;
mod manifest;
mod reader;
mod writer;

pub use args::{Size, parse_ratio};
pub use error::SequenceError;
pub use frame::{FRAMES_DIR, Frame, FrameFile};
pub use image::{Image, SamplePrecision, display_transform, read_exr_rgba, srgb_oetf, write_exr, write_png};
pub use manifest::{DepthInfo, FORMAT_NAME, FORMAT_VERSION, FrameMeta, MANIFEST_FILE, Manifest, SequenceHeader};
pub use reader::SequenceReader;
pub use writer::{SequenceWriter, WriteOptions};
