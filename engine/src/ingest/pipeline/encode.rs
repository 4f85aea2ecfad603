//! The transform and store stages: values are typed (their evidence merged per table) and encoded as
//! COPY text; writers stream that text into PostgreSQL, one COPY per writer for the whole upload.

use std::collections::HashMap;
use std::sync::Mutex;

use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::sink::gauge_depth;
use super::{Parsed, ParsedRow};
use crate::error::{EngineError, Result};
use crate::ingest::typing::TypeEvidence;
use crate::store::copy_escape;

/// COPY text for some rows, with how many rows it holds (for the store-stage metric).
pub(super) struct Encoded {
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
            encode_row(&mut out, &mut json, batch.table_id, row, &batch.columns)?;
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
            rows_tx.blocking_send(Encoded { text: out, rows }).map_err(|_| EngineError::Cancelled)?;
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
            rejects_tx.blocking_send(Encoded { text: rej, rows }).map_err(|_| EngineError::Cancelled)?;
        }
    }
}

/// One line of COPY text: table, row, line and the row as a JSON object of its non-empty values.
fn encode_row(out: &mut Vec<u8>, json: &mut Vec<u8>, table: Uuid, row: &ParsedRow, columns: &[String]) -> Result<()> {
    json.clear();
    json.push(b'{');
    let mut first = true;
    for (name, value) in columns.iter().zip(&row.values) {
        if value.is_empty() {
            continue;
        }
        if !first {
            json.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut *json, &*strip_nul(name)).map_err(EngineError::internal)?;
        json.push(b':');
        serde_json::to_writer(&mut *json, &*strip_nul(value)).map_err(EngineError::internal)?;
    }
    json.push(b'}');
    out.extend_from_slice(format!("{table}\t{}\t{}\t", row.row_no, row.line_no).as_bytes());
    // JSON has already escaped control characters; COPY text format only needs backslashes doubled.
    for &b in json.iter() {
        if b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\n');
    Ok(())
}

/// PostgreSQL text cannot hold NUL; files with NUL padding are common (old exports).
fn strip_nul(s: &str) -> std::borrow::Cow<'_, str> {
    if s.as_bytes().contains(&0) { s.replace('\0', "").into() } else { s.into() }
}

/// One COPY per writer for the whole upload: it commits when the last batch is in, or not at all.
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
        let Some(Encoded { text, rows }) = next else { break };
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
