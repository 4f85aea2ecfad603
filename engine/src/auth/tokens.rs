//! Personal API tokens for the REST API: a random secret shown once at creation, stored only as its
//! SHA-256, revocable, with an optional expiry and a scope. A token acts with its owner's current
//! permissions narrowed to its scope.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::types::{NewToken, TokenInfo, TokenScope};
use uuid::Uuid;

use super::CurrentUser;
use super::rbac::load_user;
use super::sessions::Identity;
use crate::error::{EngineError, Resource, Result};

/// Every token starts with this, so leaked ones are easy to find by secret scanners.
pub const TOKEN_PREFIX: &str = "dgs_";

/// A random secret with `prefix`, and the hash to store for it.
pub(crate) fn new_secret(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let hash = secret_hash(&secret);
    (secret, hash)
}

pub(crate) fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}



/// The longest a token may live: beyond ten years "never" is the honest choice.
pub const MAX_LIFETIME_DAYS: i64 = 3650;

/// The expiry `days` from now (none for "never", 0 or none), as the account page offers it.
pub fn expiry_in_days(days: Option<u32>) -> Option<DateTime<Utc>> {
    days.filter(|d| *d > 0).map(|d| Utc::now() + chrono::Duration::days(i64::from(d)))
}

/// Needs a session that signed in within the last minutes: a token cannot mint tokens, and an old
/// or stolen cookie cannot turn itself into a credential that outlives it.
pub async fn create(pool: &PgPool, me: &Identity, name: &str, expires_at: Option<DateTime<Utc>>, scope: TokenScope) -> Result<NewToken> {
    let user = &me.user;
    if user.must_change_password {
        return Err(EngineError::PasswordChangeRequired);
    }
    me.require_fresh()?;
    if scope == TokenScope::Admin && !crate::auth::Permission::ALL.iter().any(|p| !TokenScope::Write.allows(*p) && user.can(*p)) {
        return Err(EngineError::Forbidden("mint an admin token without administering anything"));
    }
    let name = super::credential_name(name, "a token")?;
    let name = name.as_str();
    if expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(EngineError::invalid("the expiry is in the past"));
    }
    if expires_at.is_some_and(|t| t > Utc::now() + chrono::Duration::days(MAX_LIFETIME_DAYS)) {
        return Err(EngineError::invalid(format!("a token expires within {MAX_LIFETIME_DAYS} days, or never")));
    }
    let (token, hash) = new_secret(TOKEN_PREFIX);
    let id = Uuid::new_v4();
    let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    sqlx::query!(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, expires_at, scope) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        user.id,
        name,
        hash,
        prefix,
        expires_at,
        scope.as_str()
    )
    .execute(pool)
    .await?;
    Ok(NewToken { id, token, name: name.to_string(), scope, expires_at })
}

pub async fn list(pool: &PgPool, user: &CurrentUser) -> Result<Vec<TokenInfo>> {
    let rows = sqlx::query!(
        "SELECT id, name, scope, prefix, created_at, expires_at, last_used_at, revoked_at
         FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        user.id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.id,
                name: r.name,
                scope: TokenScope::parse(&r.scope).ok_or_else(|| EngineError::internal("unknown token scope"))?,
                prefix: r.prefix,
                created_at: r.created_at,
                expires_at: r.expires_at,
                last_used_at: r.last_used_at,
                revoked_at: r.revoked_at,
            })
        })
        .collect()
}

/// Revokes one of my tokens; someone else's answers 404 like a token that does not exist.
pub async fn revoke(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<()> {
    let done = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2",
        id,
        user.id
    )
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(EngineError::NotFound(Resource::Token));
    }
    Ok(())
}

/// Revokes every live token of a user (an admin reset or a password change: whoever had the
/// account, or a copy of its old password, is shut out).
pub async fn revoke_all(pool: &PgPool, user_id: Uuid) -> Result<u64> {
    let done = sqlx::query!("UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// The user a bearer secret stands for, if it is a live token of an active user, with only the
/// permissions the token's scope keeps.
pub async fn resolve(pool: &PgPool, secret: &str) -> Result<Option<(CurrentUser, Uuid, TokenScope)>> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let row = sqlx::query!(
        "UPDATE api_tokens SET last_used_at = now()
         WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         RETURNING id, user_id, scope",
        secret_hash(secret)
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let scope = TokenScope::parse(&row.scope).ok_or_else(|| EngineError::internal("unknown token scope"))?;
    Ok(load_user(pool, row.user_id).await?.map(|mut u| {
        u.permissions.retain(|p| scope.allows(*p));
        (u, row.id, scope)
    }))
}
