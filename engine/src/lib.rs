//! The headless core of the Data Governance Service. The REST API, the Leptos server functions and
//! the job workers all call into this crate, so every behaviour is defined once.
//!
//! Without the `server` feature only wire types and pure rules are compiled, so the browser build can
//! share them (text normalisation, prompt compilation, the offline classifier, roles).

pub mod auth;
pub mod classify;
pub mod clean;
pub mod eav;
pub mod error;
pub mod etl;
pub mod events;
#[cfg(feature = "readers")]
pub mod export;
pub mod ingest;
pub mod lang;
pub mod reports;
pub mod review;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod retry;
#[cfg(feature = "server")]
pub mod store;

pub use error::{Conflict, CredentialRule, EngineError, ErrorBody, ErrorCode, Field, Resource};
pub use lang::Lang;

/// The shared handles every entry point (REST, server functions, workers) works with.
#[cfg(feature = "server")]
#[derive(Clone)]
pub struct Services {
    pub pool: sqlx::PgPool,
    pub queue: jobs::JobQueue,
    pub runs: classify::runs::RunContext,
    pub data_dir: std::path::PathBuf,
    pub upload_max_bytes: u64,
    pub ingest_limits: ingest::IngestLimits,
    /// Concurrent COPY streams per upload.
    pub ingest_writers: usize,
    pub workbook_sandbox: Option<std::sync::Arc<ingest::isolate::WorkbookSandbox>>,
    pub passkeys: auth::passkeys::Passkeys,
    /// Governed tables.
    pub tables: eav::Store,
    /// Marketing sources' runs (HTTP client and retries), the signed export, retention.
    pub etl: etl::runs::EtlContext,
    pub sink: Option<etl::sink::SinkConfig>,
    pub retention_days: u32,
    /// Seed 003's event pipeline, one per process.
    pub events: std::sync::Arc<events::pipeline::Pipeline>,
}

#[cfg(feature = "server")]
impl Services {
    pub fn pipeline_options(&self) -> ingest::PipelineOptions {
        ingest::PipelineOptions {
            writers: self.ingest_writers,
            workbook_sandbox: self.workbook_sandbox.clone(),
            ..Default::default()
        }
    }
}
