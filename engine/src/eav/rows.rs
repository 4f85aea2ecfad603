//! Row commands (seed §6, §8): create, update, delete and batch, all through `apply`, so a single
//! write is a batch of one and both are held to the same rules in one transaction. Updates carry
//! the version they read (optimistic concurrency: a stale one is answered 409 with the current
//! row). Every write leaves history, an outbox event, and the cache invalidated after commit.

use std::sync::Arc;

use sqlx::PgConnection;
use uuid::Uuid;

use super::def::{TableDef, table_locked};
use super::delete::{Deleted, delete_rows};
use super::error::DataError;
use super::read::{fetch, mask_for};
use super::validate::{Prepared, prepare};
use super::wire::{BatchOperation, BatchRequest, BatchResponse, BatchResult, OnError, OperationType, RowData, RowInput, RowPatch};
use super::{Store, cache, write};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

/// Operations one batch may hold.
pub const MAX_OPERATIONS: usize = 10_000;

type Outcome = std::result::Result<(Uuid, i32), EngineError>;

/// What a transaction changed, for its events and the caches.
#[derive(Default)]
pub(crate) struct Changes {
    created: Vec<Uuid>,
    updated: Vec<Uuid>,
    deleted: Deleted,
}

/// `POST /data/{table}`.
pub async fn create_row(store: &Store, user: &CurrentUser, table: &str, input: RowInput) -> Result<RowData> {
    let op = BatchOperation { op: OperationType::Create, row_id: None, version: None, fields: input };
    written(single(store, user, table, op, true).await?)
}

/// `PATCH /data/{table}/{id}`.
pub async fn update_row(store: &Store, user: &CurrentUser, table: &str, id: Uuid, patch: RowPatch) -> Result<RowData> {
    let op = BatchOperation { op: OperationType::Update, row_id: Some(id), version: Some(patch.version), fields: patch.fields };
    written(single(store, user, table, op, true).await?)
}

/// `DELETE /data/{table}/{id}`, optionally only at `version`.
pub async fn delete_row(store: &Store, user: &CurrentUser, table: &str, id: Uuid, version: Option<i32>) -> Result<()> {
    let op = BatchOperation { op: OperationType::Delete, row_id: Some(id), version, fields: RowInput::default() };
    single(store, user, table, op, false).await.map(|_| ())
}

fn written(row: Option<RowData>) -> Result<RowData> {
    row.ok_or(EngineError::NotFound(Resource::Row))
}

/// The table, for a writer; someone who may write no table is refused before the lookup.
async fn writable(store: &Store, user: &CurrentUser, table: &str) -> Result<Arc<TableDef>> {
    let def = store.table(table).await.map_err(|e| match e {
        EngineError::NotFound(_) if !user.can(Permission::TableWrite) => EngineError::Forbidden(Permission::TableWrite.name()),
        other => other,
    })?;
    def.require(user, Permission::TableWrite)?;
    Ok(def)
}

/// One operation in its own transaction; with `read_back`, the row as written, read in that
/// transaction with its definition (no second lookup after commit), masked for `user`.
async fn single(store: &Store, user: &CurrentUser, table: &str, op: BatchOperation, read_back: bool) -> Result<Option<RowData>> {
    writable(store, user, table).await?;
    let mut tx = store.pool.begin().await?;
    let def = table_locked(&mut tx, &store.defs, table).await?;
    def.require(user, Permission::TableWrite)?;
    let mut changes = Changes::default();
    let mut outcomes = apply(&mut tx, store, user, &def, std::slice::from_ref(&op), OnError::Abort, &mut changes).await?;
    let outcome = outcomes.pop().ok_or_else(|| EngineError::internal("a batch of one gave no outcome"))?;
    let (id, _) = outcome?;
    let row = if read_back { fetch(&mut tx, &def, id, false).await?.map(|r| mask_for(&def, user, r)) } else { None };
    commit(store, tx, &def, changes).await?;
    Ok(row)
}

