//! EXR decoding/encoding of quantsr's one [`Image`] type with the `exr` crate, and the 8-bit
//! sRGB PNG output people look at.

use std::path::Path;

use exr::prelude::{self as x, ReadChannels, ReadLayers, WritableImage};

use quantsr_core::write_atomically;

use crate::SequenceError;

type Result<T> = std::result::Result<T, SequenceError>;

pub use quantsr_core::Image;

/// How samples of colour images are stored in EXR files. Depth, motion and the reactive mask
/// are always stored as f32 (depth precision matters, and they are small).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SamplePrecision {
    /// 32-bit float: lossless, the default.
    #[default]
    F32,
    /// 16-bit float: half the disk space, what real-time renderers usually produce;
    /// values are rounded to the nearest f16.
    F16,
}

/// The sRGB opto-electronic transfer function (IEC 61966-2-1, exact piecewise form): linear
/// light in [0, 1] to the non-linear sRGB value shown on a display. The display transform of
/// quantsr is `srgb_oetf(clamp(x, 0, 1))` (see [`display_transform`]); metrics and PNG output
/// are computed after it.
pub fn srgb_oetf(linear: f32) -> f32 {
    if linear <= 0.003_130_8 { 12.92 * linear } else { 1.055 * linear.powf(1.0 / 2.4) - 0.055 }
}

/// `srgb_oetf(clamp(x, 0, 1))`, with NaN mapped to 0: what a linear HDR sample looks like on
/// an sRGB display, and the space quantsr's metrics are computed in.
pub fn display_transform(linear: f32) -> f32 {
    if linear.is_nan() { 0.0 } else { srgb_oetf(linear.clamp(0.0, 1.0)) }
}

/// The channel names an image with `channels` channels gets in the EXR files this crate
/// writes: R; R, G; R, G, B; R, G, B, A.
fn channel_names(channels: usize) -> Option<&'static [&'static str]> {
    const NAMES: [&str; 4] = ["R", "G", "B", "A"];
    (1..=4).contains(&channels).then(|| &NAMES[..channels])
}

/// Writes `image` (1 to 4 channels, named R, G, B, A in order) as a lossless ZIP-compressed
/// EXR, atomically: the file appears complete under its name or not at all. For the
/// `upscale` command's `NNNNN.exr` outputs and for the frame files of a sequence.
pub fn write_exr(path: impl AsRef<Path>, image: &Image, precision: SamplePrecision) -> Result<()> {
    let path = path.as_ref();
    let names = channel_names(image.channels()).ok_or_else(|| SequenceError::Encode {
        path: path.to_owned(),
        reason: format!("EXR output takes 1 to 4 channels, this image has {}", image.channels()),
    })?;
    let pixels = image.width() as usize * image.height() as usize;
    let list: x::SmallVec<[x::AnyChannel<x::FlatSamples>; 4]> = names
        .iter()
        .enumerate()
        .map(|(c, &name)| {
            let plane = (0..pixels).map(|p| image.data()[p * image.channels() + c]);
            let samples = match precision {
                SamplePrecision::F32 => x::FlatSamples::F32(plane.collect()),
                SamplePrecision::F16 => x::FlatSamples::F16(plane.map(x::f16::from_f32).collect()),
            };
            x::AnyChannel::new(name, samples)
        })
        .collect();
    let exr_image = x::Image::from_encoded_channels(
        (image.width() as usize, image.height() as usize),
        x::Encoding::SMALL_LOSSLESS,
        x::AnyChannels::sort(list),
    );
    write_atomically(path, |tmp| {
        exr_image.write().to_file(tmp).map_err(|e| match e {
            x::Error::Io(source) => SequenceError::io(path, "cannot write", source),
            other => SequenceError::Encode { path: path.to_owned(), reason: other.to_string() },
        })
    })
}

/// Writes `image` as an 8-bit sRGB PNG through [`display_transform`], atomically. Takes 1
/// channel (grey) or 3 or 4 channels (RGB; alpha is dropped, since the output is for
/// looking at). For the `upscale` command's `--format png` outputs.
pub fn write_png(path: impl AsRef<Path>, image: &Image) -> Result<()> {
    let path = path.as_ref();
    let (color, keep) = match image.channels() {
        1 => (image::ExtendedColorType::L8, 1),
        3 | 4 => (image::ExtendedColorType::Rgb8, 3),
        n => {
            return Err(SequenceError::Encode {
                path: path.to_owned(),
                reason: format!("PNG output takes 1, 3 or 4 channels, this image has {n}"),
            });
        }
    };
    let bytes: Vec<u8> = image
        .data()
        .chunks_exact(image.channels())
        .flat_map(|px| px[..keep].iter().map(|&v| (display_transform(v) * 255.0).round() as u8))
        .collect();
    write_atomically(path, |tmp| {
        image::save_buffer_with_format(tmp, &bytes, image.width(), image.height(), color, image::ImageFormat::Png)
            .map_err(|e| match e {
                image::ImageError::IoError(source) => SequenceError::io(path, "cannot write", source),
                other => SequenceError::Encode { path: path.to_owned(), reason: other.to_string() },
            })
    })
}

