//! Ingestion: what an upload holds (one file or a ZIP's entries, hostile archives refused), the
//! streaming readers per format, the concurrent pipeline that stores rows and rejected rows with COPY,
//! and column typing with its evidence. For every table, rows read = rows stored + rows rejected.

#[cfg(feature = "readers")]
pub mod archive;
#[cfg(feature = "readers")]
pub mod csv_reader;
#[cfg(feature = "readers")]
pub mod isolate;
pub mod notes;
#[cfg(feature = "readers")]
mod json_flatten;
#[cfg(feature = "readers")]
pub mod json_reader;
#[cfg(feature = "server")]
mod pipeline;
#[cfg(feature = "readers")]
pub mod sheet_reader;
#[cfg(feature = "readers")]
pub mod sink;
#[cfg(feature = "server")]
pub mod staging;
#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
pub mod tables;
mod typing;
mod wire;

#[cfg(feature = "server")]
pub use pipeline::PipelineOptions;
#[cfg(feature = "server")]
pub use store::{
    NewUpload, delete_upload, ingest_upload, list_uploads, override_column_type, rejected_rows, sweep_abandoned_uploads, table_preview,
    upload_summary,
};
pub use typing::{ColumnType, TypeEvidence, TypeExample, infer_type, parse_datetime, parse_number, widen};
pub use wire::*;

/// What an upload may expand to. Defaults fit real ledgers and refuse zip bombs.
#[derive(Debug, Clone)]
pub struct IngestLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    /// Uncompressed ÷ compressed size, for entries (and archives) over 1 MiB.
    pub max_ratio: u64,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self { max_entries: 10_000, max_entry_bytes: 4 << 30, max_total_bytes: 16 << 30, max_ratio: 100 }
    }
}
