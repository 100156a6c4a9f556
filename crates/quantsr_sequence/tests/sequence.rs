//! Sequence format v1 as a specification: what round-trips exactly, and what every kind of
//! malformed sequence is rejected with (an error naming the file and the field).

use std::path::{Path, PathBuf};

use exr::prelude::f16;
use quantsr_sequence::{
    DepthInfo, Frame, FrameFile, FrameMeta, Image, Manifest, SamplePrecision, SequenceError, SequenceHeader,
    SequenceReader, SequenceWriter, WriteOptions, display_transform, read_exr_rgba, srgb_oetf, write_exr, write_png,
};
use serde_json::{Value, json};

/// A fresh folder under the system temp dir, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("quantsr_sequence_test_{}_{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const RENDER: [u32; 2] = [8, 6];
const DISPLAY: [u32; 2] = [12, 9];

fn header() -> SequenceHeader {
    SequenceHeader {
        render_size: RENDER,
        display_size: DISPLAY,
        depth: DepthInfo { inverted: true, infinite: false, near: Some(0.1), far: Some(500.0) },
        fov_y: Some(1.0),
        fps: 60.0,
    }
}

/// Colour-like values: negative, above 1, not representable in f16, plus one NaN and one +inf
/// (which the reader must pass through, not reject).
fn color_image(size: [u32; 2], seed: usize) -> Image {
    let mut image = Image::from_fn(size[0], size[1], 4, |x, y, c| {
        ((x as f32 * 0.37 + y as f32 * 1.13 + c as f32 * 0.071 + seed as f32).sin() * 3.0) + 0.001 * x as f32
    });
    let channels = image.channels();
    image.data_mut()[channels + 1] = f32::NAN;
    image.data_mut()[2 * channels] = f32::INFINITY;
    image
}

/// A frame with distinct values in every image, at the render size its meta asks for.
fn frame(index: usize, meta: FrameMeta, gt: bool, reactive: bool) -> Frame {
    let size = meta.render_size_in(&header());
    Frame {
        index,
        meta,
        color: color_image(size, index),
        depth: Image::from_fn(size[0], size[1], 1, |x, y, _| 1.0 / (1.0 + x as f32 + 7.0 * y as f32 + index as f32)),
        motion: Image::from_fn(size[0], size[1], 2, |x, y, c| {
            (x as f32 - y as f32) * 1e-3 * if c == 0 { 1.0 } else { -0.7 }
        }),
        gt: gt.then(|| color_image(DISPLAY, index + 100)),
        reactive: reactive.then(|| Image::from_fn(size[0], size[1], 1, |x, y, _| ((x + y) % 5) as f32 / 4.0)),
    }
}

fn metas(count: usize) -> Vec<FrameMeta> {
    (0..count)
        .map(|i| FrameMeta {
            frame_time_ms: Some(16.667),
            exposure: 1.0 + i as f32 * 0.25,
            ..FrameMeta::new([0.5 - i as f32 * 0.125, -0.25 + i as f32 * 0.1], i == 2)
        })
        .collect()
}

/// Writes `count` frames (ground truth on all or none, a reactive mask on frame 1 only).
fn write_sequence(dir: &Path, count: usize, gt: bool, options: WriteOptions) -> (Manifest, Vec<Frame>) {
    let mut writer = SequenceWriter::create_with_options(dir, header(), options).unwrap();
    let frames: Vec<Frame> = metas(count).into_iter().enumerate().map(|(i, m)| frame(i, m, gt, i == 1)).collect();
    for f in &frames {
        writer.write_frame(f).unwrap();
    }
    (writer.finish().unwrap(), frames)
}

fn assert_bits_eq(got: &Image, want: &Image, what: &str) {
    assert_eq!((got.size(), got.channels()), (want.size(), want.channels()), "{what}: shape");
    for (i, (g, w)) in got.data().iter().zip(want.data()).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{what}: sample {i}: got {g}, want {w}");
    }
}

fn manifest_path(dir: &Path) -> PathBuf {
    dir.join("sequence.json")
}

/// One change to a manifest's JSON.
type Edit = fn(&mut Value);

/// Rewrites `sequence.json` through a JSON edit, to make one malformed case at a time.
fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = manifest_path(dir);
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

/// The error `SequenceReader::open` gives, as the one line a user sees.
fn open_error(dir: &Path) -> String {
    SequenceReader::open(dir).expect_err("the sequence should be rejected").to_string()
}

