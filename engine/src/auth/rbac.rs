//! Who may do what, as data: roles group permissions, users hold roles through assignments that may
//! expire. A user's permissions are resolved from their active assignments of active roles on every
//! request, so an expiry, a deactivation or a change of a role's permissions takes effect at once.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::types::{RoleInfo, PermissionInfo, RoleDraft, Assignment};
use uuid::Uuid;

use super::sessions::Identity;
use super::{CurrentUser, Permission};
use crate::error::{Conflict, EngineError, Resource, Result};

/// An active user by id, with the permissions of their current role assignments.
pub async fn load_user(pool: &PgPool, id: Uuid) -> Result<Option<CurrentUser>> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.username, u.must_change_password,
                  coalesce(array_agg(DISTINCT r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS "roles!",
                  coalesce(array_agg(DISTINCT rp.permission) FILTER (WHERE rp.permission IS NOT NULL), '{}') AS "permissions!"
           FROM users u
           LEFT JOIN role_assignments a ON a.user_id = u.id AND (a.expires_at IS NULL OR a.expires_at > now())
           LEFT JOIN roles r ON r.name = a.role AND r.is_active
           LEFT JOIN role_permissions rp ON rp.role = r.name
           WHERE u.id = $1 AND u.is_active
           GROUP BY u.id"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        let mut permissions: Vec<Permission> = r.permissions.iter().filter_map(|p| Permission::parse(p)).collect();
        permissions.sort();
        CurrentUser { id: r.id, username: r.username, roles: r.roles, permissions, must_change_password: r.must_change_password }
    }))
}



/// Changes to who may do what: `user:admin` and a fresh sign-in.
fn sensitive(me: &Identity) -> Result<&CurrentUser> {
    me.user.require(Permission::UserAdmin)?;
    me.require_fresh()?;
    Ok(&me.user)
}

pub async fn list_permissions(pool: &PgPool, user: &CurrentUser) -> Result<Vec<PermissionInfo>> {
    user.require(Permission::UserAdmin)?;
    Ok(sqlx::query_as!(PermissionInfo, "SELECT name, description FROM permissions ORDER BY name").fetch_all(pool).await?)
}

pub async fn list_roles(pool: &PgPool, user: &CurrentUser) -> Result<Vec<RoleInfo>> {
    user.require(Permission::UserAdmin)?;
    Ok(sqlx::query_as!(
        RoleInfo,
        r#"SELECT r.name, r.description, r.is_system, r.is_active,
                  coalesce((SELECT array_agg(permission ORDER BY permission) FROM role_permissions WHERE role = r.name), '{}') AS "permissions!",
                  (SELECT count(*) FROM role_assignments a WHERE a.role = r.name
                     AND (a.expires_at IS NULL OR a.expires_at > now())) AS "holders!"
           FROM roles r ORDER BY r.is_system DESC, r.name"#
    )
    .fetch_all(pool)
    .await?)
}


fn role_name(raw: &str) -> Result<String> {
    let name = raw.trim().to_lowercase();
    let ok = (2..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok { Ok(name) } else { Err(EngineError::invalid("a role name has 2 to 40 lower-case letters, digits, - or _")) }
}

fn permission_names(names: &[String]) -> Result<Vec<&'static str>> {
    names
        .iter()
        .map(|n| Permission::parse(n.trim()).map(Permission::name).ok_or_else(|| EngineError::invalid(format!("unknown permission '{n}'"))))
        .collect()
}

/// Creates a role, or replaces a custom role's description and permissions. System roles keep their
/// permissions: admin must always be able to administer.
pub async fn save_role(pool: &PgPool, me: &Identity, draft: &RoleDraft) -> Result<RoleInfo> {
    let user = sensitive(me)?;
    let name = role_name(&draft.name)?;
    let perms = permission_names(&draft.permissions)?;
    let mut tx = pool.begin().await?;
    let existing = sqlx::query_scalar!("SELECT is_system FROM roles WHERE name = $1 FOR UPDATE", name).fetch_optional(&mut *tx).await?;
    if existing == Some(true) {
        return Err(EngineError::Conflict(Conflict::SystemRole(name.to_string())));
    }
    sqlx::query!(
        "INSERT INTO roles (name, description, is_system, is_active) VALUES ($1, $2, FALSE, $3)
         ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, is_active = EXCLUDED.is_active",
        name,
        draft.description.trim(),
        draft.is_active
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM role_permissions WHERE role = $1", name).execute(&mut *tx).await?;
    let perms: Vec<String> = perms.into_iter().map(str::to_string).collect();
    sqlx::query!("INSERT INTO role_permissions (role, permission) SELECT $1, unnest($2::text[])", name, &perms)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    list_roles(pool, user).await?.into_iter().find(|r| r.name == name).ok_or(EngineError::NotFound(Resource::Role))
}

pub async fn delete_role(pool: &PgPool, me: &Identity, name: &str) -> Result<()> {
    sensitive(me)?;
    let is_system = sqlx::query_scalar!("SELECT is_system FROM roles WHERE name = $1", name)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::Role))?;
    if is_system {
        return Err(EngineError::Conflict(Conflict::SystemRole(name.to_string())));
    }
    sqlx::query!("DELETE FROM roles WHERE name = $1", name).execute(pool).await?;
    Ok(())
}


