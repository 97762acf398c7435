//! Weights between Burn's layouts and the row-major `(out, in)` layout of PyTorch's `nn.Linear`
//! and NIR's `Affine`: Burn's `Linear` stores `W` as `[in, out]`, so `y = x·W`.

use burn::nn::Linear;
use burn::tensor::Tensor;

/// A tensor's values as `f32`, row-major.
pub fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// The row-major `rows × cols` matrix `values`, transposed (row-major `cols × rows`).
pub fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(values.len(), rows * cols, "values are not {rows} × {cols}");
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

/// A `Linear`'s weight in the `(out, in)` layout, with `[out, in]`.
pub fn weight_out_in(linear: &Linear) -> (Vec<f32>, [usize; 2]) {
    let [inputs, outputs] = linear.weight.dims();
    let weight = transpose(&floats(linear.weight.val()), inputs, outputs);
    (weight, [outputs, inputs])
}
