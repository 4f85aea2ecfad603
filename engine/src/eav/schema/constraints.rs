//! Constraints of a table: unique (columns and `ext.` paths, case-sensitive or not), foreign key (a
//! Reference column with its on-delete action) and check (an expression of `eav::expr` with its
//! author's message). Created, (de)activated, softened or hardened, reworded, deleted; activating
//! or hardening one that existing rows break is refused with the rows (409).

use crate::eav::physical::trusted;
use serde_json::{Value, json as j};
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::Store;
use super::super::def::{TableDef, UniqueDef, json_strings};
use super::super::error::DataError;
use super::super::expr;
use super::super::physical;
use super::super::wire::{ConstraintInfo, ConstraintPatch, ConstraintType, DataType, NewConstraint, OnDelete};
use super::{admin_table, check_name, existing, forget, json, name_taken, record, require_admin};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

#[derive(sqlx::FromRow)]
struct ConstraintRow {
    id: Uuid,
    logical_table_id: Uuid,
    constraint_name: String,
    constraint_type: String,
    definition: Value,
    is_active: bool,
    is_soft: bool,
    version: i32,
}

const SELECT: &str = "SELECT id, logical_table_id, constraint_name, constraint_type, definition, is_active, is_soft, version FROM table_constraints";

impl From<ConstraintRow> for ConstraintInfo {
    fn from(r: ConstraintRow) -> ConstraintInfo {
        let d = &r.definition;
        let strings = |k: &str| json_strings(d, k);
        let ty = match r.constraint_type.as_str() {
            "UNIQUE" => ConstraintType::Unique,
            "FOREIGN KEY" => ConstraintType::ForeignKey,
            _ => ConstraintType::Check,
        };
        ConstraintInfo {
            id: r.id,
            logical_table_id: r.logical_table_id,
            constraint_name: r.constraint_name,
            constraint_type: ty,
            columns: strings("columns"),
            json_paths: strings("json_paths").into_iter().map(|p| format!("ext.{p}")).collect(),
            is_case_sensitive: d.get("is_case_sensitive").and_then(Value::as_bool).unwrap_or(true),
            referenced_table_id: d.get("referenced_table_id").and_then(Value::as_str).and_then(|s| s.parse().ok()),
            on_delete: d.get("on_delete").cloned().and_then(|v| serde_json::from_value(v).ok()),
            check_expression: d.get("check_expression").and_then(Value::as_str).map(str::to_string),
            error_message: d.get("error_message").and_then(Value::as_str).map(str::to_string),
            is_active: r.is_active,
            is_soft: r.is_soft,
            version: r.version,
        }
    }
}

pub(super) async fn list_for(conn: &mut PgConnection, table: Uuid) -> Result<Vec<ConstraintInfo>> {
    let rows: Vec<ConstraintRow> = sqlx::query_as(trusted(&format!("{SELECT} WHERE logical_table_id = $1 ORDER BY lower(constraint_name)"))).bind(table).fetch_all(conn).await?;
    Ok(rows.into_iter().map(ConstraintInfo::from).collect())
}

