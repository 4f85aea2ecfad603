//! Runs of a source (DESIGN §8): asked for by a person, the API or the schedule; claimed by a
//! worker with a lease; read page by page, each page mapped and upserted by natural key in its own
//! transaction together with the run's counts and its checkpoint (the next page), so a worker that
//! dies is followed by another that goes on from the last committed page. The source's cursor moves
//! only when the whole window is committed: a run that fails or dies leaves it where it was.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::error::EtlError;
use super::fetch::{FetchPolicy, Fetcher};
use super::mapping::{map_record, natural_key};
use super::sources::{self, SourceRow};
use super::tables::{self, column_of};
use super::wire::{Rejection, RunInfo, RunStatus, SourceKind};
use crate::auth::{CurrentUser, Permission};
use crate::eav::Store;
use crate::eav::physical::trusted;
use crate::eav::def::table_locked;
use crate::eav::import::apply::{Outcome, Plan, apply_records};
use crate::eav::import::config::steps_for;
use crate::eav::import::wire::{FieldMapping, RecordAction, StorageType, TransformationType, ValidationLevel};
use crate::eav::rows::{self, Changes};
use crate::error::{EngineError, Resource, Result};

/// What runs need besides the database: the HTTP client and how it retries.
#[derive(Clone)]
pub struct EtlContext {
    pub store: Store,
    pub http: reqwest::Client,
    pub policy: FetchPolicy,
}

