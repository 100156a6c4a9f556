//! `sequence.json`: what a sequence is (sizes, depth convention, frame rate) and what each
//! frame carries besides its images (jitter, reset, dynamic render size, exposure).
//!
//! Parsing goes through [`serde_json::Value`] and a small typed walk instead of the derived
//! `Deserialize`, so that every error names the exact field (`frames[3].jitter[0]`), which
//! serde's own messages do not. The derived `Serialize`/`Deserialize` impls describe the same
//! JSON and are there for embedding a manifest in other serde documents.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SequenceError;

/// The value of the manifest's `format` field: what marks a JSON file as a quantsr sequence.
pub const FORMAT_NAME: &str = "quantsr-sequence";

/// The manifest version this crate reads and writes (sequence format v1).
pub const FORMAT_VERSION: u32 = 1;

/// The manifest's file name inside a sequence folder.
pub const MANIFEST_FILE: &str = "sequence.json";

type Result<T> = std::result::Result<T, SequenceError>;

/// The whole of `sequence.json`: read it with [`Manifest::from_json`] (or through
/// [`crate::SequenceReader`]), write it with [`Manifest::to_json`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`]; tells a quantsr sequence apart from any other JSON.
    pub format: String,
    /// Always [`FORMAT_VERSION`] for this crate.
    pub version: u32,
    /// Sizes, depth convention and frame rate shared by all frames.
    #[serde(flatten)]
    pub header: SequenceHeader,
    /// One entry per frame, in order; frame `i`'s images are `frames/{i:05}.*.exr`.
    pub frames: Vec<FrameMeta>,
}

/// What every frame of a sequence shares; the part of the manifest known before the first
/// frame is written (see [`crate::SequenceWriter::create`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceHeader {
    /// The largest render size, `[width, height]` in pixels. Frames without their own
    /// `render_size` use it; frames with one (dynamic resolution) may not exceed it.
    pub render_size: [u32; 2],
    /// The output (and ground-truth) size, `[width, height]` in pixels.
    pub display_size: [u32; 2],
    /// How the depth images encode depth.
    pub depth: DepthInfo,
    /// Vertical field of view of the camera in radians, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fov_y: Option<f32>,
    /// Frames per second the sequence was rendered or captured at.
    pub fps: f64,
}

/// The depth convention of the depth images (ARCHITECTURE §3): device depth of the projection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DepthInfo {
    /// Reverse-Z: 1 at the near plane, 0 at the far plane (or at infinity).
    pub inverted: bool,
    /// The projection has no far plane.
    pub infinite: bool,
    /// Camera near plane distance in scene units, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<f32>,
    /// Camera far plane distance in scene units, when known (and finite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub far: Option<f32>,
}

/// Per-frame values that are not images.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameMeta {
    /// Sub-pixel jitter `[jx, jy]` in render pixels, each in [-0.5, 0.5] (FSR 2 convention).
    pub jitter: [f32; 2],
    /// Camera cut: history must be discarded, and this frame's motion vectors are meaningless.
    pub reset: bool,
    /// This frame's render size when it differs from the header's (dynamic resolution),
    /// `[width, height]` in pixels, at most the header's `render_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_size: Option<[u32; 2]>,
    /// Pre-exposure the colour was multiplied by (1.0 when absent).
    #[serde(default = "default_exposure")]
    pub exposure: f32,
    /// How long the frame took in the source application, in milliseconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_time_ms: Option<f32>,
}

fn default_exposure() -> f32 {
    1.0
}

impl Default for FrameMeta {
    fn default() -> Self {
        Self::new([0.0, 0.0], false)
    }
}

impl FrameMeta {
    /// A frame at the header's render size with exposure 1 and no frame time: the common case.
    pub fn new(jitter: [f32; 2], reset: bool) -> Self {
        Self { jitter, reset, render_size: None, exposure: 1.0, frame_time_ms: None }
    }

    /// The size this frame's render-resolution images have, in pixels: its own `render_size`
    /// or else the header's.
    pub fn render_size_in(&self, header: &SequenceHeader) -> [u32; 2] {
        self.render_size.unwrap_or(header.render_size)
    }

