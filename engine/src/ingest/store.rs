//! An upload in PostgreSQL: reading it through the pipeline and recording its tables, skipped and
//! failed entries; then what the wizard asks of it (summary, preview rows, rejected rows, type fixes).

use std::path::Path;
use std::sync::Arc;

use sqlx::PgPool;
use uuid::Uuid;

use super::archive::{InflateBudget, plan};
use super::pipeline::{self, PipelineOptions, TableReport};
use super::tables::{drop_storage, physical_name, stored_tables};
use super::{ColumnInfo, ColumnType, ColumnTypeOverride, FileSummary, IngestLimits, PreviewRow, RejectedPage, RejectedRow};
use super::{SkippedEntry, TablePreview, UploadListItem, UploadSummary};
use crate::auth::{CurrentUser, Permission};
use crate::error::{Conflict, EngineError, Resource, Result};

pub struct NewUpload<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub path: &'a Path,
    pub size_bytes: i64,
}

/// Reads the uploaded file at `up.path` (any supported format, or a ZIP of them) and stores its rows.
/// On error nothing of the upload is left behind.
pub async fn ingest_upload(
    pool: &PgPool,
    user: &CurrentUser,
    up: NewUpload<'_>,
    limits: &IngestLimits,
    opts: &PipelineOptions,
) -> Result<UploadSummary> {
    user.require(Permission::DatasetCreate)?;
    sqlx::query!(
        "INSERT INTO uploads (id, owner_id, original_name, size_bytes, status) VALUES ($1, $2, $3, $4, 'ingesting')",
        up.id,
        user.id,
        up.name,
        up.size_bytes
    )
    .execute(pool)
    .await?;
    let work_dir = up.path.with_extension("work");
    let created: Arc<std::sync::Mutex<Vec<Uuid>>> = Arc::default();
    let result = read_and_record(pool, &up, limits, opts, &work_dir, created.clone()).await;
    let _ = tokio::fs::remove_dir_all(&work_dir).await;
    if let Err(e) = result {
        let ids = created.lock().map(|c| c.clone()).unwrap_or_default();
        discard(pool, up.id, &ids).await;
        return Err(e);
    }
    upload_summary(pool, user, up.id).await
}

