use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use engine::auth::{NewToken, TokenInfo, TokenScope, tokens};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath};
use super::error::ApiError;
use super::session::{AuthUser, Authed};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    name: String,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    /// `read` (GET only), `write` (the default: reads and changes) or `admin` (also administration;
    /// administrators only).
    #[serde(default = "default_scope")]
    scope: TokenScope,
}

/// Tokens made before scopes existed could write; a client that names none keeps getting that.
fn default_scope() -> TokenScope {
    TokenScope::Write
}

/// Create a personal API token. The secret is in this answer only; send it as `Authorization: Bearer …`.
#[utoipa::path(post, path = "/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 403, description = "An admin token asked for by a non-administrator"),
               (status = 422, description = "No name, or an expiry in the past")))]
pub async fn create(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let token = tokens::create(&state.services.pool, &me, &req.name, req.expires_at, req.scope).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// My tokens (never their secrets).
#[utoipa::path(get, path = "/tokens", tag = "auth", responses((status = 200, body = Vec<TokenInfo>)))]
pub async fn list(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(tokens::list(&state.services.pool, &user).await?))
}

/// Revoke one of my tokens; it stops working at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "auth", params(("id" = Uuid, Path)), responses((status = 204), (status = 404)))]
pub async fn revoke(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&state.services.pool, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
