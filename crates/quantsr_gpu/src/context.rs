//! Creating the instance, adapter and device every part of quantsr runs on.

use crate::GpuError;

/// Optional device features quantsr uses when the adapter has them.
///
/// Everything else (f32 and int8 networks, TAAU) works on the WebGPU baseline; these only make
/// additional rungs or measurements possible.
pub const WANTED_FEATURES: wgpu::Features = wgpu::Features::SHADER_F16
    .union(wgpu::Features::TIMESTAMP_QUERY)
    .union(wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS)
    .union(wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES)
    .union(wgpu::Features::SUBGROUP)
    .union(wgpu::Features::FLOAT32_FILTERABLE);

/// How to pick and open the device.
#[derive(Debug, Clone)]
pub struct GpuOptions {
    /// Backends to search. `None` reads `QUANTSR_BACKEND`, then `WGPU_BACKEND`, and otherwise
    /// prefers Vulkan, falling back to every other backend.
    pub backends: Option<wgpu::Backends>,
    /// Features never to request even if present, e.g. `SHADER_F16` to check that the f16 rung
    /// is reported unavailable on devices without it.
    pub withheld_features: wgpu::Features,
}

impl Default for GpuOptions {
    fn default() -> Self {
        Self { backends: None, withheld_features: wgpu::Features::empty() }
    }
}

/// What the opened device can do, in the terms the upscaler cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// `enable f16;` shaders can run (the f16 rung).
    pub shader_f16: bool,
    /// Timestamp queries at pass boundaries (the monitor's GPU timings).
    pub timestamps: bool,
    /// Timestamp writes inside passes and encoders.
    pub timestamps_inside_passes: bool,
    /// Subgroup operations.
    pub subgroups: bool,
    /// `Rgba32Float` textures can be sampled with linear filtering.
    pub float32_filterable: bool,
}

impl Capabilities {
    /// Reads the capabilities from the features a device was granted.
    pub fn from_features(f: wgpu::Features) -> Self {
        Self {
            shader_f16: f.contains(wgpu::Features::SHADER_F16),
            timestamps: f.contains(wgpu::Features::TIMESTAMP_QUERY),
            timestamps_inside_passes: f.contains(
                wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS,
            ),
            subgroups: f.contains(wgpu::Features::SUBGROUP),
            float32_filterable: f.contains(wgpu::Features::FLOAT32_FILTERABLE),
        }
    }
}

/// An opened device with its queue and what it was granted; cheap to clone.
#[derive(Debug, Clone)]
pub struct GpuContext {
    /// The instance the adapter came from (needed to create window surfaces).
    pub instance: wgpu::Instance,
    /// The chosen adapter.
    pub adapter: wgpu::Adapter,
    /// The device every resource is created on.
    pub device: wgpu::Device,
    /// The queue work is submitted to.
    pub queue: wgpu::Queue,
    /// Adapter name, backend, driver.
    pub info: wgpu::AdapterInfo,
    /// What the device can do.
    pub caps: Capabilities,
}

fn backends_from_env() -> Result<Option<wgpu::Backends>, GpuError> {
    for var in ["QUANTSR_BACKEND", "WGPU_BACKEND"] {
        if let Ok(value) = std::env::var(var) {
            let backends = wgpu::Backends::from_comma_list(&value);
            if backends.is_empty() {
                return Err(GpuError::BadBackend { var, value });
            }
            return Ok(Some(backends));
        }
    }
    Ok(None)
}

impl GpuContext {
    /// Opens a headless device (no window) with the given options.
    pub async fn new(options: &GpuOptions) -> Result<Self, GpuError> {
        let backends = match options.backends {
            Some(b) => Some(b),
            None => backends_from_env()?,
        };
        let try_backends = match backends {
            Some(b) => vec![b],
            None => vec![wgpu::Backends::VULKAN, wgpu::Backends::all()],
        };
        let mut last_err = None;
        for backends in try_backends {
            let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
            desc.backends = backends;
            desc.flags = wgpu::InstanceFlags::from_build_config().with_env();
            let instance = wgpu::Instance::new(desc);
            match instance
                .request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::HighPerformance,
                    ..Default::default()
                })
                .await
            {
                Ok(adapter) => return Self::open(instance, adapter, options).await,
                Err(e) => last_err = Some((backends, e)),
            }
        }
        let (backends, source) = last_err.expect("at least one backend set was tried");
        Err(GpuError::NoAdapter { backends: format!("{backends:?}"), source })
    }

    /// Opens a headless device, blocking the calling thread until it is ready.
    pub fn new_blocking(options: &GpuOptions) -> Result<Self, GpuError> {
        pollster::block_on(Self::new(options))
    }

    /// Opens a device on an adapter the caller already chose (e.g. one compatible with a
    /// window surface), requesting the same features and limits as [`GpuContext::new`].
    pub async fn open(
        instance: wgpu::Instance,
        adapter: wgpu::Adapter,
        options: &GpuOptions,
    ) -> Result<Self, GpuError> {
        let info = adapter.get_info();
        let features = adapter.features() & WANTED_FEATURES & !options.withheld_features;
        // The network and the renderer want large storage buffers and many storage bindings:
        // take what the adapter offers rather than the conservative defaults.
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("quantsr"),
                required_features: features,
                required_limits: limits,
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|source| GpuError::RequestDevice { adapter: info.name.clone(), source })?;
        let caps = Capabilities::from_features(device.features());
        log::info!("opened {} ({:?}, {}) with {caps:?}", info.name, info.backend, info.driver);
        Ok(Self { instance, adapter, device, queue, info, caps })
    }

    /// Waits until all submitted work is done; for tests, tools and readback, never frame loops.
    pub fn wait_idle(&self) -> Result<(), GpuError> {
        self.device.poll(wgpu::PollType::wait_indefinitely())?;
        Ok(())
    }

    /// Runs `f` inside a validation + out-of-memory error scope and turns a captured error
    /// into [`GpuError::Validation`] naming `what`.
    pub fn checked<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        let v = pollster::block_on(validation.pop());
        let o = pollster::block_on(oom.pop());
        match v.or(o) {
            Some(e) => Err(GpuError::Validation { what: what.to_string(), message: e.to_string() }),
            None => Ok(value),
        }
    }
}

/// The shared device for tests and examples: opened once per process.
///
/// # Panics
/// When no adapter can be opened, with the error's instructions for installing a driver: a
/// GPU test must fail loudly rather than pass without a device.
pub fn test_gpu() -> GpuContext {
    static GPU: std::sync::OnceLock<GpuContext> = std::sync::OnceLock::new();
    GPU.get_or_init(|| match GpuContext::new_blocking(&GpuOptions::default()) {
        Ok(ctx) => ctx,
        Err(e) => panic!("GPU tests need a device: {e}"),
    })
    .clone()
}

/// The shared test device, held alone: tests that time the device (wall clock or timestamps)
/// take this guard, so another test of the same process cannot queue work on the shared device
/// while they measure. Tests that only check values need not. The guard survives a test that
/// panicked while holding it.
pub fn timing_test_gpu() -> (GpuContext, std::sync::MutexGuard<'static, ()>) {
    static TIMING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = TIMING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    (test_gpu(), guard)
}
