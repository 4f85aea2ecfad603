//! Review: frozen stratified samples of a run's unique lines (`samples`), the verdicts people give
//! them (`verdicts`), and honest metrics (`metrics`: accuracy with Wilson intervals, per-category
//! scores, confusion, a strata-weighted estimate), and iterations of a prompt scored on the same
//! items (`iterations`). The statistics themselves are pure (`stats`).

#[cfg(feature = "server")]
pub mod bundle;
#[cfg(feature = "server")]
pub mod corrections;
#[cfg(feature = "server")]
pub mod iterations;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod samples;
pub mod stats;
#[cfg(feature = "server")]
pub mod verdicts;
mod wire;

pub use wire::*;