    /// Checks the values against the format's ranges and the header's sizes. `index` and
    /// `path` only name the frame and file in the error.
    pub fn validate(&self, index: usize, header: &SequenceHeader, path: &Path) -> Result<()> {
        let at = |name: &str| format!("frames[{index}].{name}");
        for (axis, &j) in self.jitter.iter().enumerate() {
            let field = format!("{}[{axis}]", at("jitter"));
            finite(path, &field, j)?;
            if !(-0.5..=0.5).contains(&j) {
                return Err(invalid(path, field, j, "is outside [-0.5, 0.5]"));
            }
        }
        if let Some(size) = self.render_size {
            positive_size(path, &at("render_size"), size)?;
            at_most(path, &at("render_size"), size, header.render_size, "the maximum render_size")?;
        }
        if !(self.exposure.is_finite() && self.exposure > 0.0) {
            return Err(invalid(path, at("exposure"), self.exposure, "must be a finite number > 0"));
        }
        if let Some(ms) = self.frame_time_ms
            && !(ms.is_finite() && ms >= 0.0)
        {
            return Err(invalid(path, at("frame_time_ms"), ms, "must be a finite number >= 0"));
        }
        Ok(())
    }
}

impl SequenceHeader {
    /// Checks sizes, depth planes, field of view and frame rate against the format's ranges.
    /// `path` only names the file in the error.
    pub fn validate(&self, path: &Path) -> Result<()> {
        positive_size(path, "render_size", self.render_size)?;
        positive_size(path, "display_size", self.display_size)?;
        at_most(path, "render_size", self.render_size, self.display_size, "display_size")?;
        if let Some(near) = self.depth.near
            && !(near.is_finite() && near > 0.0)
        {
            return Err(invalid(path, "depth.near", near, "must be a finite number > 0"));
        }
        if let Some(far) = self.depth.far {
            if !(far.is_finite() && far > 0.0) {
                return Err(invalid(path, "depth.far", far, "must be a finite number > 0"));
            }
            if let Some(near) = self.depth.near
                && far <= near
            {
                return Err(invalid(path, "depth.far", far, format!("must be greater than depth.near = {near}")));
            }
        }
        if let Some(fov) = self.fov_y
            && !(fov.is_finite() && fov > 0.0 && fov < std::f32::consts::PI)
        {
            return Err(invalid(path, "fov_y", fov, "must be in (0, π) radians"));
        }
        if !(self.fps.is_finite() && self.fps > 0.0) {
            return Err(invalid(path, "fps", self.fps, "must be a finite number > 0"));
        }
        Ok(())
    }
}

impl Manifest {
    /// A v1 manifest for `header` and `frames`.
    pub fn new(header: SequenceHeader, frames: Vec<FrameMeta>) -> Self {
        Self { format: FORMAT_NAME.to_owned(), version: FORMAT_VERSION, header, frames }
    }

    /// The render size of frame `index` in pixels, or `None` past the last frame.
    pub fn frame_render_size(&self, index: usize) -> Option<[u32; 2]> {
        self.frames.get(index).map(|f| f.render_size_in(&self.header))
    }

    /// Checks everything [`SequenceHeader::validate`] and [`FrameMeta::validate`] check, plus
    /// the format name, the version and that there is at least one frame.
    pub fn validate(&self, path: &Path) -> Result<()> {
        check_format(path, &self.format)?;
        check_version(path, self.version)?;
        self.header.validate(path)?;
        if self.frames.is_empty() {
            return Err(invalid(path, "frames", "[]", "is empty (a sequence has at least one frame)"));
        }
        for (index, frame) in self.frames.iter().enumerate() {
            frame.validate(index, &self.header, path)?;
        }
        Ok(())
    }

