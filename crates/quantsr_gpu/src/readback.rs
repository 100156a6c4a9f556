//! Blocking GPU→CPU copies, for tests, tools and file output (never for frame loops).

use crate::{GpuContext, GpuError, texel_size};

/// Copies `buffer` (which needs `COPY_SRC`) to the CPU as a vector of `T`.
pub fn read_buffer<T: bytemuck::Pod>(ctx: &GpuContext, buffer: &wgpu::Buffer) -> Result<Vec<T>, GpuError> {
    read_buffer_prefix(ctx, buffer, buffer.size())
}

/// Copies the first `bytes` of `buffer` (rounded up to a whole copy unit, at most the
/// buffer's size) to the CPU: a check of a small dispatch need not copy a frame-sized buffer.
pub fn read_buffer_prefix<T: bytemuck::Pod>(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    bytes: u64,
) -> Result<Vec<T>, GpuError> {
    let size = bytes.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT).min(buffer.size());
    let staging = staging_buffer(&ctx.device, size);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
    ctx.queue.submit([encoder.finish()]);
    let bytes = map_blocking(ctx, &staging)?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// Texel data read back from a texture, rows tightly packed.
#[derive(Debug, Clone)]
pub struct TextureData {
    /// Width and height in texels.
    pub size: [u32; 2],
    /// The texture's format.
    pub format: wgpu::TextureFormat,
    /// Raw texels, `size[0] * texel_size` bytes per row.
    pub bytes: Vec<u8>,
}

impl TextureData {
    /// Number of channels per texel.
    pub fn channels(&self) -> usize {
        self.format.components() as usize
    }

    /// Converts every channel to f32 (floats as stored, unorm scaled to [0, 1]), row-major,
    /// interleaved.
    pub fn to_f32(&self) -> Vec<f32> {
        use wgpu::TextureFormat as F;
        match self.format {
            F::R32Float | F::Rg32Float | F::Rgba32Float => bytemuck::pod_collect_to_vec(&self.bytes),
            F::R16Float | F::Rg16Float | F::Rgba16Float => {
                let halves: Vec<half::f16> = bytemuck::pod_collect_to_vec(&self.bytes);
                halves.iter().map(|h| h.to_f32()).collect()
            }
            F::R8Unorm | F::Rg8Unorm | F::Rgba8Unorm | F::Rgba8UnormSrgb => {
                self.bytes.iter().map(|&b| f32::from(b) / 255.0).collect()
            }
            F::Bgra8Unorm | F::Bgra8UnormSrgb => self
                .bytes
                .chunks_exact(4)
                .flat_map(|p| [p[2], p[1], p[0], p[3]])
                .map(|b| f32::from(b) / 255.0)
                .collect(),
            F::R32Uint | F::Rg32Uint | F::Rgba32Uint => {
                let words: Vec<u32> = bytemuck::pod_collect_to_vec(&self.bytes);
                words.iter().map(|&w| w as f32).collect()
            }
            other => panic!("to_f32: texture format {other:?} is not one quantsr reads back"),
        }
    }
}

/// Copies the first mip of `texture` (which needs `COPY_SRC`) to the CPU.
pub fn read_texture(ctx: &GpuContext, texture: &wgpu::Texture) -> Result<TextureData, GpuError> {
    let size = texture.size();
    read_texture_rect(ctx, texture, [size.width, size.height])
}

/// Copies the top-left `size` texels of the first mip of `texture` to the CPU (inputs rendered
/// into a sub-rectangle of a larger target, as with dynamic resolution).
pub fn read_texture_rect(ctx: &GpuContext, texture: &wgpu::Texture, rect: [u32; 2]) -> Result<TextureData, GpuError> {
    let size = wgpu::Extent3d { width: rect[0], height: rect[1], depth_or_array_layers: 1 };
    let bpp = texel_size(texture.format());
    let row = size.width * bpp;
    let padded_row = row.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let staging = staging_buffer(&ctx.device, u64::from(padded_row) * u64::from(size.height));
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded_row),
                rows_per_image: Some(size.height),
            },
        },
        size,
    );
    ctx.queue.submit([encoder.finish()]);
    let padded = map_blocking(ctx, &staging)?;
    let mut bytes = Vec::with_capacity((row * size.height) as usize);
    for chunk in padded.chunks_exact(padded_row as usize) {
        bytes.extend_from_slice(&chunk[..row as usize]);
    }
    Ok(TextureData { size: [size.width, size.height], format: texture.format(), bytes })
}

fn staging_buffer(device: &wgpu::Device, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback staging"),
        size,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    })
}

fn map_blocking(ctx: &GpuContext, staging: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    ctx.wait_idle()?;
    rx.recv()
        .map_err(|_| GpuError::Map("the map callback never ran".into()))?
        .map_err(|e| GpuError::Map(e.to_string()))?;
    let bytes = staging.get_mapped_range(..).map_err(|e| GpuError::Map(e.to_string()))?.to_vec();
    staging.unmap();
    Ok(bytes)
}
