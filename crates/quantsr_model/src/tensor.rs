//! The CHW tensor the network side passes around: weights, fixtures, the forward passes.

/// A CHW tensor (no batch dimension): the layout of the model fixture and of training's
/// tensors. `Tensor` (f32) carries activations; `Tensor<i8>` the int8 rungs' quantised ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor<T = f32> {
    /// Number of channels.
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// `channels · height · width` values, channel-major, then row-major.
    pub data: Vec<T>,
}

impl<T: Copy + Default> Tensor<T> {
    /// A tensor of zeros (`T::default()`).
    pub fn zeros(channels: usize, height: usize, width: usize) -> Self {
        Self { channels, height, width, data: vec![T::default(); channels * height * width] }
    }

    /// Wraps CHW `data`.
    ///
    /// # Panics
    /// If `data.len() != channels · height · width`.
    pub fn from_vec(channels: usize, height: usize, width: usize, data: Vec<T>) -> Self {
        assert_eq!(data.len(), channels * height * width, "tensor data does not match {channels}×{height}×{width}");
        Self { channels, height, width, data }
    }

    /// Fills each element with `f(channel, y, x)`.
    pub fn from_fn(channels: usize, height: usize, width: usize, mut f: impl FnMut(usize, usize, usize) -> T) -> Self {
        let mut data = Vec::with_capacity(channels * height * width);
        for c in 0..channels {
            for y in 0..height {
                for x in 0..width {
                    data.push(f(c, y, x));
                }
            }
        }
        Self { channels, height, width, data }
    }

    /// Flat index of element `(c, y, x)` in [`Self::data`].
    pub fn index(&self, c: usize, y: usize, x: usize) -> usize {
        (c * self.height + y) * self.width + x
    }

    /// Element `(c, y, x)`.
    pub fn get(&self, c: usize, y: usize, x: usize) -> T {
        self.data[self.index(c, y, x)]
    }

    /// `[channels, height, width]`, as safetensors and torch write the shape.
    pub fn shape(&self) -> [usize; 3] {
        [self.channels, self.height, self.width]
    }

    /// The same shape with `f` applied to every element.
    pub fn map<U>(&self, f: impl FnMut(T) -> U) -> Tensor<U> {
        Tensor {
            channels: self.channels,
            height: self.height,
            width: self.width,
            data: self.data.iter().copied().map(f).collect(),
        }
    }
}
