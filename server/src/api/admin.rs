//! Administration: users, roles and their permissions, role assignments, the audit log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use engine::auth::{
    Assignment, AuditEntry, AuditQuery, CurrentUser, PermissionInfo, RoleDraft, RoleInfo, UserSummary, audit, rbac,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::error::ApiError;
use super::session::{AuthUser, Authed};
use crate::state::AppState;

/// Every account with its roles, credentials and last activity.
#[utoipa::path(get, path = "/admin/users", tag = "admin", responses((status = 200, body = Vec<UserSummary>), (status = 403)))]
pub async fn list_users(State(state): State<AppState>, AuthUser(me): AuthUser) -> Result<Json<Vec<UserSummary>>, ApiError> {
    Ok(Json(engine::auth::list_users(&state.services.pool, &me).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    username: String,
    /// Without one the account is passkey-only until an enrolment link is used.
    #[serde(default)]
    password: Option<String>,
    role: String,
}

#[utoipa::path(post, path = "/admin/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = CurrentUser), (status = 403), (status = 409, description = "Name taken"), (status = 422)))]
pub async fn create_user(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<CurrentUser>), ApiError> {
    let user = engine::auth::create_account(&state.services.pool, &me, &req.username, req.password.as_deref(), &req.role).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, ToSchema)]
pub struct UserPatch {
    is_active: bool,
}

/// Activate or deactivate an account (deactivating ends its sessions and stops its tokens).
#[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = UserPatch, responses((status = 204), (status = 403), (status = 404)))]
pub async fn update_user(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UserPatch>,
) -> Result<StatusCode, ApiError> {
    engine::auth::set_active(&state.services.pool, &me, id, req.is_active).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a password lockout (too many wrong passwords) before it runs out.
#[utoipa::path(post, path = "/admin/users/{id}/unlock", tag = "admin", params(("id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn unlock_user(State(state): State<AppState>, AuthUser(me): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    engine::auth::unlock(&state.services.pool, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordReset {
    temporary: String,
}

/// Set a temporary password the user must change at next sign-in; their sessions end.
#[utoipa::path(post, path = "/admin/users/{id}/password-reset", tag = "admin", params(("id" = Uuid, Path)), request_body = PasswordReset,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    engine::auth::reset_password(&state.services.pool, &me, id, &req.temporary).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/admin/roles", tag = "admin", responses((status = 200, body = Vec<RoleInfo>), (status = 403)))]
pub async fn list_roles(State(state): State<AppState>, AuthUser(me): AuthUser) -> Result<Json<Vec<RoleInfo>>, ApiError> {
    Ok(Json(rbac::list_roles(&state.services.pool, &me).await?))
}

#[utoipa::path(get, path = "/admin/permissions", tag = "admin", responses((status = 200, body = Vec<PermissionInfo>), (status = 403)))]
pub async fn list_permissions(State(state): State<AppState>, AuthUser(me): AuthUser) -> Result<Json<Vec<PermissionInfo>>, ApiError> {
    Ok(Json(rbac::list_permissions(&state.services.pool, &me).await?))
}

/// Create or replace a custom role (system roles are fixed).
#[utoipa::path(post, path = "/admin/roles", tag = "admin", request_body = RoleDraft,
    responses((status = 200, body = RoleInfo), (status = 403), (status = 409, description = "A system role"), (status = 422)))]
pub async fn save_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiJson(draft): ApiJson<RoleDraft>,
) -> Result<Json<RoleInfo>, ApiError> {
    Ok(Json(rbac::save_role(&state.services.pool, &me, &draft).await?))
}

#[utoipa::path(delete, path = "/admin/roles/{name}", tag = "admin", params(("name" = String, Path)), responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub async fn delete_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    rbac::delete_role(&state.services.pool, &me, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/admin/assignments", tag = "admin", responses((status = 200, body = Vec<Assignment>), (status = 403)))]
pub async fn list_assignments(State(state): State<AppState>, AuthUser(me): AuthUser) -> Result<Json<Vec<Assignment>>, ApiError> {
    Ok(Json(rbac::list_assignments(&state.services.pool, &me).await?))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct AssignmentRequest {
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
}

/// Give a user a role, optionally until a date.
#[utoipa::path(put, path = "/admin/users/{id}/roles/{role}", tag = "admin", params(("id" = Uuid, Path), ("role" = String, Path)), request_body = AssignmentRequest,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
pub async fn assign_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiPath((id, role)): ApiPath<(Uuid, String)>,
    ApiJson(req): ApiJson<AssignmentRequest>,
) -> Result<StatusCode, ApiError> {
    rbac::assign_role(&state.services.pool, &me, id, &role, req.expires_at).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/admin/users/{id}/roles/{role}", tag = "admin", params(("id" = Uuid, Path), ("role" = String, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "The last administrator")))]
pub async fn unassign_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiPath((id, role)): ApiPath<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    rbac::unassign_role(&state.services.pool, &me, id, &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log, newest first; filter by actor, action, outcome and time; page with `before`.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditQuery), responses((status = 200, body = Vec<AuditEntry>), (status = 403)))]
pub async fn audit_log(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(audit::list(&state.services.pool, &me, &q).await?))
}
