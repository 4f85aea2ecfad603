//! Who is calling, for REST handlers: the session resolves through `app::session`, the same code the
//! server functions use.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use engine::EngineError;
use engine::auth::CurrentUser;
use tower_sessions::Session;

use super::error::ApiError;
use crate::state::AppState;

pub use app::session::{sign_in, sign_out};

pub struct AuthUser(pub CurrentUser);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError(EngineError::internal("session layer missing")))?;
        let user = app::session::session_user(&session, &state.services.pool).await?;
        user.map(AuthUser).ok_or(ApiError(EngineError::Unauthenticated))
    }
}
