//! Which Burn backend a run uses, and how `auto` decides.

use anyhow::{Result, bail};
use burn::tensor::{Device, DeviceKind};
use burn_cubecl::cubecl::wgpu::wgpu;

/// The `--backend` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// CUDA when built with `--features cuda` and an NVIDIA device exists, else wgpu when a real
    /// GPU adapter exists, else the fastest CPU backend (flex).
    Auto,
    /// Burn's CUDA backend (NVIDIA). Needs a build with `--features cuda` and the NVIDIA driver.
    Cuda,
    /// wgpu (Vulkan/Metal/DX12); on a machine without a GPU, Mesa's lavapipe runs it on the CPU.
    Wgpu,
    /// Burn's ndarray CPU backend (deprecated upstream, kept for comparison).
    Ndarray,
    /// Burn's pure-Rust CPU backend.
    Flex,
}

/// A resolved backend: its device and the name recorded in run outputs.
#[derive(Debug, Clone)]
pub struct Backend {
    pub device: Device,
    pub name: &'static str,
    /// Why `auto` chose it, or the adapter used.
    pub detail: String,
}

impl BackendChoice {
    /// Resolves the choice to a device.
    pub fn resolve(self) -> Result<Backend> {
        Ok(match self {
            BackendChoice::Auto => {
                if let Some(device) = cuda_device() {
                    Backend {
                        device,
                        name: "cuda",
                        detail: "auto: CUDA device 0".into(),
                    }
                } else if let Some(adapter) = gpu_adapter() {
                    Backend {
                        device: Device::wgpu(DeviceKind::DefaultDevice),
                        name: "wgpu",
                        detail: format!("auto: GPU adapter {adapter}"),
                    }
                } else {
                    Backend {
                        device: Device::flex(),
                        name: "flex",
                        detail: "auto: no GPU adapter (CPU-type adapters such as lavapipe do \
                                 not count)"
                            .into(),
                    }
                }
            }
            BackendChoice::Cuda => {
                if !cfg!(feature = "cuda") {
                    bail!(
                        "--backend cuda: this snn-train was built without CUDA support; rebuild \
                         with `cargo run -p snn-train --release --features cuda -- …`"
                    );
                }
                let Some(device) = cuda_device() else {
                    bail!(
                        "--backend cuda: no CUDA device found (is the NVIDIA driver installed, \
                         with libcuda on the library path?); choose --backend wgpu or flex"
                    );
                };
                Backend {
                    device,
                    name: "cuda",
                    detail: "CUDA device 0".into(),
                }
            }
            BackendChoice::Wgpu => {
                let adapters = adapters();
                if adapters.is_empty() {
                    bail!(
                        "--backend wgpu: no wgpu adapter found. Install a Vulkan driver (on a \
                         machine without GPU: `apt-get install mesa-vulkan-drivers libvulkan1`) \
                         or choose --backend flex"
                    );
                }
                let (name, _) = adapters
                    .iter()
                    .find(|(_, gpu)| *gpu)
                    .unwrap_or(&adapters[0])
                    .clone();
                Backend {
                    device: Device::wgpu(DeviceKind::DefaultDevice),
                    name: "wgpu",
                    detail: format!("adapter {name}"),
                }
            }
            #[allow(deprecated)]
            BackendChoice::Ndarray => Backend {
                device: Device::ndarray(),
                name: "ndarray",
                detail: String::new(),
            },
            BackendChoice::Flex => Backend {
                device: Device::flex(),
                name: "flex",
                detail: String::new(),
            },
        })
    }
}

impl Backend {
    /// The devices `--devices IDS` names on this backend, for data-parallel training (one model
    /// replica per device, gradients all-reduced by Burn's DDP strategy). Checked: no repeats,
    /// every index present, and more than one device only on CUDA: Burn 0.22.1 implements the
    /// all-reduce of its DDP for CUDA (and its remote backend) only. CPU backends have device 0.
    pub fn devices(&self, ids: &[usize]) -> Result<Vec<Device>> {
        let list = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        if ids.is_empty() {
            bail!("--devices needs at least one device index (e.g. --devices 0,1)");
        }
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                bail!("--devices {list}: device {id} is named twice; name each device once");
            }
        }
        if ids.len() > 1 && self.name != "cuda" {
            bail!(
                "--devices {list} --backend {}: training on several devices uses Burn's \
                 data-parallel strategy (DDP), whose gradient all-reduce Burn 0.22.1 implements \
                 for CUDA only; use --backend cuda, or one device",
                self.name
            );
        }
        let available: Vec<Device> = match self.name {
            #[cfg(feature = "cuda")]
            "cuda" => Device::enumerate(burn::tensor::DeviceType::Cuda)
                .into_iter()
                .collect(),
            // wgpu: the default adapter only; CPU backends: the CPU.
            _ => vec![self.device.clone()],
        };
        if let Some(missing) = ids.iter().find(|&&id| id >= available.len()) {
            let what = match self.name {
                "cuda" => format!("{} CUDA device(s)", available.len()),
                "wgpu" => "one wgpu device here (the default adapter)".to_string(),
                _ => "one device (0): the CPU".to_string(),
            };
            bail!(
                "--devices {list}: there is no device {missing} on --backend {}; it has {what}",
                self.name
            );
        }
        Ok(ids.iter().map(|&id| available[id].clone()).collect())
    }
}

/// The first CUDA device, when built with the `cuda` feature and the NVIDIA driver is present.
pub fn cuda_device() -> Option<Device> {
    #[cfg(feature = "cuda")]
    {
        burn::tensor::Device::enumerate(burn::tensor::DeviceType::Cuda)
            .into_iter()
            .next()
    }
    #[cfg(not(feature = "cuda"))]
    {
        None
    }
}

/// Every adapter wgpu can open: `(description, is_gpu)`. lavapipe/llvmpipe and other
/// software rasterisers report device type `Cpu` and are not GPUs.
pub fn adapters() -> Vec<(String, bool)> {
    let instance = wgpu::Instance::default();
    pollster_adapters(&instance)
        .into_iter()
        .map(|info| {
            let gpu = matches!(
                info.device_type,
                wgpu::DeviceType::DiscreteGpu
                    | wgpu::DeviceType::IntegratedGpu
                    | wgpu::DeviceType::VirtualGpu
            );
            (
                format!("{} ({:?}, {:?})", info.name, info.device_type, info.backend),
                gpu,
            )
        })
        .collect()
}

/// The first real GPU adapter, if any.
pub fn gpu_adapter() -> Option<String> {
    adapters().into_iter().find(|(_, gpu)| *gpu).map(|(n, _)| n)
}

fn pollster_adapters(instance: &wgpu::Instance) -> Vec<wgpu::AdapterInfo> {
    burn::tensor::try_read_sync(instance.enumerate_adapters(wgpu::Backends::all()))
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.get_info())
        .collect()
}
