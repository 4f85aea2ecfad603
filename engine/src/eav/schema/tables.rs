//! Logical tables: create (with their physical table), list, one with its properties, constraints
//! and grants, change, delete; their schema history, the rows that break their soft rules, and
//! per-table grants.

use crate::eav::physical::trusted;
use uuid::Uuid;

use super::super::Store;
use super::super::def::TableDef;
use super::super::error::DataError;
use super::super::physical;
use super::super::wire::{
    CachePolicy, ConstraintInfo, LogicalTableDetail, LogicalTableInfo, LogicalTablePatch, NewLogicalTable, SchemaChange, TableGrant, Violations,
};
use super::{admin_table, check_name, existing, forget, json, name_taken, record};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

#[derive(sqlx::FromRow)]
struct InfoRow {
    id: Uuid,
    table_name: String,
    description: String,
    is_hierarchical: bool,
    cache_policy: String,
    version: i32,
    created_at: chrono::DateTime<chrono::Utc>,
    created_by: Option<String>,
    updated_at: chrono::DateTime<chrono::Utc>,
    updated_by: Option<String>,
    estimate: f32,
}

const INFO: &str = "SELECT t.id, t.table_name, t.description, t.is_hierarchical, t.cache_policy, t.version, t.created_at,
        cu.username AS created_by, t.updated_at, uu.username AS updated_by,
        coalesce((SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'eav' AND c.relname = 't_' || replace(t.id::text, '-', '')), 0)::real AS estimate
     FROM logical_tables t LEFT JOIN users cu ON cu.id = t.created_by LEFT JOIN users uu ON uu.id = t.updated_by";

/// Exact counts up to this many rows; the planner's estimate above.
const EXACT_UP_TO: f32 = 100_000.0;

async fn info(conn: &mut sqlx::PgConnection, r: InfoRow) -> Result<LogicalTableInfo> {
    let row_count = if r.estimate > EXACT_UP_TO {
        r.estimate as i64
    } else {
        sqlx::query_scalar::<_, i64>(trusted(&format!("SELECT count(*) FROM {}", physical::table(r.id)))).fetch_one(&mut *conn).await?
    };
    Ok(LogicalTableInfo {
        id: r.id,
        table_name: r.table_name,
        description: r.description,
        is_hierarchical: r.is_hierarchical,
        cache_policy: CachePolicy::parse(&r.cache_policy).unwrap_or_default(),
        version: r.version,
        row_count,
        created_at: r.created_at,
        created_by: r.created_by,
        updated_at: r.updated_at,
        updated_by: r.updated_by,
    })
}

async fn one(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<LogicalTableInfo> {
    let r: Option<InfoRow> = sqlx::query_as(trusted(&format!("{INFO} WHERE t.id = $1"))).bind(id).fetch_optional(&mut *conn).await?;
    info(conn, r.ok_or(EngineError::NotFound(Resource::LogicalTable))?).await
}

/// `POST /metadata/tables`.
pub async fn create_table(store: &Store, user: &CurrentUser, req: &NewLogicalTable) -> Result<LogicalTableInfo> {
    user.require(Permission::TableAdmin)?;
    let name = check_name("table", &req.table_name)?;
    let id = Uuid::now_v7();
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO logical_tables (id, table_name, description, is_hierarchical, cache_policy, created_by, updated_by, version)
         VALUES ($1, $2, $3, $4, $5, $6, $6, 0)",
    )
    .bind(id)
    .bind(&name)
    .bind(req.description.trim())
    .bind(req.is_hierarchical)
    .bind(req.cache_policy.as_str())
    .bind(user.id)
    .execute(&mut *tx)
    .await
    .map_err(|e| name_taken(e, DataError::LogicalTableExists(name.clone())))?;
    for ddl in physical::create_table(id, req.is_hierarchical) {
        sqlx::query(trusted(&ddl)).execute(&mut *tx).await?;
    }
    // Recording the creation raises the version from 0 to 1.
    let mut created = one(&mut tx, id).await?;
    created.version = 1;
    record(&mut tx, Some(id), "table", id, "create", None, json(&created), user.id).await?;
    tx.commit().await?;
    Ok(created)
}

