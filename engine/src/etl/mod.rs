//! Marketing data (seeds 001/002, DESIGN §1 step 8, §8): Ads and CRM sources read over HTTP into
//! the governed tables `ads_performance` and `crm_opportunities`, idempotently and incrementally,
//! and the funnel computed from them.
//! - `wire`, `mapping`, `check`, `presets`: what the API exchanges; a record mapped and normalised;
//!   a source's settings checked; ready-made sources (all pure, shared with the browser);
//! - `sources`, `runs`, `fetch`, `tables`: sources kept, runs claimed and executed page by page,
//!   pages read with retries, the tables made and checked;
//! - `funnel`, `retention`, `sink`: the metrics, the cleanup after `DATA_RETENTION_DAYS`, the
//!   signed export.

pub mod check;
pub mod error;
pub mod mapping;
pub mod presets;
pub mod wire;

#[cfg(feature = "server")]
pub mod fetch;
#[cfg(feature = "server")]
pub mod funnel;
#[cfg(feature = "server")]
pub mod retention;
#[cfg(feature = "server")]
pub mod runs;
#[cfg(feature = "server")]
pub mod sink;
#[cfg(feature = "server")]
pub mod sources;
#[cfg(feature = "server")]
pub mod tables;

pub use error::EtlError;
pub use wire::*;