/// A valid three-frame sequence (with ground truth) to break in one way.
fn valid_sequence(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    write_sequence(dir.path(), 3, true, WriteOptions::default());
    dir
}

#[test]
fn round_trip_in_f32_is_bit_exact() {
    let dir = TempDir::new("round_trip_f32");
    let (written_manifest, frames) = write_sequence(dir.path(), 3, true, WriteOptions::default());

    let reader = SequenceReader::open(dir.path()).unwrap();
    assert_eq!(reader.manifest(), &written_manifest);
    assert_eq!(reader.frame_count(), 3);
    assert!(reader.has_ground_truth());
    for (read, want) in reader.frames().zip(&frames) {
        let read = read.unwrap();
        assert_eq!((read.index, read.meta), (want.index, want.meta));
        assert_bits_eq(&read.color, &want.color, "color");
        assert_bits_eq(&read.depth, &want.depth, "depth");
        assert_bits_eq(&read.motion, &want.motion, "motion");
        assert_bits_eq(read.gt.as_ref().unwrap(), want.gt.as_ref().unwrap(), "gt");
        assert_eq!(read.reactive.is_some(), want.reactive.is_some());
        if let (Some(r), Some(w)) = (&read.reactive, &want.reactive) {
            assert_bits_eq(r, w, "reactive");
        }
    }
}

#[test]
fn nan_and_infinite_samples_are_read_not_rejected() {
    let dir = TempDir::new("nan");
    write_sequence(dir.path(), 1, false, WriteOptions::default());
    let frame = SequenceReader::open(dir.path()).unwrap().frame(0).unwrap();
    assert!(frame.color.pixel(1, 0)[1].is_nan());
    assert_eq!(frame.color.pixel(2, 0)[0], f32::INFINITY);
}

#[test]
fn round_trip_in_f16_rounds_only_color_and_gt() {
    let dir = TempDir::new("round_trip_f16");
    let options = WriteOptions { color_precision: SamplePrecision::F16 };
    let (_, frames) = write_sequence(dir.path(), 2, true, options);

    let rounded = |image: &Image| {
        let data = image.data().iter().map(|&v| f16::from_f32(v).to_f32()).collect();
        Image::new(image.width(), image.height(), image.channels(), data)
    };
    let reader = SequenceReader::open(dir.path()).unwrap();
    for want in &frames {
        let read = reader.frame(want.index).unwrap();
        assert_bits_eq(&read.color, &rounded(&want.color), "color (f16)");
        assert_bits_eq(read.gt.as_ref().unwrap(), &rounded(want.gt.as_ref().unwrap()), "gt (f16)");
        assert_bits_eq(&read.depth, &want.depth, "depth (always f32)");
        assert_bits_eq(&read.motion, &want.motion, "motion (always f32)");
    }
    // The rounding is real: the fixture has values f16 cannot hold.
    let (exact, rounded) = (&frames[0].color, rounded(&frames[0].color));
    assert!(exact.data().iter().zip(rounded.data()).any(|(a, b)| a.to_bits() != b.to_bits()));
}

#[test]
fn dynamic_render_size_round_trips_per_frame() {
    let dir = TempDir::new("dynamic");
    let sizes = [None, Some([6, 4]), Some([5, 3]), Some(RENDER)];
    let mut writer = SequenceWriter::create(dir.path(), header()).unwrap();
    for (i, size) in sizes.iter().enumerate() {
        let meta = FrameMeta { render_size: *size, ..FrameMeta::new([0.0, 0.0], false) };
        writer.write_frame(&frame(i, meta, true, true)).unwrap();
    }
    writer.finish().unwrap();

    let reader = SequenceReader::open(dir.path()).unwrap();
    for (i, size) in sizes.iter().enumerate() {
        let read = reader.frame(i).unwrap();
        let want = size.unwrap_or(RENDER);
        assert_eq!(read.meta.render_size, *size);
        assert_eq!(reader.manifest().frame_render_size(i), Some(want));
        assert_eq!([read.render_size(), read.depth.size(), read.motion.size()], [want; 3]);
        assert_eq!(read.reactive.unwrap().size(), want);
        assert_eq!(read.gt.unwrap().size(), DISPLAY);
        assert_bits_eq(&read.color, &color_image(want, i), "color");
    }
}

