//! The ingest pipeline: read → validate → transform → store, each stage on its own threads or tasks,
//! joined by bounded channels so memory stays flat however large the upload (seed 003).
//!
//! * parsers (blocking threads) take whole files from a queue and report rows through `PipelineSink`;
//! * transformers (blocking threads) type the values and encode COPY text;
//! * writers (async tasks, one connection each) stream that text into `upload_rows` with COPY, and one
//!   more writer does the same for `rejected_rows`.
//!
//! A file that cannot be read fails alone: its rows are removed afterwards and it is reported with
//! its reason. Cancellation stops every stage at its next batch.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::archive::{Entry, Format, InflateBudget, Source, copy_entry, with_zip_entry};
use super::isolate::{WorkbookSandbox, read_workbook_isolated};
use super::sheet_reader::WorkbookKind;
use super::sink::{TableSink, TableStart};
use super::typing::TypeEvidence;
use super::{IngestLimits, csv_reader, json_reader, sheet_reader};
use crate::error::{EngineError, Result};

const BATCH_ROWS: usize = 4_000;
const BATCH_BYTES: usize = 2 << 20;
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

struct ParsedRow {
    row_no: i64,
    line_no: i64,
    values: Vec<String>,
}

struct RowBatch {
    table_id: Uuid,
    columns: Arc<Vec<String>>,
    rows: Vec<ParsedRow>,
    rejects: Vec<(i64, i64, String, String)>, // (seq, line, raw, reason)
}

enum Parsed {
    Rows(RowBatch),
    TableDone(TableReport),
    FileFailed(FailedFile),
}

/// Runs the pipeline over `entries`. Every row lands in PostgreSQL before this returns; failed files'
/// rows are still there and must be deleted by the caller (it knows which, from `failed`).
pub async fn run(
    pool: &PgPool,
    entries: Vec<Entry>,
    limits: &IngestLimits,
    budget: Arc<InflateBudget>,
    work_dir: &std::path::Path,
    opts: &PipelineOptions,
    created: Arc<Mutex<Vec<Uuid>>>,
) -> Result<PipelineOutcome> {
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(entries.into_iter().enumerate().collect::<VecDeque<_>>()));
    let parsers = opts.parsers.max(1).min(queue.lock().map_or(1, |q| q.len()).max(1));
    let (parsed_tx, parsed_rx) = mpsc::channel::<Parsed>(CHANNEL_DEPTH);
    let (rows_tx, rows_rx) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
    let (rejects_tx, rejects_rx) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
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
    let mut writer_tasks = Vec::new();
    for _ in 0..opts.writers.max(1) {
        let (pool, rx, cancel) = (pool.clone(), rows_rx.clone(), opts.cancel.clone());
        writer_tasks.push(tokio::spawn(async move {
            write_copy(&pool, "COPY upload_rows (table_id, row_no, line_no, data) FROM STDIN", &rx, &cancel, "rows").await
        }));
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
    let mut evidence = evidence.lock().map_err(EngineError::internal)?;
    for t in &mut outcome.tables {
        let mut ev = evidence.remove(&t.id).unwrap_or_default();
        ev.resize(t.columns.len(), TypeEvidence::default());
        t.evidence = ev;
    }
    let failed: Vec<Uuid> = outcome.failed.iter().flat_map(|f| f.table_ids.clone()).collect();
    outcome.tables.retain(|t| !failed.contains(&t.id));
    outcome.tables.sort_by_key(|t| t.position);
    let rows: i64 = outcome.tables.iter().map(|t| t.rows_stored).sum();
    tracing::info!(rows, tables = outcome.tables.len(), failed = outcome.failed.len(), secs = started.elapsed().as_secs_f64(), "ingest pipeline done");
    Ok(outcome)
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

/// The parser side of the pipeline: numbers rows, batches them and keeps each table's counts.
struct PipelineSink<'a> {
    tx: &'a mpsc::Sender<Parsed>,
    cancel: &'a CancellationToken,
    entry_idx: usize,
    file: String,
    format: &'static str,
    tables: Vec<Uuid>,
    current: Option<TableReport>,
    columns: Arc<Vec<String>>,
    batch: Vec<ParsedRow>,
    batch_bytes: usize,
    rejects: Vec<(i64, i64, String, String)>,
    loose_warnings: Vec<String>,
    created: &'a Mutex<Vec<Uuid>>,
}

impl<'a> PipelineSink<'a> {
    fn new(
        tx: &'a mpsc::Sender<Parsed>,
        cancel: &'a CancellationToken,
        entry_idx: usize,
        entry: &Entry,
        created: &'a Mutex<Vec<Uuid>>,
    ) -> Self {
        Self {
            tx,
            cancel,
            entry_idx,
            file: entry.name.clone(),
            format: entry.format.label(),
            tables: Vec::new(),
            current: None,
            columns: Arc::default(),
            batch: Vec::new(),
            batch_bytes: 0,
            rejects: Vec::new(),
            loose_warnings: Vec::new(),
            created,
        }
    }

    fn table_ids(&self) -> Vec<Uuid> {
        self.tables.clone()
    }