/// Reads an RGB or RGBA EXR (f16 or f32) into a 4-channel RGBA image, alpha 1 where the file
/// has none: how colour and ground truth are read, and how tools read `upscale` outputs back.
pub fn read_exr_rgba(path: impl AsRef<Path>) -> Result<Image> {
    read_exr(path.as_ref(), Role::Rgba)
}

/// What an EXR file is for, which decides the channels it must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// R, G, B and optionally A; read as RGBA.
    Rgba,
    /// Exactly one channel, named R, Y, Z or depth; read as 1 channel.
    Single,
    /// R = du and G = dv, optionally with B and A that are ignored; read as 2 channels.
    Motion,
}

impl Role {
    fn expected(self) -> &'static str {
        match self {
            Role::Rgba => "R, G, B and optionally A",
            Role::Single => "exactly one channel named R, Y, Z or depth",
            Role::Motion => "R (du) and G (dv), optionally B and A (ignored)",
        }
    }
}

/// Decodes an EXR file for `role`: f16 and f32 samples are accepted, NaN and infinities are
/// kept as they are (the upscaler must cope with them).
pub(crate) fn read_exr(path: &Path, role: Role) -> Result<Image> {
    let decoded = x::read()
        .no_deep_data()
        .largest_resolution_level()
        .all_channels()
        .first_valid_layer()
        .all_attributes()
        .from_file(path)
        .map_err(|e| decode_error(path, e))?;
    let layer = decoded.layer_data;
    let too_large = || SequenceError::Exr { path: path.to_owned(), reason: "image is too large".into() };
    let width = u32::try_from(layer.size.width()).map_err(|_| too_large())?;
    let height = u32::try_from(layer.size.height()).map_err(|_| too_large())?;
    let pixels = layer.size.area();

    let mut planes: Vec<(String, Vec<f32>)> = Vec::new();
    for channel in layer.channel_data.list {
        let name = channel.name.to_string();
        let samples = match channel.sample_data {
            x::FlatSamples::F32(v) => v,
            x::FlatSamples::F16(v) => v.into_iter().map(x::f16::to_f32).collect(),
            x::FlatSamples::U32(_) => {
                return Err(SequenceError::WrongSampleType { path: path.to_owned(), channel: name, got: "u32" });
            }
        };
        if samples.len() != pixels {
            return Err(SequenceError::Exr {
                path: path.to_owned(),
                reason: format!("channel {name} is subsampled, which this format does not use"),
            });
        }
        planes.push((name, samples));
    }

    let names: Vec<String> = planes.iter().map(|(n, _)| n.clone()).collect();
    let wrong =
        || SequenceError::WrongChannels { path: path.to_owned(), got: names.clone(), expected: role.expected() };
    let take = |planes: &mut Vec<(String, Vec<f32>)>, name: &str| {
        planes.iter().position(|(n, _)| n == name).map(|i| planes.swap_remove(i).1)
    };
    let has_only = |allowed: &[&str]| names.iter().all(|n| allowed.contains(&n.as_str()));

    let selected: Vec<Vec<f32>> = match role {
        Role::Rgba => {
            if !has_only(&["R", "G", "B", "A"]) {
                return Err(wrong());
            }
            let (Some(r), Some(g), Some(b)) = (take(&mut planes, "R"), take(&mut planes, "G"), take(&mut planes, "B"))
            else {
                return Err(wrong());
            };
            let a = take(&mut planes, "A").unwrap_or_else(|| vec![1.0; pixels]);
            vec![r, g, b, a]
        }
        Role::Motion => {
            if !has_only(&["R", "G", "B", "A"]) {
                return Err(wrong());
            }
            let (Some(u), Some(v)) = (take(&mut planes, "R"), take(&mut planes, "G")) else {
                return Err(wrong());
            };
            vec![u, v]
        }
        Role::Single => {
            let accepted = ["R", "Y", "Z", "depth"];
            match planes.pop() {
                Some((name, plane)) if planes.is_empty() && accepted.iter().any(|a| a.eq_ignore_ascii_case(&name)) => {
                    vec![plane]
                }
                _ => return Err(wrong()),
            }
        }
    };

    let channels = selected.len();
    let mut data = vec![0.0; pixels * channels];
    for (c, plane) in selected.iter().enumerate() {
        for (p, &v) in plane.iter().enumerate() {
            data[p * channels + c] = v;
        }
    }
    Ok(Image::new(width, height, channels, data))
}

/// Turns the decoder's error into ours: a missing or unreadable file is an I/O error, anything
/// about the contents (truncation included: `exr` reports end-of-file as "invalid") is a
/// decode error.
fn decode_error(path: &Path, error: x::Error) -> SequenceError {
    match error {
        x::Error::Io(source) if source.kind() == std::io::ErrorKind::UnexpectedEof => {
            SequenceError::Exr { path: path.to_owned(), reason: format!("file is truncated ({source})") }
        }
        x::Error::Io(source) => SequenceError::io(path, "cannot read", source),
        x::Error::Invalid(message) => SequenceError::Exr {
            path: path.to_owned(),
            reason: format!("{message} (the file is truncated or corrupt)"),
        },
        other => SequenceError::Exr { path: path.to_owned(), reason: other.to_string() },
    }
}