impl EtlContext {
    pub fn new(store: Store, policy: FetchPolicy) -> Result<EtlContext> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("dgs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EngineError::internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(EtlContext { store, http, policy })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    id: Uuid,
    source_id: Uuid,
    source_name: String,
    kind: String,
    trigger: String,
    requested_by: Option<Uuid>,
    since: Option<DateTime<Utc>>,
    window_from: Option<DateTime<Utc>>,
    status: String,
    read_records: i64,
    inserted_records: i64,
    updated_records: i64,
    unchanged_records: i64,
    rejected_records: i64,
    pages: i32,
    retries: i32,
    attempts: i32,
    cursor_before: Option<DateTime<Utc>>,
    cursor_after: Option<DateTime<Utc>>,
    resume_url: Option<String>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl RunRow {
    pub(crate) fn info(self) -> RunInfo {
        let duration_ms = self.started_at.map(|s| (self.finished_at.unwrap_or_else(Utc::now) - s).num_milliseconds());
        RunInfo {
            id: self.id,
            source_id: self.source_id,
            source_name: self.source_name,
            kind: SourceKind::parse(&self.kind).unwrap_or(SourceKind::Ads),
            trigger: self.trigger,
            status: RunStatus::parse(&self.status),
            since: self.since,
            window_from: self.window_from,
            read: self.read_records,
            inserted: self.inserted_records,
            updated: self.updated_records,
            unchanged: self.unchanged_records,
            rejected: self.rejected_records,
            pages: self.pages,
            retries: self.retries,
            attempts: self.attempts,
            cursor_before: self.cursor_before,
            cursor_after: self.cursor_after,
            error: self.error,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            duration_ms,
        }
    }
}

const SELECT: &str = "SELECT r.id, r.source_id, s.name AS source_name, s.kind, r.trigger, r.requested_by, r.since, r.window_from, r.status,
        r.read_records, r.inserted_records, r.updated_records, r.unchanged_records, r.rejected_records, r.pages, r.retries, r.attempts,
        r.cursor_before, r.cursor_after, r.resume_url, r.error, r.created_at, r.started_at, r.finished_at
    FROM etl_runs r JOIN etl_sources s ON s.id = r.source_id";

pub(crate) async fn last_run(conn: &mut PgConnection, source: Uuid) -> Result<Option<RunRow>> {
    Ok(sqlx::query_as::<_, RunRow>(trusted(&format!("{SELECT} WHERE r.source_id = $1 ORDER BY r.created_at DESC LIMIT 1"))).bind(source).fetch_optional(conn).await?)
}

async fn run_row(conn: &mut PgConnection, id: Uuid) -> Result<RunRow> {
    sqlx::query_as::<_, RunRow>(trusted(&format!("{SELECT} WHERE r.id = $1"))).bind(id).fetch_optional(conn).await?.ok_or(EngineError::NotFound(Resource::EtlRun))
}

pub async fn get_run(store: &Store, user: &CurrentUser, id: Uuid) -> Result<RunInfo> {
    user.require(Permission::EtlRead)?;
    Ok(run_row(&mut *store.pool.acquire().await?, id).await?.info())
}

/// `GET /etl/runs`: the newest first, of one source or all.
pub async fn list_runs(store: &Store, user: &CurrentUser, source: Option<Uuid>, limit: i64) -> Result<Vec<RunInfo>> {
    user.require(Permission::EtlRead)?;
    let rows = sqlx::query_as::<_, RunRow>(trusted(&format!("{SELECT} WHERE ($1::uuid IS NULL OR r.source_id = $1) ORDER BY r.created_at DESC LIMIT $2")))
        .bind(source)
        .bind(limit.clamp(1, 500))
        .fetch_all(&store.pool)
        .await?;
    Ok(rows.into_iter().map(RunRow::info).collect())
}

/// The records a run kept aside, in the order they were read.
pub async fn rejections(store: &Store, user: &CurrentUser, run: Uuid, offset: i64, limit: i64) -> Result<Vec<Rejection>> {
    user.require(Permission::EtlRead)?;
    run_row(&mut *store.pool.acquire().await?, run).await?;
    Ok(sqlx::query_as::<_, (i32, i32, String, Value)>("SELECT seq, page, reason, record FROM etl_rejections WHERE run_id = $1 ORDER BY seq OFFSET $2 LIMIT $3")
        .bind(run)
        .bind(offset.max(0))
        .bind(limit.clamp(1, 1000))
        .fetch_all(&store.pool)
        .await?
        .into_iter()
        .map(|(seq, page, reason, record)| Rejection { seq, page, reason, record })
        .collect())
}

/// Asks for a run of `source`: from `since` when given, else from its cursor less the lookback
/// (the whole source the first time). One run per source waits or runs at a time (409).
pub async fn start_run(store: &Store, user: Option<&CurrentUser>, source: Uuid, since: Option<DateTime<Utc>>, trigger: &str) -> Result<RunInfo> {
    if let Some(u) = user {
        u.require(Permission::EtlAdmin)?;
    }
    let mut tx = store.pool.begin().await?;
    let s = sources::row(&mut tx, source).await?;
    let id = Uuid::now_v7();
    let inserted = insert_run(&mut tx, id, &s, trigger, user.map(|u| u.id), since).await?;
    if !inserted {
        return Err(EtlError::RunActive.into());
    }
    let run = run_row(&mut tx, id).await?;
    tx.commit().await?;
    metrics::counter!("dgs_etl_runs_started_total", "trigger" => trigger.to_string()).increment(1);
    Ok(run.info())
}

/// A run of `s` waiting to be claimed, reading from `since` or else from the cursor less the
/// lookback; false when one of the source's runs already waits or runs.
async fn insert_run(conn: &mut PgConnection, id: Uuid, s: &SourceRow, trigger: &str, requested_by: Option<Uuid>, since: Option<DateTime<Utc>>) -> Result<bool> {
    let lookback = chrono::Duration::days(i64::from(s.input().lookback_days));
    let window_from = since.or_else(|| s.cursor_at.map(|c| c - lookback));
    let inserted = sqlx::query(
        "INSERT INTO etl_runs (id, source_id, trigger, requested_by, since, window_from, cursor_before)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source_id) WHERE status IN ('pending', 'running') DO NOTHING",
    )
    .bind(id)
    .bind(s.id)
    .bind(trigger)
    .bind(requested_by)
    .bind(since)
    .bind(window_from)
    .bind(s.cursor_at)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Claims the oldest run waiting, or one whose worker has been quiet for `lease`; returns it with
/// its attempt number, which fences every later write (a worker that lost its lease stops).
pub async fn claim(pool: &sqlx::PgPool, lease: Duration) -> Result<Option<(Uuid, i32)>> {
    Ok(sqlx::query_as(
        "UPDATE etl_runs SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now(), attempts = attempts + 1
         WHERE id = (SELECT id FROM etl_runs
                     WHERE status = 'pending' OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1)))
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id, attempts",
    )
    .bind(lease.as_secs_f64())
    .fetch_optional(pool)
    .await?)
}

async fn fail(pool: &sqlx::PgPool, id: Uuid, attempt: i32, message: &str, retries: i32) -> Result<RunStatus> {
    sqlx::query("UPDATE etl_runs SET status = 'failed', error = $3, retries = $4, finished_at = now() WHERE id = $1 AND attempts = $2")
        .bind(id)
        .bind(attempt)
        .bind(message)
        .bind(retries)
        .execute(pool)
        .await?;
    metrics::counter!("dgs_etl_runs_finished_total", "status" => "failed").increment(1);
    tracing::warn!(run_id = %id, error = message, "marketing run failed");
    Ok(RunStatus::Failed)
}

/// The mapping that puts a mapped record's fields in the governed table's columns.
fn plan_for(kind: SourceKind, def: std::sync::Arc<crate::eav::def::TableDef>) -> Result<Plan> {
    let mappings: Vec<FieldMapping> = std::iter::once(&"code")
        .chain(kind.fields())
        .map(|f| FieldMapping {
            source_field: (*f).to_string(),
            target_field: column_of(f).to_string(),
            transformation_type: TransformationType::None,
            transformation_parameters: Value::Object(Default::default()),
            storage_type: StorageType::Column,
            is_required: false,
        })
        .collect();
    let steps = steps_for(&def, &mappings)?;
    Ok(Plan { def, steps, level: ValidationLevel::Strict, key: tables::key(kind) })
}

/// Runs `id` (claimed as `attempt`) from its checkpoint to the end, or until `shutdown`.
pub async fn execute(ctx: &EtlContext, id: Uuid, attempt: i32, shutdown: &CancellationToken) -> Result<RunStatus> {
    let store = &ctx.store;
    let pool = &store.pool;
    let (run, source): (RunRow, SourceRow) = {
        let mut conn = pool.acquire().await?;
        let run = run_row(&mut conn, id).await?;
        let source = sources::row(&mut conn, run.source_id).await?;
        (run, source)
    };
    if RunStatus::parse(&run.status).is_finished() {
        return Ok(RunStatus::parse(&run.status));
    }
    let kind = source.kind();
    let actor_id = run.requested_by.unwrap_or(source.created_by);
    let Some(actor) = crate::auth::rbac::load_user(pool, actor_id).await? else {
        return fail(pool, id, attempt, "the user this run acts for no longer exists", run.retries).await;
    };
    let mut plan = match tables::existing(store, kind).await.and_then(|def| plan_for(kind, def)) {
        Ok(p) => p,
        Err(e) => return fail(pool, id, attempt, &e.to_string(), run.retries).await,
    };
    let input = source.input();
    let secret = source.auth_secret.as_deref().filter(|s| !s.is_empty());
    let mut fetcher = match Fetcher::new(&ctx.http, &ctx.policy, &input, secret, run.window_from) {
        Ok(f) => f,
        Err(e) => return fail(pool, id, attempt, &e, run.retries).await,
    };
    let resumed = run.pages > 0;
    match (&run.resume_url, resumed) {
        (Some(url), true) => {
            if let Err(e) = fetcher.resume_from(url, run.pages) {
                return fail(pool, id, attempt, &e, run.retries).await;
            }
        }
        (None, true) => return finish(pool, id, attempt, run.source_id).await,
        _ => {}
    }
    let base_retries = run.retries;
    let mut seq = run.read_records as i32;
    // The lease is renewed while the run lives, however long a page takes to come.
    let beat = {
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let _ = sqlx::query("UPDATE etl_runs SET heartbeat_at = now() WHERE id = $1 AND attempts = $2 AND status = 'running'").bind(id).bind(attempt).execute(&pool).await;
            }
        })
    };
    let outcome = async {
        loop {
            if shutdown.is_cancelled() {
                // Handed back at once: the next worker goes on from the last committed page.
                sqlx::query("UPDATE etl_runs SET heartbeat_at = NULL WHERE id = $1 AND attempts = $2").bind(id).bind(attempt).execute(pool).await?;
                return Ok(RunStatus::Running);
            }
            let page = match fetcher.next_page().await {
                Ok(Some(p)) => p,
                Ok(None) => return finish(pool, id, attempt, run.source_id).await,
                Err(e) => return fail(pool, id, attempt, &e, base_retries + fetcher.retries).await,
            };
            let mut good: Vec<(i32, Value)> = Vec::with_capacity(page.records.len());
            let mut aside: Vec<(i32, String, Value)> = Vec::new();
            let mut newest: Option<DateTime<Utc>> = None;
            let read = page.records.len() as i64;
            for record in page.records {
                seq += 1;
                match map_record(kind, &input.fields, &record) {
                    Ok(mut m) => {
                        newest = newest.max(Some(m.cursor));
                        // Every governed row has a code: the natural key, readable.
                        m.values.insert("code".into(), Value::String(natural_key(kind, &m.values)));
                        good.push((seq, Value::Object(m.values)));
                    }
                    Err(reason) => aside.push((seq, reason, record)),
                }
            }
            // Two records of one page with one key: the later one stands for it, the earlier one
            // is kept aside (applying both would flip the row on every run).
            let mut last_of: std::collections::HashMap<String, i32> = std::collections::HashMap::new();
            for (s, v) in &good {
                last_of.insert(v["code"].as_str().unwrap_or_default().to_string(), *s);
            }
            let (kept, superseded): (Vec<_>, Vec<_>) = good.into_iter().partition(|(s, v)| last_of.get(v["code"].as_str().unwrap_or_default()) == Some(s));
            good = kept;
            for (s, v) in superseded {
                let key = v["code"].as_str().unwrap_or_default().to_string();
                aside.push((s, format!("a later record of the same page has the same key ({key}); that one was kept"), v));
            }
            let mut tx = pool.begin().await?;
            let def = table_locked(&mut tx, &store.defs, kind.table()).await?;
            if def.version != plan.def.version {
                plan = match tables::existing(store, kind).await.and_then(|d| plan_for(kind, d)) {
                    Ok(p) => p,
                    Err(e) => {
                        drop(tx);
                        return fail(pool, id, attempt, &e.to_string(), base_retries + fetcher.retries).await;
                    }
                };
            }
            let mut changes = Changes::default();
            let results = apply_records(&mut tx, store, &actor, &plan, &good, &mut changes).await?;
            let count = |a: RecordAction| results.iter().filter(|r| matches!(&r.outcome, Outcome::Written { action, .. } if *action == a)).count() as i64;
            for (r, (_, values)) in results.iter().zip(&good) {
                if let Outcome::Rejected(errors) = &r.outcome {
                    let reason = errors.iter().map(|e| if e.field.is_empty() { e.message.clone() } else { format!("{}: {}", e.field, e.message) }).collect::<Vec<_>>().join("; ");
                    aside.push((r.seq, reason, values.clone()));
                }
            }
            for (s, reason, record) in &aside {
                sqlx::query("INSERT INTO etl_rejections (run_id, seq, page, reason, record) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(s)
                    .bind(page.number)
                    .bind(reason)
                    .bind(record)
                    .execute(&mut *tx)
                    .await?;
            }
            let moved = sqlx::query(
                "UPDATE etl_runs SET read_records = read_records + $3, inserted_records = inserted_records + $4, updated_records = updated_records + $5,
                     unchanged_records = unchanged_records + $6, rejected_records = rejected_records + $7, pages = $8, retries = $9,
                     resume_url = $10, newest_at = greatest(newest_at, $11), heartbeat_at = now()
                 WHERE id = $1 AND attempts = $2 AND status = 'running'",
            )
            .bind(id)
            .bind(attempt)
            .bind(read)
            .bind(count(RecordAction::Inserted))
            .bind(count(RecordAction::Updated))
            .bind(count(RecordAction::Unchanged))
            .bind(aside.len() as i64)
            .bind(fetcher.pages)
            .bind(base_retries + fetcher.retries)
            .bind(fetcher.next_url())
            .bind(newest)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 0 {
                // Another worker took the run over: this one's page is not kept.
                tx.rollback().await?;
                return Ok(RunStatus::Running);
            }
            rows::commit(store, tx, &plan.def, changes).await?;
            metrics::counter!("dgs_etl_records_total", "kind" => kind.as_str()).increment(read as u64);
        }
    }
    .await;
    beat.abort();
    outcome
}

