//! Rows in Redis per the table's cache policy (seed §9). Keys carry the table's cache generation,
//! which every committed write raises (and the outbox raises again, at least once): a reader that
//! cached an old row did so under the old generation, which nobody reads after the write, so a read
//! after a write — through any server — never sees the old value. Redis being slow or down is a
//! cache miss, never a failed request.

use std::time::Duration;

use fred::interfaces::KeysInterface;
use fred::types::Expiration;
use uuid::Uuid;

use super::wire::{RowData, RowPage};

/// A Redis answer slower than this counts as a miss.
const REDIS_BUDGET: Duration = Duration::from_millis(50);
/// Entries expire anyway: a generation raise that never reached Redis cannot keep a row forever.
const TTL_SECS: i64 = 300;

fn generation_key(table: Uuid) -> String {
    format!("dgs:eav:gen:{table}")
}

fn row_key(table: Uuid, generation: i64, row: Uuid) -> String {
    format!("dgs:eav:row:{table}:{generation}:{row}")
}

pub(crate) async fn within<T>(f: impl std::future::Future<Output = Result<T, fred::error::Error>>) -> Option<T> {
    match tokio::time::timeout(REDIS_BUDGET, f).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "cache unavailable");
            None
        }
        Err(_) => None,
    }
}

pub(crate) async fn generation(redis: &fred::clients::Client, table: Uuid) -> Option<i64> {
    within(redis.get::<Option<i64>, _>(generation_key(table))).await.map(|g| g.unwrap_or(0))
}

/// The cached row and the generation it was looked up under (to store a miss under).
pub async fn get(redis: &fred::clients::Client, table: Uuid, row: Uuid) -> (Option<RowData>, Option<i64>) {
    let Some(g) = generation(redis, table).await else { return (None, None) };
    let hit = within(redis.get::<Option<String>, _>(row_key(table, g, row))).await.flatten();
    (hit.and_then(|json| serde_json::from_str(&json).ok()), Some(g))
}

pub async fn put(redis: &fred::clients::Client, table: Uuid, generation: i64, row: &RowData) {
    let Ok(json) = serde_json::to_string(row) else { return };
    let _ = within(redis.set::<(), _, _>(row_key(table, generation, row.id), json, Some(Expiration::EX(TTL_SECS)), None, false)).await;
}

/// After a committed write: nothing cached before it is read again. `false` when Redis did not
/// take it (the outbox will try again).
pub async fn invalidate(redis: &fred::clients::Client, table: Uuid) -> bool {
    within(redis.incr::<i64, _>(generation_key(table))).await.is_some()
}

fn page_key(table: Uuid, generation: i64, page: &str) -> String {
    format!("dgs:eav:page:{table}:{generation}:{page}")
}

/// A `FullTable` table's page (`page` names its size and cursor), and the generation looked up.
pub async fn get_page(redis: &fred::clients::Client, table: Uuid, page: &str) -> (Option<RowPage>, Option<i64>) {
    let Some(g) = generation(redis, table).await else { return (None, None) };
    let hit = within(redis.get::<Option<String>, _>(page_key(table, g, page))).await.flatten();
    (hit.and_then(|json| serde_json::from_str(&json).ok()), Some(g))
}

pub async fn put_page(redis: &fred::clients::Client, table: Uuid, generation: i64, page: &str, rows: &RowPage) {
    let Ok(json) = serde_json::to_string(rows) else { return };
    let _ = within(redis.set::<(), _, _>(page_key(table, generation, page), json, Some(Expiration::EX(TTL_SECS)), None, false)).await;
}
