//! Choosing and initialising the compute device, once per process (or page).

use std::sync::OnceLock;

use burn::prelude::{Device, Tensor};

use crate::Error;

/// Which kind of device runs the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (`flex`); also the browser fallback.
    Cpu,
    /// Burn's wgpu backend: WebGPU in the browser, Vulkan/Metal/DX12 natively.
    Wgpu,
}

/// An initialised device and a description of it for people.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    pub backend: Backend,
    /// The adapter's name as the driver reports it ("SwiftShader Device", "llvmpipe", …).
    pub adapter: String,
    /// True for software rasterisers (SwiftShader, llvmpipe/lavapipe), where the CPU path wins.
    pub software: bool,
}

static WGPU: OnceLock<ComputeDevice> = OnceLock::new();

impl ComputeDevice {
    pub fn cpu() -> Self {
        Self { device: Device::flex(), backend: Backend::Cpu, adapter: "CPU (Burn flex)".into(), software: true }
    }

    fn from_setup(device: Device, info: burn::tensor::wgpu::wgpu::AdapterInfo) -> Self {
        let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu
            || ["swiftshader", "llvmpipe", "lavapipe"]
                .iter()
                .any(|s| info.name.to_lowercase().contains(s) || info.driver.to_lowercase().contains(s));
        let adapter = if info.name.is_empty() { format!("{:?} adapter", info.backend) } else { info.name };
        Self { device, backend: Backend::Wgpu, adapter, software }
    }

    /// The wgpu device, initialised on first use. Burn refuses a second initialisation, so every
    /// caller shares this one.
    pub async fn wgpu() -> Result<Self, Error> {
        if let Some(ready) = WGPU.get() {
            return Ok(ready.clone());
        }
        let result = Device::wgpu_options().init_with_setup_async().await;
        // Another caller may have finished initialising while this one awaited.
        if let Some(ready) = WGPU.get() {
            return Ok(ready.clone());
        }
        let (device, setup) = result.map_err(|e| Error::Gpu(e.to_string()))?;
        Ok(WGPU.get_or_init(|| Self::from_setup(device, setup.adapter.get_info())).clone())
    }
}

/// Reads a float tensor back to the host without blocking (browsers forbid blocking reads).
pub async fn read_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, Error> {
    let data = tensor.into_data_async().await.map_err(|e| Error::Readback(format!("{e:?}")))?;
    data.try_into_vec::<f32>().map_err(|e| Error::Readback(format!("{e:?}")))
}