/// The whole window is committed: the cursor moves to the newest record time seen (never back).
async fn finish(pool: &sqlx::PgPool, id: Uuid, attempt: i32, source: Uuid) -> Result<RunStatus> {
    let mut tx = pool.begin().await?;
    let cursor: Option<DateTime<Utc>> = sqlx::query_scalar(
        "UPDATE etl_sources s SET cursor_at = greatest(s.cursor_at, r.newest_at)
         FROM etl_runs r WHERE r.id = $1 AND r.attempts = $2 AND s.id = $3 RETURNING s.cursor_at",
    )
    .bind(id)
    .bind(attempt)
    .bind(source)
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    sqlx::query("UPDATE etl_runs SET status = 'succeeded', cursor_after = $3, resume_url = NULL, finished_at = now() WHERE id = $1 AND attempts = $2")
        .bind(id)
        .bind(attempt)
        .bind(cursor)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    metrics::counter!("dgs_etl_runs_finished_total", "status" => "succeeded").increment(1);
    Ok(RunStatus::Succeeded)
}

/// Claims and runs runs until `shutdown`.
pub async fn run_worker(ctx: EtlContext, shutdown: CancellationToken, lease: Duration) {
    loop {
        let claimed = tokio::select! {
            _ = shutdown.cancelled() => return,
            c = claim(&ctx.store.pool, lease) => c,
        };
        match claimed {
            Ok(Some((id, attempt))) => {
                if let Err(e) = execute(&ctx, id, attempt, &shutdown).await {
                    // Left running: its lease runs out and a worker goes on from its checkpoint.
                    tracing::warn!(run_id = %id, error = %e, "marketing run stopped; it will be taken up again");
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not claim a marketing run"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Starts the runs whose schedule is due (once, however many instances look at the same time).
pub async fn schedule_due(pool: &sqlx::PgPool) -> Result<usize> {
    let mut tx = pool.begin().await?;
    let due: Vec<(Uuid, Option<String>)> = sqlx::query_as("SELECT id, schedule FROM etl_sources WHERE enabled AND next_run_at <= now() FOR UPDATE SKIP LOCKED").fetch_all(&mut *tx).await?;
    let mut started = 0;
    for (source, schedule) in due {
        let next = schedule.as_deref().and_then(|s| sources::next_time(s, Utc::now()).ok().flatten());
        sqlx::query("UPDATE etl_sources SET next_run_at = $2 WHERE id = $1").bind(source).bind(next).execute(&mut *tx).await?;
        let s = sources::row(&mut tx, source).await?;
        started += usize::from(insert_run(&mut tx, Uuid::now_v7(), &s, "schedule", None, None).await?);
    }
    tx.commit().await?;
    Ok(started)
}

pub async fn run_scheduler(pool: sqlx::PgPool, shutdown: CancellationToken, every: Duration) {
    loop {
        if let Err(e) = schedule_due(&pool).await {
            tracing::warn!(error = %e, "could not start the scheduled marketing runs");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// Waits until run `id` has finished or `timeout` passed; the run as it is then.
pub async fn wait_for(store: &Store, user: &CurrentUser, id: Uuid, timeout: Duration) -> Result<RunInfo> {
    let until = tokio::time::Instant::now() + timeout;
    loop {
        let run = get_run(store, user, id).await?;
        if run.status.is_finished() || tokio::time::Instant::now() >= until {
            return Ok(run);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
