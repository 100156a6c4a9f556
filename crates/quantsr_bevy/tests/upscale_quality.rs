//! (a) The plugin in a headless Bevy app: 32 frames of a small lit scene, upscaled 2× from
//! 128×72 to 256×144, read back and compared with a supersampled native render. quantsr must
//! beat a bilinear upscale of the low-resolution frame by more than 1 dB PSNR.

mod common;

use bevy::prelude::*;
use common::{Variant, bilinear, box_down, psnr, render};
use quantsr_bevy::{Precision, QualityMode, Quantsr, QuantsrMethod, QuantsrScale, Rung};

const DISPLAY: UVec2 = UVec2::new(256, 144);
const RENDER: UVec2 = UVec2::new(128, 72);
const FRAMES: u32 = 32;
const LAST: u32 = 40;

fn quantsr(method: QuantsrMethod, precision: Precision) -> Variant {
    Variant::Quantsr(Quantsr { scale: QuantsrScale::Mode(QualityMode::Performance), method, precision, ..default() })
}

fn check_image(name: &str, img: &[[f32; 3]]) {
    assert_eq!(img.len(), (DISPLAY.x * DISPLAY.y) as usize, "{name}: wrong size");
    assert!(img.iter().flatten().all(|v| v.is_finite()), "{name}: not finite");
    let n = img.len() as f32;
    let mean: f32 = img.iter().map(|p| p[1]).sum::<f32>() / n;
    let var: f32 = img.iter().map(|p| (p[1] - mean).powi(2)).sum::<f32>() / n;
    assert!(mean > 0.02 && var > 1e-3, "{name}: blank image (mean {mean}, variance {var})");
}

#[test]
fn quantsr_beats_bilinear_against_a_supersampled_reference() {
    let t0 = std::time::Instant::now();
    let reference = box_down(&render(DISPLAY * 2, &Variant::Plain, 3, LAST), DISPLAY * 2, 2);
    check_image("reference", &reference);
    let low = render(RENDER, &Variant::Plain, 3, LAST);
    let bilinear = bilinear(&low, RENDER, DISPLAY);
    let native = render(DISPLAY, &Variant::Plain, 3, LAST);
    let taa = render(DISPLAY, &Variant::Taa, FRAMES, LAST);
    let taau = render(DISPLAY, &quantsr(QuantsrMethod::Taau, Precision::Auto), FRAMES, LAST);
    let neural = render(DISPLAY, &quantsr(QuantsrMethod::Neural, Precision::Fixed(Rung::Int8)), FRAMES, LAST);
    let rows = [
        ("quantsr neural (int8), 2x", &neural),
        ("quantsr taau, 2x", &taau),
        ("bilinear, 2x", &bilinear),
        ("Bevy TAA, native", &taa),
        ("no AA, native", &native),
    ];
    println!("\nPSNR against a 2x2-supersampled native render, {DISPLAY} display, frame {LAST}:");
    println!("| method | PSNR (dB) |\n|---|---|");
    for (name, img) in rows {
        println!("| {name} | {:.2} |", psnr(img, &reference));
    }
    for (name, img) in rows {
        check_image(name, img);
    }
    println!("({:.0} s)", t0.elapsed().as_secs_f64());
    let gain = psnr(&neural, &reference) - psnr(&bilinear, &reference);
    assert!(gain > 1.0, "quantsr neural gains only {gain:.2} dB over bilinear");
}
