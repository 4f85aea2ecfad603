//! The append-only audit log: who did what, when, from where, with what outcome. The server writes
//! one entry for every state-changing request and every sign-in attempt; the table refuses updates
//! and deletes (trigger), so entries can only be added.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::types::{AuditQuery, AuditEntry};
use uuid::Uuid;

use super::sessions::ClientInfo;
use super::{CurrentUser, Permission};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    /// How an HTTP answer reads in the log: refusals (401/403/429) are denials.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            0..=399 => Outcome::Ok,
            401 | 403 | 429 => Outcome::Denied,
            _ => Outcome::Failed,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub outcome: Outcome,
    pub status: Option<u16>,
    pub client: &'a ClientInfo,
    pub details: serde_json::Value,
}

pub async fn record(pool: &PgPool, e: Entry<'_>) -> Result<()> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor_name, action, target, outcome, status, ip, user_agent, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        e.actor_id,
        e.actor_name,
        e.action,
        e.target,
        e.outcome.as_str(),
        e.status.map(i32::from),
        e.client.ip,
        e.client.user_agent.as_deref().map(|s| s.chars().take(300).collect::<String>()),
        e.details
    )
    .execute(pool)
    .await?;
    Ok(())
}



/// Newest first; filters combine.
pub async fn list(pool: &PgPool, user: &CurrentUser, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    user.require(Permission::AuditRead)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    Ok(sqlx::query_as!(
        AuditEntry,
        r#"SELECT id, at, actor_id, actor_name, action, target, outcome, status, ip, user_agent, details
           FROM audit_log
           WHERE ($1::text IS NULL OR actor_name ILIKE '%' || $1 || '%')
             AND ($2::text IS NULL OR action ILIKE '%' || $2 || '%')
             AND ($3::text IS NULL OR outcome = $3)
             AND ($4::timestamptz IS NULL OR at >= $4)
             AND ($5::timestamptz IS NULL OR at < $5)
             AND ($6::bigint IS NULL OR id < $6)
           ORDER BY id DESC LIMIT $7"#,
        q.actor.as_deref().filter(|s| !s.is_empty()),
        q.action.as_deref().filter(|s| !s.is_empty()),
        q.outcome.as_deref().filter(|s| !s.is_empty()),
        q.since,
        q.until,
        q.before,
        limit
    )
    .fetch_all(pool)
    .await?)
}
