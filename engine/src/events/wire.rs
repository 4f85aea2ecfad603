//! What the event API exchanges (seed 003): the answer to a batch, a user's aggregate, and the
//! pipeline's live figures.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Seed 003's aggregate of one user: events in timestamp order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAggregate {
    pub total_events: i64,
    pub total_value: f64,
    /// The first 1000 in timestamp order (`total_events` counts them all).
    pub events: Vec<String>,
    pub last_activity: DateTime<Utc>,
}

/// The aggregate of one event name.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventAggregate {
    pub total_events: i64,
    pub total_value: f64,
    pub last_activity: DateTime<Utc>,
}

/// A record refused, with why; `position` counts from 1 in the body sent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRejection {
    pub position: u64,
    pub reason: String,
}

/// The answer to `POST /events`: `accepted = stored + duplicates + rejected`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    pub batch_id: Uuid,
    pub accepted: u64,
    pub stored: u64,
    /// Ids already stored (sent again): kept once.
    pub duplicates: u64,
    pub rejected: u64,
    /// The first 100 refusals.
    pub rejections: Vec<EventRejection>,
    /// This batch's aggregate per user (seed 003's "expected results"); at most 1000 users.
    pub users: BTreeMap<String, UserAggregate>,
    pub users_total: usize,
    pub events: BTreeMap<String, EventAggregate>,
    pub duration_ms: u64,
}

/// The pipeline's figures, sampled every second.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineStats {
    pub accepted: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Over the last second.
    pub records_per_sec: f64,
    /// From acceptance to storage, over the last second (or the last value seen).
    pub avg_latency_ms: f64,
    /// Accepted and not yet stored or rejected.
    pub in_flight: u64,
    pub validators_busy: u64,
    pub storers_busy: u64,
    pub max_validators_seen: u64,
    pub max_storers_seen: u64,
    pub validators: u64,
    pub storers: u64,
    pub accepting: bool,
}