    /// Parses and validates `sequence.json` text. `path` is only used to name the file in
    /// errors. Unknown fields are ignored (a later minor revision may add some); known fields
    /// must have exactly the documented types.
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        let root: Value =
            serde_json::from_str(text).map_err(|source| SequenceError::Json { path: path.to_owned(), source })?;
        let manifest = Walk { path }.manifest(&root)?;
        manifest.validate(path)?;
        Ok(manifest)
    }

    /// The manifest as pretty-printed JSON, the way [`crate::SequenceWriter`] stores it.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of numbers, strings and bools into a String cannot fail.
        serde_json::to_string_pretty(self).expect("a manifest always serialises to JSON")
    }
}

/// Builds an [`SequenceError::InvalidField`].
fn invalid(path: &Path, field: impl Into<String>, got: impl ToString, problem: impl Into<String>) -> SequenceError {
    SequenceError::InvalidField {
        path: path.to_owned(),
        field: field.into(),
        got: got.to_string(),
        problem: problem.into(),
    }
}

fn check_format(path: &Path, format: &str) -> Result<()> {
    if format == FORMAT_NAME {
        return Ok(());
    }
    let problem = format!("is not \"{FORMAT_NAME}\" (not a quantsr sequence manifest)");
    Err(invalid(path, "format", Value::from(format), problem))
}

fn check_version(path: &Path, version: u32) -> Result<()> {
    if version == FORMAT_VERSION {
        return Ok(());
    }
    let problem = format!("is not supported (this reader knows version {FORMAT_VERSION})");
    Err(invalid(path, "version", version, problem))
}

fn finite(path: &Path, field: &str, value: f32) -> Result<()> {
    if value.is_finite() { Ok(()) } else { Err(invalid(path, field, value, "is not a finite number")) }
}

/// Checks `size <= limit` per axis; `limit_name` names the limit in the error.
fn at_most(path: &Path, field: &str, size: [u32; 2], limit: [u32; 2], limit_name: &str) -> Result<()> {
    for (axis, (&n, &max)) in size.iter().zip(&limit).enumerate() {
        if n > max {
            let problem = format!("is larger than {limit_name}[{axis}] = {max}");
            return Err(invalid(path, format!("{field}[{axis}]"), n, problem));
        }
    }
    Ok(())
}

fn positive_size(path: &Path, field: &str, size: [u32; 2]) -> Result<()> {
    for (axis, &n) in size.iter().enumerate() {
        if n == 0 {
            return Err(invalid(path, format!("{field}[{axis}]"), n, "must be at least 1 pixel"));
        }
    }
    Ok(())
}

/// A typed walk over the JSON tree that knows the file it came from, so each accessor can
/// name the field in its error.
struct Walk<'a> {
    path: &'a Path,
}

