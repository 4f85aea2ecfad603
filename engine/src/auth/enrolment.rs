//! Enrolment and reset links: an admin creates a single-use link that lives `LINK_LIFETIME`; its
//! holder opens it, is signed in for that visit only, and adds a passkey or sets a password without
//! knowing the old one. Only the link's hash is stored.

use chrono::{Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::rbac::load_user;
use super::sessions::Identity;
use super::tokens::{new_secret, secret_hash};
use super::types::EnrolmentLink;
use super::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

pub const LINK_LIFETIME: Duration = Duration::hours(1);
const LINK_PREFIX: &str = "enr_";

/// A new link for `user_id`; earlier unused links of that user stop working.
pub async fn create_link(pool: &PgPool, me: &Identity, user_id: Uuid) -> Result<EnrolmentLink> {
    me.user.require(Permission::UserAdmin)?;
    me.require_fresh()?;
    let (secret, hash) = new_secret(LINK_PREFIX);
    let expires_at = Utc::now() + LINK_LIFETIME;
    let mut tx = pool.begin().await?;
    let exists = sqlx::query_scalar!("SELECT id FROM users WHERE id = $1 AND is_active", user_id).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(EngineError::NotFound(Resource::User));
    }
    sqlx::query!("UPDATE enrolment_links SET used_at = now() WHERE user_id = $1 AND used_at IS NULL", user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO enrolment_links (id, user_id, token_hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5)",
        Uuid::new_v4(),
        user_id,
        hash,
        me.user.id,
        expires_at
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(EnrolmentLink { path: format!("/enrol/{secret}"), expires_at })
}

/// Uses a link, once: the user it was made for, if it is live. A used, expired or unknown link is
/// `NotFound` alike.
pub async fn redeem(pool: &PgPool, secret: &str) -> Result<CurrentUser> {
    let user_id = sqlx::query_scalar!(
        "UPDATE enrolment_links SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
        secret_hash(secret.trim())
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound(Resource::EnrolmentLink))?;
    load_user(pool, user_id).await?.ok_or(EngineError::NotFound(Resource::User))
}
