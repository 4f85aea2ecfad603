//! The transform and store stages: values are typed (their evidence merged per table) and encoded as
//! COPY text for the table's own rows table; writers stream that text into PostgreSQL.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgCopyIn, PgPoolCopyExt};
use sqlx::{PgPool, Postgres};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::sink::gauge_depth;
use super::{Parsed, ParsedRow};
use crate::error::{EngineError, Result};
use crate::ingest::tables::{copy_statement, create_storage};
use crate::ingest::typing::TypeEvidence;
use crate::store::copy_escape;

/// COPY text for some rows of one table, with how many rows it holds (for the store-stage metric).
pub(super) struct Encoded {
    pub(super) table_id: Uuid,
    pub(super) stored_columns: usize,
    pub(super) text: Vec<u8>,
    pub(super) rows: u64,
}

pub(super) fn transform(
    rx: &Mutex<mpsc::Receiver<Parsed>>,
    rows_tx: &mpsc::Sender<Encoded>,
    rejects_tx: &mpsc::Sender<Encoded>,
    done_tx: &mpsc::UnboundedSender<Parsed>,
    evidence: &Mutex<HashMap<Uuid, Vec<TypeEvidence>>>,
) -> Result<()> {
    loop {
        let msg = rx.lock().map_err(EngineError::internal)?.blocking_recv();
        let Some(msg) = msg else { return Ok(()) };
        let batch = match msg {
            Parsed::Rows(b) => b,
            other => {
                done_tx.send(other).map_err(|_| EngineError::Cancelled)?;
                continue;
            }
        };
        let mut local = vec![TypeEvidence::default(); batch.columns.len()];
        let mut out = Vec::with_capacity(batch.rows.len() * 128);
        let mut json = Vec::with_capacity(512);
        for row in &batch.rows {
            for (ev, v) in local.iter_mut().zip(&row.values) {
                ev.observe(v, row.line_no);
            }
            // Columns the row lacks are empty too; count them so the evidence adds up to the rows.
            for ev in local.iter_mut().skip(row.values.len()) {
                ev.observe("", row.line_no);
            }
            encode_row(&mut out, &mut json, row, &batch.columns, batch.stored_columns)?;
        }
        {
            let mut all = evidence.lock().map_err(EngineError::internal)?;
            let mine = all.entry(batch.table_id).or_default();
            if mine.len() < local.len() {
                // Columns added later were absent (empty) in rows merged before they appeared; those rows
                // are missing from the new columns' counts, which only matters for the empty count.
                mine.resize(local.len(), TypeEvidence::default());
            }
            for (m, l) in mine.iter_mut().zip(&local) {
                m.merge(l);
            }
        }
        metrics::counter!("dgs_ingest_rows_total", "stage" => "transform").increment(batch.rows.len() as u64);
        if !out.is_empty() {
            gauge_depth("encoded", rows_tx);
            let rows = batch.rows.len() as u64;
            let encoded = Encoded { table_id: batch.table_id, stored_columns: batch.stored_columns, text: out, rows };
            rows_tx.blocking_send(encoded).map_err(|_| EngineError::Cancelled)?;
        }
        if !batch.rejects.is_empty() {
            let mut rej = Vec::new();
            for (seq, line, raw, reason) in &batch.rejects {
                rej.extend_from_slice(format!("{}\t{seq}\t{line}\t", batch.table_id).as_bytes());
                copy_escape(&mut rej, raw);
                rej.push(b'\t');
                copy_escape(&mut rej, reason);
                rej.push(b'\n');
            }
            let rows = batch.rejects.len() as u64;
            let encoded = Encoded { table_id: batch.table_id, stored_columns: batch.stored_columns, text: rej, rows };
            rejects_tx.blocking_send(encoded).map_err(|_| EngineError::Cancelled)?;
        }
    }
}

