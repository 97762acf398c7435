//! mnist-idx's integration tests, one binary: the reader on real MNIST and crafted bad inputs
//! ([`reader`]), property tests on arbitrary headers and payloads ([`props`]), and the allocation
//! probe both use to check that no buffer is sized from a header's word ([`alloc_probe`]).

mod alloc_probe;
mod props;
mod reader;
