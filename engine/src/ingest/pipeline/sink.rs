//! The parser side of the pipeline: a `TableSink` that numbers rows, batches them for the
//! transformers and keeps each table's counts and warnings.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Parsed, ParsedRow, RowBatch, TableReport};
use crate::error::{EngineError, Result};
use crate::ingest::archive::Entry;
use crate::ingest::sink::{TableSink, TableStart};
use crate::ingest::tables::MAX_STORED_COLUMNS;

const BATCH_ROWS: usize = 4_000;
const BATCH_BYTES: usize = 2 << 20;

/// The parser side of the pipeline: numbers rows, batches them and keeps each table's counts.
pub(super) struct PipelineSink<'a> {
    tx: &'a mpsc::Sender<Parsed>,
    cancel: &'a CancellationToken,
    entry_idx: usize,
    file: String,
    format: &'static str,
    tables: Vec<Uuid>,
    current: Option<TableReport>,
    columns: Arc<Vec<String>>,
    stored_columns: Option<usize>,
    batch: Vec<ParsedRow>,
    batch_bytes: usize,
    rejects: Vec<(i64, i64, String, String)>,
    loose_warnings: Vec<String>,
    created: &'a Mutex<Vec<Uuid>>,
}

impl<'a> PipelineSink<'a> {
    pub(super) fn new(
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
            stored_columns: None,
            batch: Vec::new(),
            batch_bytes: 0,
            rejects: Vec::new(),
            loose_warnings: Vec::new(),
            created,
        }
    }

    pub(super) fn table_ids(&self) -> Vec<Uuid> {
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
        // The table's real columns are fixed by its first batch; JSON keys seen later go to overflow.
        let stored_columns = match self.stored_columns {
            Some(n) => n,
            None => {
                let n = self.columns.len().min(MAX_STORED_COLUMNS);
                self.stored_columns = Some(n);
                n
            }
        };
        let batch = RowBatch {
            table_id: t.id,
            stored_columns,
            columns: self.columns.clone(),
            rows: std::mem::take(&mut self.batch),
            rejects: std::mem::take(&mut self.rejects),
        };
        self.batch_bytes = 0;
        gauge_depth("parsed", self.tx);
        self.tx.blocking_send(Parsed::Rows(batch)).map_err(|_| EngineError::Cancelled)
    }
}

pub(super) fn gauge_depth<T>(queue: &'static str, tx: &mpsc::Sender<T>) {
    metrics::gauge!("dgs_ingest_queue_depth", "queue" => queue).set((tx.max_capacity() - tx.capacity()) as f64);
}

impl TableSink for PipelineSink<'_> {
    fn begin(&mut self, table: TableStart) -> Result<()> {
        let id = Uuid::new_v4();
        let position = i32::try_from(self.entry_idx * 1_000 + self.tables.len().min(999)).unwrap_or(i32::MAX);
        self.tables.push(id);
        self.created.lock().map_err(EngineError::internal)?.push(id);
        self.columns = Arc::new(table.columns.clone());
        self.stored_columns = None;
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
            stored_columns: 0,
            rows_in_storage: 0,
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
        t.stored_columns = self.stored_columns.unwrap_or(t.columns.len().min(MAX_STORED_COLUMNS));
        self.tx.blocking_send(Parsed::TableDone(t)).map_err(|_| EngineError::Cancelled)
    }
}
