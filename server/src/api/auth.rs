use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::auth::{CurrentUser, SessionInfo, sessions};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::error::ApiError;
use super::session::{Authed, Caller};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// Sign in with a username and password; answers with the user and sets a new session cookie.
/// Wrong names and wrong passwords get the same 401; repeated failures lock the name (429).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = CurrentUser), (status = 401, description = "Wrong username or password"),
              (status = 429, description = "Locked after repeated failures, or too many requests from this address")))]
pub async fn login(
    State(state): State<AppState>,
    caller: Caller,
    session: Session,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<CurrentUser>, ApiError> {
    let user = engine::auth::signin::password_sign_in(&session, &state.services.pool, &caller.client, &req.username, &req.password).await?;
    Ok(Json(user))
}

/// End the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, caller: Caller, session: Session) -> Result<StatusCode, ApiError> {
    engine::auth::signin::sign_out(&session, &state.services.pool, caller.identity.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller, by session cookie or API token.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, body = CurrentUser), (status = 401, description = "Not signed in")))]
pub async fn me(Authed(me): Authed) -> Json<CurrentUser> {
    Json(me.user)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    /// Required when the account has a password.
    #[serde(default)]
    current: Option<String>,
    new: String,
}

/// Change my password (needs a sign-in within the last 10 minutes, unless an admin reset forces it).
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 403, description = "Sign in again first"), (status = 422, description = "Policy or wrong current password")))]
pub async fn change_password(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    engine::auth::change_password(&state.services.pool, &me, req.current.as_deref(), &req.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My open sessions; `current` marks the one asking.
#[utoipa::path(get, path = "/auth/sessions", tag = "auth", responses((status = 200, body = Vec<SessionInfo>)))]
pub async fn list_sessions(State(state): State<AppState>, Authed(me): Authed) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(sessions::list(&state.services.pool, &me.user, me.session_id()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndAll {
    /// Keep the session making this request (sign out the others only).
    #[serde(default)]
    keep_current: bool,
}

/// Sign out everywhere: ends every session of mine (but this one with `keep_current=true`).
#[utoipa::path(delete, path = "/auth/sessions", tag = "auth", params(EndAll), responses((status = 204)))]
pub async fn end_all_sessions(
    State(state): State<AppState>,
    Authed(me): Authed,
    session: Session,
    ApiQuery(q): ApiQuery<EndAll>,
) -> Result<StatusCode, ApiError> {
    engine::auth::signin::sign_out_everywhere(&session, &state.services.pool, &me, q.keep_current).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out one of my sessions.
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth", params(("id" = Uuid, Path)), responses((status = 204), (status = 404)))]
pub async fn end_session(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    sessions::end(&state.services.pool, &me.user, id, "signed out from another session").await?;
    Ok(StatusCode::NO_CONTENT)
}
