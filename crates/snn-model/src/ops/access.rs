//! How the host kernels reach a backend's float tensors: [`Copied`] reads any backend's tensor
//! back to host memory and uploads the result; [`Direct`] borrows the memory of a CPU backend
//! (Flex, NdArray: [`HostMemory`]) and hands it back without a copy. The kernels' glue in
//! [`super::host_ops`] is written once, generic over the two.

use std::borrow::Cow;

use burn::backend::{Backend, DType, TensorData, tensor::FloatTensor};
use burn::tensor::Shape;

/// Reading a float tensor as `f32` values and making one from them.
pub trait HostAccess<B: Backend> {
    /// The tensor's values, row-major.
    fn read(t: &FloatTensor<B>) -> Cow<'_, [f32]>;
    /// A tensor of `dtype` on `device` holding `values` (row-major, `shape`).
    fn write(values: Vec<f32>, shape: Shape, dtype: DType, device: &B::Device) -> FloatTensor<B>;
}

/// Any backend: read back from the device, uploaded again.
pub struct Copied;

/// CPU backends: their own memory, borrowed and owned.
pub struct Direct;

/// Direct access to a CPU backend's float tensors.
pub trait HostMemory: Backend {
    /// The values of a contiguous `f32` tensor, without copying; `None` otherwise.
    fn borrow_f32(t: &FloatTensor<Self>) -> Option<&[f32]>;
    /// A tensor owning `values` (row-major, `shape`).
    fn from_f32(values: Vec<f32>, shape: Shape) -> FloatTensor<Self>;
}

impl<B: Backend> HostAccess<B> for Copied {
    fn read(t: &FloatTensor<B>) -> Cow<'_, [f32]> {
        Cow::Owned(to_host::<B>(t.clone()))
    }

    fn write(values: Vec<f32>, shape: Shape, dtype: DType, device: &B::Device) -> FloatTensor<B> {
        B::float_from_data(data_of(values, shape, dtype), device)
    }
}

impl<B: HostMemory> HostAccess<B> for Direct {
    fn read(t: &FloatTensor<B>) -> Cow<'_, [f32]> {
        match B::borrow_f32(t) {
            Some(slice) => Cow::Borrowed(slice),
            None => Cow::Owned(to_host::<B>(t.clone())),
        }
    }

    fn write(values: Vec<f32>, shape: Shape, dtype: DType, device: &B::Device) -> FloatTensor<B> {
        if dtype == DType::F32 {
            B::from_f32(values, shape)
        } else {
            B::float_from_data(data_of(values, shape, dtype), device)
        }
    }
}

impl HostMemory for burn::backend::Flex {
    fn borrow_f32(t: &FloatTensor<Self>) -> Option<&[f32]> {
        t.as_slice::<f32>()
    }

    fn from_f32(values: Vec<f32>, shape: Shape) -> FloatTensor<Self> {
        burn::backend::flex::FlexTensor::from_data(TensorData::new(values, shape))
    }
}

impl HostMemory for burn::backend::NdArray {
    fn borrow_f32(t: &FloatTensor<Self>) -> Option<&[f32]> {
        match t {
            burn::backend::ndarray::NdArrayTensor::F32(storage) => storage.view().to_slice(),
            _ => None,
        }
    }

    fn from_f32(values: Vec<f32>, shape: Shape) -> FloatTensor<Self> {
        burn::backend::ndarray::NdArrayTensor::from_data(TensorData::new(values, shape))
    }
}

/// Reads a float tensor back as `f32` host values.
pub fn to_host<B: Backend>(tensor: FloatTensor<B>) -> Vec<f32> {
    let data = burn::tensor::try_read_sync(B::float_into_data(tensor))
        .expect("host kernels need a backend whose reads can block")
        .expect("reading a tensor back from the device failed");
    data.convert::<f32>()
        .to_vec::<f32>()
        .expect("converted data is f32")
}

/// `values` as tensor data of `dtype`.
fn data_of(values: Vec<f32>, shape: Shape, dtype: DType) -> TensorData {
    let data = TensorData::new(values, shape);
    if dtype == DType::F32 {
        data
    } else {
        data.convert_dtype(dtype)
    }
}
