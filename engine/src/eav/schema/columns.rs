//! Column definitions (seed §3.2.1): named, typed, shared by the tables they are bound to. The type
//! changes only where every stored value survives (`retype`); a change to its enum values, default or masking applies
//! to every table using it, whose versions all move.

use crate::eav::physical::trusted;
use uuid::Uuid;

use super::super::Store;
use super::super::error::DataError;
use super::super::values::typed;
use super::super::wire::{ColumnInfo, ColumnPatch, DataType, MaskingRule, NewColumn};
use super::{check_name, existing, forget, json, name_taken, record, retype};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

#[derive(sqlx::FromRow)]
struct ColumnRow {
    id: Uuid,
    column_name: String,
    data_type: String,
    description: String,
    enum_values: Vec<String>,
    reference_table_id: Option<Uuid>,
    default_value: Option<serde_json::Value>,
    masking_rule: String,
    version: i32,
    used_by: Vec<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

const SELECT: &str = "SELECT c.id, c.column_name, c.data_type, c.description, c.enum_values, c.reference_table_id, c.default_value,
        c.masking_rule, c.version, c.created_at, c.updated_at,
        coalesce((SELECT array_agg(t.table_name ORDER BY t.table_name) FROM table_column_properties p
                  JOIN logical_tables t ON t.id = p.logical_table_id WHERE p.column_definition_id = c.id), '{}') AS used_by
     FROM column_definitions c";

impl From<ColumnRow> for ColumnInfo {
    fn from(r: ColumnRow) -> ColumnInfo {
        ColumnInfo {
            id: r.id,
            column_name: r.column_name,
            data_type: DataType::parse(&r.data_type).unwrap_or(DataType::String),
            description: r.description,
            enum_values: r.enum_values,
            reference_table_id: r.reference_table_id,
            default_value: r.default_value,
            masking_rule: MaskingRule::parse(&r.masking_rule).unwrap_or_default(),
            version: r.version,
            used_by: r.used_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(super) async fn one(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<ColumnInfo> {
    let r: Option<ColumnRow> = sqlx::query_as(trusted(&format!("{SELECT} WHERE c.id = $1"))).bind(id).fetch_optional(conn).await?;
    Ok(r.ok_or(EngineError::NotFound(Resource::Column))?.into())
}

fn check_default(ty: DataType, enum_values: &[String], default: Option<&serde_json::Value>) -> Result<()> {
    if let Some(v) = default {
        typed(ty, enum_values, v).map_err(|message| DataError::ValueInvalid { column: "default_value".into(), message })?;
    }
    Ok(())
}

fn clean_values(values: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    if out.len() > 1000 {
        return Err(EngineError::invalid("an Enum column has at most 1000 values"));
    }
    Ok(out)
}

/// Every row's own fields: a column of the same name would shadow them in queries and views.
const RESERVED: [&str; 11] = ["id", "code", "display_value", "sort_order", "is_active", "parent_row_id", "created_at", "updated_at", "created_by", "updated_by", "version"];

/// `POST /metadata/columns`.
pub async fn create_column(store: &Store, user: &CurrentUser, req: &NewColumn) -> Result<ColumnInfo> {
    user.require(Permission::TableAdmin)?;
    let name = check_name("column", &req.column_name)?;
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
        return Err(EngineError::invalid(format!("'{name}' names a field every row has ({}); choose another name", RESERVED.join(", "))));
    }
    let enum_values = clean_values(&req.enum_values)?;
    match req.data_type {
        DataType::Enum if enum_values.is_empty() => return Err(EngineError::invalid("an Enum column needs enum_values")),
        DataType::Reference if req.reference_table_id.is_none() => return Err(EngineError::invalid("a Reference column needs reference_table_id")),
        DataType::Reference => {}
        _ if req.reference_table_id.is_some() => return Err(EngineError::invalid("only a Reference column has reference_table_id")),
        _ => {}
    }
    check_default(req.data_type, &enum_values, req.default_value.as_ref())?;
    let mut tx = store.pool.begin().await?;
    if let Some(t) = req.reference_table_id {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM logical_tables WHERE id = $1)").bind(t).fetch_one(&mut *tx).await?;
        if !exists {
            return Err(EngineError::NotFound(Resource::LogicalTable));
        }
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO column_definitions (id, column_name, data_type, description, enum_values, reference_table_id, default_value, masking_rule, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(&name)
    .bind(req.data_type.as_str())
    .bind(req.description.trim())
    .bind(&enum_values)
    .bind(req.reference_table_id)
    .bind(req.default_value.clone().filter(|v| !v.is_null()))
    .bind(req.masking_rule.as_str())
    .bind(user.id)
    .execute(&mut *tx)
    .await
    .map_err(|e| name_taken(e, DataError::ColumnExists(name.clone())))?;
    let created = one(&mut tx, id).await?;
    record(&mut tx, None, "column", id, "create", None, json(&created), user.id).await?;
    tx.commit().await?;
    Ok(created)
}

/// `GET /metadata/columns`.
pub async fn list_columns(store: &Store, user: &CurrentUser) -> Result<Vec<ColumnInfo>> {
    if !user.can(Permission::TableAdmin) && !user.can(Permission::TableRead) {
        return Err(EngineError::Forbidden(Permission::TableRead.name()));
    }
    let rows: Vec<ColumnRow> = sqlx::query_as(trusted(&format!("{SELECT} ORDER BY lower(c.column_name)"))).fetch_all(&store.pool).await?;
    Ok(rows.into_iter().map(ColumnInfo::from).collect())
}

/// `GET /metadata/columns/{id}`.
pub async fn get_column(store: &Store, user: &CurrentUser, id: Uuid) -> Result<ColumnInfo> {
    if !user.can(Permission::TableAdmin) && !user.can(Permission::TableRead) {
        return Err(EngineError::Forbidden(Permission::TableRead.name()));
    }
    let mut conn = store.pool.acquire().await?;
    one(&mut conn, id).await
}

/// The tables a column is bound to, locked for a schema change, in a fixed order (no deadlock
/// between two changes).
async fn bound_tables(conn: &mut sqlx::PgConnection, column: Uuid) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT t.id FROM logical_tables t JOIN table_column_properties p ON p.logical_table_id = t.id
         WHERE p.column_definition_id = $1 ORDER BY t.id FOR UPDATE OF t",
    )
    .bind(column)
    .fetch_all(conn)
    .await?)
}

/// `PATCH /metadata/columns/{id}`.
pub async fn update_column(store: &Store, user: &CurrentUser, id: Uuid, patch: &ColumnPatch) -> Result<ColumnInfo> {
    user.require(Permission::TableAdmin)?;
    let mut tx = store.pool.begin().await?;
    let tables = bound_tables(&mut tx, id).await?;
    let before = one(&mut tx, id).await?;
    if let Some(sent) = patch.version
        && sent != before.version
    {
        return Err(DataError::SchemaVersionConflict { sent, current: before.version }.into());
    }
    let ty = patch.data_type.unwrap_or(before.data_type);
    let enum_values = match &patch.enum_values {
        Some(v) if ty == DataType::Enum => {
            let v = clean_values(v)?;
            if v.is_empty() {
                return Err(EngineError::invalid("an Enum column needs enum_values"));
            }
            Some(v)
        }
        Some(_) => return Err(EngineError::invalid("only an Enum column has enum_values")),
        None if ty == DataType::Enum && before.data_type != DataType::Enum => return Err(EngineError::invalid("an Enum column needs enum_values")),
        // Values only an Enum has go when it stops being one.
        None if ty != DataType::Enum && before.data_type == DataType::Enum => Some(Vec::new()),
        None => None,
    };
    let values_now = enum_values.clone().unwrap_or_else(|| before.enum_values.clone());
    let default = match &patch.default_value {
        Some(d) => d.clone().filter(|v| !v.is_null()),
        None => before.default_value.clone(),
    };
    check_default(ty, &values_now, default.as_ref())?;
    if ty != before.data_type {
        retype::apply(&mut tx, &tables, id, ty, &values_now).await?;
    }
    // Values a table holds must stay allowed.
    if let Some(values) = enum_values.as_ref().filter(|_| ty == DataType::Enum && before.data_type == DataType::Enum) {
        for t in &tables {
            let def = super::lock_table(&mut tx, *t).await?;
            if let Some(c) = def.columns.iter().find(|c| c.id == id) {
                let sql = format!("SELECT count(*) FROM {} WHERE {} IS NOT NULL AND NOT ({} = ANY($1))", def.physical(), c.physical, c.physical);
                let count: i64 = sqlx::query_scalar(trusted(&sql)).bind(values).fetch_one(&mut *tx).await?;
                if count > 0 {
                    let rule = super::super::rules::Rule::Enum(values.clone());
                    return Err(existing::refused(existing::rule(&mut tx, &def, c, &rule, "enum").await?));
                }
            }
        }
    }
    sqlx::query(
        "UPDATE column_definitions SET description = coalesce($2, description), enum_values = coalesce($3, enum_values),
                default_value = $4, masking_rule = coalesce($5, masking_rule), data_type = $7, version = version + 1, updated_at = now(), updated_by = $6
         WHERE id = $1",
    )
    .bind(id)
    .bind(patch.description.as_deref().map(str::trim))
    .bind(&enum_values)
    .bind(default)
    .bind(patch.masking_rule.map(MaskingRule::as_str))
    .bind(user.id)
    .bind(ty.as_str())
    .execute(&mut *tx)
    .await?;
    let after = one(&mut tx, id).await?;
    record(&mut tx, None, "column", id, "update", json(&before), json(&after), user.id).await?;
    for t in &tables {
        record(&mut tx, Some(*t), "column", id, "update", json(&before), json(&after), user.id).await?;
    }
    tx.commit().await?;
    for t in tables {
        forget(store, t);
    }
    Ok(after)
}

/// `DELETE /metadata/columns/{id}`: only a column no table uses.
pub async fn delete_column(store: &Store, user: &CurrentUser, id: Uuid) -> Result<()> {
    user.require(Permission::TableAdmin)?;
    let mut tx = store.pool.begin().await?;
    let before = one(&mut tx, id).await?;
    if !before.used_by.is_empty() {
        return Err(DataError::SchemaInUse(format!("the tables {} use this column; unbind it first", before.used_by.join(", "))).into());
    }
    sqlx::query("DELETE FROM column_definitions WHERE id = $1").bind(id).execute(&mut *tx).await?;
    record(&mut tx, None, "column", id, "delete", json(&before), None, user.id).await?;
    tx.commit().await?;
    Ok(())
}
