//! Password sign-in lockout: failures are counted per username as typed, existing or not, so the
//! answer never tells whether an account exists; a locked name is refused without checking the
//! password, for a time that doubles with each lockout (at most an hour).

use std::time::Duration;

use sqlx::PgPool;

use crate::error::Result;

/// Failures in a row that lock a name.
pub const FAILURES_BEFORE_LOCK: i32 = 5;
/// The first lock; each further one doubles it, up to `MAX_LOCK`.
pub const FIRST_LOCK: Duration = Duration::from_secs(60);
pub const MAX_LOCK: Duration = Duration::from_secs(3600);

fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// How long the name stays locked, if it is.
pub async fn locked_for(pool: &PgPool, username: &str) -> Result<Option<Duration>> {
    let secs: Option<f64> = sqlx::query_scalar!(
        r#"SELECT extract(epoch FROM locked_until - now())::float8 AS "secs!" FROM login_throttle
           WHERE username = $1 AND locked_until > now()"#,
        key(username)
    )
    .fetch_optional(pool)
    .await?;
    Ok(secs.map(|s| Duration::from_secs_f64(s.max(1.0))))
}

/// Counts a failure; the one that reaches the limit locks the name and starts the count again.
pub async fn record_failure(pool: &PgPool, username: &str) -> Result<()> {
    sqlx::query!(
        "INSERT INTO login_throttle AS t (username, failures) VALUES ($1, 1)
         ON CONFLICT (username) DO UPDATE SET
             failures = CASE WHEN t.failures + 1 >= $2 THEN 0 ELSE t.failures + 1 END,
             lockouts = t.lockouts + CASE WHEN t.failures + 1 >= $2 THEN 1 ELSE 0 END,
             locked_until = CASE WHEN t.failures + 1 >= $2
                 THEN now() + make_interval(secs => least($3 * power(2, t.lockouts), $4))
                 ELSE t.locked_until END,
             updated_at = now()",
        key(username),
        FAILURES_BEFORE_LOCK,
        FIRST_LOCK.as_secs_f64(),
        MAX_LOCK.as_secs_f64()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A successful sign-in forgets the name's failures and lockouts.
pub async fn record_success(pool: &PgPool, username: &str) -> Result<()> {
    sqlx::query!("DELETE FROM login_throttle WHERE username = $1", key(username)).execute(pool).await?;
    Ok(())
}
