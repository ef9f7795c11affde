//! Choosing and initialising the compute device, once per process (or page).

#[cfg(feature = "gpu")]
use std::sync::OnceLock;

use burn::prelude::{Device, Tensor, TensorData};
use serde::Serialize;

use crate::Error;

/// Which kind of device runs the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (`flex`); also the browser fallback.
    Cpu,
    /// Burn's wgpu backend: WebGPU in the browser, Vulkan/Metal/DX12 natively.
    #[serde(rename = "webgpu")]
    Wgpu,
}

/// What the user asks for: a device, or the faster one this machine has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    Cpu,
    Gpu,
    /// The GPU on a hardware adapter; the CPU when there is none or when the only adapter is a
    /// software rasteriser (SwiftShader, lavapipe), where Lite0 measured 20–60× slower than the CPU.
    Auto,
    /// The CPU, because the page found what `Auto` would find before loading a build with a GPU
    /// backend: the browser offers no adapter, or says its only one is a fallback (software) one.
    NoGpu(NoGpu),
}

/// What the browser said of its GPU when it said there is none worth using.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoGpu {
    NoAdapter,
    SoftwareAdapter,
}

impl DeviceChoice {
    /// `cpu`, `auto`, or `webgpu` / `wgpu` / `gpu` (one name per platform, all accepted
    /// everywhere); the page's findings `no-adapter` and `software-adapter` (see [`NoGpu`]).
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "cpu" => Ok(Self::Cpu),
            "webgpu" | "wgpu" | "gpu" => Ok(Self::Gpu),
            "auto" => Ok(Self::Auto),
            "no-adapter" => Ok(Self::NoGpu(NoGpu::NoAdapter)),
            "software-adapter" => Ok(Self::NoGpu(NoGpu::SoftwareAdapter)),
            other => Err(Error::Settings(format!("unknown backend {other:?} (cpu, {GPU_NAME} or auto)"))),
        }
    }
}

#[cfg(target_family = "wasm")]
const GPU_NAME: &str = "webgpu";
#[cfg(not(target_family = "wasm"))]
const GPU_NAME: &str = "wgpu";

// Why `Auto` fell back to the CPU, in the words of each platform.
#[cfg(target_family = "wasm")]
const NO_BROWSER_ADAPTER: &str = "this browser offers no WebGPU adapter";
#[cfg(not(target_family = "wasm"))]
const NO_BROWSER_ADAPTER: &str = "this machine offers no GPU adapter";
#[cfg(all(target_family = "wasm", feature = "gpu"))]
const NO_ADAPTER: &str = NO_BROWSER_ADAPTER;
#[cfg(target_family = "wasm")]
const SOFTWARE_ONLY: &str = "the only WebGPU adapter is a slow software one";
#[cfg(all(not(target_family = "wasm"), feature = "gpu"))]
const NO_ADAPTER: &str = NO_BROWSER_ADAPTER;
#[cfg(all(target_family = "wasm", not(feature = "gpu")))]
const NO_ADAPTER: &str = "this build of the page has no WebGPU (the cargo feature `gpu` adds it)";
#[cfg(all(not(target_family = "wasm"), not(feature = "gpu")))]
const NO_ADAPTER: &str = "this build has no GPU backend (the cargo feature `gpu` adds it)";
#[cfg(not(target_family = "wasm"))]
const SOFTWARE_ONLY: &str = "the only GPU adapter is a slow software one";

/// An initialised device and a description of it for people.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    pub backend: Backend,
    /// The adapter's name as the driver reports it ("SwiftShader Device", "llvmpipe", …).
    pub adapter: String,
    /// True for software rasterisers (SwiftShader, llvmpipe/lavapipe), where the CPU path wins.
    pub software: bool,
    /// Why the CPU runs the network rather than a GPU, when it does.
    pub fallback: Option<String>,
}

#[cfg(feature = "gpu")]
static WGPU: OnceLock<ComputeDevice> = OnceLock::new();

