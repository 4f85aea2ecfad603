//! Where an import's records come from, copied once into `migration_records` when the job starts:
//! records sent inline, a file of an upload, a dataset's original rows, or a classification run's
//! rows with their category, score, reason and (with a review sample) the reviewer's final category.
//! The copy is made in SQL, in the job's own transaction, so a job never exists without its records
//! and a source deleted later does not change what the job imports.

use sqlx::PgConnection;
use uuid::Uuid;

use super::wire::SourceType;
use crate::auth::CurrentUser;
use crate::eav::{DataError, Store};
use crate::error::{EngineError, Resource, Result};
use crate::ingest::tables::{physical_name, stored_tables};

/// Records one inline request may carry (bigger sources go through an upload).
pub const MAX_INLINE: usize = 100_000;

/// A source resolved and checked against the reader.
#[derive(Debug, Clone)]
pub enum Source {
    Inline(Vec<serde_json::Value>),
    File { table_id: Uuid, name: String },
    Dataset { id: Uuid, name: String },
    Run { id: Uuid, dataset_id: Uuid, sample_id: Option<Uuid> },
}

impl Source {
    pub fn kind(&self) -> SourceType {
        match self {
            Source::Inline(_) => SourceType::Inline,
            Source::File { .. } => SourceType::File,
            Source::Dataset { .. } => SourceType::Dataset,
            Source::Run { .. } => SourceType::Run,
        }
    }

    /// For people, in no language: the file's or dataset's name, the run's id, or `API (n)`.
    pub fn describe(&self) -> String {
        match self {
            Source::Inline(v) => format!("API ({})", v.len()),
            Source::File { name, .. } | Source::Dataset { name, .. } => name.clone(),
            Source::Run { id, sample_id: Some(s), .. } => format!("{id} · {s}"),
            Source::Run { id, .. } => id.to_string(),
        }
    }
}

/// What a request names as the source, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct SourceRequest {
    pub data: Option<Vec<serde_json::Value>>,
    pub file_id: Option<String>,
    pub dataset_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    pub sample_id: Option<Uuid>,
}

/// The source a request names, or else the configuration's own; checked against `user`.
pub async fn resolve(store: &Store, user: &CurrentUser, req: SourceRequest, default: (SourceType, Option<Uuid>, Option<Uuid>)) -> Result<Source> {
    let pool = &store.pool;
    if let Some(data) = req.data {
        if data.is_empty() {
            return Err(DataError::SourceMissing.into());
        }
        if data.len() > MAX_INLINE {
            return Err(EngineError::invalid(format!("send at most {MAX_INLINE} records inline; upload a file for more")));
        }
        return Ok(Source::Inline(data));
    }
    if let Some(raw) = req.file_id {
        let id = raw.trim().parse::<Uuid>().map_err(|_| EngineError::Malformed(format!("source_file_id '{raw}' is not an id")))?;
        return file(pool, user, id).await;
    }
    if let Some(id) = req.dataset_id {
        return dataset(pool, user, id).await;
    }
    if let Some(id) = req.run_id {
        return run(pool, user, id, req.sample_id).await;
    }
    match default {
        (SourceType::File, Some(id), _) => file(pool, user, id).await,
        (SourceType::Dataset, Some(id), _) => dataset(pool, user, id).await,
        (SourceType::Run, Some(id), sample) => run(pool, user, id, sample).await,
        _ => Err(DataError::SourceMissing.into()),
    }
}