/// `POST /data/{table}/batch`.
pub async fn batch(store: &Store, user: &CurrentUser, table: &str, req: &BatchRequest) -> Result<BatchResponse> {
    writable(store, user, table).await?;
    if req.operations.len() > MAX_OPERATIONS {
        return Err(EngineError::invalid(format!("a batch holds at most {MAX_OPERATIONS} operations; split it")));
    }
    let mut tx = store.pool.begin().await?;
    let def = table_locked(&mut tx, &store.defs, table).await?;
    let mut changes = Changes::default();
    let outcomes = apply(&mut tx, store, user, &def, &req.operations, req.on_error, &mut changes).await?;
    let failed = outcomes.iter().any(Result::is_err);
    let aborted = failed && req.on_error == OnError::Abort;
    if aborted {
        tx.rollback().await?;
    } else {
        commit(store, tx, &def, changes).await?;
    }
    let mut results = Vec::with_capacity(req.operations.len());
    for (index, o) in outcomes.into_iter().enumerate() {
        results.push(match o {
            Ok((id, version)) if aborted => BatchResult { index, status: "not_applied".into(), row_id: Some(id), version: Some(version), error: None },
            Ok((id, version)) => BatchResult { index, status: "ok".into(), row_id: Some(id), version: Some(version), error: None },
            Err(e) => BatchResult { index, status: "failed".into(), row_id: None, version: None, error: Some(e.to_body(None)) },
        });
    }
    // Operations after the one that aborted were not tried.
    for index in results.len()..req.operations.len() {
        results.push(BatchResult { index, status: "not_applied".into(), row_id: None, version: None, error: None });
    }
    let error_count = results.iter().filter(|r| r.status == "failed").count();
    let success_count = results.iter().filter(|r| r.status == "ok").count();
    Ok(BatchResponse { processed_count: req.operations.len(), success_count, error_count, results })
}

pub(crate) async fn commit(store: &Store, mut tx: sqlx::Transaction<'_, sqlx::Postgres>, def: &TableDef, changes: Changes) -> Result<()> {
    let Changes { created, updated, deleted } = changes;
    let mut touched: Vec<Uuid> = vec![def.id];
    if !created.is_empty() || !updated.is_empty() || deleted.deleted.contains_key(&def.id) {
        let gone = deleted.deleted.get(&def.id).cloned().unwrap_or_default();
        let changed: Vec<Uuid> = created.iter().chain(&updated).copied().collect();
        write::event(&mut tx, def, created.len(), updated.len(), &gone, &changed).await?;
    }
    for (id, other) in &deleted.tables {
        if *id == def.id {
            continue;
        }
        let gone = deleted.deleted.get(id).cloned().unwrap_or_default();
        let changed = deleted.updated.get(id).cloned().unwrap_or_default();
        write::event(&mut tx, other, 0, changed.len(), &gone, &changed).await?;
        touched.push(*id);
    }
    tx.commit().await?;
    if let Some(redis) = &store.redis {
        for t in touched {
            cache::invalidate(redis, t).await;
        }
    }
    Ok(())
}

/// Applies `ops` in order inside `tx`. With `Abort`, the first failure stops (the caller rolls
/// back); with `Continue`, each failed operation is undone alone and reported.
pub(crate) async fn apply(
    tx: &mut PgConnection,
    store: &Store,
    user: &CurrentUser,
    def: &Arc<TableDef>,
    ops: &[BatchOperation],
    on_error: OnError,
    changes: &mut Changes,
) -> Result<Vec<Outcome>> {
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(ops.len());
    let mut i = 0;
    while i < ops.len() {
        // Consecutive creates go in one statement.
        let run = ops[i..].iter().take_while(|o| o.op == OperationType::Create).count();
        if run > 0 {
            let created = create_many(tx, def, &ops[i..i + run], user.id).await?;
            for o in created {
                if let Ok((id, _)) = &o {
                    changes.created.push(*id);
                }
                let stop = o.is_err() && on_error == OnError::Abort;
                outcomes.push(o);
                if stop {
                    return Ok(outcomes);
                }
            }
            i += run;
            continue;
        }
        let op = &ops[i];
        sqlx::query("SAVEPOINT eav_op").execute(&mut *tx).await?;
        let outcome = match op.op {
            OperationType::Update => update_one(tx, user, def, op, changes).await,
            _ => delete_one(tx, store, user, def, op, changes).await,
        };
        match &outcome {
            Ok(_) => sqlx::query("RELEASE SAVEPOINT eav_op").execute(&mut *tx).await?,
            Err(EngineError::Internal(_)) => return Err(outcome.err().unwrap_or_else(|| EngineError::internal("batch"))),
            Err(_) => sqlx::query("ROLLBACK TO SAVEPOINT eav_op").execute(&mut *tx).await?,
        };
        let stop = outcome.is_err() && on_error == OnError::Abort;
        outcomes.push(outcome);
        if stop {
            return Ok(outcomes);
        }
        i += 1;
    }
    Ok(outcomes)
}

