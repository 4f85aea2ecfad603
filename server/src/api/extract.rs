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

/// A JSON body read as axum's `Json` reads it (its content type, its limit), then refused when a
/// text in it holds a NUL character: PostgreSQL cannot store one in text, and no field means one.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::Bytes::from_request(axum::extract::Request::from_parts(parts.clone(), body), state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(engine::EngineError::BodyTooLarge { limit: crate::security::JSON_BODY_LIMIT.load(std::sync::atomic::Ordering::Relaxed) })
            } else {
                super::error::bad_request(e.body_text())
            }
        })?;
        let nul = holds_nul(&bytes);
        let axum::Json(value) = axum::Json::<T>::from_request(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)), state).await?;
        if nul {
            return Err(super::error::bad_request("a text in the body holds a NUL character (\\u0000), which no field accepts".into()));
        }
        Ok(ApiJson(value))
    }
}

/// A JSON text holds the escape `\u0000` (the only way JSON can carry a NUL). Escapes are stepped
/// over whole, so an escaped backslash followed by `u0000` is not one.
fn holds_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i + 1 < json.len() {
        if json[i] == b'\\' {
            if json[i + 1] == b'u' && json.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::holds_nul;

    #[test]
    fn a_nul_escape_is_found_and_an_escaped_backslash_is_not_one() {
        assert!(holds_nul(br#"{"name":"a\u0000b"}"#));
        assert!(!holds_nul(br#"{"name":"a\\u0000b"}"#), "a backslash, then the letters u0000");
        assert!(holds_nul(br#"{"name":"a\\\u0000b"}"#));
        assert!(!holds_nul(br#"{"name":"a\u00e9b"}"#));
    }
}

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
