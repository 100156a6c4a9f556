//! The one error type of the GPU layer.

/// What can go wrong while setting up the device or running a helper on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No adapter matched the requested backends: the machine has no usable GPU driver.
    #[error(
        "no GPU adapter found for backends {backends}: install a Vulkan driver \
         (on Debian/Ubuntu without a GPU: `apt-get install mesa-vulkan-drivers libvulkan1`, \
         which provides Mesa's lavapipe), or set QUANTSR_BACKEND=gl to try OpenGL ({source})"
    )]
    NoAdapter {
        /// The backends that were searched.
        backends: String,
        /// wgpu's own reason.
        source: wgpu::RequestAdapterError,
    },
    /// The adapter refused the device request.
    #[error("the adapter {adapter} refused to create a device: {source}")]
    RequestDevice {
        /// Name of the adapter.
        adapter: String,
        /// wgpu's own reason.
        source: wgpu::RequestDeviceError,
    },
    /// `QUANTSR_BACKEND` or `WGPU_BACKEND` named no backend this build supports.
    #[error("backend variable {var}={value:?} names no backend (use vulkan, gl, metal or dx12)")]
    BadBackend {
        /// The variable that was read.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// A shader path was not found among the files embedded from `shaders/`.
    #[error("shader {0:?} is not in shaders/ (paths are relative to that folder)")]
    UnknownShader(String),
    /// A shader failed to parse or validate.
    #[error("shader {name}: {message}")]
    Shader {
        /// Path of the shader (or a label for generated code).
        name: String,
        /// naga's diagnostic, with source location.
        message: String,
    },
    /// A shader binding has a type the layout reflection does not know how to express.
    #[error("shader {name}: binding @group({group}) @binding({binding}) has an unsupported type")]
    UnsupportedBinding {
        /// Path of the shader.
        name: String,
        /// Group index.
        group: u32,
        /// Binding index.
        binding: u32,
    },
    /// Waiting for the device failed (device lost or timeout).
    #[error("waiting for the GPU failed: {0}")]
    Poll(#[from] wgpu::PollError),
    /// Mapping a readback buffer failed.
    #[error("mapping a readback buffer failed: {0}")]
    Map(String),
    /// wgpu reported a validation or out-of-memory error inside a checked scope.
    #[error("{what}: {message}")]
    Validation {
        /// What was being done.
        what: String,
        /// wgpu's message.
        message: String,
    },
}
