//! Password sign-in lockout against a real PostgreSQL: five failures lock a name, known or not, with
//! the same answers either way; a locked name is refused even with the right password; the lock
//! doubles each time; a success clears it; and timing does not tell known names from unknown ones.

use std::time::{Duration, Instant};

use engine::EngineError;
use engine::auth::{Password, Role, Username, create_user, login, throttle};
use sqlx::PgPool;

const RIGHT: &str = "a long enough secret";

async fn expire_lock(pool: &PgPool, name: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE username = $1")
        .bind(name)
        .execute(pool)
        .await?;
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn five_failures_lock_a_name_known_or_not(pool: PgPool) -> anyhow::Result<()> {
    let name = Username::parse("ana")?;
    create_user(&pool, &name, &Password::parse(RIGHT, &name)?, Role::Analyst).await?;

    for who in ["ana", "ghost"] {
        for attempt in 1..=throttle::FAILURES_BEFORE_LOCK {
            let r = login(&pool, who, "wrong password here").await;
            assert!(matches!(r, Err(EngineError::BadCredentials)), "{who} attempt {attempt}: {r:?}");
        }
        // Locked: the same answer for an account and for a name that is none.
        let r = login(&pool, who, RIGHT).await;
        match r {
            Err(EngineError::TooManyAttempts { retry_after_secs }) => assert!((55..=60).contains(&retry_after_secs), "{retry_after_secs}"),
            other => panic!("{who} should be locked: {other:?}"),
        }
    }
    // The lock is per name, case and spaces aside.
    assert!(throttle::locked_for(&pool, "  ANA ").await?.is_some());

    // Once the lock has passed, the right password works and clears the count.
    expire_lock(&pool, "ana").await?;
    let user = login(&pool, "ana", RIGHT).await?;
    assert_eq!(user.username, "ana");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM login_throttle WHERE username = 'ana'").fetch_one(&pool).await?;
    assert_eq!(left, 0);

    // Without a success in between, each lock is twice as long as the last.
    expire_lock(&pool, "ghost").await?;
    for _ in 0..throttle::FAILURES_BEFORE_LOCK {
        let _ = login(&pool, "ghost", "wrong again").await;
    }
    let second = throttle::locked_for(&pool, "ghost").await?.map(|d| d.as_secs()).unwrap_or_default();
    assert!((115..=120).contains(&second), "second lock {second} s");
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn timing_does_not_tell_whether_a_name_exists(pool: PgPool) -> anyhow::Result<()> {
    let name = Username::parse("bea")?;
    create_user(&pool, &name, &Password::parse(RIGHT, &name)?, Role::Viewer).await?;
    // The fastest of several tries: scheduling noise only ever adds time.
    let mut known = Duration::MAX;
    let mut unknown = Duration::MAX;
    for i in 0..4 {
        // Different names each time, so no lock interferes.
        let started = Instant::now();
        let r = login(&pool, "bea", &format!("wrong {i}")).await;
        known = known.min(started.elapsed());
        assert!(matches!(r, Err(EngineError::BadCredentials)));
        let started = Instant::now();
        let r = login(&pool, &format!("nobody{i}"), "wrong").await;
        unknown = unknown.min(started.elapsed());
        assert!(matches!(r, Err(EngineError::BadCredentials)));
    }
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    assert!((0.5..2.0).contains(&ratio), "unknown {unknown:?} vs known {known:?}");
    Ok(())
}
