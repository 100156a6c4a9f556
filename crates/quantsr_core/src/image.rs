//! The one in-memory image of quantsr: a frame's colour, depth, motion or mask on the CPU, what
//! a texture holds when the CPU references read and write it, and what the sequence files
//! decode to.

/// A CPU image of `f32` samples: row-major from the top-left pixel (+y down, as textures are),
/// channels interleaved per pixel. Colour and ground truth have 4 channels (RGBA), motion 2
/// (du, dv in UV units), depth and the reactive mask 1; the CPU references use up to 16.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    width: u32,
    height: u32,
    channels: usize,
    data: Vec<f32>,
}

impl Image {
    /// Wraps `data` (`width * height * channels` samples, row-major, interleaved).
    ///
    /// # Panics
    /// If `channels` is 0 or the length of `data` does not match: a caller bug, not bad input.
    pub fn new(width: u32, height: u32, channels: usize, data: Vec<f32>) -> Self {
        assert!(channels > 0, "an image needs at least one channel");
        let wanted = width as usize * height as usize * channels;
        assert_eq!(
            data.len(),
            wanted,
            "image data holds {} samples, but {width}x{height}x{channels} needs {wanted}",
            data.len()
        );
        Self { width, height, channels, data }
    }

    /// An image of zeros (what wgpu's zero-initialised textures hold).
    pub fn zeros(width: u32, height: u32, channels: usize) -> Self {
        Self::filled(width, height, channels, 0.0)
    }

    /// An image with every sample set to `value`, e.g. an all-zero motion field.
    pub fn filled(width: u32, height: u32, channels: usize, value: f32) -> Self {
        Self::new(width, height, channels, vec![value; width as usize * height as usize * channels])
    }

    /// An image whose sample at pixel (x, y), channel c is `f(x, y, c)`: for procedural
    /// content and test fixtures.
    pub fn from_fn(width: u32, height: u32, channels: usize, mut f: impl FnMut(u32, u32, usize) -> f32) -> Self {
        let mut data = Vec::with_capacity(width as usize * height as usize * channels);
        for y in 0..height {
            for x in 0..width {
                data.extend((0..channels).map(|c| f(x, y, c)));
            }
        }
        Self::new(width, height, channels, data)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// `[width, height]` in pixels, the form sizes take everywhere in quantsr.
    pub fn size(&self) -> [u32; 2] {
        [self.width, self.height]
    }

    /// Samples per pixel.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// All samples, row-major, interleaved: ready for a texture upload.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// All samples, mutable (the size and channel count stay fixed).
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Gives the samples up without copying.
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// Index in [`Image::data`] of pixel (x, y)'s first sample.
    ///
    /// # Panics
    /// If the pixel is outside the image.
    pub fn index(&self, x: u32, y: u32) -> usize {
        assert!(x < self.width && y < self.height, "pixel ({x}, {y}) outside {}x{}", self.width, self.height);
        (y as usize * self.width as usize + x as usize) * self.channels
    }

    /// The samples of pixel (x, y).
    ///
    /// # Panics
    /// If the pixel is outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> &[f32] {
        let start = self.index(x, y);
        &self.data[start..start + self.channels]
    }

    /// The top-left `size` pixels (the part of a larger texture a frame renders into).
    ///
    /// # Panics
    /// If `size` exceeds the image.
    pub fn crop(&self, size: [u32; 2]) -> Self {
        assert!(size[0] <= self.width && size[1] <= self.height, "crop {size:?} exceeds {:?}", self.size());
        Self::from_fn(size[0], size[1], self.channels, |x, y, c| self.pixel(x, y)[c])
    }

    /// WGSL's `textureLoad` of a float texture: four channels, missing colour channels read 0
    /// and a missing alpha reads 1.
    ///
    /// # Panics
    /// When `p` lies outside the image: every kernel clamps or bounds-checks its loads, and a
    /// load that does not is a bug the CPU reference reports rather than hides.
    pub fn load(&self, p: [i32; 2]) -> [f32; 4] {
        assert!(
            p[0] >= 0 && p[1] >= 0 && (p[0] as u32) < self.width && (p[1] as u32) < self.height,
            "out-of-bounds load at {p:?} from a {}x{} image",
            self.width,
            self.height
        );
        let texel = self.pixel(p[0] as u32, p[1] as u32);
        let mut out = [0.0, 0.0, 0.0, 1.0];
        // Images of more than four channels (the network's 16 parameters, which the GPU keeps
        // in four textures) load their first four, as the first texture would.
        let n = self.channels.min(4);
        out[..n].copy_from_slice(&texel[..n]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_fill_missing_channels_like_texture_load() {
        let image = Image::new(1, 1, 2, vec![0.25, 0.5]);
        assert_eq!(image.load([0, 0]), [0.25, 0.5, 0.0, 1.0]);
    }

    #[test]
    #[should_panic(expected = "needs 8")]
    fn data_of_the_wrong_length_is_refused() {
        let _ = Image::new(2, 2, 2, vec![0.0; 7]);
    }

    #[test]
    fn pixels_are_row_major_and_interleaved() {
        let image = Image::from_fn(3, 2, 2, |x, y, c| (10 * y + x) as f32 + 0.5 * c as f32);
        assert_eq!(image.pixel(2, 1), [12.0, 12.5]);
        assert_eq!(image.crop([2, 1]).data(), [0.0, 0.5, 1.0, 1.5]);
    }
}