async fn one(conn: &mut PgConnection, id: Uuid) -> Result<ConstraintInfo> {
    let r: Option<ConstraintRow> = sqlx::query_as(trusted(&format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(conn).await?;
    Ok(r.ok_or(EngineError::NotFound(Resource::Constraint))?.into())
}

/// `a.b` or `ext.a.b` as path keys; keys are letters, digits and `_` (they become part of an
/// index expression).
fn json_path(raw: &str) -> Result<Vec<String>> {
    let path = raw.trim().strip_prefix("ext.").unwrap_or(raw.trim());
    let keys: Vec<String> = path.split('.').map(str::to_string).collect();
    let ok = !keys.is_empty() && keys.len() <= 8 && keys.iter().all(|k| !k.is_empty() && k.len() <= 63 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if ok { Ok(keys) } else { Err(EngineError::invalid(format!("'{raw}' is not a JSON path of letters, digits and _ keys (ext.a.b)"))) }
}

/// The definition stored for a new constraint, checked against the table.
fn definition(def: &TableDef, req: &NewConstraint) -> Result<Value> {
    let column_names = |names: &[String]| -> Result<Vec<String>> {
        names.iter().map(|n| def.column(n).map(|c| c.name.clone()).ok_or_else(|| DataError::FieldUnknown(n.clone()).into())).collect()
    };
    match req.constraint_type {
        ConstraintType::Unique => {
            let columns = column_names(&req.columns)?;
            let paths: Vec<Vec<String>> = req.json_paths.iter().map(|p| json_path(p)).collect::<Result<_>>()?;
            if columns.is_empty() && paths.is_empty() {
                return Err(EngineError::invalid("a unique constraint needs columns or json_paths"));
            }
            if columns.len() + paths.len() > 8 {
                return Err(EngineError::invalid("a unique constraint has at most 8 parts"));
            }
            Ok(j!({ "columns": columns, "json_paths": paths.iter().map(|p| p.join(".")).collect::<Vec<_>>(), "is_case_sensitive": req.is_case_sensitive }))
        }
        ConstraintType::ForeignKey => {
            let [name] = req.columns.as_slice() else { return Err(EngineError::invalid("a foreign key names one Reference column in columns")) };
            let c = def.column(name).ok_or_else(|| DataError::FieldUnknown(name.clone()))?;
            let (DataType::Reference, Some(target)) = (c.ty, c.reference_table_id) else {
                return Err(EngineError::invalid(format!("{} is not a Reference column", c.name)));
            };
            let mandatory_hard = c.mandatory && !c.is_soft(super::super::wire::SoftRule::Mandatory);
            if req.on_delete == OnDelete::SetNull && mandatory_hard {
                return Err(EngineError::invalid(format!("{} is mandatory, so it cannot be set to null when its row goes", c.name)));
            }
            if req.on_delete == OnDelete::SetDefault && c.default.is_none() && mandatory_hard {
                return Err(EngineError::invalid(format!("{} has no default value to set", c.name)));
            }
            Ok(j!({ "columns": [c.name], "referenced_table_id": target, "on_delete": req.on_delete }))
        }
        ConstraintType::Check => {
            let src = req.check_expression.as_deref().map(str::trim).unwrap_or_default();
            let parsed = expr::parse(src)?;
            let mut fields = Vec::new();
            parsed.fields(&mut fields);
            for f in fields {
                let known = ["code", "display_value", "is_active", "sort_order"].contains(&f.as_str()) || f.starts_with("ext.") || def.column(&f).is_some();
                if !known {
                    return Err(DataError::FieldUnknown(f).into());
                }
            }
            let message = req.error_message.as_deref().map(str::trim).filter(|m| !m.is_empty()).ok_or_else(|| EngineError::invalid("a check needs the error_message its breakers are told"))?;
            Ok(j!({ "check_expression": src, "error_message": message }))
        }
    }
}

/// The rows that break the constraint as defined (`row` of the constraints table, not yet read
/// into `def`).
async fn violations(conn: &mut PgConnection, def: &TableDef, id: Uuid, name: &str, ty: ConstraintType, d: &Value) -> Result<super::super::wire::Violations> {
    let strings = |k: &str| json_strings(d, k);
    match ty {
        ConstraintType::Unique => existing::unique(conn, def, &unique_def(id, name, d, false)).await,
        ConstraintType::ForeignKey => {
            let col = strings("columns").into_iter().next().unwrap_or_default();
            let c = def.column(&col).ok_or_else(|| DataError::FieldUnknown(col.clone()))?;
            let target = c.reference_table_id.ok_or_else(|| EngineError::internal("foreign key without target"))?;
            existing::dangling(conn, def, c, target).await
        }
        ConstraintType::Check => {
            let parsed = expr::parse(d.get("check_expression").and_then(Value::as_str).unwrap_or_default())?;
            existing::check(conn, def, name, &parsed).await
        }
    }
}

fn unique_def(id: Uuid, name: &str, d: &Value, soft: bool) -> UniqueDef {
    let strings = |k: &str| json_strings(d, k);
    UniqueDef {
        id,
        name: name.to_string(),
        columns: strings("columns"),
        json_paths: strings("json_paths").iter().map(|p| p.split('.').map(str::to_string).collect()).collect(),
        case_sensitive: d.get("is_case_sensitive").and_then(Value::as_bool).unwrap_or(true),
        active: true,
        soft,
    }
}

/// The index of a unique: created as it is now (hard, soft), dropped when inactive.
async fn sync_index(conn: &mut PgConnection, def: &TableDef, id: Uuid, name: &str, d: &Value, active: bool, soft: bool) -> Result<()> {
    for ddl in physical::drop_unique_indexes(id) {
        sqlx::query(trusted(&ddl)).execute(&mut *conn).await?;
    }
    if active {
        sqlx::query(trusted(&physical::unique_index_sql(def, &unique_def(id, name, d, soft)))).execute(&mut *conn).await?;
    }
    Ok(())
}

/// `POST /metadata/constraints`.
pub async fn create_constraint(store: &Store, user: &CurrentUser, req: &NewConstraint) -> Result<ConstraintInfo> {
    let name = check_name("constraint", &req.constraint_name)?;
    let mut tx = store.pool.begin().await?;
    let def = admin_table(&mut tx, user, req.logical_table_id).await?;
    let d = definition(&def, req)?;
    let id = Uuid::now_v7();
    let mut soft = false;
    if req.is_active {
        let v = violations(&mut tx, &def, id, &name, req.constraint_type, &d).await?;
        if v.count > 0 {
            if !req.soft || req.constraint_type == ConstraintType::ForeignKey {
                return Err(existing::refused(v));
            }
            soft = true;
        }
    }
    sqlx::query(
        "INSERT INTO table_constraints (id, logical_table_id, constraint_name, constraint_type, definition, is_active, is_soft, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id)
    .bind(def.id)
    .bind(&name)
    .bind(req.constraint_type.as_str())
    .bind(&d)
    .bind(req.is_active)
    .bind(soft)
    .bind(user.id)
    .execute(&mut *tx)
    .await
    .map_err(|e| name_taken(e, DataError::ConstraintExists(name.clone())))?;
    if req.constraint_type == ConstraintType::Unique {
        sync_index(&mut tx, &def, id, &name, &d, req.is_active, soft).await?;
    }
    let created = one(&mut tx, id).await?;
    record(&mut tx, Some(def.id), "constraint", id, "create", None, json(&created), user.id).await?;
    tx.commit().await?;
    forget(store, def.id);
    Ok(created)
}

async fn table_of(conn: &mut PgConnection, id: Uuid) -> Result<Uuid> {
    let t: Option<Uuid> = sqlx::query_scalar("SELECT logical_table_id FROM table_constraints WHERE id = $1").bind(id).fetch_optional(conn).await?;
    t.ok_or(EngineError::NotFound(Resource::Constraint))
}

/// `GET /metadata/constraints?logical_table_id=`.
pub async fn list_constraints(store: &Store, user: &CurrentUser, table: Uuid) -> Result<Vec<ConstraintInfo>> {
    let def = super::super::def::table_by_id(&store.pool, &store.defs, table).await.map_err(super::unseen(user, Permission::TableRead))?;
    def.require(user, Permission::TableRead).or_else(|_| require_admin(user, &def))?;
    let mut conn = store.pool.acquire().await?;
    list_for(&mut conn, table).await
}

/// `GET /metadata/constraints/{id}`.
pub async fn get_constraint(store: &Store, user: &CurrentUser, id: Uuid) -> Result<ConstraintInfo> {
    let mut conn = store.pool.acquire().await?;
    let table = table_of(&mut conn, id).await.map_err(super::unseen(user, Permission::TableRead))?;
    let def = super::super::def::table_by_id(&store.pool, &store.defs, table).await.map_err(super::unseen(user, Permission::TableRead))?;
    def.require(user, Permission::TableRead).or_else(|_| require_admin(user, &def))?;
    one(&mut conn, id).await
}

/// `PATCH /metadata/constraints/{id}`.
pub async fn update_constraint(store: &Store, user: &CurrentUser, id: Uuid, patch: &ConstraintPatch) -> Result<ConstraintInfo> {
    let mut tx = store.pool.begin().await?;
    let table = table_of(&mut tx, id).await.map_err(super::unseen(user, Permission::TableAdmin))?;
    let def = admin_table(&mut tx, user, table).await?;
    let before = one(&mut tx, id).await?;
    let stored: Value = sqlx::query_scalar("SELECT definition FROM table_constraints WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    let active = patch.is_active.unwrap_or(before.is_active);
    let mut soft = patch.soft.unwrap_or(before.is_soft);
    if active {
        let v = violations(&mut tx, &def, id, &before.constraint_name, before.constraint_type, &stored).await?;
        if v.count > 0 && (!soft || before.constraint_type == ConstraintType::ForeignKey) {
            return Err(existing::refused(v));
        }
        soft = soft && v.count > 0;
    }
    let mut d = stored;
    if let Some(m) = patch.error_message.as_deref().map(str::trim) {
        if before.constraint_type != ConstraintType::Check || m.is_empty() {
            return Err(EngineError::invalid("error_message is a check's, and cannot be empty"));
        }
        d["error_message"] = Value::String(m.to_string());
    }
    sqlx::query("UPDATE table_constraints SET is_active = $2, is_soft = $3, definition = $4, version = version + 1, updated_at = now(), updated_by = $5 WHERE id = $1")
        .bind(id)
        .bind(active)
        .bind(soft)
        .bind(&d)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    if before.constraint_type == ConstraintType::Unique {
        sync_index(&mut tx, &def, id, &before.constraint_name, &d, active, soft).await?;
    }
    let after = one(&mut tx, id).await?;
    record(&mut tx, Some(table), "constraint", id, "update", json(&before), json(&after), user.id).await?;
    tx.commit().await?;
    forget(store, table);
    Ok(after)
}

/// `DELETE /metadata/constraints/{id}`.
pub async fn delete_constraint(store: &Store, user: &CurrentUser, id: Uuid) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    let table = table_of(&mut tx, id).await.map_err(super::unseen(user, Permission::TableAdmin))?;
    admin_table(&mut tx, user, table).await?;
    let before = one(&mut tx, id).await?;
    for ddl in physical::drop_unique_indexes(id) {
        sqlx::query(trusted(&ddl)).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM table_constraints WHERE id = $1").bind(id).execute(&mut *tx).await?;
    record(&mut tx, Some(table), "constraint", id, "delete", json(&before), None, user.id).await?;
    tx.commit().await?;
    forget(store, table);
    Ok(())
}
