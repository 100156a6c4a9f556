//! Material textures: decoded images with their mip chains, procedural patterns aimed at
//! upscaler failure modes, and the real photographs embedded from `assets/textures/`.

use glam::Vec3;

/// An 8-bit RGBA image with its mip chain, ready to upload.
#[derive(Debug, Clone)]
pub struct TextureImage {
    /// Width of mip 0.
    pub width: u32,
    /// Height of mip 0.
    pub height: u32,
    /// Whether the RGB channels are sRGB-encoded colour (decoded to linear by the sampler).
    pub srgb: bool,
    /// Mip levels, largest first; each tightly packed RGBA8.
    pub mips: Vec<Vec<u8>>,
}

impl TextureImage {
    /// Builds a texture and its full mip chain (2×2 box filter, in linear light for sRGB data).
    pub fn new(width: u32, height: u32, rgba: Vec<u8>, srgb: bool) -> Self {
        assert_eq!(rgba.len(), (width * height * 4) as usize, "texture data size");
        let mut mips = vec![rgba];
        let (mut w, mut h) = (width, height);
        while w > 1 || h > 1 {
            let (nw, nh) = ((w / 2).max(1), (h / 2).max(1));
            let src = mips.last().expect("mip 0 exists");
            let mut dst = vec![0u8; (nw * nh * 4) as usize];
            for y in 0..nh {
                for x in 0..nw {
                    for c in 0..4 {
                        let mut sum = 0.0f32;
                        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                            let sx = (2 * x + dx).min(w - 1);
                            let sy = (2 * y + dy).min(h - 1);
                            let v = f32::from(src[((sy * w + sx) * 4 + c) as usize]) / 255.0;
                            sum += if srgb && c < 3 { srgb_to_linear(v) } else { v };
                        }
                        let avg = sum / 4.0;
                        let enc = if srgb && c < 3 { linear_to_srgb(avg) } else { avg };
                        dst[((y * nw + x) * 4 + c) as usize] = (enc * 255.0 + 0.5) as u8;
                    }
                }
            }
            mips.push(dst);
            (w, h) = (nw, nh);
        }
        Self { width, height, srgb, mips }
    }

    /// Decodes a PNG or JPEG file's bytes.
    pub fn decode(bytes: &[u8], srgb: bool) -> Result<Self, image::ImageError> {
        let img = image::load_from_memory(bytes)?.into_rgba8();
        let (w, h) = img.dimensions();
        Ok(Self::new(w, h, img.into_raw(), srgb))
    }

    /// A 1×1 texture of one colour (the stand-in for a missing texture slot).
    pub fn solid(rgba: [u8; 4], srgb: bool) -> Self {
        Self::new(1, 1, rgba.to_vec(), srgb)
    }

    /// Builds a texture by evaluating `f(u, v) -> linear RGBA` at every texel centre.
    pub fn from_fn(size: u32, srgb: bool, f: impl Fn(f32, f32) -> [f32; 4]) -> Self {
        let mut data = Vec::with_capacity((size * size * 4) as usize);
        for y in 0..size {
            for x in 0..size {
                let c = f((x as f32 + 0.5) / size as f32, (y as f32 + 0.5) / size as f32);
                for (i, v) in c.iter().enumerate() {
                    let v = if srgb && i < 3 { linear_to_srgb(v.clamp(0.0, 1.0)) } else { v.clamp(0.0, 1.0) };
                    data.push((v * 255.0 + 0.5) as u8);
                }
            }
        }
        Self::new(size, size, data, srgb)
    }
}

/// sRGB electro-optical transfer: encoded value to linear.
pub fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

/// Linear to sRGB-encoded value.
pub fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

/// Deterministic hash of integer coordinates to [0, 1).
pub fn hash2(x: i32, y: i32, seed: u32) -> f32 {
    let mut h =
        (x as u32).wrapping_mul(0x8da6_b343) ^ (y as u32).wrapping_mul(0xd816_3841) ^ seed.wrapping_mul(0xcb1a_b31f);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5bd1_e995);
    h ^= h >> 15;
    (h >> 8) as f32 / (1u32 << 24) as f32
}

