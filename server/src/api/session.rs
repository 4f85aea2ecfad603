//! Who is calling: the session cookie resolves to an active user on every request, so a deactivated
//! account loses access at once. Login rotates the session id; logout deletes the session.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use engine::EngineError;
use engine::auth::{CurrentUser, find_user};
use tower_sessions::Session;
use uuid::Uuid;

use super::error::ApiError;
use crate::state::AppState;

pub const USER_KEY: &str = "user_id";

pub struct AuthUser(pub CurrentUser);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError(EngineError::internal("session layer missing")))?;
        let id: Option<Uuid> = session.get(USER_KEY).await.map_err(|e| ApiError(EngineError::internal(e)))?;
        let id = id.ok_or(ApiError(EngineError::Unauthenticated))?;
        let user = find_user(&state.services.pool, id).await?.ok_or(ApiError(EngineError::Unauthenticated))?;
        Ok(AuthUser(user))
    }
}

/// Starts a signed-in session for `user` under a fresh id (no session fixation).
pub async fn sign_in(session: &Session, user: &CurrentUser) -> Result<(), EngineError> {
    session.cycle_id().await.map_err(EngineError::internal)?;
    session.insert(USER_KEY, user.id).await.map_err(EngineError::internal)
}

pub async fn sign_out(session: &Session) -> Result<(), EngineError> {
    session.flush().await.map_err(EngineError::internal)
}
