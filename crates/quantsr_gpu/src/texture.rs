//! Texture creation and upload for the formats quantsr exchanges with renderers.

/// Usage for textures the upscaler both writes from compute and samples later.
pub const STORAGE_SAMPLED: wgpu::TextureUsages = wgpu::TextureUsages::STORAGE_BINDING
    .union(wgpu::TextureUsages::TEXTURE_BINDING)
    .union(wgpu::TextureUsages::COPY_SRC)
    .union(wgpu::TextureUsages::COPY_DST);

/// Usage for inputs uploaded from the CPU (sequences on disk) and read by shaders.
pub const UPLOADED: wgpu::TextureUsages =
    wgpu::TextureUsages::TEXTURE_BINDING.union(wgpu::TextureUsages::COPY_DST).union(wgpu::TextureUsages::COPY_SRC);

/// Creates a single-mip 2D texture.
pub fn create_texture(
    device: &wgpu::Device,
    label: &str,
    size: [u32; 2],
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: extent(size),
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

/// A 2D extent of depth one.
pub const fn extent(size: [u32; 2]) -> wgpu::Extent3d {
    wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 }
}

/// Size of one texel in bytes, for the uncompressed colour formats quantsr uses.
pub fn texel_size(format: wgpu::TextureFormat) -> u32 {
    format.block_copy_size(None).expect("uncompressed colour format")
}

/// Uploads tightly packed texel data covering the whole of `texture`'s first mip.
pub fn upload_texture(queue: &wgpu::Queue, texture: &wgpu::Texture, data: &[u8]) {
    let bpp = texel_size(texture.format());
    let size = texture.size();
    assert_eq!(
        data.len() as u64,
        u64::from(size.width) * u64::from(size.height) * u64::from(bpp),
        "upload data does not match the texture's size"
    );
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        data,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(size.width * bpp),
            rows_per_image: Some(size.height),
        },
        size,
    );
}

/// Creates a texture and fills it with tightly packed texels.
pub fn create_texture_with_data(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    label: &str,
    size: [u32; 2],
    format: wgpu::TextureFormat,
    data: &[u8],
) -> wgpu::Texture {
    let texture = create_texture(device, label, size, format, UPLOADED);
    upload_texture(queue, &texture, data);
    texture
}
