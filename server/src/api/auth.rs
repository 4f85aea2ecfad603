use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use engine::auth::{CurrentUser, login as check_login};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::ToSchema;

use super::error::ApiError;
use super::session::{AuthUser, sign_in, sign_out};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// Sign in with a username and password; answers with the user and sets the session cookie.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = CurrentUser), (status = 401, description = "Wrong username or password")))]
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<CurrentUser>, ApiError> {
    let Json(req) = body?;
    let user = check_login(&state.services.pool, &req.username, &req.password).await?;
    sign_in(&session, &user).await?;
    tracing::info!(user_id = %user.id, "signed in");
    Ok(Json(user))
}

/// End the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(session: Session) -> Result<axum::http::StatusCode, ApiError> {
    sign_out(&session).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, body = CurrentUser), (status = 401, description = "Not signed in")))]
pub async fn me(AuthUser(user): AuthUser) -> Json<CurrentUser> {
    Json(user)
}
