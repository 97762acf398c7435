//! The device data path (data set uploaded once as u8, batches gathered and shifted on the
//! device) builds the same batches as the host path, bit for bit, on every backend; kernel
//! launches are counted on wgpu and are none on the CPU backends.

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, DeviceKind, Tensor};
use snn_train::data::batcher::{DataPath, DigitBatcher};
use snn_train::data::{DigitItem, Split, load_split};
use snn_train::platform::launches;

use crate::common::mnist_dir;

#[allow(deprecated)] // ndarray: deprecated upstream, still one of our backends
fn backends() -> [(&'static str, Device); 3] {
    [
        ("flex", Device::flex()),
        ("ndarray", Device::ndarray()),
        ("wgpu", Device::wgpu(DeviceKind::DefaultDevice)),
    ]
}

/// Two batches of 24 real MNIST images in a scrambled order, unshifted and shifted by up to
/// 2 pixels (seed 11): intensities and targets equal on both paths.
#[test]
fn host_and_device_batches_are_identical() {
    let data = load_split(&mnist_dir(), Split::Train, Some(500)).unwrap();
    let items: Vec<DigitItem> = (0..48)
        .map(|k| {
            let index = (k * 173 + 29) % 500;
            DigitItem {
                index,
                label: data.images().labels[index],
            }
        })
        .collect();
    for (name, device) in backends() {
        for shift in [0, 2] {
            let batches = |path: DataPath| {
                let batcher = DigitBatcher::new(data.shared())
                    .with_shift(shift, 11)
                    .on(path);
                (items.chunks(24))
                    .map(|chunk| {
                        let b = batcher.batch(chunk.to_vec(), &device);
                        let x: Vec<f32> = b.images.into_data().iter::<f32>().collect();
                        let y: Vec<i64> = b.targets.into_data().iter::<i64>().collect();
                        (x, y)
                    })
                    .collect::<Vec<_>>()
            };
            let (host, on_device) = (batches(DataPath::Host), batches(DataPath::Device));
            assert_eq!(host.len(), 2);
            for (k, (h, d)) in host.iter().zip(&on_device).enumerate() {
                assert_eq!(h.0.len(), 24 * 784, "{name}");
                let differing = h.0.iter().zip(&d.0).filter(|(a, b)| a != b).count();
                assert_eq!(
                    differing, 0,
                    "{name}, shift {shift}, batch {k}: pixels differ"
                );
                assert_eq!(h.1, d.1, "{name}, shift {shift}, batch {k}: targets differ");
                let labels: Vec<i64> = items[k * 24..(k + 1) * 24]
                    .iter()
                    .map(|i| i.label as i64)
                    .collect();
                assert_eq!(d.1, labels, "{name}");
            }
            let unshifted: Vec<f32> = (items.iter().take(24))
                .flat_map(|i| {
                    data.images()
                        .images
                        .image(i.index)
                        .iter()
                        .map(|&p| p as f32 / 255.0)
                })
                .collect();
            assert_eq!(
                host[0].0 == unshifted,
                shift == 0,
                "{name}: shift {shift} should {}change the images",
                if shift == 0 { "not " } else { "" }
            );
        }
    }
}

/// wgpu work launches kernels and they are counted by name; CPU backends launch none.
#[test]
fn kernel_launches_are_counted_on_cube_backends() {
    for (name, device) in backends() {
        let (sum, counted) = launches::count(|| {
            let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
            ((x.clone() * x).exp().sum()).into_scalar::<f32>()
        });
        assert!(
            (sum - (1f32.exp() + 4f32.exp() + 9f32.exp())).abs() < 1e-2,
            "{name}: {sum}"
        );
        if name == "wgpu" {
            assert!(counted.total >= 1, "{name}: {counted:?}");
            assert_eq!(
                counted.total,
                counted.by_kernel.iter().map(|(_, c)| c).sum::<usize>()
            );
        } else {
            assert_eq!(counted.total, 0, "{name}: {counted:?}");
        }
    }
}
