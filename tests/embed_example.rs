//! The embedding example is part of the product: it must build and run.

#[path = "../examples/embed.rs"]
mod embed;

#[test]
fn embed_example_runs_and_writes_an_image() {
    let out = std::env::temp_dir().join(format!("quantsr_embed_{}.png", std::process::id()));
    embed::run(4, [128, 72], &out).unwrap();
    let img = image::open(&out).unwrap().into_rgb8();
    assert_eq!(img.dimensions(), (128, 72));
    let mean = img.pixels().map(|p| u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])).sum::<u32>() / (128 * 72 * 3);
    assert!(mean > 10 && mean < 245, "the upscaled frame is blank (mean {mean})");
}
