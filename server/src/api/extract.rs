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
