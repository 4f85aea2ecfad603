//! The error every server function returns: the engine's `ErrorBody` (code, message, details with
//! the request id of an internal error), the same JSON the REST API sends inside `{"error": ...}`.

use engine::{EngineError, ErrorBody, ErrorCode};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppError(pub ErrorBody);

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for AppError {}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// An error met in the browser before or without a call (e.g. a page's missing item).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError(ErrorBody::new(code, message))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Failures of the server-function machinery itself: on the server, arguments that do not
    /// decode are the caller's mistake (400, like the REST API's malformed requests); in the
    /// browser, a call that did not reach the server or whose answer cannot be read.
    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        let code = match &e {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                ErrorCode::MalformedRequest
            }
            ServerFnErrorErr::Deserialization(_) if cfg!(feature = "ssr") => ErrorCode::MalformedRequest,
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) | ServerFnErrorErr::Deserialization(_) => ErrorCode::Network,
            _ => ErrorCode::Internal,
        };
        if code == ErrorCode::Internal {
            return fail(EngineError::internal(e));
        }
        set_status(code);
        AppError::new(code, e.to_string())
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        fail(e)
    }
}

/// The error a server function answers with. Called over HTTP (not while rendering a page), the
/// answer carries the code's own status, the one the REST API gives.
pub fn fail(e: EngineError) -> AppError {
    set_status(e.code());
    AppError(e.to_body(request_id().as_deref()))
}

#[cfg(feature = "ssr")]
fn set_status(code: ErrorCode) {
    use leptos::prelude::use_context;
    let over_http = use_context::<axum::http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/api/"));
    if over_http && let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::from_u16(code.http_status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR));
    }
}

#[cfg(not(feature = "ssr"))]
fn set_status(_code: ErrorCode) {}

/// The id the edge gave this request (`x-request-id`), for the user to quote.
#[cfg(feature = "ssr")]
fn request_id() -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(String::from)
}

#[cfg(not(feature = "ssr"))]
fn request_id() -> Option<String> {
    None
}