impl Walk<'_> {
    fn manifest(&self, root: &Value) -> Result<Manifest> {
        let obj = self.object(root, "(top level)")?;
        // Format and version first: if either is wrong, the rest may legitimately differ.
        let format = self.string(self.required(obj, "", "format")?, "format")?;
        check_format(self.path, &format)?;
        let version = self.u32(self.required(obj, "", "version")?, "version", "an integer")?;
        check_version(self.path, version)?;

        let depth_value = self.required(obj, "", "depth")?;
        let depth_obj = self.object(depth_value, "depth")?;
        let depth = DepthInfo {
            inverted: self.bool(self.required(depth_obj, "depth.", "inverted")?, "depth.inverted")?,
            infinite: self.bool(self.required(depth_obj, "depth.", "infinite")?, "depth.infinite")?,
            near: optional(depth_obj, "near").map(|v| self.f32(v, "depth.near")).transpose()?,
            far: optional(depth_obj, "far").map(|v| self.f32(v, "depth.far")).transpose()?,
        };
        let header = SequenceHeader {
            render_size: self.size(self.required(obj, "", "render_size")?, "render_size")?,
            display_size: self.size(self.required(obj, "", "display_size")?, "display_size")?,
            depth,
            fov_y: optional(obj, "fov_y").map(|v| self.f32(v, "fov_y")).transpose()?,
            fps: self.f64(self.required(obj, "", "fps")?, "fps")?,
        };

        let frames_value = self.required(obj, "", "frames")?;
        let list = frames_value
            .as_array()
            .ok_or_else(|| self.wrong_type("frames", frames_value, "an array of frame objects"))?;
        let frames =
            list.iter().enumerate().map(|(index, value)| self.frame(index, value)).collect::<Result<Vec<_>>>()?;
        Ok(Manifest { format, version, header, frames })
    }

    fn frame(&self, index: usize, value: &Value) -> Result<FrameMeta> {
        let prefix = format!("frames[{index}].");
        let obj = self.object(value, &format!("frames[{index}]"))?;
        let field = |name: &str| format!("{prefix}{name}");
        Ok(FrameMeta {
            jitter: self.pair_f32(self.required(obj, &prefix, "jitter")?, &field("jitter"))?,
            reset: self.bool(self.required(obj, &prefix, "reset")?, &field("reset"))?,
            render_size: optional(obj, "render_size").map(|v| self.size(v, &field("render_size"))).transpose()?,
            exposure: optional(obj, "exposure").map(|v| self.f32(v, &field("exposure"))).transpose()?.unwrap_or(1.0),
            frame_time_ms: optional(obj, "frame_time_ms").map(|v| self.f32(v, &field("frame_time_ms"))).transpose()?,
        })
    }

    fn wrong_type(&self, field: &str, got: &Value, expected: &'static str) -> SequenceError {
        SequenceError::FieldType { path: self.path.to_owned(), field: field.to_owned(), got: got.to_string(), expected }
    }

    fn required<'v>(&self, obj: &'v Map<String, Value>, prefix: &str, key: &str) -> Result<&'v Value> {
        optional(obj, key)
            .ok_or_else(|| SequenceError::MissingField { path: self.path.to_owned(), field: format!("{prefix}{key}") })
    }

    fn object<'v>(&self, value: &'v Value, field: &str) -> Result<&'v Map<String, Value>> {
        value.as_object().ok_or_else(|| self.wrong_type(field, value, "a JSON object"))
    }

    fn string(&self, value: &Value, field: &str) -> Result<String> {
        value.as_str().map(str::to_owned).ok_or_else(|| self.wrong_type(field, value, "a string"))
    }

    fn bool(&self, value: &Value, field: &str) -> Result<bool> {
        value.as_bool().ok_or_else(|| self.wrong_type(field, value, "true or false"))
    }

    fn u32(&self, value: &Value, field: &str, expected: &'static str) -> Result<u32> {
        value.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| self.wrong_type(field, value, expected))
    }

    fn f64(&self, value: &Value, field: &str) -> Result<f64> {
        value.as_f64().ok_or_else(|| self.wrong_type(field, value, "a number"))
    }

    /// A number that must also fit an `f32` (1e300 does not, and would silently become inf).
    fn f32(&self, value: &Value, field: &str) -> Result<f32> {
        let x = self.f64(value, field)?;
        if (x as f32).is_finite() {
            Ok(x as f32)
        } else {
            Err(invalid(self.path, field, value, "is not a finite 32-bit number"))
        }
    }

    fn array2<'v>(&self, value: &'v Value, field: &str, expected: &'static str) -> Result<&'v [Value; 2]> {
        value
            .as_array()
            .and_then(|items| <&[Value; 2]>::try_from(items.as_slice()).ok())
            .ok_or_else(|| self.wrong_type(field, value, expected))
    }

    fn size(&self, value: &Value, field: &str) -> Result<[u32; 2]> {
        let [w, h] = self.array2(value, field, "a [width, height] pair of integers")?;
        let expected = "a positive integer (pixels)";
        Ok([self.u32(w, &format!("{field}[0]"), expected)?, self.u32(h, &format!("{field}[1]"), expected)?])
    }

    fn pair_f32(&self, value: &Value, field: &str) -> Result<[f32; 2]> {
        let [x, y] = self.array2(value, field, "a pair of numbers")?;
        Ok([self.f32(x, &format!("{field}[0]"))?, self.f32(y, &format!("{field}[1]"))?])
    }
}

/// An optional field: absent and `null` both mean "not given".
fn optional<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}
