//! Sign-in sessions as rows: the cookie's session (tower-sessions in Redis) only names a row here.
//! A row ends on sign-out, on "sign out everywhere", when the passkey that opened it is removed,
//! when the password is reset, or by the idle (12 h) and absolute (7 days) limits.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::types::{SessionInfo};
use uuid::Uuid;

use super::CurrentUser;
use super::rbac::load_user;
use crate::error::{EngineError, Resource, Result};

pub const IDLE_TIMEOUT: Duration = Duration::hours(12);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::days(7);
pub const ENROLMENT_TIMEOUT: Duration = Duration::hours(1);
/// Sensitive actions (credentials, password, roles) need a sign-in at most this old.
pub const FRESH_SIGN_IN: Duration = Duration::minutes(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignInMethod {
    Password,
    Passkey,
    Setup,
    Enrolment,
}

impl SignInMethod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "password" => Some(SignInMethod::Password),
            "passkey" => Some(SignInMethod::Passkey),
            "setup" => Some(SignInMethod::Setup),
            "enrolment" => Some(SignInMethod::Enrolment),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Passkey => "passkey",
            SignInMethod::Setup => "setup",
            SignInMethod::Enrolment => "enrolment",
        }
    }
}

/// Where a request came from, for session lists and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn start(
    pool: &PgPool,
    user_id: Uuid,
    method: SignInMethod,
    passkey_id: Option<Uuid>,
    client: &ClientInfo,
) -> Result<Uuid> {
    let id = Uuid::new_v4();
    // A visit from an enrolment link is for setting up a credential, not a week's work.
    let lifetime = if method == SignInMethod::Enrolment { ENROLMENT_TIMEOUT } else { ABSOLUTE_TIMEOUT };
    let ua: Option<String> = client.user_agent.as_deref().map(|s| s.chars().take(300).collect());
    sqlx::query!(
        "INSERT INTO auth_sessions (id, user_id, method, passkey_id, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7)",
        id,
        user_id,
        method.as_str(),
        passkey_id,
        lifetime.num_seconds() as f64,
        client.ip,
        ua
    )
    .execute(pool)
    .await?;
    Ok(id)
}

/// The caller of the live session `id` names: its user (still active, with current permissions),
/// how and when they signed in. Touches `last_seen_at` at most once a minute.
pub async fn resolve(pool: &PgPool, id: Uuid) -> Result<Option<Identity>> {
    let row = sqlx::query!(
        r#"SELECT user_id, authenticated_at, method, last_seen_at < now() - interval '1 minute' AS "stale!"
           FROM auth_sessions
           WHERE id = $1 AND ended_at IS NULL AND expires_at > now()
             AND last_seen_at > now() - make_interval(secs => $2)"#,
        id,
        IDLE_TIMEOUT.num_seconds() as f64
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.stale {
        sqlx::query!("UPDATE auth_sessions SET last_seen_at = now() WHERE id = $1", id).execute(pool).await?;
    }
    let method = SignInMethod::parse(&row.method).unwrap_or(SignInMethod::Password);
    let via = Via::Session { id, authenticated_at: row.authenticated_at, method };
    Ok(load_user(pool, row.user_id).await?.map(|user| Identity { user, via }))
}

/// My open sessions, newest first.
pub async fn list(pool: &PgPool, user: &CurrentUser, current: Option<Uuid>) -> Result<Vec<SessionInfo>> {
    Ok(sqlx::query_as!(
        SessionInfo,
        r#"SELECT s.id, s.method, p.name AS "passkey_name?", s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent,
                  (s.id = $2) AS "current!"
           FROM auth_sessions s LEFT JOIN passkeys p ON p.id = s.passkey_id
           WHERE s.user_id = $1 AND s.ended_at IS NULL AND s.expires_at > now()
             AND s.last_seen_at > now() - make_interval(secs => $3)
           ORDER BY s.last_seen_at DESC"#,
        user.id,
        current.unwrap_or(Uuid::nil()),
        IDLE_TIMEOUT.num_seconds() as f64
    )
    .fetch_all(pool)
    .await?)
}

/// Ends one of my sessions (404 for anyone else's, so ids of others' sessions cannot be probed).
pub async fn end(pool: &PgPool, user: &CurrentUser, id: Uuid, reason: &str) -> Result<()> {
    let done = sqlx::query!(
        "UPDATE auth_sessions SET ended_at = now(), ended_reason = $3 WHERE id = $1 AND user_id = $2 AND ended_at IS NULL",
        id,
        user.id,
        reason
    )
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(EngineError::NotFound(Resource::Session));
    }
    Ok(())
}

/// Ends the session a browser's own cookie names (sign-out, or a new sign-in on the same browser).
pub async fn end_by_cookie(pool: &PgPool, id: Uuid, reason: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE auth_sessions SET ended_at = now(), ended_reason = $2 WHERE id = $1 AND ended_at IS NULL",
        id,
        reason
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends every open session of a user, except `keep` (the one asking, for "sign out other sessions").
pub async fn end_all(pool: &PgPool, user_id: Uuid, keep: Option<Uuid>, reason: &str) -> Result<u64> {
    let done = sqlx::query!(
        "UPDATE auth_sessions SET ended_at = now(), ended_reason = $3
         WHERE user_id = $1 AND ended_at IS NULL AND id IS DISTINCT FROM $2",
        user_id,
        keep,
        reason
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    Session { id: Uuid, authenticated_at: DateTime<Utc>, method: SignInMethod },
    Token { id: Uuid, scope: super::TokenScope },
}

/// The caller of one request, resolved once by the server before any handler runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub user: CurrentUser,
    pub via: Via,
}

impl Identity {
    pub fn session_id(&self) -> Option<Uuid> {
        match self.via {
            Via::Session { id, .. } => Some(id),
            Via::Token { .. } => None,
        }
    }

    /// Opened from an admin's enrolment link: may set a password without the old one.
    pub fn enrolling(&self) -> bool {
        matches!(self.via, Via::Session { method: SignInMethod::Enrolment, .. })
    }

    /// Sensitive actions need a session that signed in within `FRESH_SIGN_IN`; a token never counts.
    pub fn require_fresh(&self) -> Result<()> {
        match self.via {
            Via::Session { authenticated_at, .. } if Utc::now() - authenticated_at <= FRESH_SIGN_IN => Ok(()),
            _ => Err(EngineError::ReauthenticationRequired),
        }
    }
}
