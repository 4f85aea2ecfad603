//! Who is calling, for REST handlers: the identity layer (`crate::identity`) resolved it once from the
//! API token or the session cookie; these extractors only read it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use engine::EngineError;
use engine::auth::CurrentUser;
use engine::auth::sessions::Identity;

use super::error::ApiError;
use crate::state::AppState;

pub use engine::auth::signin::Caller;

fn caller(parts: &Parts) -> Result<Caller, ApiError> {
    parts.extensions.get::<Caller>().cloned().ok_or(ApiError(EngineError::internal("identity layer missing")))
}

/// The signed-in user; 401 otherwise.
pub struct AuthUser(pub CurrentUser);

/// The signed-in user with how they proved it (session or token); 401 otherwise.
pub struct Authed(pub Identity);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        caller(parts)
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        caller(parts)?.identity.map(Authed).ok_or(ApiError(EngineError::Unauthenticated))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Authed::from_request_parts(parts, state).await.map(|a| AuthUser(a.0.user))
    }
}
