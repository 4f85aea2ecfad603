//! Sharing a dataset: its owner (or `dataset:admin`) names users who may then see it, with its runs
//! and samples, and act on them within their own permissions. Every reader of a dataset, run or
//! sample asks `can_read` here.

use sqlx::PgPool;
use uuid::Uuid;

use super::wire::DatasetShare;
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

/// Whether `user` may see the dataset `dataset_id` owned by `owner_id`.
pub async fn can_read(pool: &PgPool, user: &CurrentUser, dataset_id: Uuid, owner_id: Uuid) -> Result<bool> {
    if user.may_see(owner_id) {
        return Ok(true);
    }
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM dataset_shares WHERE dataset_id = $1 AND user_id = $2) AS "shared!""#,
        dataset_id,
        user.id
    )
    .fetch_one(pool)
    .await?)
}

/// Refuses anyone but the owner (or `dataset:admin`): deleting and sharing are theirs. 404 for
/// anyone who cannot see the dataset, 403 for someone it is only shared with.
pub async fn require_owner(pool: &PgPool, user: &CurrentUser, dataset_id: Uuid) -> Result<()> {
    user.require(Permission::DatasetRead)?;
    let owner = sqlx::query_scalar!("SELECT owner_id FROM datasets WHERE id = $1", dataset_id)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::Dataset))?;
    if user.may_see(owner) {
        Ok(())
    } else if can_read(pool, user, dataset_id, owner).await? {
        Err(EngineError::Forbidden("change a dataset someone shared with you"))
    } else {
        Err(EngineError::NotFound(Resource::Dataset))
    }
}

pub async fn list_shares(pool: &PgPool, user: &CurrentUser, dataset_id: Uuid) -> Result<Vec<DatasetShare>> {
    require_owner(pool, user, dataset_id).await?;
    Ok(sqlx::query_as!(
        DatasetShare,
        "SELECT u.id AS user_id, u.username, s.granted_at
         FROM dataset_shares s JOIN users u ON u.id = s.user_id WHERE s.dataset_id = $1 ORDER BY lower(u.username)",
        dataset_id
    )
    .fetch_all(pool)
    .await?)
}

/// Shares with the active user named `username` (again: nothing changes). A name that is no
/// active user's is accepted the same way and changes nothing: the answer must not tell a caller
/// which names exist.
pub async fn share(pool: &PgPool, user: &CurrentUser, dataset_id: Uuid, username: &str) -> Result<()> {
    require_owner(pool, user, dataset_id).await?;
    let name = username.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(EngineError::invalid("give the exact username to share with (1 to 100 characters)"));
    }
    if name.eq_ignore_ascii_case(&user.username) {
        return Err(EngineError::invalid("you already see your own dataset"));
    }
    sqlx::query!(
        "INSERT INTO dataset_shares (dataset_id, user_id, granted_by)
         SELECT $1, u.id, $3 FROM users u WHERE lower(u.username) = lower($2) AND u.is_active AND u.id <> $3
         ON CONFLICT DO NOTHING",
        dataset_id,
        name,
        user.id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn unshare(pool: &PgPool, user: &CurrentUser, dataset_id: Uuid, user_id: Uuid) -> Result<()> {
    require_owner(pool, user, dataset_id).await?;
    let done = sqlx::query!("DELETE FROM dataset_shares WHERE dataset_id = $1 AND user_id = $2", dataset_id, user_id)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(EngineError::NotFound(Resource::Share));
    }
    Ok(())
}