    fn table(&mut self) -> Result<&mut TableReport> {
        self.current.as_mut().ok_or_else(|| EngineError::internal("a reader reported a row outside a table"))
    }

    fn flush(&mut self) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let Some(t) = &self.current else { return Ok(()) };
        if self.batch.is_empty() && self.rejects.is_empty() {
            return Ok(());
        }
        metrics::counter!("dgs_ingest_rows_total", "stage" => "read").increment(self.batch.len() as u64);
        let batch = RowBatch {
            table_id: t.id,
            columns: self.columns.clone(),
            rows: std::mem::take(&mut self.batch),
            rejects: std::mem::take(&mut self.rejects),
        };
        self.batch_bytes = 0;
        gauge_depth("parsed", self.tx);
        self.tx.blocking_send(Parsed::Rows(batch)).map_err(|_| EngineError::Cancelled)
    }
}

fn gauge_depth<T>(queue: &'static str, tx: &mpsc::Sender<T>) {
    metrics::gauge!("dgs_ingest_queue_depth", "queue" => queue).set((tx.max_capacity() - tx.capacity()) as f64);
}

impl TableSink for PipelineSink<'_> {
    fn begin(&mut self, table: TableStart) -> Result<()> {
        let id = Uuid::new_v4();
        let position = i32::try_from(self.entry_idx * 1_000 + self.tables.len().min(999)).unwrap_or(i32::MAX);
        self.tables.push(id);
        self.created.lock().map_err(EngineError::internal)?.push(id);
        self.columns = Arc::new(table.columns.clone());
        self.current = Some(TableReport {
            id,
            position,
            file: self.file.clone(),
            sheet: table.sheet,
            format: self.format,
            details: table.details,
            warnings: std::mem::take(&mut self.loose_warnings),
            columns: table.columns,
            evidence: vec![],
            rows_read: 0,
            rows_stored: 0,
            rows_rejected: 0,
        });
        Ok(())
    }

    fn row(&mut self, line_no: i64, columns: &[String], values: &[String]) -> Result<()> {
        if columns.len() != self.columns.len() {
            self.columns = Arc::new(columns.to_vec());
        }
        let t = self.table()?;
        t.rows_read += 1;
        t.rows_stored += 1;
        let row_no = t.rows_stored;
        self.batch_bytes += values.iter().map(String::len).sum::<usize>() + 16;
        self.batch.push(ParsedRow { row_no, line_no, values: values.to_vec() });
        if self.batch.len() >= BATCH_ROWS || self.batch_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn reject(&mut self, line_no: i64, raw: &str, reason: &str) -> Result<()> {
        let t = self.table()?;
        t.rows_read += 1;
        t.rows_rejected += 1;
        let seq = t.rows_rejected;
        self.rejects.push((seq, line_no, raw.to_string(), reason.to_string()));
        metrics::counter!("dgs_ingest_rows_rejected_total").increment(1);
        if self.rejects.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn warn(&mut self, message: String) {
        match &mut self.current {
            Some(t) => t.warnings.push(message),
            None => self.loose_warnings.push(message),
        }
    }

    fn end(&mut self) -> Result<()> {
        self.flush()?;
        let mut t = self.current.take().ok_or_else(|| EngineError::internal("a table ended twice"))?;
        t.columns = self.columns.to_vec();
        self.tx.blocking_send(Parsed::TableDone(t)).map_err(|_| EngineError::Cancelled)
    }
}

fn transform(
    rx: &Mutex<mpsc::Receiver<Parsed>>,
    rows_tx: &mpsc::Sender<Vec<u8>>,
    rejects_tx: &mpsc::Sender<Vec<u8>>,
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
            rows_tx.blocking_send(out).map_err(|_| EngineError::Cancelled)?;
        }
        if !batch.rejects.is_empty() {
            let mut rej = Vec::new();
            for (seq, line, raw, reason) in &batch.rejects {
                rej.extend_from_slice(format!("{}\t{seq}\t{line}\t", batch.table_id).as_bytes());
                copy_escape(&mut rej, &strip_nul(raw));
                rej.push(b'\t');
                copy_escape(&mut rej, &strip_nul(reason));
                rej.push(b'\n');
            }
            rejects_tx.blocking_send(rej).map_err(|_| EngineError::Cancelled)?;
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

fn copy_escape(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// One COPY per writer for the whole upload: it commits when the last batch is in, or not at all.
async fn write_copy(
    pool: &PgPool,
    statement: &'static str,
    rx: &tokio::sync::Mutex<mpsc::Receiver<Vec<u8>>>,
    cancel: &CancellationToken,
    what: &'static str,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let mut copy = conn.copy_in_raw(statement).await?;
    loop {
        let next = rx.lock().await.recv().await;
        let Some(bytes) = next else { break };
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        if let Err(e) = copy.send(bytes).await {
            let _ = copy.abort("write failed").await;
            return Err(e.into());
        }
        metrics::counter!("dgs_ingest_rows_total", "stage" => "store", "what" => what).increment(lines);
    }
    if cancel.is_cancelled() {
        let _ = copy.abort("cancelled").await;
        return Err(EngineError::Cancelled);
    }
    copy.finish().await?;
    Ok(())
}