pub async fn list_assignments(pool: &PgPool, user: &CurrentUser) -> Result<Vec<Assignment>> {
    user.require(Permission::UserAdmin)?;
    Ok(sqlx::query_as!(
        Assignment,
        r#"SELECT a.user_id, u.username, a.role, a.expires_at, g.username AS "granted_by?", a.granted_at,
                  (a.expires_at IS NOT NULL AND a.expires_at <= now()) AS "expired!"
           FROM role_assignments a JOIN users u ON u.id = a.user_id LEFT JOIN users g ON g.id = a.granted_by
           ORDER BY u.username, a.role"#
    )
    .fetch_all(pool)
    .await?)
}

/// Gives `role` to a user (again: a new expiry replaces the old one).
pub async fn assign_role(pool: &PgPool, me: &Identity, user_id: Uuid, role: &str, expires_at: Option<DateTime<Utc>>) -> Result<()> {
    let user = sensitive(me)?;
    if expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(EngineError::invalid("the expiry is in the past"));
    }
    let mut tx = pool.begin().await?;
    // Putting an end date on the last permanent admin would leave nobody in charge once it passes.
    if role == "admin" && expires_at.is_some() {
        keep_an_admin(&mut tx, user_id).await?;
    }
    let done = sqlx::query!(
        "INSERT INTO role_assignments (user_id, role, expires_at, granted_by)
         SELECT u.id, r.name, $3, $4 FROM users u, roles r WHERE u.id = $1 AND r.name = $2
         ON CONFLICT (user_id, role) DO UPDATE SET expires_at = EXCLUDED.expires_at,
             granted_by = EXCLUDED.granted_by, granted_at = now()",
        user_id,
        role,
        expires_at,
        user.id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let role_exists = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM roles WHERE name = $1) AS "e!""#, role).fetch_one(&mut *tx).await?;
        return Err(EngineError::NotFound(if role_exists { Resource::User } else { Resource::Role }));
    }
    tx.commit().await?;
    Ok(())
}

/// Refuses a change that would leave no active user holding `admin` for good (without expiry) but
/// `user_id`. Takes the admin role's row lock, so two such changes at once are serialised.
pub(super) async fn keep_an_admin(tx: &mut sqlx::PgConnection, user_id: Uuid) -> Result<()> {
    sqlx::query!("SELECT name FROM roles WHERE name = 'admin' FOR UPDATE").fetch_optional(&mut *tx).await?;
    let others = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM role_assignments a JOIN users u ON u.id = a.user_id
           WHERE a.role = 'admin' AND u.is_active AND a.user_id <> $1 AND a.expires_at IS NULL"#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let is_admin = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM role_assignments WHERE user_id = $1 AND role = 'admin' AND expires_at IS NULL) AS "yes!""#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if is_admin && others == 0 {
        return Err(EngineError::Conflict(Conflict::LastAdmin));
    }
    Ok(())
}

/// Takes a role away. The last holder of `admin` keeps it, so the installation is never left
/// without anyone able to administer it.
pub async fn unassign_role(pool: &PgPool, me: &Identity, user_id: Uuid, role: &str) -> Result<()> {
    sensitive(me)?;
    let mut tx = pool.begin().await?;
    if role == "admin" {
        keep_an_admin(&mut tx, user_id).await?;
    }
    let done = sqlx::query!("DELETE FROM role_assignments WHERE user_id = $1 AND role = $2", user_id, role).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(EngineError::NotFound(Resource::RoleAssignment));
    }
    tx.commit().await?;
    Ok(())
}