/// Smooth value noise with `octaves` octaves, tileable over the unit square at `cells`.
pub fn value_noise(u: f32, v: f32, cells: u32, octaves: u32, seed: u32) -> f32 {
    let (mut sum, mut amp, mut norm, mut c) = (0.0, 1.0, 0.0, cells as f32);
    for o in 0..octaves {
        let (x, y) = (u * c, v * c);
        let (xi, yi) = (x.floor() as i32, y.floor() as i32);
        let (fx, fy) = (x - x.floor(), y - y.floor());
        let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
        let n = c as i32;
        let at = |i: i32, j: i32| hash2(i.rem_euclid(n), j.rem_euclid(n), seed + o);
        let top = at(xi, yi) + (at(xi + 1, yi) - at(xi, yi)) * sx;
        let bottom = at(xi, yi + 1) + (at(xi + 1, yi + 1) - at(xi, yi + 1)) * sx;
        sum += amp * (top + (bottom - top) * sy);
        norm += amp;
        amp *= 0.5;
        c *= 2.0;
    }
    sum / norm
}

/// Black/white checkerboard with `n` squares per side (moiré and aliasing under motion).
pub fn checkerboard(size: u32, n: u32) -> TextureImage {
    TextureImage::from_fn(size, true, |u, v| {
        let c = ((u * n as f32).floor() as i32 + (v * n as f32).floor() as i32) & 1;
        let l = if c == 0 { 0.03 } else { 0.85 };
        [l, l, l, 1.0]
    })
}

/// Thin parallel and concentric lines: the pattern most prone to moiré.
pub fn line_pattern(size: u32) -> TextureImage {
    TextureImage::from_fn(size, true, |u, v| {
        let stripes = ((u * 96.0).fract() < 0.18) as i32 as f32;
        let r = ((u - 0.5).powi(2) + (v - 0.5).powi(2)).sqrt();
        let rings = ((r * 70.0).fract() < 0.2) as i32 as f32;
        let l = if v < 0.5 { stripes } else { rings };
        let l = 0.04 + 0.8 * l;
        [l, l * 0.95, l * 0.9, 1.0]
    })
}

/// A grate / chain-link mask: opaque bars with holes, alpha-tested.
pub fn grate(size: u32, cells: u32, bar: f32) -> TextureImage {
    TextureImage::from_fn(size, true, |u, v| {
        let (fu, fv) = ((u * cells as f32).fract(), (v * cells as f32).fract());
        let on = fu < bar || fv < bar;
        [0.35, 0.33, 0.3, if on { 1.0 } else { 0.0 }]
    })
}

/// Leaf clusters with alpha (alpha-tested foliage), from noise thresholded into blobs.
pub fn foliage(size: u32, seed: u32) -> TextureImage {
    TextureImage::from_fn(size, true, |u, v| {
        let n = value_noise(u, v, 16, 3, seed);
        let shade = value_noise(u, v, 32, 2, seed + 7);
        let edge = ((u - 0.5).abs().max((v - 0.5).abs()) * 2.0).powi(4);
        let alpha = if n - 0.35 * edge > 0.52 { 1.0 } else { 0.0 };
        let g = 0.15 + 0.35 * shade;
        [g * 0.45, g, g * 0.3, alpha]
    })
}

/// A plain-coloured, softly mottled texture (ground, walls, smoke puffs).
pub fn mottled(size: u32, base: Vec3, contrast: f32, cells: u32, seed: u32) -> TextureImage {
    TextureImage::from_fn(size, true, |u, v| {
        let n = value_noise(u, v, cells, 5, seed);
        let c = base * (1.0 - contrast + 2.0 * contrast * n);
        [c.x, c.y, c.z, 1.0]
    })
}

