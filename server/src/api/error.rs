//! The one place engine errors become HTTP: a status and `{"error": {"code", "message", "details"}}`.
//! Internal causes are logged with the request id and never shown; the client gets the id to quote.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::{EngineError, ErrorCode};
use serde_json::json;

use crate::observability::current_request_id;

#[derive(Debug)]
pub struct ApiError(pub EngineError);

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        ApiError(e)
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code();
        let status = status_of(code);
        let request_id = current_request_id();
        let (message, details) = match &self.0 {
            EngineError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                ("internal error; quote the request id when reporting it".to_string(), json!({ "request_id": request_id }))
            }
            EngineError::UnreadableFile { file, reason } | EngineError::Refused { file, reason } => {
                (self.0.to_string(), json!({ "file": file, "reason": reason }))
            }
            EngineError::TooManyAttempts { retry_after_secs } | EngineError::RateLimited { retry_after_secs } => {
                (self.0.to_string(), json!({ "retry_after_secs": retry_after_secs }))
            }
            other => (other.to_string(), serde_json::Value::Null),
        };
        let mut res = (status, Json(json!({ "error": { "code": code.as_str(), "message": message, "details": details } }))).into_response();
        if let EngineError::TooManyAttempts { retry_after_secs } | EngineError::RateLimited { retry_after_secs } = &self.0 {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(*retry_after_secs));
        }
        res
    }
}

/// Malformed JSON, paths and queries are the client's mistake: 400 with our error shape.
pub fn bad_request(message: String) -> ApiError {
    ApiError(EngineError::Malformed(message))
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let limit = crate::security::JSON_BODY_LIMIT.load(std::sync::atomic::Ordering::Relaxed);
            return ApiError(EngineError::BodyTooLarge { limit });
        }
        bad_request(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        bad_request(r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        bad_request(r.body_text())
    }
}
