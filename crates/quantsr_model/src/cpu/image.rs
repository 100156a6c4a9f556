//! How the CPU references store into textures: the device's f16 rounding, the storage formats,
//! and `textureStore` on quantsr's one [`Image`] type.

pub use quantsr_core::Image;

/// How a device rounds an f32 to f16 when it stores into a 16-bit float texture. Vulkan leaves
/// the choice to the implementation (round to nearest even or toward zero); lavapipe rounds
/// toward zero, most desktop GPUs to nearest even. A GPU test detects it and the CPU reference
/// follows, so the two agree bit for bit wherever their f32 arithmetic does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum F16Rounding {
    /// To the nearest f16, ties to even (IEEE 754's default); overflow gives ±Inf.
    #[default]
    NearestEven,
    /// Toward zero: the largest f16 not greater in magnitude; overflow gives ±65504.
    TowardZero,
}

impl F16Rounding {
    /// `value` rounded to f16 this way, as an f32.
    pub fn round(self, value: f32) -> f32 {
        let nearest = half::f16::from_f32(value);
        match self {
            Self::NearestEven => nearest.to_f32(),
            // Rounding to nearest moved at most one f16 step away from zero; step back if so
            // (f16 magnitudes are ordered like their bit patterns).
            Self::TowardZero if nearest.to_f32().abs() > value.abs() => {
                half::f16::from_bits(nearest.to_bits() - 1).to_f32()
            }
            Self::TowardZero => nearest.to_f32(),
        }
    }
}

/// How a storage texture keeps what a kernel writes; [`Image::store`] rounds the same way so
/// the CPU reference carries the GPU's precision from pass to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFormat {
    /// `rgba16float`: each channel rounded to f16 the device's way.
    Rgba16Float(F16Rounding),
    /// `rg32float`: the first two channels, kept exactly.
    Rg32Float,
    /// `r32float`: the first channel, kept exactly.
    R32Float,
    /// `rgba32float`: all four channels, kept exactly.
    Rgba32Float,
}

impl StorageFormat {
    /// Number of channels the format stores.
    pub fn channels(self) -> usize {
        match self {
            Self::Rgba16Float(_) | Self::Rgba32Float => 4,
            Self::Rg32Float => 2,
            Self::R32Float => 1,
        }
    }

    /// The value a texel of this format holds after `value` is stored into it.
    pub fn round(self, value: f32) -> f32 {
        match self {
            Self::Rgba16Float(rounding) => rounding.round(value),
            Self::Rg32Float | Self::R32Float | Self::Rgba32Float => value,
        }
    }
}

/// WGSL's `textureStore` on the CPU: what the references write their storage textures with.
pub trait TextureStore {
    /// Stores `value` at `p` into a storage texture of `format`: keeps the channels the format
    /// has, rounded to its precision.
    ///
    /// # Panics
    /// When `p` is outside the image or the image's channel count is not the format's.
    fn store(&mut self, p: [i32; 2], format: StorageFormat, value: [f32; 4]);
}

impl TextureStore for Image {
    fn store(&mut self, p: [i32; 2], format: StorageFormat, value: [f32; 4]) {
        assert_eq!(self.channels(), format.channels(), "storing {format:?} into a {}-channel image", self.channels());
        assert!(
            p[0] >= 0 && p[1] >= 0 && (p[0] as u32) < self.width() && (p[1] as u32) < self.height(),
            "out-of-bounds store at {p:?} into a {}x{} image",
            self.width(),
            self.height()
        );
        let i = self.index(p[0] as u32, p[1] as u32);
        for (c, v) in value.iter().take(format.channels()).enumerate() {
            self.data_mut()[i + c] = format.round(*v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgba16float_stores_round_to_nearest_half() {
        let mut image = Image::zeros(1, 1, 4);
        image.store(
            [0, 0],
            StorageFormat::Rgba16Float(F16Rounding::NearestEven),
            [1.0 + 1.0 / 2048.0, 0.1, 16.0, 1.0 + 3.0 / 2048.0],
        );
        // f16 keeps 10 mantissa bits (a step of 2^-10 at 1): both 1 + 2^-11 and 1 + 3·2^-11 are
        // halfway between two halves and go to the even one.
        assert_eq!(image.pixel(0, 0), &[1.0, half::f16::from_f32(0.1).to_f32(), 16.0, 1.0 + 2.0 / 1024.0]);
    }

    #[test]
    fn rounding_toward_zero_never_increases_magnitude() {
        let rtz = F16Rounding::TowardZero;
        let step = 1.0 / 1024.0;
        assert_eq!(rtz.round(1.0 + 0.99 * step), 1.0);
        assert_eq!(rtz.round(-(1.0 + 0.99 * step)), -1.0);
        assert_eq!(rtz.round(2.0 - 1e-6), 2.0 - step);
        assert_eq!(rtz.round(1.0e5), 65504.0);
        assert_eq!(rtz.round(-1.0e5), -65504.0);
        assert_eq!(rtz.round(f32::INFINITY), f32::INFINITY);
        assert_eq!(rtz.round(1.0e-9), 0.0);
        assert!(rtz.round(f32::NAN).is_nan());
        assert_eq!(F16Rounding::NearestEven.round(1.0e5), f32::INFINITY);
        for i in 0..10_000 {
            let v = (i as f32 - 5000.0) * 0.01371;
            let (r, n) = (rtz.round(v), F16Rounding::NearestEven.round(v));
            assert!(r.abs() <= v.abs() && (r == n || (r - n).abs() <= n.abs() * step), "{v}: {r} vs {n}");
        }
    }

    #[test]
    #[should_panic(expected = "out-of-bounds load")]
    fn out_of_bounds_loads_are_reported() {
        Image::zeros(2, 2, 1).load([2, 0]);
    }
}
