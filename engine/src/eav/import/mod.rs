//! Imports into governed tables (seed 004 §19, DESIGN §8):
//! - `wire`: what the migration API exchanges; `transform`: a record mapped to a row (pure);
//! - `config`: saved configurations, checked against their table; `source`: where records come from;
//! - `apply`: a batch upserted through the row commands; `jobs`, `execute`: jobs started, claimed,
//!   run batch by batch from their checkpoint; `dry_run`, `record`: the same work, rolled back or for
//!   one record; `rollback`: a finished job undone; `errors`: rejected records, listed and as CSV.

pub mod transform;
pub mod wire;

#[cfg(feature = "server")]
pub mod apply;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod dry_run;
#[cfg(feature = "server")]
pub mod errors;
#[cfg(feature = "server")]
pub mod execute;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod record;
#[cfg(feature = "server")]
pub mod rollback;
#[cfg(feature = "server")]
pub mod source;

pub use wire::*;
