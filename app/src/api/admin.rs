//! Server functions of the admin pages: users, roles and their permissions, role assignments, the
//! audit log. The engine checks `user:admin` / `audit:read`; changes to roles and assignments also
//! need a fresh sign-in.

use super::AppError;
use chrono::{DateTime, Utc};
use engine::auth::{Assignment, AuditEntry, AuditQuery, CurrentUser, PermissionInfo, RoleDraft, RoleInfo, UserSummary};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/read")]
pub async fn admin_users() -> Result<Vec<UserSummary>, AppError> {
    let me = ssr::user().await?;
    engine::auth::list_users(&ssr::services()?.pool, &me).await.map_err(ssr::fail)
}

/// Creates an account; without a password it is passkey-only until an enrolment link is used.
#[server]
pub async fn admin_create_user(username: String, password: Option<String>, role: String) -> Result<CurrentUser, AppError> {
    let me = ssr::identity().await?;
    engine::auth::create_account(&ssr::services()?.pool, &me, &username, password.as_deref(), &role).await.map_err(ssr::fail)
}

#[server]
pub async fn admin_set_active(user_id: Uuid, active: bool) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    engine::auth::set_active(&ssr::services()?.pool, &me, user_id, active).await.map_err(ssr::fail)
}

/// Lifts a password lockout now.
#[server]
pub async fn admin_unlock_user(user_id: Uuid) -> Result<(), AppError> {
    let me = ssr::user().await?;
    engine::auth::unlock(&ssr::services()?.pool, &me, user_id).await.map_err(ssr::fail)
}

#[server]
pub async fn admin_reset_password(user_id: Uuid, temporary: String) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    engine::auth::reset_password(&ssr::services()?.pool, &me, user_id, &temporary).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn admin_roles() -> Result<(Vec<RoleInfo>, Vec<PermissionInfo>), AppError> {
    let me = ssr::user().await?;
    let pool = ssr::services()?.pool;
    let roles = engine::auth::rbac::list_roles(&pool, &me).await.map_err(ssr::fail)?;
    let perms = engine::auth::rbac::list_permissions(&pool, &me).await.map_err(ssr::fail)?;
    Ok((roles, perms))
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn admin_save_role(draft: RoleDraft) -> Result<RoleInfo, AppError> {
    let me = ssr::identity().await?;
    engine::auth::rbac::save_role(&ssr::services()?.pool, &me, &draft).await.map_err(ssr::fail)
}

#[server]
pub async fn admin_delete_role(name: String) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    engine::auth::rbac::delete_role(&ssr::services()?.pool, &me, &name).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn admin_assignments() -> Result<Vec<Assignment>, AppError> {
    let me = ssr::user().await?;
    engine::auth::rbac::list_assignments(&ssr::services()?.pool, &me).await.map_err(ssr::fail)
}

#[server]
pub async fn admin_assign_role(user_id: Uuid, role: String, expires_at: Option<DateTime<Utc>>) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    engine::auth::rbac::assign_role(&ssr::services()?.pool, &me, user_id, &role, expires_at).await.map_err(ssr::fail)
}

#[server]
pub async fn admin_unassign_role(user_id: Uuid, role: String) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    engine::auth::rbac::unassign_role(&ssr::services()?.pool, &me, user_id, &role).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn audit_log(query: AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
    let me = ssr::user().await?;
    engine::auth::audit::list(&ssr::services()?.pool, &me, &query).await.map_err(ssr::fail)
}

/// A single-use, one-hour link for the user to enrol a passkey or set a password.
#[server]
pub async fn admin_enrolment_link(user_id: Uuid) -> Result<engine::auth::EnrolmentLink, AppError> {
    let me = ssr::identity().await?;
    engine::auth::enrolment::create_link(&ssr::services()?.pool, &me, user_id).await.map_err(ssr::fail)
}