/// The tables the caller may read or administer.
pub async fn list_tables(store: &Store, user: &CurrentUser) -> Result<Vec<LogicalTableInfo>> {
    let mut conn = store.pool.acquire().await?;
    let global = user.can(Permission::TableRead) || user.can(Permission::TableAdmin);
    let rows: Vec<InfoRow> = sqlx::query_as(trusted(&format!(
        "{INFO} WHERE $1 OR EXISTS (SELECT 1 FROM logical_table_grants g WHERE g.logical_table_id = t.id AND g.role = ANY($2)
                                    AND g.permission IN ('table:read', 'table:admin'))
         ORDER BY lower(t.table_name)"
    )))
    .bind(global)
    .bind(&user.roles)
    .fetch_all(&mut *conn)
    .await?;
    if user.must_change_password {
        return Err(EngineError::PasswordChangeRequired);
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(info(&mut conn, r).await?);
    }
    Ok(out)
}

async fn readable(store: &Store, user: &CurrentUser, id: Uuid) -> Result<std::sync::Arc<TableDef>> {
    let def = super::super::def::table_by_id(&store.pool, &store.defs, id).await.map_err(super::unseen(user, Permission::TableRead))?;
    if !def.allows(user, Permission::TableRead) && !def.allows(user, Permission::TableAdmin) {
        return Err(EngineError::Forbidden(Permission::TableRead.name()));
    }
    Ok(def)
}

/// `GET /metadata/tables/{id}`.
pub async fn table_detail(store: &Store, user: &CurrentUser, id: Uuid) -> Result<LogicalTableDetail> {
    let def = readable(store, user, id).await?;
    let mut conn = store.pool.acquire().await?;
    let table = one(&mut conn, id).await?;
    let properties = super::properties::list_for(&mut conn, id).await?;
    let constraints: Vec<ConstraintInfo> = super::constraints::list_for(&mut conn, id).await?;
    let grants = def.grants.iter().map(|(role, p)| TableGrant { role: role.clone(), permission: p.name().to_string() }).collect();
    Ok(LogicalTableDetail { table, properties, constraints, grants })
}

/// `PATCH /metadata/tables/{id}`.
pub async fn update_table(store: &Store, user: &CurrentUser, id: Uuid, patch: &LogicalTablePatch) -> Result<LogicalTableInfo> {
    let mut tx = store.pool.begin().await?;
    let def = admin_table(&mut tx, user, id).await?;
    if let Some(sent) = patch.version
        && sent != def.version
    {
        return Err(DataError::SchemaVersionConflict { sent, current: def.version }.into());
    }
    let before = one(&mut tx, id).await?;
    if patch.is_hierarchical == Some(false) && def.is_hierarchical {
        let parented: i64 = sqlx::query_scalar(trusted(&format!("SELECT count(*) FROM {} WHERE parent_row_id IS NOT NULL", def.physical()))).fetch_one(&mut *tx).await?;
        if parented > 0 {
            return Err(DataError::SchemaInUse(format!("{parented} row(s) have a parent; clear them before making the table flat")).into());
        }
    }
    if patch.is_hierarchical == Some(true) {
        sqlx::query(trusted(&physical::parent_index(id))).execute(&mut *tx).await?;
    }
    sqlx::query(
        "UPDATE logical_tables SET description = coalesce($2, description), is_hierarchical = coalesce($3, is_hierarchical),
                cache_policy = coalesce($4, cache_policy) WHERE id = $1",
    )
    .bind(id)
    .bind(patch.description.as_deref().map(str::trim))
    .bind(patch.is_hierarchical)
    .bind(patch.cache_policy.map(CachePolicy::as_str))
    .execute(&mut *tx)
    .await?;
    let mid = one(&mut tx, id).await?;
    record(&mut tx, Some(id), "table", id, "update", json(&before), json(&mid), user.id).await?;
    let after = one(&mut tx, id).await?;
    tx.commit().await?;
    forget(store, id);
    Ok(after)
}

/// `DELETE /metadata/tables/{id}`: its rows go with it; refused while other tables point at it.
pub async fn delete_table(store: &Store, user: &CurrentUser, id: Uuid) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    let def = admin_table(&mut tx, user, id).await?;
    let users: Vec<String> = sqlx::query_scalar("SELECT column_name FROM column_definitions WHERE reference_table_id = $1 ORDER BY column_name")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    if !users.is_empty() {
        return Err(DataError::SchemaInUse(format!("the columns {} point at this table; delete them first", users.join(", "))).into());
    }
    let before = one(&mut tx, id).await?;
    sqlx::query(trusted(&format!("DROP TABLE {}", def.physical()))).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM logical_tables WHERE id = $1").bind(id).execute(&mut *tx).await?;
    record(&mut tx, Some(id), "table", id, "delete", json(&before), None, user.id).await?;
    sqlx::query("INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, event_data) VALUES ('table_deleted', 'logical_table', $1, $2)")
        .bind(id)
        .bind(serde_json::json!({ "table_id": id, "table_name": def.name }))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    forget(store, id);
    Ok(())
}

