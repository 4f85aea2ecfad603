//! Events:
//! - the transactional outbox (`domain_events`, seed §3.2.4 and §8.4) and its consumers: writers add
//!   an event in the transaction of their change; `outbox` hands each event to the consumers at least
//!   once, in creation order per aggregate;
//! - the event pipeline of seed 003 (`pipeline`): records sent to `POST /events` validated by a pool
//!   of workers, aggregated per user and per event, stored with a bounded number of connections, and
//!   measured every second (`wire` holds what the API answers).

pub mod wire;

#[cfg(feature = "server")]
pub mod aggregate;

#[cfg(feature = "server")]
pub mod ingest;
#[cfg(feature = "server")]
pub mod outbox;
#[cfg(feature = "server")]
pub mod pipeline;
#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
pub mod validate;
#[cfg(feature = "server")]
pub mod users;

pub use wire::*;
