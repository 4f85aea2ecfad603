//! The request extractors every handler uses: axum's `Path`, `Query` and `Json`, but a request they
//! cannot read (a malformed id, query string or body) is answered with our JSON error and a 400
//! (`malformed_request`), or a 413 for a body over its limit, never with axum's plain text.

use axum::extract::{FromRequest, FromRequestParts};

use super::error::ApiError;

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `?lang=`: the language of what the engine writes for people (reasons, an export's added
/// columns); Spanish when absent.
pub fn query_lang(code: Option<&str>) -> Result<engine::Lang, ApiError> {
    match code {
        None => Ok(engine::Lang::Es),
        Some(code) => engine::Lang::parse(code).ok_or_else(|| ApiError(engine::EngineError::invalid(format!("unknown lang '{code}': use es or en")))),
    }
}

/// `?sep=`: a CSV export's field separator; `;` when absent.
pub fn query_separator(sep: Option<&str>) -> Result<engine::export::Separator, ApiError> {
    match sep {
        None => Ok(engine::export::Separator::Semicolon),
        Some(sep) => engine::export::Separator::parse(sep).ok_or_else(|| ApiError(engine::EngineError::invalid(format!("unknown sep '{sep}': use ; or ,")))),
    }
}

/// `?lang=es|en` on a route that answers with messages the engine keeps as codes.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `es` (default) or `en`: the language of messages (file detection, reasons).
    lang: Option<String>,
}

impl LangQuery {
    pub fn lang(&self) -> Result<engine::Lang, ApiError> {
        query_lang(self.lang.as_deref())
    }
}
