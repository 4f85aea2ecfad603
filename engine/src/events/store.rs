//! The storage stage: a storer takes what is queued (up to a chunk), writes the valid records in
//! one statement (an id already stored is kept once) and the refused ones with their reason, then
//! settles them with their batches. A write that fails is retried with backoff until it succeeds or
//! the pipeline gives up at shutdown; nothing taken from the queue is dropped unaccounted.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::pipeline::{Counters as PipelineCounters, ToStore as StoreItem, settle, storer_busy, storer_idle};

pub(super) async fn storer(pool: sqlx::PgPool, rx: flume::Receiver<StoreItem>, counters: Arc<PipelineCounters>, give_up: CancellationToken, chunk: usize) {
    loop {
        let first = tokio::select! {
            biased;
            _ = give_up.cancelled() => return,
            got = rx.recv_async() => match got { Ok(i) => i, Err(_) => return },
        };
        storer_busy(&counters);
        let mut items = vec![first];
        while items.len() < chunk {
            match rx.try_recv() {
                Ok(i) => items.push(i),
                Err(_) => break,
            }
        }
        let mut attempt = 0;
        let stored = loop {
            match write(&pool, &items).await {
                Ok(ids) => break Some(ids),
                // The database refused something in the data: one record at a time, so only the
                // records it refuses are rejected (with its reason) and the rest are stored.
                Err(sqlx::Error::Database(e)) => {
                    tracing::warn!(error = %e, "the database refused a chunk of events; storing them one by one");
                    let (done, ids, refused, again) = one_by_one(&pool, items).await;
                    settle(&counters, done, &ids);
                    settle(&counters, refused, &HashSet::new());
                    items = again;
                    attempt = 0;
                    if items.is_empty() {
                        break Some(HashSet::new());
                    }
                }
                Err(e) => {
                    attempt += 1;
                    tracing::warn!(error = %e, attempt, "could not store events; retrying");
                    tokio::select! {
                        _ = give_up.cancelled() => break None,
                        _ = tokio::time::sleep(crate::retry::backoff(Duration::from_millis(100), attempt.min(8), None)) => {}
                    }
                }
            }
        };
        match stored {
            Some(ids) => settle(&counters, items, &ids),
            None => {
                let rejected = items.into_iter().map(|it| it.refused("the server shut down before this record was stored")).collect();
                settle(&counters, rejected, &HashSet::new());
            }
        }
        storer_idle(&counters);
    }
}

/// Each record alone: those written (with the ids stored), those the database refuses (rejected
/// with its reason), and those that met a passing failure (to try again).
async fn one_by_one(pool: &sqlx::PgPool, items: Vec<StoreItem>) -> (Vec<StoreItem>, HashSet<i64>, Vec<StoreItem>, Vec<StoreItem>) {
    let (mut done, mut ids, mut refused, mut again) = (Vec::new(), HashSet::new(), Vec::new(), Vec::new());
    for it in items {
        match write(pool, std::slice::from_ref(&it)).await {
            Ok(stored) => {
                ids.extend(stored);
                done.push(it);
            }
            Err(sqlx::Error::Database(e)) => refused.push(it.refused(&format!("the database refused it: {}", e.message()))),
            Err(_) => again.push(it),
        }
    }
    (done, ids, refused, again)
}

/// Writes one chunk; the ids newly stored.
pub(super) async fn write(pool: &sqlx::PgPool, items: &[StoreItem]) -> Result<HashSet<i64>, sqlx::Error> {
    let (mut ids, mut ats, mut users, mut events, mut values, mut metas) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut batches, mut positions, mut reasons, mut raws) = (vec![], vec![], vec![], vec![]);
    for it in items {
        match it {
            StoreItem::Valid { record, .. } => {
                ids.push(record.id);
                ats.push(record.at);
                users.push(record.user_id.as_str());
                events.push(record.event.as_str());
                values.push(record.value);
                metas.push(record.metadata.as_str());
            }
            StoreItem::Rejected { batch, position, reason, raw } => {
                batches.push(batch.id);
                positions.push(*position as i64);
                reasons.push(reason.as_str());
                raws.push(String::from_utf8_lossy(&raw[..raw.len().min(10_000)]).replace('\0', ""));
            }
        }
    }
    let mut tx = pool.begin().await?;
    let stored: Vec<i64> = if ids.is_empty() {
        vec![]
    } else {
        sqlx::query_scalar(
            "INSERT INTO events (id, occurred_at, user_id, event, value, metadata)
             SELECT i, t, u, e, v, m::jsonb FROM UNNEST($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS x(i, t, u, e, v, m)
             ON CONFLICT (id) DO NOTHING RETURNING id",
        )
        .bind(&ids)
        .bind(&ats)
        .bind(&users)
        .bind(&events)
        .bind(&values)
        .bind(&metas)
        .fetch_all(&mut *tx)
        .await?
    };
    if !batches.is_empty() {
        sqlx::query("INSERT INTO event_rejections (batch_id, position, reason, record) SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::text[], $4::text[])")
            .bind(&batches)
            .bind(&positions)
            .bind(&reasons)
            .bind(&raws)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(stored.into_iter().collect())
}
