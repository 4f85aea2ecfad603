//! The ingest pipeline: read → validate → transform → store, each stage on its own threads or tasks,
//! joined by bounded channels so memory stays flat however large the upload (seed 003).
//!
//! * parsers (blocking threads) take whole files from a queue and report rows through `PipelineSink`;
//! * transformers (blocking threads) type the values and encode COPY text;
//! * writers (async tasks) stream that text with COPY into each table's own rows table (see
//!   `ingest::tables`), and one more writer does the same for `rejected_rows`;
//! * once every row is in, each table gets its unique index on row_no and its stored rows counted.
//!
//! A file that cannot be read fails alone: its rows are removed afterwards and it is reported with
//! its reason. Cancellation stops every stage at its next batch.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::archive::{Entry, Format, InflateBudget, Source, copy_entry, with_zip_entry};
use super::isolate::{WorkbookSandbox, read_workbook_isolated};
use super::sheet_reader::WorkbookKind;
use super::tables::{create_storage, seal_storage};
use super::typing::TypeEvidence;
use super::{IngestLimits, csv_reader, json_reader, sheet_reader};
use crate::error::{EngineError, Result};
use encode::{Encoded, transform, write_copy, write_rows};
use sink::PipelineSink;

mod encode;
mod sink;

const CHANNEL_DEPTH: usize = 8;

pub struct PipelineOptions {
    pub parsers: usize,
    pub transformers: usize,
    pub writers: usize,
    pub cancel: CancellationToken,
    /// Reads .xls/.xlsb/.ods in a memory-capped child process; in-process when absent.
    pub workbook_sandbox: Option<Arc<WorkbookSandbox>>,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            parsers: cores,
            transformers: cores.div_ceil(2),
            writers: 2,
            cancel: CancellationToken::new(),
            workbook_sandbox: None,
        }
    }
}

/// A table as read: where it came from, what it holds and how each count came about.
#[derive(Debug, Clone)]
pub struct TableReport {
    pub id: Uuid,
    pub position: i32,
    pub file: String,
    pub sheet: Option<String>,
    pub format: &'static str,
    pub details: Vec<String>,
    pub warnings: Vec<String>,
    pub columns: Vec<String>,
    pub evidence: Vec<TypeEvidence>,
    /// How many of `columns` are real columns of the rows' table; the rest are in its overflow.
    pub stored_columns: usize,
    /// Rows the database reported storing (its COPY counts).
    pub rows_in_storage: i64,
    pub rows_read: i64,
    pub rows_stored: i64,
    pub rows_rejected: i64,
}

#[derive(Debug, Clone)]
pub struct FailedFile {
    pub name: String,
    pub reason: String,
    pub table_ids: Vec<Uuid>,
}

#[derive(Debug, Default)]
pub struct PipelineOutcome {
    pub tables: Vec<TableReport>,
    pub failed: Vec<FailedFile>,
}

pub(super) struct ParsedRow {
    row_no: i64,
    line_no: i64,
    values: Vec<String>,
}

pub(super) struct RowBatch {
    table_id: Uuid,
    stored_columns: usize,
    columns: Arc<Vec<String>>,
    rows: Vec<ParsedRow>,
    rejects: Vec<(i64, i64, String, String)>, // (seq, line, raw, reason)
}

pub(super) enum Parsed {
    Rows(RowBatch),
    TableDone(TableReport),
    FileFailed(FailedFile),
}

