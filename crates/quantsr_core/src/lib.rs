//! The leaf of quantsr's crates, used by all the others and using none of them:
//!
//! | module | what it holds |
//! |---|---|
//! | [`conventions`] | jitter sequence, render sizes per quality mode, mip bias: what a renderer and the upscaler must agree on (ARCHITECTURE §3) |
//! | [`image`] | [`Image`], the one CPU image type: frames on disk, CPU references, readbacks |
//! | [`atomic`] | writing a file under a temporary name and renaming it into place, so a failed run never leaves half a file |

pub mod atomic;
pub mod conventions;
pub mod image;

pub use atomic::{PlaceError, WriteError, is_temp_name, temp_path, write_atomically, write_bytes_atomically};
pub use conventions::{QualityMode, jitter_offset, jitter_phase_count, mip_bias, projection_jitter, render_size};
pub use image::Image;
