//! Dense fallbacks of the spike matmul (the backend's own matrix product) and the shape checks
//! the ops share.

use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::Shape;

/// `input [T, B, K] · weight [K, N]` as one dense matrix product.
pub fn dense_matmul<B: Backend>(input: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let [t, b, k] = dims3(&input.shape());
    let n = weight.shape()[1];
    let flat = B::float_reshape(input, Shape::new([t * b, k]));
    B::float_reshape(B::float_matmul(flat, weight), Shape::new([t, b, n]))
}

/// `Σ_{t,b} input[t, b]ᵀ · grad[t, b]` as one dense matrix product.
pub fn dense_weight_grad<B: Backend>(
    input: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> FloatTensor<B> {
    let [t, b, k] = dims3(&input.shape());
    let n = grad.shape()[2];
    let x = B::float_reshape(input, Shape::new([t * b, k]));
    let g = B::float_reshape(grad, Shape::new([t * b, n]));
    B::float_matmul(B::float_transpose(x), g)
}

/// `[T, B, N]` of a spike or current tensor.
pub fn dims3(shape: &Shape) -> [usize; 3] {
    assert_eq!(
        shape.num_dims(),
        3,
        "expected a [T, B, N] tensor, got {shape:?}"
    );
    [shape[0], shape[1], shape[2]]
}

/// `[B, N]` of a matrix.
pub fn dims2(shape: &Shape) -> [usize; 2] {
    assert_eq!(shape.num_dims(), 2, "expected a matrix, got {shape:?}");
    [shape[0], shape[1]]
}