/// Creates in one statement: rules in memory, references with one lookup per column, parents and
/// soft uniques row by row (rare), hard uniques by the indexes themselves.
async fn create_many(tx: &mut PgConnection, def: &TableDef, ops: &[BatchOperation], actor: Uuid) -> Result<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = (0..ops.len()).map(|_| None).collect();
    // Rows that passed so far, with their operation's index (kept side by side: no copies).
    let (mut at, mut rows): (Vec<usize>, Vec<Prepared>) = (Vec::with_capacity(ops.len()), Vec::with_capacity(ops.len()));
    for (k, op) in ops.iter().enumerate() {
        match prepare(def, None, &op.fields) {
            Ok(p) => {
                at.push(k);
                rows.push(p);
            }
            Err(e) => outcomes[k] = Some(Err(e.into())),
        }
    }
    let missing = write::missing_references(tx, def, &rows).await?;
    let lookups = has_soft_unique(def) || rows.iter().any(|p| p.parent_row_id.is_some());
    let (mut keep_at, mut keep): (Vec<usize>, Vec<Prepared>) = (Vec::with_capacity(at.len()), Vec::with_capacity(at.len()));
    for ((k, p), miss) in at.into_iter().zip(rows).zip(missing) {
        if let Some(e) = miss {
            outcomes[k] = Some(Err(e.into()));
            continue;
        }
        if lookups {
            // Earlier rows of this batch must be visible to the lookups: write what is ready.
            record_inserts(tx, def, &keep, &keep_at, actor, &mut outcomes).await?;
            keep.clear();
            keep_at.clear();
            let checked = match write::check_parent(tx, def, &p).await {
                Ok(()) => write::check_soft_uniques(tx, def, &p).await,
                Err(e) => Err(e),
            };
            if let Err(e) = checked {
                if matches!(e, EngineError::Internal(_)) {
                    return Err(e);
                }
                outcomes[k] = Some(Err(e));
                continue;
            }
        }
        keep_at.push(k);
        keep.push(p);
    }
    record_inserts(tx, def, &keep, &keep_at, actor, &mut outcomes).await?;
    Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| Err(EngineError::internal("create without outcome")))).collect())
}

fn has_soft_unique(def: &TableDef) -> bool {
    def.uniques.iter().any(|u| u.active && u.soft) || def.columns.iter().any(|c| c.unique && c.is_soft(super::wire::SoftRule::Unique))
}

/// Inserts `rows` (of operations `at`) and records each outcome; a row a unique index refused is
/// answered with the unique it broke.
async fn record_inserts(tx: &mut PgConnection, def: &TableDef, rows: &[Prepared], at: &[usize], actor: Uuid, outcomes: &mut [Option<Outcome>]) -> Result<()> {
    let refused: std::collections::HashSet<Uuid> = write::insert(tx, def, rows, actor).await?.into_iter().collect();
    for (k, p) in at.iter().zip(rows) {
        outcomes[*k] = Some(if refused.contains(&p.id) { Err(write::which_unique(tx, def, p).await?.into()) } else { Ok((p.id, 1)) });
    }
    Ok(())
}

async fn update_one(tx: &mut PgConnection, user: &CurrentUser, def: &TableDef, op: &BatchOperation, changes: &mut Changes) -> Outcome {
    let id = op.row_id.ok_or(DataError::ValueRequired { column: "row_id".into() })?;
    let version = op.version.ok_or(DataError::ValueRequired { column: "version".into() })?;
    let before = fetch(tx, def, id, true).await?.ok_or(EngineError::NotFound(Resource::Row))?;
    if before.version != version {
        return Err(DataError::RowVersionConflict { sent: version, current: Box::new(mask_for(def, user, before)) }.into());
    }
    let row = prepare(def, Some(&before), &op.fields)?;
    if let Some(Some(e)) = write::missing_references(tx, def, std::slice::from_ref(&row)).await?.pop() {
        return Err(e.into());
    }
    write::check_parent(tx, def, &row).await?;
    write::check_soft_uniques(tx, def, &row).await?;
    let new_version = write::update(tx, def, &row, user.id).await?;
    let after = fetch(tx, def, id, false).await?.ok_or(EngineError::NotFound(Resource::Row))?;
    write::history(tx, def, &before, Some(&after), user.id).await?;
    changes.updated.push(id);
    Ok((id, new_version))
}

async fn delete_one(tx: &mut PgConnection, store: &Store, user: &CurrentUser, def: &Arc<TableDef>, op: &BatchOperation, changes: &mut Changes) -> Outcome {
    let id = op.row_id.ok_or(DataError::ValueRequired { column: "row_id".into() })?;
    let before = fetch(tx, def, id, true).await?.ok_or(EngineError::NotFound(Resource::Row))?;
    if let Some(v) = op.version
        && v != before.version
    {
        return Err(DataError::RowVersionConflict { sent: v, current: Box::new(mask_for(def, user, before)) }.into());
    }
    let version = before.version;
    let mut out = Deleted::default();
    delete_rows(tx, &store.defs, def.clone(), vec![before], user.id, &mut out, 0).await?;
    for (t, ids) in out.deleted {
        changes.deleted.deleted.entry(t).or_default().extend(ids);
    }
    for (t, ids) in out.updated {
        changes.deleted.updated.entry(t).or_default().extend(ids);
    }
    changes.deleted.tables.extend(out.tables);
    Ok((id, version))
}
