//! `quantsr upscale --plot`: the controller's telemetry as a picture for people — frame time
//! against the target, the load, and the chosen rung as a coloured band.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context as _, anyhow};
use plotters::prelude::*;
use quantsr_monitor::{Rung, TelemetryRecord};

const SIZE: (u32, u32) = (1200, 520);

/// One colour per rung, from the best (warm) to the last resort (grey).
fn rung_colour(rung: Rung) -> RGBColor {
    match rung {
        Rung::F32 => RGBColor(214, 39, 40),
        Rung::F16 => RGBColor(255, 127, 14),
        Rung::Int8 => RGBColor(44, 160, 44),
        Rung::LiteInt8 => RGBColor(31, 119, 180),
        Rung::Taau => RGBColor(127, 127, 127),
    }
}

/// Plotters draws text only with registered fonts: egui's bundled Ubuntu Light, so no
/// system font library is involved.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT).is_err()
        {
            log::warn!("the plot font could not be loaded; labels may be missing");
        }
    });
}

/// Writes the plot of `records` (frame order) held to `target_ms` as a PNG at `path`.
pub fn write_plot(records: &[TelemetryRecord], target_ms: f64, title: &str, path: &Path) -> anyhow::Result<()> {
    register_font();
    let mut rgb = vec![255u8; (SIZE.0 * SIZE.1 * 3) as usize];
    draw(records, target_ms, title, &mut rgb).map_err(|e| anyhow!("drawing the plot: {e}"))?;
    let image = image::RgbImage::from_raw(SIZE.0, SIZE.1, rgb).context("plot buffer size")?;
    quantsr_core::write_atomically(path, |tmp| {
        image.save_with_format(tmp, image::ImageFormat::Png).with_context(|| format!("writing {}", path.display()))
    })
}

fn draw(
    records: &[TelemetryRecord],
    target_ms: f64,
    title: &str,
    rgb: &mut [u8],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(rgb, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let frames = records.last().map_or(1, |r| r.frame + 1);
    let peak = records.iter().filter_map(|r| r.frame_ms).fold(target_ms, f64::max);
    let y_max = (peak * 1.15).max(1.0);
    // The rung band sits below zero, under the time curves.
    let band = y_max * 0.08;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..frames as f64, -band..y_max)?;
    chart.configure_mesh().x_desc("frame").y_desc("GPU ms").label_style(("sans-serif", 15)).draw()?;

    for r in records {
        let x = r.frame as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x, -band), (x + 1.0, -band * 0.2)],
            rung_colour(r.rung).filled(),
        )))?;
    }
    let series = |f: fn(&TelemetryRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        records.iter().filter_map(|r| f(r).map(|v| (r.frame as f64 + 0.5, v))).collect()
    };
    let load = series(|r| r.load_ms);
    if !load.is_empty() {
        chart
            .draw_series(
                AreaSeries::new(load, 0.0, RGBColor(200, 200, 230).mix(0.6)).border_style(RGBColor(150, 150, 200)),
            )?
            .label("load (other GPU work)")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], RGBColor(200, 200, 230).filled()));
    }
    chart
        .draw_series(LineSeries::new(series(|r| r.upscaler_ms), RGBColor(60, 60, 60).stroke_width(1)))?
        .label("upscaler")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RGBColor(60, 60, 60)));
    chart
        .draw_series(LineSeries::new(series(|r| r.frame_ms), BLACK.stroke_width(2)))?
        .label("frame (upscaler + load)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    chart
        .draw_series(LineSeries::new([(0.0, target_ms), (frames as f64, target_ms)], RED.stroke_width(2)))?
        .label(format!("target {target_ms:.1} ms"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED.stroke_width(2)));
    for rung in Rung::ALL.into_iter().filter(|&g| records.iter().any(|r| r.rung == g)) {
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label(format!("rung {rung}"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], rung_colour(rung).filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    root.present()?;
    Ok(())
}
