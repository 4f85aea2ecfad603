//! Why a report or a shared link refused. Each case has its code and the details a client acts on.

use serde_json::{Value, json};

use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// The spec does not make a report: `path` names the part (`filters[2].value`).
    #[error("{path}: {message}")]
    SpecInvalid { path: String, message: String },
    /// A field the reader would see only masked: no report may group, filter or show it.
    #[error("{0} is masked; a report cannot use it")]
    FieldMasked(String),
    #[error("parameter {parameter}: {message}")]
    ParameterInvalid { parameter: String, message: String },
    #[error("this report has no version {0}")]
    VersionUnknown(i32),
    #[error("the report took longer than {secs} s; narrow its filters or group it further")]
    TimedOut { secs: u64 },
    /// A protected link opened without its password (or with an unlock that has expired).
    #[error("this link is protected: give its password")]
    PasswordRequired,
}

impl ReportError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ReportError::SpecInvalid { .. } => ErrorCode::ReportSpecInvalid,
            ReportError::FieldMasked(_) => ErrorCode::ReportFieldMasked,
            ReportError::ParameterInvalid { .. } => ErrorCode::ReportParameterInvalid,
            ReportError::VersionUnknown(_) => ErrorCode::ReportVersionInvalid,
            ReportError::TimedOut { .. } => ErrorCode::ReportTimedOut,
            ReportError::PasswordRequired => ErrorCode::LinkPasswordRequired,
        }
    }

    pub fn details(&self) -> Value {
        match self {
            ReportError::SpecInvalid { path, message } => json!({ "path": path, "message": message }),
            ReportError::FieldMasked(field) => json!({ "field": field }),
            ReportError::ParameterInvalid { parameter, message } => json!({ "parameter": parameter, "message": message }),
            ReportError::VersionUnknown(v) => json!({ "version": v }),
            ReportError::TimedOut { secs } => json!({ "secs": secs }),
            ReportError::PasswordRequired => Value::Null,
        }
    }

    pub(crate) fn spec(path: impl Into<String>, message: impl Into<String>) -> ReportError {
        ReportError::SpecInvalid { path: path.into(), message: message.into() }
    }

    pub(crate) fn param(parameter: impl Into<String>, message: impl Into<String>) -> ReportError {
        ReportError::ParameterInvalid { parameter: parameter.into(), message: message.into() }
    }
}