#[test]
fn rgb_color_is_read_as_rgba_with_alpha_one() {
    let dir = TempDir::new("rgb");
    let rgb = Image::from_fn(RENDER[0], RENDER[1], 3, |x, y, c| (x * 10 + y) as f32 + c as f32 * 0.5);
    let mut f = frame(0, FrameMeta::default(), false, false);
    f.color = rgb.clone();
    let mut writer = SequenceWriter::create(dir.path(), header()).unwrap();
    writer.write_frame(&f).unwrap();
    writer.finish().unwrap();

    let color = SequenceReader::open(dir.path()).unwrap().frame(0).unwrap().color;
    assert_eq!(color.channels(), 4);
    for (px, src) in color.data().chunks(4).zip(rgb.data().chunks(3)) {
        assert_eq!(&px[..3], src);
        assert_eq!(px[3], 1.0);
    }
}

#[test]
fn depth_accepts_r_y_z_and_depth_channel_names() {
    use exr::prelude::{AnyChannel, AnyChannels, FlatSamples, SmallVec, WritableImage};
    let dir = TempDir::new("depth_names");
    write_sequence(dir.path(), 1, false, WriteOptions::default());
    let reader = SequenceReader::open(dir.path()).unwrap();
    let pixels = (RENDER[0] * RENDER[1]) as usize;
    for name in ["Y", "Z", "depth", "R"] {
        let values: Vec<f32> = (0..pixels).map(|i| i as f32 * 0.01).collect();
        let channels: SmallVec<_> = [AnyChannel::new(name, FlatSamples::F32(values.clone()))].into_iter().collect();
        exr::prelude::Image::from_channels((RENDER[0] as usize, RENDER[1] as usize), AnyChannels::sort(channels))
            .write()
            .to_file(reader.frame_path(FrameFile::Depth, 0))
            .unwrap();
        assert_eq!(reader.frame(0).unwrap().depth.data(), values, "depth channel {name}");
    }
}

