//! Why a marketing source, run, export or event batch was refused. Each case has its code.

use serde_json::{Value, json};

use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EtlError {
    /// The source's settings do not make a source: `path` names the part (`fields.date.path`).
    #[error("{path}: {message}")]
    SourceInvalid { path: String, message: String },
    #[error("this source was changed by someone else (now version {current}); reload it and try again")]
    SourceVersionConflict { current: i32 },
    /// A run of this source is waiting or running: one at a time.
    #[error("a run of this source is already waiting or running")]
    RunActive,
    /// The governed table the runs land in exists with a shape they cannot write.
    #[error("the table {table} cannot take marketing data: {message}")]
    TableConflict { table: String, message: String },
    #[error("no sink is configured: set SINK_URL and SINK_SECRET")]
    SinkNotConfigured,
    #[error("the sink answered {status}: {message}")]
    SinkFailed { status: u16, message: String },
    /// An events body that cannot be read as JSON, NDJSON or a JSON array.
    #[error("{0}")]
    EventsInvalid(String),
    /// The pipeline is shutting down or full: nothing of this batch was taken.
    #[error("the event pipeline is not taking events right now; send them again shortly")]
    EventsUnavailable,
}

impl EtlError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EtlError::SourceInvalid { .. } => ErrorCode::EtlSourceInvalid,
            EtlError::SourceVersionConflict { .. } => ErrorCode::EtlSourceVersionConflict,
            EtlError::RunActive => ErrorCode::EtlRunActive,
            EtlError::TableConflict { .. } => ErrorCode::EtlTableConflict,
            EtlError::SinkNotConfigured => ErrorCode::EtlSinkNotConfigured,
            EtlError::SinkFailed { .. } => ErrorCode::EtlSinkFailed,
            EtlError::EventsInvalid(_) => ErrorCode::EventsBodyInvalid,
            EtlError::EventsUnavailable => ErrorCode::EventsUnavailable,
        }
    }

    pub fn details(&self) -> Value {
        match self {
            EtlError::SourceInvalid { path, message } => json!({ "path": path, "message": message }),
            EtlError::SourceVersionConflict { current } => json!({ "current_version": current }),
            EtlError::TableConflict { table, message } => json!({ "table": table, "message": message }),
            EtlError::SinkFailed { status, .. } => json!({ "status": status }),
            EtlError::RunActive | EtlError::SinkNotConfigured | EtlError::EventsInvalid(_) | EtlError::EventsUnavailable => Value::Null,
        }
    }

    pub(crate) fn source(path: impl Into<String>, message: impl Into<String>) -> EtlError {
        EtlError::SourceInvalid { path: path.into(), message: message.into() }
    }
}
