//! Storing an upload: the reader runs on a blocking thread and hands rows over a bounded channel to
//! one COPY into PostgreSQL, all in one transaction, so a failed upload leaves nothing behind.

use std::path::Path;

use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::csv_reader::{CsvEvent, read_csv};
use super::{ColumnInfo, FileSummary, RejectedRow, UploadSummary};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Result};

const BATCH_ROWS: usize = 5_000;

pub struct NewUpload<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub path: &'a Path,
    pub size_bytes: i64,
}

#[derive(Default)]
struct Batch {
    copy: Vec<u8>,
    rows: usize,
    rejected: Vec<(i64, String, String)>,
}

/// Reads the uploaded file at `up.path` and stores its rows. Only CSV/TSV for now.
pub async fn ingest_upload(pool: &PgPool, user: &CurrentUser, up: NewUpload<'_>) -> Result<UploadSummary> {
    user.require(Permission::DatasetCreate)?;
    let format = format_of(up.name).ok_or_else(|| EngineError::UnreadableFile {
        file: up.name.to_string(),
        reason: "unsupported format: upload a .csv, .tsv or .txt file".into(),
    })?;
    let table_id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO uploads (id, owner_id, original_name, size_bytes) VALUES ($1, $2, $3, $4)",
        up.id,
        user.id,
        up.name,
        up.size_bytes
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO upload_tables (id, upload_id, position, name, format, columns, rows_read, rows_stored, rows_rejected)
         VALUES ($1, $2, 0, $3, $4, '[]', 0, 0, 0)",
        table_id,
        up.id,
        up.name,
        format
    )
    .execute(&mut *tx)
    .await?;

    let (sender, mut receiver) = mpsc::channel::<Batch>(4);
    let path = up.path.to_path_buf();
    let name = up.name.to_string();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Batch::default();
        let mut columns: Vec<String> = Vec::new();
        let mut row_no = 0i64;
        let send = |b: Batch| sender.blocking_send(b).map_err(|_| EngineError::internal("the row writer stopped"));
        let table = read_csv(&path, &name, |event| {
            match event {
                CsvEvent::Header { columns: c } => columns = c.to_vec(),
                CsvEvent::Row { line_no, values } => {
                    row_no += 1;
                    encode_copy_row(&mut batch.copy, table_id, row_no, line_no, &columns, values);
                    batch.rows += 1;
                }
                CsvEvent::Rejected { line_no, raw, reason } => batch.rejected.push((line_no, raw, reason)),
            }
            if batch.rows >= BATCH_ROWS {
                send(std::mem::take(&mut batch))?;
            }
            Ok(())
        })?;
        send(batch)?;
        Ok::<_, EngineError>(table)
    });

    let mut copy = tx.copy_in_raw("COPY upload_rows (table_id, row_no, line_no, data) FROM STDIN").await?;
    let mut rejected: Vec<(i64, String, String)> = Vec::new();
    let mut write_error = None;
    while let Some(batch) = receiver.recv().await {
        if let Err(e) = copy.send(batch.copy).await {
            write_error = Some(e);
            break;
        }
        rejected.extend(batch.rejected);
    }
    drop(receiver);
    let table = match (reader.await.map_err(EngineError::internal), write_error) {
        (Ok(Ok(table)), None) => table,
        (Ok(Err(read_error)), _) => {
            let _ = copy.abort("read failed").await;
            return Err(read_error);
        }
        (Err(join_error), _) => {
            let _ = copy.abort("reader crashed").await;
            return Err(join_error);
        }
        (_, Some(e)) => return Err(e.into()),
    };
    let stored = copy.finish().await? as i64;
    if stored != table.rows_read - table.rows_rejected || rejected.len() as i64 != table.rows_rejected {
        return Err(EngineError::internal(format!(
            "row counts do not reconcile: read {}, stored {stored}, rejected {}",
            table.rows_read,
            rejected.len()
        )));
    }

    let seqs: Vec<i64> = (1..=rejected.len() as i64).collect();
    let (lines, raws, reasons): (Vec<i64>, Vec<String>, Vec<String>) = multiunzip(rejected);
    sqlx::query!(
        "INSERT INTO rejected_rows (table_id, seq, line_no, raw, reason)
         SELECT $1, * FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[])",
        table_id,
        &seqs,
        &lines,
        &raws,
        &reasons
    )
    .execute(&mut *tx)
    .await?;
    let columns: Vec<ColumnInfo> =
        table.columns.iter().zip(&table.types).map(|(n, t)| ColumnInfo { name: n.clone(), kind: *t }).collect();
    sqlx::query!(
        "UPDATE upload_tables SET columns = $2, rows_read = $3, rows_stored = $4, rows_rejected = $5 WHERE id = $1",
        table_id,
        serde_json::to_value(&columns).map_err(EngineError::internal)?,
        table.rows_read,
        stored,
        table.rows_rejected
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    upload_summary(pool, user, up.id).await
}

fn format_of(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        Some("csv")
    } else if lower.ends_with(".tsv") {
        Some("tsv")
    } else {
        None
    }
}

fn multiunzip(v: Vec<(i64, String, String)>) -> (Vec<i64>, Vec<String>, Vec<String>) {
    let mut out = (Vec::with_capacity(v.len()), Vec::with_capacity(v.len()), Vec::with_capacity(v.len()));
    for (a, b, c) in v {
        out.0.push(a);
        out.1.push(b);
        out.2.push(c);
    }
    out
}

/// One line of COPY text format: tab-separated, with `\`, tab, CR and LF escaped.
fn encode_copy_row(out: &mut Vec<u8>, table: Uuid, row_no: i64, line_no: i64, columns: &[String], values: &[String]) {
    let obj: serde_json::Map<String, serde_json::Value> = columns
        .iter()
        .zip(values)
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let json = serde_json::Value::Object(obj).to_string();
    out.extend_from_slice(format!("{table}\t{row_no}\t{line_no}\t").as_bytes());
    for b in json.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    out.push(b'\n');
}

pub async fn upload_summary(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<UploadSummary> {
    user.require(Permission::DatasetRead)?;
    let up = sqlx::query!("SELECT id, owner_id, original_name, size_bytes, created_at FROM uploads WHERE id = $1", id)
        .fetch_optional(pool)
        .await?
        .filter(|u| user.may_see(u.owner_id))
        .ok_or(EngineError::NotFound { what: "upload" })?;
    let tables = sqlx::query!(
        "SELECT id, name, format, columns, rows_stored, rows_rejected FROM upload_tables
         WHERE upload_id = $1 ORDER BY position",
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
                format: t.format,
                rows: t.rows_stored,
                rejected: t.rows_rejected,
                columns: serde_json::from_value(t.columns).map_err(EngineError::internal)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(UploadSummary {
        id: up.id,
        name: up.original_name,
        size_bytes: up.size_bytes,
        created_at: up.created_at,
        files,
        skipped: vec![],
    })
}

pub async fn rejected_rows(pool: &PgPool, user: &CurrentUser, upload_id: Uuid) -> Result<Vec<RejectedRow>> {
    upload_summary(pool, user, upload_id).await?; // permission and existence
    let rows = sqlx::query_as!(
        RejectedRow,
        r#"SELECT t.name AS file, r.line_no, r.raw, r.reason FROM rejected_rows r
           JOIN upload_tables t ON t.id = r.table_id WHERE t.upload_id = $1 ORDER BY t.position, r.seq LIMIT 10000"#,
        upload_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

