//! Processing the outbox: events are claimed with `FOR UPDATE SKIP LOCKED` (several processes can
//! run this side by side), an event waits while an earlier one of its aggregate is pending, and an
//! event is marked processed only once every consumer took it. Consumers are idempotent: raising
//! a table's cache generation twice is harmless.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::error::Result;

/// Events claimed per round.
const BATCH: i64 = 200;
/// Processed events are kept this long (for inspection), then removed.
const KEEP_DAYS: i32 = 7;

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    event_type: String,
    aggregate_id: Uuid,
}

/// One round: for each aggregate with pending events that no other process holds (an advisory lock
/// per aggregate, so one process handles an aggregate's events, in order), claims them with
/// `FOR UPDATE SKIP LOCKED`, hands them to the consumers, marks them. Returns how many were
/// processed.
pub async fn process(pool: &PgPool, redis: Option<&fred::clients::Client>) -> Result<usize> {
    let mut tx = pool.begin().await?;
    let aggregates: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT aggregate_id FROM domain_events WHERE processed_at IS NULL LIMIT 50").fetch_all(&mut *tx).await?;
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for aggregate in aggregates {
        let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1::text, 7))").bind(aggregate).fetch_one(&mut *tx).await?;
        if !mine {
            continue;
        }
        let events: Vec<Pending> = sqlx::query_as(
            "SELECT id, event_type, aggregate_id FROM domain_events WHERE aggregate_id = $1 AND processed_at IS NULL
             ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(aggregate)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        for e in &events {
            let ok = match e.event_type.as_str() {
                // Rows of a governed table changed (or the table went): nothing cached before is read.
                "rows_changed" | "table_deleted" => match redis {
                    Some(r) => crate::eav::cache::invalidate(r, e.aggregate_id).await,
                    None => true,
                },
                _ => true,
            };
            if ok {
                done.push(e.id);
            } else {
                // Later events of this aggregate wait for this one.
                failed.push(e.id);
                break;
            }
        }
    }
    sqlx::query("UPDATE domain_events SET processed_at = clock_timestamp(), processing_attempts = processing_attempts + 1 WHERE id = ANY($1)")
        .bind(&done)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE domain_events SET processing_attempts = processing_attempts + 1, last_error = 'cache unavailable' WHERE id = ANY($1)")
        .bind(&failed)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.len())
}

/// Processes the outbox until `shutdown`: at once while there is work, every half second when idle.
pub async fn run(pool: PgPool, redis: Option<fred::clients::Client>, shutdown: CancellationToken) {
    let mut rounds: u64 = 0;
    loop {
        let busy = match process(&pool, redis.as_ref()).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "outbox round failed");
                false
            }
        };
        rounds += 1;
        if rounds % 7200 == 1 {
            let _ = sqlx::query("DELETE FROM domain_events WHERE processed_at < now() - make_interval(days => $1)").bind(KEEP_DAYS).execute(&pool).await;
        }
        if !busy {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        } else if shutdown.is_cancelled() {
            return;
        }
    }
}
