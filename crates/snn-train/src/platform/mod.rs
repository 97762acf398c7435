//! The machine under the runs: the backend and its devices ([`backend`]), the memory a run
//! needs and has ([`memory`]), the GPU kernels a piece of work launches ([`launches`]).

pub mod backend;
pub mod launches;
pub mod memory;
