//! Saving what the window shows: the surface texture (or the offscreen copy of the frame when
//! the surface cannot be copied from) read back and written as PNG.

use std::path::Path;

use anyhow::{Context as _, bail};
use quantsr::gpu::{GpuContext, read_texture, wgpu};

/// The 8-bit formats the viewer presents to; their bytes are what the screen shows.
pub const SCREEN_FORMATS: [wgpu::TextureFormat; 4] = [
    wgpu::TextureFormat::Bgra8Unorm,
    wgpu::TextureFormat::Rgba8Unorm,
    wgpu::TextureFormat::Bgra8UnormSrgb,
    wgpu::TextureFormat::Rgba8UnormSrgb,
];

/// Reads `texture` (a frame in one of [`SCREEN_FORMATS`], with `COPY_SRC`) and returns it as
/// RGBA8 with opaque alpha. Blocks until the copy is done: for screenshots, not frame loops.
pub fn capture(ctx: &GpuContext, texture: &wgpu::Texture) -> anyhow::Result<image::RgbaImage> {
    let data = read_texture(ctx, texture).context("reading the frame back")?;
    let bgra = match data.format {
        wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb => true,
        wgpu::TextureFormat::Rgba8Unorm | wgpu::TextureFormat::Rgba8UnormSrgb => false,
        other => bail!("cannot save a screenshot of a {other:?} frame"),
    };
    let pixels: Vec<u8> = data
        .bytes
        .chunks_exact(4)
        .flat_map(|p| if bgra { [p[2], p[1], p[0], 255] } else { [p[0], p[1], p[2], 255] })
        .collect();
    image::RgbaImage::from_raw(data.size[0], data.size[1], pixels).context("screenshot size")
}

/// Writes `image` as PNG under a temporary name and renames it, so a reader never sees half a
/// file under the final name.
pub fn save_png(image: &image::RgbaImage, path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    quantsr::atomic::write_atomically(path, |tmp| {
        let file = std::fs::File::create(tmp).with_context(|| format!("creating {}", path.display()))?;
        // Screenshots end up in documentation: compress well rather than fast.
        let encoder = image::codecs::png::PngEncoder::new_with_quality(
            std::io::BufWriter::new(file),
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        );
        image.write_with_encoder(encoder).with_context(|| format!("writing {}", path.display()))
    })
}