impl ComputeDevice {
    pub fn cpu() -> Self {
        Self { device: Device::flex(), backend: Backend::Cpu, adapter: "CPU (Burn flex)".into(), software: true, fallback: None }
    }

    fn cpu_because(reason: &str) -> Self {
        Self { fallback: Some(reason.into()), ..Self::cpu() }
    }

    #[cfg(feature = "gpu")]
    fn from_setup(device: Device, info: burn::tensor::wgpu::wgpu::AdapterInfo) -> Self {
        let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu
            || ["swiftshader", "llvmpipe", "lavapipe"].iter().any(|s| info.name.to_lowercase().contains(s) || info.driver.to_lowercase().contains(s));
        let adapter = if info.name.is_empty() { format!("{:?} adapter", info.backend) } else { info.name };
        Self { device, backend: Backend::Wgpu, adapter, software, fallback: None }
    }

    /// The wgpu device, initialised on first use. Burn refuses a second initialisation, so every
    /// caller shares this one.
    #[cfg(feature = "gpu")]
    pub async fn wgpu() -> Result<Self, Error> {
        if let Some(ready) = WGPU.get() {
            return Ok(ready.clone());
        }
        #[cfg(target_family = "wasm")]
        run_static_constructors();
        let result = Device::wgpu_options().init_with_setup_async().await;
        // Another caller may have finished initialising while this one awaited.
        if let Some(ready) = WGPU.get() {
            return Ok(ready.clone());
        }
        let (device, setup) = result.map_err(|e| Error::Gpu(e.to_string()))?;
        Ok(WGPU.get_or_init(|| Self::from_setup(device, setup.adapter.get_info())).clone())
    }

    /// A native build without the `gpu` feature has no wgpu.
    #[cfg(not(feature = "gpu"))]
    pub async fn wgpu() -> Result<Self, Error> {
        Err(Error::Gpu(NO_ADAPTER.into()))
    }

    /// The device `choice` names; with `Auto`, `fallback` says why the CPU was taken.
    pub async fn choose(choice: DeviceChoice) -> Result<Self, Error> {
        match choice {
            DeviceChoice::Cpu => Ok(Self::cpu_because("the CPU was asked for")),
            DeviceChoice::Gpu => Self::wgpu().await,
            DeviceChoice::Auto => Ok(match Self::wgpu().await {
                Ok(gpu) if !gpu.software => gpu,
                Ok(_) => Self::cpu_because(SOFTWARE_ONLY),
                Err(_) => Self::cpu_because(NO_ADAPTER),
            }),
            DeviceChoice::NoGpu(NoGpu::NoAdapter) => Ok(Self::cpu_because(NO_BROWSER_ADAPTER)),
            DeviceChoice::NoGpu(NoGpu::SoftwareAdapter) => Ok(Self::cpu_because(SOFTWARE_ONLY)),
        }
    }
}

/// Runs the module's static constructors (pliron, CubeCL's IR optimiser, registers its types
/// through `inventory`) once, before CubeCL first compiles a kernel. A wasm module that never
/// calls them gets "command" linkage: the linker wraps every export, down to the allocation of
/// each JS value's handle, in a run of all of them, which cost ~0.6 ms per call. Here rather than
/// in the page's start function, which wasm-bindgen's test runner does not call.
#[cfg(all(target_family = "wasm", feature = "gpu"))]
fn run_static_constructors() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the linker's own function, run once per instance (inventory's are idempotent).
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

/// Reads a float tensor back to the host without blocking (browsers forbid blocking reads).
pub async fn read_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, Error> {
    floats(tensor.into_data_async().await.map_err(|e| Error::Readback(format!("{e:?}")))?)
}

/// Reads a float tensor on the CPU, where reading is immediate (the CPU kernels' weights).
pub fn read_cpu_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, Error> {
    floats(tensor.into_data())
}

fn floats(data: TensorData) -> Result<Vec<f32>, Error> {
    data.try_into_vec::<f32>().map_err(|e| Error::Readback(format!("{e:?}")))
}
