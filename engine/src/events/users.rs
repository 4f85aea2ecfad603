//! Aggregates read back from what is stored: `GET /events/users/{user_id}` and per event.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::wire::{EventAggregate, UserAggregate};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

/// Seed 003's aggregate of `user_id` over every event stored.
pub async fn user(pool: &sqlx::PgPool, actor: &CurrentUser, user_id: &str) -> Result<UserAggregate> {
    actor.require(Permission::EtlRead)?;
    let (total, value, last): (i64, Option<f64>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT count(*), sum(value), max(occurred_at) FROM events WHERE user_id = $1").bind(user_id.trim()).fetch_one(pool).await?;
    let Some(last) = last.filter(|_| total > 0) else {
        return Err(EngineError::NotFound(Resource::EventUser));
    };
    let events: Vec<String> = sqlx::query_scalar("SELECT event FROM events WHERE user_id = $1 ORDER BY occurred_at, id LIMIT 1000").bind(user_id.trim()).fetch_all(pool).await?;
    Ok(UserAggregate { total_events: total, total_value: value.unwrap_or(0.0), events, last_activity: last })
}

/// Every event name with its totals.
pub async fn by_event(pool: &sqlx::PgPool, actor: &CurrentUser) -> Result<BTreeMap<String, EventAggregate>> {
    actor.require(Permission::EtlRead)?;
    let rows: Vec<(String, i64, f64, DateTime<Utc>)> = sqlx::query_as("SELECT event, count(*), coalesce(sum(value), 0), max(occurred_at) FROM events GROUP BY event ORDER BY event LIMIT 1000").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(e, n, v, at)| (e, EventAggregate { total_events: n, total_value: v, last_activity: at })).collect())
}