/// One line of COPY text: row, line, the first `stored` values (`\N` when empty) and the rest as a
/// JSON object of their non-empty values (or `\N`).
fn encode_row(out: &mut Vec<u8>, json: &mut Vec<u8>, row: &ParsedRow, columns: &[String], stored: usize) -> Result<()> {
    out.extend_from_slice(itoa::Buffer::new().format(row.row_no).as_bytes());
    out.push(b'\t');
    out.extend_from_slice(itoa::Buffer::new().format(row.line_no).as_bytes());
    for i in 0..stored {
        out.push(b'\t');
        match row.values.get(i) {
            Some(v) if !v.is_empty() => copy_escape(out, v),
            _ => out.extend_from_slice(b"\\N"),
        }
    }
    out.push(b'\t');
    json.clear();
    for (name, value) in columns.iter().zip(&row.values).skip(stored) {
        if value.is_empty() {
            continue;
        }
        json.push(if json.is_empty() { b'{' } else { b',' });
        serde_json::to_writer(&mut *json, &*strip_nul(name)).map_err(EngineError::internal)?;
        json.push(b':');
        serde_json::to_writer(&mut *json, &*strip_nul(value)).map_err(EngineError::internal)?;
    }
    if json.is_empty() {
        out.extend_from_slice(b"\\N");
    } else {
        json.push(b'}');
        // JSON has already escaped control characters; COPY text format only needs backslashes doubled.
        for &b in json.iter() {
            if b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
    }
    out.push(b'\n');
    Ok(())
}

/// PostgreSQL text cannot hold NUL; files with NUL padding are common (old exports).
fn strip_nul(s: &str) -> std::borrow::Cow<'_, str> {
    if s.as_bytes().contains(&0) { s.replace('\0', "").into() } else { s.into() }
}

/// Rejected rows: one COPY per writer into the shared `rejected_rows` for the whole upload.
pub(super) async fn write_copy(
    pool: &PgPool,
    statement: &'static str,
    rx: &tokio::sync::Mutex<mpsc::Receiver<Encoded>>,
    cancel: &CancellationToken,
    what: &'static str,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let mut copy = conn.copy_in_raw(statement).await?;
    loop {
        let next = rx.lock().await.recv().await;
        let Some(Encoded { text, rows, .. }) = next else { break };
        if let Err(e) = copy.send(text).await {
            let _ = copy.abort("write failed").await;
            return Err(e.into());
        }
        metrics::counter!("dgs_ingest_rows_total", "stage" => "store", "what" => what).increment(rows);
    }
    if cancel.is_cancelled() {
        let _ = copy.abort("cancelled").await;
        return Err(EngineError::Cancelled);
    }
    copy.finish().await?;
    Ok(())
}

/// COPY streams a writer keeps open at once, one per table; batches of the files being parsed
/// interleave, and closing a stream at every switch would commit (and fsync) every few batches.
const OPEN_COPIES_PER_WRITER: usize = 2;

type TableCopy = (Uuid, PgCopyIn<PoolConnection<Postgres>>);

/// Rows: each batch goes into its table's own rows table, created by whichever writer sees the table
/// first. A failed or cancelled upload drops those tables, so streams may commit as they close.
pub(super) async fn write_rows(
    pool: &PgPool,
    upload_id: Uuid,
    rx: &tokio::sync::Mutex<mpsc::Receiver<Encoded>>,
    cancel: &CancellationToken,
    created: &tokio::sync::Mutex<HashSet<Uuid>>,
    copied: &Mutex<HashMap<Uuid, u64>>,
) -> Result<()> {
    // What the database says each COPY stored, per table: the caller checks it against what was read.
    let record = |table: Uuid, rows: u64| -> Result<()> {
        *copied.lock().map_err(EngineError::internal)?.entry(table).or_default() += rows;
        Ok(())
    };
    let mut open: Vec<TableCopy> = Vec::new();
    let result = async {
        loop {
            let next = rx.lock().await.recv().await;
            let Some(batch) = next else { return Ok(()) };
            let mut copy = match open.iter().position(|(id, _)| *id == batch.table_id) {
                Some(p) => open.remove(p),
                None => {
                    if open.len() >= OPEN_COPIES_PER_WRITER {
                        let (table, copy) = open.remove(0);
                        record(table, copy.finish().await?)?;
                    }
                    {
                        let mut made = created.lock().await;
                        if !made.contains(&batch.table_id) {
                            let mut conn = pool.acquire().await?;
                            create_storage(&mut conn, upload_id, batch.table_id, batch.stored_columns).await?;
                            made.insert(batch.table_id);
                        }
                    }
                    (batch.table_id, pool.copy_in_raw(&copy_statement(batch.table_id, batch.stored_columns)).await?)
                }
            };
            let sent = copy.1.send(batch.text).await.map(|_| ());
            open.push(copy); // most recently used last
            sent?;
            metrics::counter!("dgs_ingest_rows_total", "stage" => "store", "what" => "rows").increment(batch.rows);
        }
    }
    .await;
    if let Err(e) = result {
        for (_, copy) in open {
            let _ = copy.abort("write failed").await;
        }
        return Err(e);
    }
    if cancel.is_cancelled() {
        for (_, copy) in open {
            let _ = copy.abort("cancelled").await;
        }
        return Err(EngineError::Cancelled);
    }
    for (table, copy) in open {
        record(table, copy.finish().await?)?;
    }
    Ok(())
}
