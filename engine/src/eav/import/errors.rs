//! A job's rejected records: a page of them with their reasons, and all of them as CSV with the
//! record's own fields after the reasons, so the file can be fixed in a spreadsheet and imported again.

use serde_json::Value;
use uuid::Uuid;

use super::jobs::job_configuration;
use super::wire::{RecordError, RecordErrorPage};
use crate::auth::CurrentUser;
use crate::eav::Store;
use crate::error::Result;
use crate::export::{CsvOut, ExportOptions};

#[derive(sqlx::FromRow)]
struct ErrorRow {
    seq: i32,
    record_identifier: String,
    severity: String,
    field: Option<String>,
    error_type: String,
    error_message: String,
    record_data: Value,
}

impl From<ErrorRow> for RecordError {
    fn from(r: ErrorRow) -> RecordError {
        RecordError {
            record_number: r.seq + 1,
            record_identifier: r.record_identifier,
            severity: r.severity,
            field: r.field,
            error_type: r.error_type,
            error_message: r.error_message,
            record_data: r.record_data,
        }
    }
}

/// Whether `user` may see the source fields of a job's records: they come from its creator's
/// source (a dataset may not be shared with every writer of the table), so its creator and
/// `dataset:admin` do; others see the reasons only.
async fn sees_records(store: &Store, user: &CurrentUser, job_id: Uuid) -> Result<bool> {
    let creator: Option<Uuid> = sqlx::query_scalar("SELECT created_by_user_id FROM migration_jobs WHERE id = $1").bind(job_id).fetch_one(&store.pool).await?;
    Ok(creator.is_some_and(|c| user.may_see(c)) || user.can(crate::auth::Permission::DatasetAdmin))
}

/// `GET /migration/batch/{job_id}/errors`: in record order; `severity` `error` or `warning` (both if none).
pub async fn list_errors(store: &Store, user: &CurrentUser, job_id: Uuid, severity: Option<&str>, offset: i64, limit: i64) -> Result<RecordErrorPage> {
    job_configuration(store, user, job_id).await?;
    let full = sees_records(store, user, job_id).await?;
    let (offset, limit) = crate::store::page_bounds(offset, limit, 1000)?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM migration_errors WHERE migration_job_id = $1 AND ($2::text IS NULL OR severity = $2)")
        .bind(job_id)
        .bind(severity)
        .fetch_one(&store.pool)
        .await?;
    let rows = sqlx::query_as::<_, ErrorRow>(
        "SELECT seq, record_identifier, severity, field, error_type, error_message, record_data FROM migration_errors
         WHERE migration_job_id = $1 AND ($2::text IS NULL OR severity = $2) ORDER BY seq, id OFFSET $3 LIMIT $4",
    )
    .bind(job_id)
    .bind(severity)
    .bind(offset)
    .bind(limit)
    .fetch_all(&store.pool)
    .await?;
    let errors = rows
        .into_iter()
        .map(|mut r| {
            if !full {
                r.record_data = Value::Null;
                r.record_identifier = format!("#{}", r.seq + 1);
            }
            RecordError::from(r)
        })
        .collect();
    Ok(RecordErrorPage { total, errors })
}

/// `GET /migration/batch/{job_id}/errors.csv`: one line per rejected record (its reasons joined),
/// then the record's fields: the mapped ones in mapping order, then the rest.
pub async fn errors_csv(store: &Store, user: &CurrentUser, job_id: Uuid, opts: ExportOptions) -> Result<Vec<u8>> {
    let cfg = job_configuration(store, user, job_id).await?;
    let full = sees_records(store, user, job_id).await?;
    let rows = sqlx::query_as::<_, ErrorRow>(
        "SELECT seq, min(record_identifier) AS record_identifier, 'error' AS severity, string_agg(DISTINCT field, ' + ') AS field,
                string_agg(error_type, ' + ' ORDER BY id) AS error_type, string_agg(error_message, ' | ' ORDER BY id) AS error_message,
                (array_agg(record_data))[1] AS record_data
         FROM migration_errors WHERE migration_job_id = $1 AND severity = 'error' GROUP BY seq ORDER BY seq",
    )
    .bind(job_id)
    .fetch_all(&store.pool)
    .await?;
    // The mapped source fields in mapping order (what a person fixes), then the others.
    let mut fields: Vec<String> = Vec::new();
    for m in &cfg.mappings {
        if !fields.contains(&m.source_field) {
            fields.push(m.source_field.clone());
        }
    }
    for r in &rows {
        if let Value::Object(m) = &r.record_data {
            for k in m.keys() {
                if !fields.contains(k) {
                    fields.push(k.clone());
                }
            }
        }
    }
    if !full {
        fields.clear();
    }
    let l = opts.lang;
    let mut out = CsvOut::with_separator(Vec::new(), opts.separator);
    let mut header: Vec<String> = [l.pick("registro", "record"), l.pick("campo", "field"), l.pick("error", "error_type"), l.pick("mensaje", "message")]
        .map(String::from)
        .to_vec();
    header.extend(fields.iter().cloned());
    out.write_row(&header)?;
    for r in rows {
        let mut line = vec![(r.seq + 1).to_string(), r.field.unwrap_or_default(), r.error_type, r.error_message];
        for f in &fields {
            line.push(match r.record_data.get(f) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            });
        }
        out.write_row(&line)?;
    }
    out.into_inner()
}
