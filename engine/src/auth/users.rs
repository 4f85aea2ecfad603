use sqlx::PgPool;
use uuid::Uuid;

use super::password::{hash_password, verify_password};
use super::{CurrentUser, Role};
use crate::error::{EngineError, Result};

/// A username as stored: 3–64 letters, digits, `.`, `_`, `-` or `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let ok_chars = s.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !(3..=64).contains(&s.chars().count()) || !ok_chars {
            return Err(EngineError::invalid(
                "a username has 3 to 64 letters, digits, dots, dashes, underscores or @",
            ));
        }
        Ok(Username(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy; never logged or serialised.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, username: &Username) -> Result<Self> {
        if raw.chars().count() < 10 {
            return Err(EngineError::invalid("a password has at least 10 characters"));
        }
        if raw.chars().count() > 256 {
            return Err(EngineError::invalid("a password has at most 256 characters"));
        }
        if raw.eq_ignore_ascii_case(username.as_str()) {
            return Err(EngineError::invalid("the password cannot be the username"));
        }
        Ok(Password(raw.to_string()))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

pub async fn count_users(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM users"#).fetch_one(pool).await?)
}

pub async fn create_user(pool: &PgPool, username: &Username, password: &Password, role: Role) -> Result<CurrentUser> {
    let hash = hash_password(&password.0)?;
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        id,
        username.as_str(),
        hash,
        role.as_str()
    )
    .execute(pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(EngineError::Conflict(format!("the username '{}' is taken", username.as_str())));
    }
    Ok(CurrentUser { id, username: username.as_str().to_string(), role })
}

/// The first-run path: creates an admin only while no user exists. The table lock makes two
/// simultaneous first-run submissions produce one admin, not two.
pub async fn create_first_admin(pool: &PgPool, username: &Username, password: &Password) -> Result<CurrentUser> {
    let hash = hash_password(&password.0)?;
    let mut tx = pool.begin().await?;
    sqlx::query!("LOCK TABLE users IN EXCLUSIVE MODE").execute(&mut *tx).await?;
    let existing = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM users"#).fetch_one(&mut *tx).await?;
    if existing > 0 {
        return Err(EngineError::Conflict("the first administrator already exists; sign in instead".into()));
    }
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, 'admin')",
        id,
        username.as_str(),
        hash
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CurrentUser { id, username: username.as_str().to_string(), role: Role::Admin })
}

/// An active user by id, as a session resolves to on every request.
pub async fn find_user(pool: &PgPool, id: Uuid) -> Result<Option<CurrentUser>> {
    let row = sqlx::query!("SELECT id, username, role FROM users WHERE id = $1 AND is_active", id)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok(CurrentUser { id: r.id, username: r.username, role: Role::parse(&r.role)? })).transpose()
}

/// Checks a username and password. An unknown user costs the same hash as a known one, and both
/// failures give the same error, so neither the answer nor its timing tells whether a user exists.
/// Five failures in a row lock the name (known or not) for a growing time (`throttle`).
pub async fn login(pool: &PgPool, username: &str, password: &str) -> Result<CurrentUser> {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no such user, same cost").unwrap_or_default());
    let locked = super::throttle::locked_for(pool, username).await?;
    let row = sqlx::query!(
        "SELECT id, username, password_hash, role FROM users WHERE lower(username) = lower($1) AND is_active",
        username.trim()
    )
    .fetch_optional(pool)
    .await?;
    // A locked name is refused whatever the password; the hash still runs, so a locked name costs
    // the same time as any other.
    let (hash, user) = match &row {
        Some(r) if locked.is_none() => (r.password_hash.as_str(), Some(r)),
        _ => (DUMMY.as_str(), None),
    };
    let password = password.to_string();
    let hash = hash.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(EngineError::internal)?;
    if let Some(wait) = locked {
        return Err(EngineError::TooManyAttempts { retry_after_secs: wait.as_secs().max(1) });
    }
    match (ok, user) {
        (true, Some(r)) => {
            super::throttle::record_success(pool, username).await?;
            Ok(CurrentUser { id: r.id, username: r.username.clone(), role: Role::parse(&r.role)? })
        }
        _ => {
            super::throttle::record_failure(pool, username).await?;
            Err(EngineError::BadCredentials)
        }
    }
}