async fn read_and_record(
    pool: &PgPool,
    up: &NewUpload<'_>,
    limits: &IngestLimits,
    opts: &PipelineOptions,
    work_dir: &Path,
    created: Arc<std::sync::Mutex<Vec<Uuid>>>,
) -> Result<()> {
    tokio::fs::create_dir_all(work_dir).await?;
    let budget = Arc::new(InflateBudget::default());
    let (path, name, dir, limits2, budget2) =
        (up.path.to_path_buf(), up.name.to_string(), work_dir.to_path_buf(), limits.clone(), budget.clone());
    let plan = tokio::task::spawn_blocking(move || plan(&path, &name, &limits2, &dir, &budget2))
        .await
        .map_err(EngineError::internal)??;
    let outcome = pipeline::run(pool, up.id, plan.entries, limits, budget, work_dir, opts, created).await?;
    if outcome.tables.is_empty() {
        // One file: its own coded reason, which the reader's screen puts in their language.
        if let [only] = outcome.failed.as_slice() {
            return Err(EngineError::UnreadableFile { file: up.name.to_string(), reason: only.reason.clone() });
        }
        let why: Vec<String> = outcome
            .failed
            .iter()
            .take(5)
            .map(|f| format!("{}: {}", f.name, super::notes::note_text(&f.reason, crate::Lang::En)))
            .collect();
        return Err(EngineError::UnreadableFile { file: up.name.to_string(), reason: why.join("; ") });
    }

    let failed_ids: Vec<Uuid> = outcome.failed.iter().flat_map(|f| f.table_ids.iter().copied()).collect();
    drop_storage(pool, &failed_ids).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!("DELETE FROM rejected_rows WHERE table_id = ANY($1)", &failed_ids).execute(&mut *tx).await?;
    // Counts come from what the database reported storing (its COPY counts), not from what the
    // readers believe they sent.
    for t in &outcome.tables {
        if t.rows_in_storage != t.rows_stored {
            return Err(EngineError::internal(format!("{}: {} rows stored, {} sent", t.file, t.rows_in_storage, t.rows_stored)));
        }
        insert_table(&mut tx, up.id, t).await?;
    }
    let failed: Vec<SkippedEntry> =
        outcome.failed.iter().map(|f| SkippedEntry { name: f.name.clone(), reason: f.reason.clone() }).collect();
    sqlx::query!(
        "UPDATE uploads SET status = 'ready', skipped = $2, failed = $3 WHERE id = $1",
        up.id,
        serde_json::to_value(&plan.skipped).map_err(EngineError::internal)?,
        serde_json::to_value(&failed).map_err(EngineError::internal)?
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_table(tx: &mut sqlx::PgConnection, upload_id: Uuid, t: &TableReport) -> Result<()> {
    let columns: Vec<ColumnInfo> = t
        .columns
        .iter()
        .zip(&t.evidence)
        .map(|(name, ev)| ColumnInfo { name: name.clone(), kind: ev.detected(), detected: ev.detected(), evidence: ev.clone() })
        .collect();
    let name = match &t.sheet {
        Some(s) => format!("{} › {s}", t.file),
        None => t.file.clone(),
    };
    sqlx::query!(
        "INSERT INTO upload_tables (id, upload_id, position, name, file, sheet, format, columns, details, warnings,
                                    rows_read, rows_stored, rows_rejected, stored_columns)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        t.id,
        upload_id,
        t.position,
        name,
        t.file,
        t.sheet,
        t.format,
        serde_json::to_value(&columns).map_err(EngineError::internal)?,
        serde_json::to_value(&t.details).map_err(EngineError::internal)?,
        serde_json::to_value(&t.warnings).map_err(EngineError::internal)?,
        t.rows_read,
        t.rows_stored,
        t.rows_rejected,
        i32::try_from(t.stored_columns).map_err(EngineError::internal)?
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Removes whatever a failed or cancelled ingest wrote. Best effort: it runs on the error path.
async fn discard(pool: &PgPool, upload_id: Uuid, table_ids: &[Uuid]) {
    let r = async {
        // Its rows tables go with it (upload_storage's trigger); a table that only rejected rows has none.
        sqlx::query!("DELETE FROM rejected_rows WHERE table_id = ANY($1)", table_ids).execute(pool).await?;
        sqlx::query!("DELETE FROM uploads WHERE id = $1", upload_id).execute(pool).await?;
        Ok::<_, EngineError>(())
    }
    .await;
    if let Err(e) = r {
        tracing::error!(%upload_id, error = %e, "could not remove a failed upload's rows");
    }
}

pub async fn upload_summary(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<UploadSummary> {
    user.require(Permission::DatasetRead)?;
    let up = sqlx::query!(
        "SELECT id, owner_id, original_name, size_bytes, created_at, status, skipped, failed FROM uploads WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .filter(|u| user.may_see(u.owner_id))
    .ok_or(EngineError::NotFound(Resource::Upload))?;
    if up.status != "ready" {
        return Err(EngineError::Conflict(Conflict::UploadInProgress));
    }
    let tables = sqlx::query!(
        "SELECT id, name, file, sheet, format, columns, details, warnings, rows_read, rows_stored, rows_rejected
         FROM upload_tables WHERE upload_id = $1 ORDER BY position",
        id
    )
    .fetch_all(pool)
    .await?;
    let files = tables
        .into_iter()
        .map(|t| {
            Ok(FileSummary {
                table_id: t.id,
                name: t.name,
                file: t.file,
                sheet: t.sheet,
                format: t.format,
                rows_read: t.rows_read,
                rows: t.rows_stored,
                rejected: t.rows_rejected,
                columns: json(t.columns)?,
                details: json(t.details)?,
                warnings: json(t.warnings)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(UploadSummary {
        id: up.id,
        name: up.original_name,
        size_bytes: up.size_bytes,
        created_at: up.created_at,
        files,
        skipped: json(up.skipped)?,
        failed: json(up.failed)?,
    })
}

/// Deletes an upload: its tables, rows and the file kept under `data_dir`. Refused while datasets are
/// built from it: they would lose their rows.
pub async fn delete_upload(pool: &PgPool, user: &CurrentUser, id: Uuid, data_dir: &Path) -> Result<()> {
    user.require(Permission::DatasetCreate)?;
    upload_summary(pool, user, id).await?; // existence and visibility
    let mut tx = pool.begin().await?;
    let datasets = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM datasets WHERE upload_id = $1"#, id)
        .fetch_one(&mut *tx)
        .await?;
    if datasets > 0 {
        return Err(EngineError::Conflict(Conflict::UploadInUse { datasets }));
    }
    sqlx::query!("DELETE FROM uploads WHERE id = $1", id).execute(&mut *tx).await?;
    tx.commit().await?;
    remove_upload_files(data_dir, id).await;
    Ok(())
}

/// The upload's folder under `data_dir`, gone (already gone is fine; a failure is only logged: the
/// upload's rows are deleted either way).
async fn remove_upload_files(data_dir: &Path, id: Uuid) {
    if let Err(e) = tokio::fs::remove_dir_all(data_dir.join("uploads").join(id.to_string())).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(upload_id = %id, error = %e, "the upload's file could not be removed");
    }
}

/// Removes uploads left 'ingesting' by a process that died mid-read, once they are older than
/// `older_than` (an ingest still running elsewhere is younger), with their files under `data_dir`.
/// Their rows were never committed: the writers' COPY transactions end with the process, and the
/// tables made for them go with their `upload_storage` rows. Returns how many were removed.
pub async fn sweep_abandoned_uploads(pool: &PgPool, older_than: std::time::Duration, data_dir: &Path) -> Result<u64> {
    let secs = older_than.as_secs_f64();
    let gone = sqlx::query_scalar!(
        "DELETE FROM uploads WHERE status = 'ingesting' AND created_at < now() - make_interval(secs => $1) RETURNING id",
        secs
    )
    .fetch_all(pool)
    .await?;
    for id in &gone {
        remove_upload_files(data_dir, *id).await;
    }
    Ok(gone.len() as u64)
}

/// The caller's recent uploads (every upload, for an administrator), newest first.
pub async fn list_uploads(pool: &PgPool, user: &CurrentUser) -> Result<Vec<UploadListItem>> {
    user.require(Permission::DatasetRead)?;
    let all = user.can(crate::auth::Permission::DatasetAdmin);
    let rows = sqlx::query_as!(
        UploadListItem,
        r#"SELECT u.id, u.original_name AS name, u.size_bytes, u.created_at,
                  (SELECT count(*) FROM upload_tables t WHERE t.upload_id = u.id) AS "tables!",
                  (SELECT coalesce(sum(rows_stored), 0)::bigint FROM upload_tables t WHERE t.upload_id = u.id) AS "rows!",
                  (SELECT coalesce(sum(rows_rejected), 0)::bigint FROM upload_tables t WHERE t.upload_id = u.id) AS "rejected!",
                  (SELECT count(*) FROM datasets d WHERE d.upload_id = u.id) AS "datasets!",
                  (SELECT o.username FROM users o WHERE o.id = u.owner_id) AS "owner?"
           FROM uploads u WHERE u.status = 'ready' AND ($1 OR u.owner_id = $2)
           ORDER BY u.created_at DESC LIMIT 50"#,
        all,
        user.id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

fn json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(EngineError::internal)
}

pub async fn rejected_rows(pool: &PgPool, user: &CurrentUser, upload_id: Uuid, offset: i64, limit: i64) -> Result<RejectedPage> {
    let summary = upload_summary(pool, user, upload_id).await?;
    let (offset, limit) = crate::store::page_bounds(offset, limit, 1_000)?;
    let rows = sqlx::query_as!(
        RejectedRow,
        r#"SELECT t.file, t.sheet, r.line_no, r.raw, r.reason FROM rejected_rows r
           JOIN upload_tables t ON t.id = r.table_id WHERE t.upload_id = $1 ORDER BY t.position, r.seq
           OFFSET $2 LIMIT $3"#,
        upload_id,
        offset,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(RejectedPage { total: summary.rejected(), rows })
}

/// The first `limit` rows of a table in file order.
pub async fn table_preview(pool: &PgPool, user: &CurrentUser, upload_id: Uuid, table_id: Uuid, limit: i64) -> Result<TablePreview> {
    let summary = upload_summary(pool, user, upload_id).await?;
    let table = summary.files.iter().find(|f| f.table_id == table_id).ok_or(EngineError::NotFound(Resource::Table))?;
    let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let stored = stored_tables(pool, &[table_id]).await?;
    let picks: Vec<String> = stored.iter().flat_map(|t| columns.iter().map(|c| format!("coalesce({}, '')", t.column_expr(c)))).collect();
    let sql = format!(
        "SELECT line_no, ARRAY[{}]::text[] AS v FROM {} ORDER BY row_no LIMIT $1",
        picks.join(", "),
        physical_name(table_id)
    );
    let rows = sqlx::query_as::<_, (i64, Vec<String>)>(sqlx::AssertSqlSafe(sql))
        .bind(limit.clamp(1, 200))
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(line_no, values)| PreviewRow { line_no, values })
        .collect();
    Ok(TablePreview { table_id, columns, rows })
}

/// Sets a column's type by hand; the evidence stays, so the preview can still show what was detected.
pub async fn override_column_type(
    pool: &PgPool,
    user: &CurrentUser,
    upload_id: Uuid,
    table_id: Uuid,
    change: &ColumnTypeOverride,
) -> Result<FileSummary> {
    user.require(Permission::DatasetCreate)?;
    let summary = upload_summary(pool, user, upload_id).await?;
    let mut table =
        summary.files.into_iter().find(|f| f.table_id == table_id).ok_or(EngineError::NotFound(Resource::Table))?;
    if change.kind == ColumnType::Empty {
        return Err(EngineError::invalid("a column cannot be set to the type 'empty'"));
    }
    let col = table
        .columns
        .iter_mut()
        .find(|c| c.name == change.column)
        .ok_or_else(|| EngineError::invalid(format!("{} has no column '{}'", table.name, change.column)))?;
    col.kind = change.kind;
    sqlx::query!(
        "UPDATE upload_tables SET columns = $2 WHERE id = $1",
        table_id,
        serde_json::to_value(&table.columns).map_err(EngineError::internal)?
    )
    .execute(pool)
    .await?;
    Ok(table)
}
