//! The one place engine errors become REST answers: the code's status and `{"error": ErrorBody}`,
//! the same body server functions send (internal causes are logged by the engine, never shown).

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
        let body = self.0.to_body(current_request_id().as_deref());
        let mut res = (status_of(body.code), Json(json!({ "error": body }))).into_response();
        if let Some(secs) = self.0.retry_after_secs() {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
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
