//! Ingestion: reading uploaded files into rows (plus rejected rows with their reasons), typing their
//! columns and storing both in PostgreSQL. For every file, rows read = rows stored + rows rejected.

#[cfg(feature = "server")]
mod csv_reader;
#[cfg(feature = "server")]
mod store;
mod typing;
mod wire;

#[cfg(feature = "server")]
pub use csv_reader::{CsvTable, read_csv};
#[cfg(feature = "server")]
pub use store::{NewUpload, ingest_upload, rejected_rows, upload_summary};
pub use typing::{ColumnType, infer_type};
pub use wire::*;