/// A soft round puff with alpha falling to zero at the edge (smoke particles).
pub fn smoke_puff(size: u32, seed: u32) -> TextureImage {
    TextureImage::from_fn(size, true, |u, v| {
        let r = ((u - 0.5).powi(2) + (v - 0.5).powi(2)).sqrt() * 2.0;
        let n = value_noise(u, v, 8, 4, seed);
        let a = ((1.0 - r).max(0.0) * (0.5 + n)).clamp(0.0, 1.0).powf(1.5);
        let l = 0.55 + 0.3 * n;
        [l, l, l * 1.02, a]
    })
}

/// A tangent-space normal map of bumps (bricks' mortar, stone), from a height field.
pub fn bump_normal_map(size: u32, cells: u32, strength: f32, seed: u32) -> TextureImage {
    let height = |u: f32, v: f32| value_noise(u.rem_euclid(1.0), v.rem_euclid(1.0), cells, 4, seed);
    let d = 1.0 / size as f32;
    TextureImage::from_fn(size, false, |u, v| {
        let dx = (height(u + d, v) - height(u - d, v)) / (2.0 * d) * strength / size as f32;
        let dy = (height(u, v + d) - height(u, v - d)) / (2.0 * d) * strength / size as f32;
        let n = Vec3::new(-dx, dy, 1.0).normalize();
        [n.x * 0.5 + 0.5, n.y * 0.5 + 0.5, n.z * 0.5 + 0.5, 1.0]
    })
}

/// Renders `lines` of text with the built-in 5×7 font, dark on light (or light on dark),
/// `scale` texels per font pixel, into a `width`×`height` texture.
pub fn text(width: u32, height: u32, lines: &[&str], scale: u32, dark_on_light: bool) -> TextureImage {
    let (ink, paper) = if dark_on_light { (0.02, 0.8) } else { (0.9, 0.03) };
    let mut lum = vec![paper; (width * height) as usize];
    let (cw, ch) = (6 * scale, 9 * scale);
    for (row, line) in lines.iter().enumerate() {
        for (col, c) in line.chars().enumerate() {
            let glyph = font_glyph(c);
            let (ox, oy) = (scale + col as u32 * cw, scale + row as u32 * ch);
            for (gy, bits) in glyph.iter().enumerate() {
                for gx in 0..5u32 {
                    if bits & (0x10 >> gx) == 0 {
                        continue;
                    }
                    for sy in 0..scale {
                        for sx in 0..scale {
                            let (x, y) = (ox + gx * scale + sx, oy + gy as u32 * scale + sy);
                            if x < width && y < height {
                                lum[(y * width + x) as usize] = ink;
                            }
                        }
                    }
                }
            }
        }
    }
    let data = lum
        .iter()
        .flat_map(|&l| {
            let e = (linear_to_srgb(l) * 255.0 + 0.5) as u8;
            [e, e, e, 255]
        })
        .collect();
    TextureImage::new(width, height, data, true)
}

/// 5×7 glyphs (bit 4 = leftmost column), for upper-case letters, digits and a few marks.
fn font_glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '!' => [0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04],
        '?' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04],
        '/' => [0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10],
        _ => [0; 7],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mip_chain_ends_at_one_texel_and_preserves_mean_light() {
        let t = checkerboard(64, 8);
        assert_eq!(t.mips.len(), 7);
        assert_eq!(t.mips.last().unwrap().len(), 4);
        // Mean of 0.03 and 0.85 in linear light, re-encoded.
        let expected = linear_to_srgb((0.03 + 0.85) / 2.0);
        let got = f32::from(t.mips[6][0]) / 255.0;
        assert!((got - expected).abs() < 0.02, "{got} vs {expected}");
    }

    #[test]
    fn text_has_ink_where_glyphs_are() {
        let t = text(64, 16, &["HI"], 1, true);
        let dark = t.mips[0].chunks_exact(4).filter(|p| p[0] < 50).count();
        // 'H' has 17 pixels, 'I' has 11.
        assert_eq!(dark, 17 + 11);
    }
}