/// `GET /metadata/tables/{id}/history`: every schema change of the table, newest first.
pub async fn table_history(store: &Store, user: &CurrentUser, id: Uuid) -> Result<Vec<SchemaChange>> {
    readable(store, user, id).await?;
    let rows: Vec<SchemaChange> = sqlx::query_as::<_, (i64, Option<i32>, String, Uuid, String, Option<serde_json::Value>, Option<serde_json::Value>, Option<String>, chrono::DateTime<chrono::Utc>)>(
        "SELECT s.id, s.table_version, s.entity, s.entity_id, s.action, s.before, s.after, u.username, s.at
         FROM schema_changes s LEFT JOIN users u ON u.id = s.actor_id WHERE s.logical_table_id = $1 ORDER BY s.id DESC LIMIT 1000",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?
    .into_iter()
    .map(|(id, table_version, entity, entity_id, action, before, after, actor, at)| SchemaChange { id, table_version, entity, entity_id, action, before, after, actor, at })
    .collect();
    Ok(rows)
}

/// `GET /metadata/tables/{id}/violations`: for each soft rule, the rows that break it.
pub async fn violations(store: &Store, user: &CurrentUser, id: Uuid) -> Result<Vec<Violations>> {
    let def = readable(store, user, id).await?;
    let mut conn = store.pool.acquire().await?;
    let mut out = Vec::new();
    for c in &def.columns {
        use super::super::wire::SoftRule;
        if c.mandatory && c.is_soft(SoftRule::Mandatory) {
            out.push(existing::mandatory(&mut conn, &def, c).await?);
        }
        if c.unique && c.is_soft(SoftRule::Unique) {
            out.push(existing::unique(&mut conn, &def, &c.as_unique()).await?);
        }
        if let (Some((rt, rule)), true) = (&c.rule, c.is_soft(SoftRule::Rule)) {
            out.push(existing::rule(&mut conn, &def, c, rule, rt.as_str()).await?);
        }
    }
    for u in def.uniques.iter().filter(|u| u.active && u.soft) {
        out.push(existing::unique(&mut conn, &def, u).await?);
    }
    for k in def.checks.iter().filter(|k| k.active && k.soft) {
        out.push(existing::check(&mut conn, &def, &k.name, &k.expr).await?);
    }
    Ok(out)
}

/// `PUT /metadata/tables/{id}/grants`: a role gets a `table:*` permission on this table only.
pub async fn grant(store: &Store, user: &CurrentUser, id: Uuid, g: &TableGrant) -> Result<()> {
    let p = Permission::parse(&g.permission)
        .filter(|p| matches!(p, Permission::TableAdmin | Permission::TableRead | Permission::TableWrite | Permission::TableUnmask))
        .ok_or_else(|| EngineError::invalid("a table grant is one of table:read, table:write, table:admin, table:unmask"))?;
    let mut tx = store.pool.begin().await?;
    admin_table(&mut tx, user, id).await?;
    let role_exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM roles WHERE name = $1)").bind(&g.role).fetch_one(&mut *tx).await?;
    if !role_exists {
        return Err(EngineError::NotFound(Resource::Role));
    }
    sqlx::query("INSERT INTO logical_table_grants (logical_table_id, role, permission, granted_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(&g.role)
        .bind(p.name())
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    record(&mut tx, Some(id), "grant", id, "create", None, json(g), user.id).await?;
    tx.commit().await?;
    forget(store, id);
    Ok(())
}

/// `DELETE /metadata/tables/{id}/grants/{role}/{permission}`.
pub async fn revoke(store: &Store, user: &CurrentUser, id: Uuid, g: &TableGrant) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    admin_table(&mut tx, user, id).await?;
    let gone = sqlx::query("DELETE FROM logical_table_grants WHERE logical_table_id = $1 AND role = $2 AND permission = $3")
        .bind(id)
        .bind(&g.role)
        .bind(&g.permission)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(EngineError::NotFound(Resource::Grant));
    }
    record(&mut tx, Some(id), "grant", id, "delete", json(g), None, user.id).await?;
    tx.commit().await?;
    forget(store, id);
    Ok(())
}