/// Runs the pipeline over `entries`. Every row lands in PostgreSQL before this returns; failed files'
/// rows are still there and must be deleted by the caller (it knows which, from `failed`).
pub async fn run(
    pool: &PgPool,
    upload_id: Uuid,
    entries: Vec<Entry>,
    limits: &IngestLimits,
    budget: Arc<InflateBudget>,
    work_dir: &std::path::Path,
    opts: &PipelineOptions,
    created: Arc<Mutex<Vec<Uuid>>>,
) -> Result<PipelineOutcome> {
    let started = Instant::now();
    // The costliest files start first, so the last one to finish is not a big workbook begun late
    // (positions keep the upload's own order).
    let mut entries: Vec<(usize, Entry)> = entries.into_iter().enumerate().collect();
    entries.sort_by_key(|(_, e)| std::cmp::Reverse(read_cost(e)));
    let queue = Arc::new(Mutex::new(entries.into_iter().collect::<VecDeque<_>>()));
    let parsers = opts.parsers.max(1).min(queue.lock().map_or(1, |q| q.len()).max(1));
    let (parsed_tx, parsed_rx) = mpsc::channel::<Parsed>(CHANNEL_DEPTH);
    let (rows_tx, rows_rx) = mpsc::channel::<Encoded>(CHANNEL_DEPTH);
    let (rejects_tx, rejects_rx) = mpsc::channel::<Encoded>(CHANNEL_DEPTH);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Parsed>();
    let evidence: Arc<Mutex<HashMap<Uuid, Vec<TypeEvidence>>>> = Arc::default();

    let mut parser_tasks = Vec::new();
    for _ in 0..parsers {
        let (queue, tx, cancel, limits, budget) = (queue.clone(), parsed_tx.clone(), opts.cancel.clone(), limits.clone(), budget.clone());
        let (work_dir, created, sandbox) = (work_dir.to_path_buf(), created.clone(), opts.workbook_sandbox.clone());
        parser_tasks.push(tokio::task::spawn_blocking(move || {
            let r = parse_files(&queue, &tx, &cancel, &limits, &budget, &work_dir, &created, sandbox.as_deref());
            if r.is_err() {
                cancel.cancel(); // the writers must roll back rather than commit a partial upload
            }
            r
        }));
    }
    drop(parsed_tx);

    let parsed_rx = Arc::new(Mutex::new(parsed_rx));
    let mut transform_tasks = Vec::new();
    for _ in 0..opts.transformers.max(1) {
        let (rx, rows_tx, rejects_tx, done_tx, evidence) =
            (parsed_rx.clone(), rows_tx.clone(), rejects_tx.clone(), done_tx.clone(), evidence.clone());
        transform_tasks.push(tokio::task::spawn_blocking(move || transform(&rx, &rows_tx, &rejects_tx, &done_tx, &evidence)));
    }
    drop((rows_tx, rejects_tx, done_tx));

    let rows_rx = Arc::new(tokio::sync::Mutex::new(rows_rx));
    let storage: Arc<tokio::sync::Mutex<HashSet<Uuid>>> = Arc::default();
    let copied: Arc<Mutex<HashMap<Uuid, u64>>> = Arc::default();
    let mut writer_tasks = Vec::new();
    for _ in 0..opts.writers.max(1) {
        let (pool, rx, cancel, storage, copied) = (pool.clone(), rows_rx.clone(), opts.cancel.clone(), storage.clone(), copied.clone());
        writer_tasks.push(tokio::spawn(async move { write_rows(&pool, upload_id, &rx, &cancel, &storage, &copied).await }));
    }
    let rejects_rx = Arc::new(tokio::sync::Mutex::new(rejects_rx));
    let (rejects_pool, cancel) = (pool.clone(), opts.cancel.clone());
    writer_tasks.push(tokio::spawn(async move {
        let statement = "COPY rejected_rows (table_id, seq, line_no, raw, reason) FROM STDIN";
        write_copy(&rejects_pool, statement, &rejects_rx, &cancel, "rejects").await
    }));

    // Collect results; stop everything at the first fatal error.
    let mut first_error: Option<EngineError> = None;
    let mut note = |e: EngineError| {
        opts.cancel.cancel();
        // "Cancelled" is usually a consequence (a stage saw its channel close); keep the cause.
        if first_error.as_ref().is_none_or(|f| matches!(f, EngineError::Cancelled)) {
            first_error = Some(e);
        }
    };
    for t in parser_tasks.into_iter().chain(transform_tasks) {
        if let Err(e) = t.await.map_err(EngineError::internal).and_then(|r| r) {
            note(e);
        }
    }
    for t in writer_tasks {
        if let Err(e) = t.await.map_err(EngineError::internal).and_then(|r| r) {
            note(e);
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let mut outcome = PipelineOutcome::default();
    while let Ok(msg) = done_rx.try_recv() {
        match msg {
            Parsed::TableDone(t) => outcome.tables.push(t),
            Parsed::FileFailed(f) => outcome.failed.push(f),
            Parsed::Rows(_) => {}
        }
    }
    {
        let mut evidence = evidence.lock().map_err(EngineError::internal)?;
        for t in &mut outcome.tables {
            let mut ev = evidence.remove(&t.id).unwrap_or_default();
            ev.resize(t.columns.len(), TypeEvidence::default());
            t.evidence = ev;
        }
    }
    let failed: Vec<Uuid> = outcome.failed.iter().flat_map(|f| f.table_ids.clone()).collect();
    outcome.tables.retain(|t| !failed.contains(&t.id));
    outcome.tables.sort_by_key(|t| t.position);
    {
        let copied = copied.lock().map_err(EngineError::internal)?;
        for t in &mut outcome.tables {
            t.rows_in_storage = copied.get(&t.id).map_or(0, |n| i64::try_from(*n).unwrap_or(i64::MAX));
        }
    }
    seal_tables(pool, upload_id, &outcome.tables).await?;
    let rows: i64 = outcome.tables.iter().map(|t| t.rows_stored).sum();
    tracing::info!(rows, tables = outcome.tables.len(), failed = outcome.failed.len(), secs = started.elapsed().as_secs_f64(), "ingest pipeline done");
    Ok(outcome)
}

/// Roughly how long a file takes to read, in CSV bytes: a workbook's bytes are compressed XML, each
/// one several cells' worth (measured by the ingest benchmark: ~25× a CSV byte), JSON's are ~1.5×.
fn read_cost(e: &Entry) -> u64 {
    match e.format {
        Format::Workbook(_) => e.size.saturating_mul(25),
        Format::Json | Format::Jsonl => e.size.saturating_mul(3) / 2,
        _ => e.size,
    }
}

/// Every loaded table gets its index (a table without rows, its empty rows table first), two at a
/// time.
async fn seal_tables(pool: &PgPool, upload_id: Uuid, tables: &[TableReport]) -> Result<()> {
    let mut waiting: VecDeque<(Uuid, usize, bool)> =
        tables.iter().map(|t| (t.id, t.stored_columns, t.rows_in_storage == 0)).collect();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < 2 {
            let Some((id, stored, never_written)) = waiting.pop_front() else { break };
            let pool = pool.clone();
            running.spawn(async move {
                let mut conn = pool.acquire().await?;
                // A writer created the table of every table that had rows.
                if never_written {
                    create_storage(&mut conn, upload_id, id, stored).await?;
                }
                seal_storage(&mut conn, id).await
            });
        }
        match running.join_next().await {
            Some(done) => done.map_err(EngineError::internal)??,
            None => return Ok(()),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_files(
    queue: &Mutex<VecDeque<(usize, Entry)>>,
    tx: &mpsc::Sender<Parsed>,
    cancel: &CancellationToken,
    limits: &IngestLimits,
    budget: &Arc<InflateBudget>,
    work_dir: &std::path::Path,
    created: &Mutex<Vec<Uuid>>,
    sandbox: Option<&WorkbookSandbox>,
) -> Result<()> {
    loop {
        let Some((idx, entry)) = queue.lock().map_err(EngineError::internal)?.pop_front() else { return Ok(()) };
        let mut sink = PipelineSink::new(tx, cancel, idx, &entry, created);
        // A parser library panicking on a malformed file must fail that file, not the whole upload.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse_entry(&entry, idx, limits, budget, work_dir, sandbox, &mut sink)
        }))
        .unwrap_or_else(|_| Err(EngineError::UnreadableFile { file: entry.name.clone(), reason: "the file is malformed (its reader gave up)".into() }));
        if let Some(reason) = budget.breach() {
            return Err(EngineError::Refused { file: entry.name.clone(), reason });
        }
        let failure = match result {
            Ok(()) => continue,
            Err(EngineError::UnreadableFile { reason, .. }) => reason,
            // A reader's I/O error is the file's fault (a corrupt entry), not the server's.
            Err(EngineError::Internal(msg)) if msg.starts_with("io:") => msg.trim_start_matches("io: ").to_string(),
            Err(e) => return Err(e),
        };
        metrics::counter!("dgs_ingest_files_failed_total").increment(1);
        let failed = FailedFile { name: entry.name.clone(), reason: failure, table_ids: sink.table_ids() };
        tx.blocking_send(Parsed::FileFailed(failed)).map_err(|_| EngineError::Cancelled)?;
    }
}

fn parse_entry(
    entry: &Entry,
    idx: usize,
    limits: &IngestLimits,
    budget: &Arc<InflateBudget>,
    work_dir: &std::path::Path,
    sandbox: Option<&WorkbookSandbox>,
    sink: &mut PipelineSink<'_>,
) -> Result<()> {
    let name = entry.name.as_str();
    let workbook = |path: &std::path::Path, kind: WorkbookKind, sink: &mut PipelineSink<'_>| match sandbox {
        // .xlsx streams cell by cell; the whole-sheet formats go to the capped child.
        Some(sb) if kind != WorkbookKind::Xlsx => read_workbook_isolated(sb, path, kind, name, sink),
        _ => sheet_reader::read_workbook(path, kind, name, sink),
    };
    let read_stream = |r: &mut dyn std::io::Read, sink: &mut PipelineSink<'_>| match entry.format {
        Format::Csv | Format::Tsv => csv_reader::read_csv(r, name, sink),
        Format::Json => json_reader::read_json(r, name, sink),
        Format::Jsonl => json_reader::read_jsonl(r, name, sink),
        Format::Workbook(_) | Format::Zip => Err(EngineError::internal("not a stream format")),
    };
    match (&entry.source, entry.format) {
        (Source::File(path), Format::Workbook(kind)) => workbook(path, kind, sink),
        (Source::Zip { archive, index }, Format::Workbook(kind)) => {
            let tmp = work_dir.join(format!("entry-{idx}"));
            copy_entry(archive, *index, &tmp, name, limits, budget)?;
            let r = workbook(&tmp, kind, sink);
            let _ = std::fs::remove_file(&tmp);
            r
        }
        (Source::File(path), _) => read_stream(&mut std::fs::File::open(path)?, sink),
        (Source::Zip { archive, index }, _) => with_zip_entry(archive, *index, name, limits, budget, |r| read_stream(r, sink)),
    }
}