/// An upload's table by its id, or the only table of an upload.
async fn file(pool: &sqlx::PgPool, user: &CurrentUser, id: Uuid) -> Result<Source> {
    let found: Option<(Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT t.id, t.upload_id, u.original_name || ' · ' || t.name FROM upload_tables t JOIN uploads u ON u.id = t.upload_id
         WHERE t.id = $1 OR (t.upload_id = $1 AND (SELECT count(*) FROM upload_tables o WHERE o.upload_id = $1) = 1)",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let (table_id, upload_id, name) = found.ok_or(EngineError::NotFound(Resource::Table))?;
    // Checks the reader may see the upload (not told apart from a missing one).
    crate::ingest::upload_summary(pool, user, upload_id).await.map_err(|e| match e {
        EngineError::NotFound(_) => EngineError::NotFound(Resource::Table),
        other => other,
    })?;
    Ok(Source::File { table_id, name })
}

async fn dataset(pool: &sqlx::PgPool, user: &CurrentUser, id: Uuid) -> Result<Source> {
    let d = crate::clean::dataset_summary(pool, user, id).await?;
    Ok(Source::Dataset { id, name: d.name })
}

async fn run(pool: &sqlx::PgPool, user: &CurrentUser, id: Uuid, sample_id: Option<Uuid>) -> Result<Source> {
    let run = crate::classify::runs::run_progress(pool, user, id).await?;
    if let Some(sid) = sample_id {
        let sample = crate::review::samples::sample_summary(pool, user, sid).await?;
        if sample.dataset_id != run.dataset_id {
            return Err(EngineError::invalid("that sample was drawn from another dataset"));
        }
    }
    Ok(Source::Run { id, dataset_id: run.dataset_id, sample_id })
}

/// Copies the source into `migration_records` of `job_id`, numbered from 0; returns how many.
/// The tables' layout is read first, on `pool`; the copy runs on `conn` (the job's transaction).
pub async fn stage(pool: &sqlx::PgPool, conn: &mut PgConnection, job_id: Uuid, source: &Source) -> Result<i64> {
    let staged = match source {
        Source::Inline(records) => {
            sqlx::query(
                "INSERT INTO migration_records (job_id, seq, data)
                 SELECT $1, (o.n - 1)::int, o.d FROM unnest($2::jsonb[]) WITH ORDINALITY AS o(d, n)",
            )
            .bind(job_id)
            .bind(records)
            .execute(&mut *conn)
            .await?
        }
        Source::File { table_id, .. } => {
            let table = one_table(pool, *table_id).await?;
            let sql = format!(
                "INSERT INTO migration_records (job_id, seq, data)
                 SELECT $1, (row_number() OVER (ORDER BY row_no) - 1)::int, {} FROM {}",
                table.data_expr(),
                physical_name(*table_id)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job_id).execute(&mut *conn).await?
        }
        Source::Dataset { id, .. } => {
            let from = crate::clean::dataset_rows_source(pool, *id).await?;
            let sql = format!(
                "INSERT INTO migration_records (job_id, seq, data)
                 SELECT $1, (row_number() OVER (ORDER BY m.position, o.n) - 1)::int, ur.data
                 FROM dataset_maps m
                 CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
                 JOIN {from} ur ON ur.table_id = m.table_id AND ur.row_no = m.source_first + o.n - 1
                 WHERE m.dataset_id = $2"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job_id).bind(id).execute(&mut *conn).await?
        }
        Source::Run { id, dataset_id, sample_id } => {
            let from = crate::clean::dataset_rows_source(pool, *dataset_id).await?;
            // The added fields win over original columns of the same name.
            let sql = format!(
                "INSERT INTO migration_records (job_id, seq, data)
                 SELECT $1, (row_number() OVER (ORDER BY m.position, o.n) - 1)::int,
                        ur.data || jsonb_strip_nulls(jsonb_build_object(
                            'category', rr.category, 'score', CASE WHEN rr.score < 0 THEN NULL ELSE rr.score END, 'reason', rr.reason,
                            'final_category', CASE WHEN v.verdict = 'incorrect' THEN coalesce(v.corrected_category, rr.category) ELSE rr.category END,
                            'verdict', v.verdict))
                 FROM dataset_maps m
                 CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
                 JOIN {from} ur ON ur.table_id = m.table_id AND ur.row_no = m.source_first + o.n - 1
                 JOIN run_results rr ON rr.run_id = $3 AND rr.line_idx = o.line_idx
                 LEFT JOIN sample_items si ON si.sample_id = $4 AND si.line_idx = o.line_idx
                 LEFT JOIN verdicts v ON v.item_id = si.id
                 WHERE m.dataset_id = $2"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job_id).bind(dataset_id).bind(id).bind(sample_id).execute(&mut *conn).await?
        }
    };
    Ok(staged.rows_affected() as i64)
}

async fn one_table(pool: &sqlx::PgPool, table_id: Uuid) -> Result<crate::ingest::tables::StoredTable> {
    stored_tables(pool, &[table_id]).await?.pop().ok_or(EngineError::NotFound(Resource::Table))
}

/// The fields the records of a source have, in order, for mapping them: a file's or dataset's
/// columns; a run's, then the fields it adds. Inline records: the keys of the first ones.
pub async fn fields(store: &Store, user: &CurrentUser, source: &Source) -> Result<Vec<String>> {
    let pool = &store.pool;
    Ok(match source {
        Source::Inline(records) => {
            let mut out: Vec<String> = Vec::new();
            for r in records.iter().take(100) {
                for k in r.as_object().into_iter().flat_map(|m| m.keys()) {
                    if !out.contains(k) {
                        out.push(k.clone());
                    }
                }
            }
            out
        }
        Source::File { table_id, .. } => one_table(pool, *table_id).await?.columns,
        Source::Dataset { id, .. } => crate::clean::original_columns(pool, user, *id).await?,
        Source::Run { dataset_id, .. } => {
            let mut out = crate::clean::original_columns(pool, user, *dataset_id).await?;
            out.extend(RUN_FIELDS.iter().map(|f| f.to_string()));
            out
        }
    })
}

/// What a run adds to each original row.
pub const RUN_FIELDS: [&str; 5] = ["category", "score", "reason", "final_category", "verdict"];

impl From<super::wire::SourceRef> for SourceRequest {
    fn from(r: super::wire::SourceRef) -> SourceRequest {
        use super::wire::SourceRef as R;
        match r {
            R::Configured => SourceRequest::default(),
            R::File { id } => SourceRequest { file_id: Some(id.to_string()), ..Default::default() },
            R::Dataset { id } => SourceRequest { dataset_id: Some(id), ..Default::default() },
            R::Run { id, sample_id } => SourceRequest { run_id: Some(id), sample_id, ..Default::default() },
        }
    }
}
