//! Reports (seed 004 §18, DESIGN §1 step 7): a spec over a governed table or a classification
//! run's results, compiled to one parameterised SQL query and run read-only with a time limit.
//! - `wire`: what the API exchanges; `error`: why a report or a link refused;
//! - `formula`, `compile`: derived metrics and the spec's SQL — pure, so the builder in the
//!   browser judges them with the server's code;
//! - `sql`: reports an admin writes as SQL over `views`, run as a role that reads nothing else;
//! - `source`: a source's FROM item and fields; `store`: saved reports, versions and grants;
//! - `chart`: the answer drawn as SVG (charts-rs);
//! - `execute`: a run of a report, paged, cached by the sources' generations, audited;
//! - `export`: the whole answer as CSV (streamed) or XLSX (more sheets past Excel's limit);
//! - `links`: shared links — hashed tokens, expiry, password, revoke, rotate, locked values.

pub mod compile;
pub mod error;
pub mod formula;
pub mod sql;
pub mod wire;

#[cfg(feature = "server")]
pub mod chart;
#[cfg(feature = "server")]
pub mod execute;
#[cfg(feature = "server")]
pub mod export;
#[cfg(feature = "server")]
pub mod links;
#[cfg(feature = "server")]
pub mod source;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod views;

pub use error::ReportError;
pub use wire::*;