#[test]
fn malformed_json_is_rejected_naming_the_file() {
    let dir = valid_sequence("malformed_json");
    std::fs::write(manifest_path(dir.path()), "{ \"format\": \"quantsr-sequence\", \"version\": 1,").unwrap();
    let message = open_error(dir.path());
    assert!(message.starts_with(&format!("{}: not valid JSON", manifest_path(dir.path()).display())), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn wrong_format_string_is_rejected() {
    let dir = valid_sequence("wrong_format");
    edit_manifest(dir.path(), |v| v["format"] = json!("some-other-format"));
    let message = open_error(dir.path());
    assert_eq!(
        message,
        format!(
            "{}: format = \"some-other-format\" is not \"quantsr-sequence\" (not a quantsr sequence manifest)",
            manifest_path(dir.path()).display()
        )
    );
}

#[test]
fn unknown_version_is_rejected() {
    let dir = valid_sequence("wrong_version");
    // The version is checked before anything else: a v2 file may have changed other fields.
    edit_manifest(dir.path(), |v| {
        v["version"] = json!(2);
        v["render_size"] = json!("changed in v2");
    });
    let message = open_error(dir.path());
    assert!(message.contains("sequence.json: version = 2 is not supported"), "{message}");
}

#[test]
fn missing_fields_are_named_with_their_path() {
    let cases: [(&str, Edit); 4] = [
        ("frames[1].jitter", |v| drop(v["frames"][1].as_object_mut().unwrap().remove("jitter"))),
        ("fps", |v| drop(v.as_object_mut().unwrap().remove("fps"))),
        ("depth.inverted", |v| drop(v["depth"].as_object_mut().unwrap().remove("inverted"))),
        ("format", |v| drop(v.as_object_mut().unwrap().remove("format"))),
    ];
    let dir = valid_sequence("missing_field");
    let pristine = std::fs::read_to_string(manifest_path(dir.path())).unwrap();
    for (field, remove) in cases {
        std::fs::write(manifest_path(dir.path()), &pristine).unwrap();
        edit_manifest(dir.path(), remove);
        let message = open_error(dir.path());
        assert_eq!(message, format!("{}: missing field `{field}`", manifest_path(dir.path()).display()));
    }
}

#[test]
fn zero_and_negative_sizes_are_rejected() {
    let dir = valid_sequence("zero_size");
    edit_manifest(dir.path(), |v| v["render_size"] = json!([0, 6]));
    let message = open_error(dir.path());
    assert!(message.ends_with("sequence.json: render_size[0] = 0 must be at least 1 pixel"), "{message}");

    edit_manifest(dir.path(), |v| {
        v["render_size"] = json!([8, 6]);
        v["display_size"] = json!([12, -9]);
    });
    let message = open_error(dir.path());
    assert!(message.ends_with("sequence.json: display_size[1] = -9 is not a positive integer (pixels)"), "{message}");
}

#[test]
fn out_of_range_values_name_the_frame_and_field() {
    let dir = valid_sequence("ranges");
    let path = manifest_path(dir.path());
    let pristine = std::fs::read_to_string(&path).unwrap();
    let cases: [(Edit, &str); 9] = [
        (|v| v["frames"][2]["jitter"][0] = json!(0.9), "frames[2].jitter[0] = 0.9 is outside [-0.5, 0.5]"),
        (
            |v| v["frames"][1]["render_size"] = json!([8, 7]),
            "frames[1].render_size[1] = 7 is larger than the maximum render_size[1] = 6",
        ),
        (|v| v["render_size"] = json!([13, 6]), "render_size[0] = 13 is larger than display_size[0] = 12"),
        (|v| v["fps"] = json!(0), "fps = 0 must be a finite number > 0"),
        (|v| v["frames"] = json!([]), "frames = [] is empty (a sequence has at least one frame)"),
        (|v| v["frames"][0]["reset"] = json!("yes"), "frames[0].reset = \"yes\" is not true or false"),
        (|v| v["fov_y"] = json!(1e300), "fov_y = 1e+300 is not a finite 32-bit number"),
        (|v| v["frames"][0]["exposure"] = json!(-1.0), "frames[0].exposure = -1 must be a finite number > 0"),
        (
            |v| v["display_size"] = json!([12, 9, 1]),
            "display_size = [12,9,1] is not a [width, height] pair of integers",
        ),
    ];
    for (edit, expected) in cases {
        std::fs::write(&path, &pristine).unwrap();
        edit_manifest(dir.path(), edit);
        assert_eq!(open_error(dir.path()), format!("{}: {expected}", path.display()));
    }
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let dir = valid_sequence("unknown_fields");
    edit_manifest(dir.path(), |v| {
        v["generator"] = json!({"name": "a future renderer"});
        v["frames"][0]["motion_scale"] = json!([1.0, 1.0]);
        v["fov_y"] = Value::Null; // null is the same as absent for optional fields
    });
    let reader = SequenceReader::open(dir.path()).unwrap();
    assert_eq!(reader.manifest().header.fov_y, None);
}

#[test]
fn derived_serde_reads_the_same_manifest_as_the_checked_parser() {
    let dir = valid_sequence("serde");
    let text = std::fs::read_to_string(manifest_path(dir.path())).unwrap();
    let derived: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(&derived, SequenceReader::open(dir.path()).unwrap().manifest());
}

#[test]
fn missing_frame_file_is_named() {
    let dir = valid_sequence("missing_file");
    let depth = FrameFile::Depth.path(dir.path(), 1);
    std::fs::remove_file(&depth).unwrap();
    let message = open_error(dir.path());
    assert_eq!(message, format!("{}: missing (frame 1 of 3 listed in sequence.json)", depth.display()));
}

#[test]
fn manifest_listing_more_frames_than_exist_is_rejected() {
    let dir = valid_sequence("frame_count");
    edit_manifest(dir.path(), |v| {
        let extra = v["frames"][0].clone();
        v["frames"].as_array_mut().unwrap().push(extra);
    });
    let message = open_error(dir.path());
    assert!(message.contains("00003.color.exr: missing (frame 3 of 4"), "{message}");
}

#[test]
fn ground_truth_for_only_some_frames_is_rejected() {
    let dir = valid_sequence("partial_gt");
    let gt = FrameFile::GroundTruth.path(dir.path(), 2);
    std::fs::remove_file(&gt).unwrap();
    let message = open_error(dir.path());
    assert_eq!(
        message,
        format!(
            "{}: missing, but 2 of 3 frames have a gt file (it must be present for all frames or for none)",
            gt.display()
        )
    );
}

#[test]
fn truncated_exr_is_a_decode_error_naming_the_file() {
    let dir = valid_sequence("truncated");
    let color = FrameFile::Color.path(dir.path(), 1);
    let bytes = std::fs::read(&color).unwrap();
    // Cut in the pixel data, at the very end and inside the header: all must fail, none may
    // panic, and none may quietly fill the missing pixels in.
    for keep in [bytes.len() / 2, bytes.len() - 1, 40] {
        std::fs::write(&color, &bytes[..keep]).unwrap();
        let reader = SequenceReader::open(dir.path()).expect("opening does not decode images");
        let message = reader.frame(1).expect_err("a truncated file must not decode").to_string();
        assert!(message.starts_with(&format!("{}: cannot decode EXR", color.display())), "{message}");
        println!("{message}");
    }
}

#[test]
fn color_with_one_channel_is_rejected() {
    let dir = valid_sequence("channels");
    let color = FrameFile::Color.path(dir.path(), 0);
    write_exr(&color, &Image::filled(RENDER[0], RENDER[1], 1, 0.5), SamplePrecision::F32).unwrap();
    let message = SequenceReader::open(dir.path()).unwrap().frame(0).unwrap_err().to_string();
    assert_eq!(message, format!("{}: has channels [R], expected R, G, B and optionally A", color.display()));
}

#[test]
fn motion_with_one_channel_is_rejected() {
    let dir = valid_sequence("motion_channels");
    let motion = FrameFile::Motion.path(dir.path(), 0);
    write_exr(&motion, &Image::filled(RENDER[0], RENDER[1], 1, 0.0), SamplePrecision::F32).unwrap();
    let message = SequenceReader::open(dir.path()).unwrap().frame(0).unwrap_err().to_string();
    assert!(message.starts_with(&format!("{}: has channels [R], expected R (du) and G (dv)", motion.display())));
}

#[test]
fn color_at_display_size_is_rejected() {
    let dir = valid_sequence("wrong_size");
    let color = FrameFile::Color.path(dir.path(), 2);
    write_exr(&color, &color_image(DISPLAY, 0), SamplePrecision::F32).unwrap();
    let message = SequenceReader::open(dir.path()).unwrap().frame(2).unwrap_err().to_string();
    assert_eq!(message, format!("{}: is 12x9 pixels, expected 8x6 (the frame's render size)", color.display()));
}

#[test]
fn gt_at_render_size_is_rejected() {
    let dir = valid_sequence("wrong_gt_size");
    let gt = FrameFile::GroundTruth.path(dir.path(), 0);
    write_exr(&gt, &color_image(RENDER, 0), SamplePrecision::F16).unwrap();
    let message = SequenceReader::open(dir.path()).unwrap().frame(0).unwrap_err().to_string();
    assert_eq!(message, format!("{}: is 8x6 pixels, expected 12x9 (the display size)", gt.display()));
}

#[test]
fn unfinished_sequence_never_looks_complete() {
    let dir = TempDir::new("unfinished");
    let mut writer = SequenceWriter::create(dir.path(), header()).unwrap();
    writer.write_frame(&frame(0, FrameMeta::default(), true, false)).unwrap();
    drop(writer); // a crash or an error before finish()
    let message = open_error(dir.path());
    assert!(message.starts_with(&format!("{}: cannot read", manifest_path(dir.path()).display())), "{message}");
    // No temporary files are left behind either.
    for entry in std::fs::read_dir(dir.path().join("frames")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "left-over temporary file {name}");
    }
}

#[test]
fn finishing_without_frames_is_an_error() {
    let dir = TempDir::new("no_frames");
    let writer = SequenceWriter::create(dir.path(), header()).unwrap();
    let message = writer.finish().unwrap_err().to_string();
    assert!(message.ends_with("frames = [] is empty (a sequence has at least one frame)"), "{message}");
    assert!(!manifest_path(dir.path()).exists());
}

#[test]
fn overwriting_a_sequence_removes_its_stale_files() {
    let dir = TempDir::new("overwrite");
    write_sequence(dir.path(), 3, true, WriteOptions::default());
    let keep = dir.path().join("frames").join("notes.txt");
    std::fs::write(&keep, "not ours").unwrap();

    write_sequence(dir.path(), 1, false, WriteOptions::default());
    let reader = SequenceReader::open(dir.path()).unwrap();
    assert_eq!(reader.frame_count(), 1);
    assert!(!reader.has_ground_truth(), "stale ground truth from the old sequence leaked in");
    assert!(!FrameFile::Color.path(dir.path(), 2).exists());
    assert!(keep.exists(), "files that are not frame files are left alone");
}

#[test]
fn writer_rejects_frames_that_do_not_fit_the_sequence() {
    let dir = TempDir::new("writer_checks");
    let mut writer = SequenceWriter::create(dir.path(), header()).unwrap();

    let out_of_order = writer.write_frame(&frame(1, FrameMeta::default(), true, false)).unwrap_err();
    assert!(out_of_order.to_string().contains("frame 1: frames must be written in order"), "{out_of_order}");

    let mut wrong_size = frame(0, FrameMeta::default(), true, false);
    wrong_size.depth = Image::filled(DISPLAY[0], DISPLAY[1], 1, 0.0);
    let message = writer.write_frame(&wrong_size).unwrap_err().to_string();
    assert!(message.contains("00000.depth.exr: is 12x9 pixels, expected 8x6"), "{message}");
    assert!(!FrameFile::Color.path(dir.path(), 0).exists(), "nothing is written for a rejected frame");

    let bad_jitter = frame(0, FrameMeta::new([0.0, -0.75], false), true, false);
    let message = writer.write_frame(&bad_jitter).unwrap_err().to_string();
    assert!(message.ends_with("sequence.json: frames[0].jitter[1] = -0.75 is outside [-0.5, 0.5]"), "{message}");

    writer.write_frame(&frame(0, FrameMeta::default(), true, false)).unwrap();
    let message = writer.write_frame(&frame(1, FrameMeta::default(), false, false)).unwrap_err().to_string();
    assert!(message.ends_with("frame 1: has no ground truth, but earlier frames do"), "{message}");

    let bad_header = SequenceHeader { render_size: [8, 0], ..header() };
    let message = SequenceWriter::create(dir.path(), bad_header).unwrap_err().to_string();
    assert!(message.ends_with("render_size[1] = 0 must be at least 1 pixel"), "{message}");
}

#[test]
fn missing_sequence_folder_is_an_io_error_naming_the_manifest() {
    let dir = TempDir::new("absent");
    let missing = dir.path().join("nope");
    let err = SequenceReader::open(&missing).unwrap_err();
    assert!(matches!(err, SequenceError::Io { .. }));
    assert!(err.to_string().starts_with(&format!("{}: cannot read", missing.join("sequence.json").display())));
}

#[test]
fn frame_index_past_the_end_is_an_error() {
    let dir = valid_sequence("out_of_range");
    let message = SequenceReader::open(dir.path()).unwrap().frame(3).unwrap_err().to_string();
    assert!(message.ends_with("frame 3 requested, but the sequence has 3 frames"), "{message}");
}

#[test]
fn srgb_oetf_is_the_exact_piecewise_curve() {
    assert_eq!(srgb_oetf(0.0), 0.0);
    assert!((srgb_oetf(1.0) - 1.0).abs() < 1e-6);
    assert!((srgb_oetf(0.5) - 0.735_356_9).abs() < 1e-6);
    assert!((srgb_oetf(0.001) - 0.012_92).abs() < 1e-7, "linear segment");
    // The two pieces meet at 0.0031308 (at 0.04045 in sRGB).
    let below = srgb_oetf(0.003_130_8);
    let above = srgb_oetf(0.003_130_81);
    assert!((below - 0.040_45).abs() < 1e-5 && (above - below).abs() < 1e-5, "{below} {above}");
    assert_eq!([display_transform(-1.0), display_transform(f32::NAN)], [0.0, 0.0]);
    assert!((display_transform(7.0) - 1.0).abs() < 1e-6);
}

#[test]
fn png_output_is_8_bit_srgb_after_the_display_transform() {
    let dir = TempDir::new("png");
    let path = dir.path().join("00000.png");
    let image = Image::new(
        4,
        1,
        4,
        vec![
            0.0,
            0.5,
            1.0,
            0.3, //
            2.0,
            -1.0,
            f32::NAN,
            1.0, //
            0.001,
            0.2,
            0.8,
            1.0, //
            0.0031308,
            0.04,
            0.9,
            0.0,
        ],
    );
    write_png(&path, &image).unwrap();
    let png = ::image::open(&path).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (4, 1));
    let expected: Vec<u8> = image
        .data()
        .chunks(4)
        .flat_map(|px| px[..3].iter().map(|&v| (display_transform(v) * 255.0).round() as u8))
        .collect();
    assert_eq!(png.as_raw(), &expected);
    assert_eq!(&png.as_raw()[..6], &[0, 188, 255, 255, 0, 0]);
}

#[test]
fn exr_output_round_trips_as_rgba() {
    let dir = TempDir::new("exr_out");
    let path = dir.path().join("00000.exr");
    let image = color_image(DISPLAY, 3);
    write_exr(&path, &image, SamplePrecision::F32).unwrap();
    assert_bits_eq(&read_exr_rgba(&path).unwrap(), &image, "exr output");
}
