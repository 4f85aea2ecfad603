//! Table–column properties: binding a column to a table (a physical column is added), its display
//! order, and its rules — mandatory, unique, indexed, a validation rule. A rule existing rows break
//! is refused (409 with the rows) or, when asked, kept soft. Hard mandatory columns are NOT NULL in
//! PostgreSQL too, hard uniques are unique indexes: the database holds them even against a bug.

use crate::eav::physical::trusted;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::Store;
use super::super::def::{ColumnDef, TableDef};
use super::super::error::DataError;
use super::super::physical::{self, literal, sql_type};
use super::super::rules::Rule;
use super::super::values::typed;
use super::super::wire::{DataType, NewProperty, PropertyInfo, PropertyPatch, RuleType, SoftRule};
use super::{admin_table, existing, forget, json, record, require_admin};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

#[derive(sqlx::FromRow)]
struct PropertyRow {
    id: Uuid,
    logical_table_id: Uuid,
    column_definition_id: Uuid,
    column_name: String,
    data_type: String,
    display_order: i32,
    is_mandatory: bool,
    is_value_unique: bool,
    is_indexed: bool,
    validation_rule_type: Option<String>,
    validation_parameters: Value,
    soft_rules: Vec<String>,
}

const SELECT: &str = "SELECT p.id, p.logical_table_id, p.column_definition_id, c.column_name, c.data_type, p.display_order, p.is_mandatory,
        p.is_value_unique, p.is_indexed, p.validation_rule_type, p.validation_parameters, p.soft_rules
     FROM table_column_properties p JOIN column_definitions c ON c.id = p.column_definition_id";

impl From<PropertyRow> for PropertyInfo {
    fn from(r: PropertyRow) -> PropertyInfo {
        PropertyInfo {
            id: r.id,
            logical_table_id: r.logical_table_id,
            column_definition_id: r.column_definition_id,
            column_name: r.column_name,
            data_type: DataType::parse(&r.data_type).unwrap_or(DataType::String),
            display_order: r.display_order,
            is_mandatory: r.is_mandatory,
            is_value_unique: r.is_value_unique,
            is_indexed: r.is_indexed,
            validation_rule_type: r.validation_rule_type.as_deref().and_then(RuleType::parse),
            validation_parameters: r.validation_parameters,
            soft_rules: r.soft_rules.iter().filter_map(|s| serde_json::from_value(Value::String(s.clone())).ok()).collect(),
        }
    }
}

pub(super) async fn list_for(conn: &mut PgConnection, table: Uuid) -> Result<Vec<PropertyInfo>> {
    let rows: Vec<PropertyRow> =
        sqlx::query_as(trusted(&format!("{SELECT} WHERE p.logical_table_id = $1 ORDER BY p.display_order, c.column_name"))).bind(table).fetch_all(conn).await?;
    Ok(rows.into_iter().map(PropertyInfo::from).collect())
}

async fn one(conn: &mut PgConnection, id: Uuid) -> Result<PropertyInfo> {
    let r: Option<PropertyRow> = sqlx::query_as(trusted(&format!("{SELECT} WHERE p.id = $1"))).bind(id).fetch_optional(conn).await?;
    Ok(r.ok_or(EngineError::NotFound(Resource::Property))?.into())
}

fn compile(rule: Option<RuleType>, params: &Value) -> Result<Option<(RuleType, Rule)>> {
    match rule {
        None => Ok(None),
        Some(rt) => Rule::new(rt, params).map(|r| Some((rt, r))).map_err(|e| EngineError::invalid(format!("validation_parameters: {e}"))),
    }
}

/// Which of `c`'s rules existing rows break; those are soft when `soft_wanted` says so, else the
/// change is refused with the rows.
async fn enforce(conn: &mut PgConnection, def: &TableDef, c: &ColumnDef, soft_wanted: &(dyn Fn(SoftRule) -> bool + Sync)) -> Result<Vec<SoftRule>> {
    let mut soft = Vec::new();
    let mut judge = |kind: SoftRule, v: super::super::wire::Violations| -> Result<()> {
        if v.count == 0 {
            Ok(())
        } else if soft_wanted(kind) {
            soft.push(kind);
            Ok(())
        } else {
            Err(existing::refused(v))
        }
    };
    if c.mandatory {
        judge(SoftRule::Mandatory, existing::mandatory(conn, def, c).await?)?;
    }
    if c.unique {
        judge(SoftRule::Unique, existing::unique(conn, def, &c.as_unique()).await?)?;
    }
    if let Some((rt, rule)) = &c.rule {
        judge(SoftRule::Rule, existing::rule(conn, def, c, rule, rt.as_str()).await?)?;
    }
    Ok(soft)
}

/// Makes the physical column and its indexes say what the property says.
async fn sync(conn: &mut PgConnection, def: &TableDef, c: &ColumnDef) -> Result<()> {
    let t = def.physical();
    let col = &c.physical;
    let mut ddl = vec![if c.mandatory && !c.is_soft(SoftRule::Mandatory) {
        format!("ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL")
    } else {
        format!("ALTER TABLE {t} ALTER COLUMN {col} DROP NOT NULL")
    }];
    let (uq, us) = (physical::unique_index(c.property_id), physical::soft_unique_index(c.property_id));
    match (c.unique, c.is_soft(SoftRule::Unique)) {
        (true, false) => ddl.extend([format!("CREATE UNIQUE INDEX IF NOT EXISTS {uq} ON {t} ({col})"), format!("DROP INDEX IF EXISTS eav.{us}")]),
        (true, true) => ddl.extend([format!("CREATE INDEX IF NOT EXISTS {us} ON {t} ({col})"), format!("DROP INDEX IF EXISTS eav.{uq}")]),
        _ => ddl.extend(physical::drop_unique_indexes(c.property_id)),
    }
    let ix = physical::plain_index(c.property_id);
    // Reference columns are looked up whenever a referenced row is deleted.
    if c.indexed || c.ty == DataType::Reference {
        ddl.push(format!("CREATE INDEX IF NOT EXISTS {ix} ON {t} ({col}, id)"));
    } else {
        ddl.push(format!("DROP INDEX IF EXISTS eav.{ix}"));
    }
    for d in ddl {
        sqlx::query(trusted(&d)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// `POST /metadata/properties`.
pub async fn create_property(store: &Store, user: &CurrentUser, req: &NewProperty) -> Result<PropertyInfo> {
    let mut tx = store.pool.begin().await?;
    let mut def = admin_table(&mut tx, user, req.logical_table_id).await?;
    let column = super::columns::one(&mut tx, req.column_definition_id).await?;
    if def.columns.iter().any(|c| c.id == column.id) {
        return Err(DataError::PropertyExists.into());
    }
    let rule = compile(req.validation_rule_type, &req.validation_parameters)?;
    let id = Uuid::now_v7();
    let c = ColumnDef {
        id: column.id,
        property_id: id,
        name: column.column_name.clone(),
        ty: column.data_type,
        enum_values: column.enum_values.clone(),
        reference_table_id: column.reference_table_id,
        default: column.default_value.clone(),
        masking: column.masking_rule,
        mandatory: req.is_mandatory,
        unique: req.is_value_unique,
        indexed: req.is_indexed,
        rule,
        soft: Vec::new(),
        physical: physical::column(column.id),
    };
    // Existing rows take the column's default, as PostgreSQL fills it in.
    let default = match &c.default {
        Some(v) => match typed(c.ty, &c.enum_values, v).ok().and_then(|cell| cell.sql_text()) {
            Some(text) => format!(" DEFAULT {}::{}", literal(&text), sql_type(c.ty)),
            None => String::new(),
        },
        None => String::new(),
    };
    sqlx::query(trusted(&format!("ALTER TABLE {} ADD COLUMN {} {}{default}", def.physical(), c.physical, sql_type(c.ty)))).execute(&mut *tx).await?;
    def.columns.push(c);
    let soft = {
        let c = def.columns.last().ok_or_else(|| EngineError::internal("column just added"))?;
        enforce(&mut tx, &def, c, &|_| req.soft).await?
    };
    if let Some(c) = def.columns.last_mut() {
        c.soft = soft.clone();
    }
    let c = def.columns.last().ok_or_else(|| EngineError::internal("column just added"))?.clone();
    sync(&mut tx, &def, &c).await?;
    let soft_names: Vec<&str> = soft.iter().map(soft_name).collect();
    sqlx::query(
        "INSERT INTO table_column_properties (id, logical_table_id, column_definition_id, display_order, is_mandatory, is_value_unique,
            is_indexed, validation_rule_type, validation_parameters, soft_rules, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id)
    .bind(def.id)
    .bind(column.id)
    .bind(req.display_order)
    .bind(req.is_mandatory)
    .bind(req.is_value_unique)
    .bind(req.is_indexed)
    .bind(req.validation_rule_type.map(RuleType::as_str))
    .bind(if req.validation_parameters.is_null() { serde_json::json!({}) } else { req.validation_parameters.clone() })
    .bind(&soft_names)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    let created = one(&mut tx, id).await?;
    record(&mut tx, Some(def.id), "property", id, "create", None, json(&created), user.id).await?;
    tx.commit().await?;
    forget(store, def.id);
    Ok(created)
}

fn soft_name(s: &SoftRule) -> &'static str {
    match s {
        SoftRule::Mandatory => "mandatory",
        SoftRule::Unique => "unique",
        SoftRule::Rule => "rule",
    }
}

async fn table_of(conn: &mut PgConnection, id: Uuid) -> Result<Uuid> {
    let t: Option<Uuid> = sqlx::query_scalar("SELECT logical_table_id FROM table_column_properties WHERE id = $1").bind(id).fetch_optional(conn).await?;
    t.ok_or(EngineError::NotFound(Resource::Property))
}

/// `GET /metadata/properties?logical_table_id=`.
pub async fn list_properties(store: &Store, user: &CurrentUser, table: Uuid) -> Result<Vec<PropertyInfo>> {
    let def = super::super::def::table_by_id(&store.pool, &store.defs, table).await.map_err(super::unseen(user, Permission::TableRead))?;
    def.require(user, Permission::TableRead).or_else(|_| require_admin(user, &def))?;
    let mut conn = store.pool.acquire().await?;
    list_for(&mut conn, table).await
}

/// `GET /metadata/properties/{id}`.
pub async fn get_property(store: &Store, user: &CurrentUser, id: Uuid) -> Result<PropertyInfo> {
    let mut conn = store.pool.acquire().await?;
    let table = table_of(&mut conn, id).await.map_err(super::unseen(user, Permission::TableRead))?;
    let def = super::super::def::table_by_id(&store.pool, &store.defs, table).await.map_err(super::unseen(user, Permission::TableRead))?;
    def.require(user, Permission::TableRead).or_else(|_| require_admin(user, &def))?;
    one(&mut conn, id).await
}

/// `PATCH /metadata/properties/{id}`.
pub async fn update_property(store: &Store, user: &CurrentUser, id: Uuid, patch: &PropertyPatch) -> Result<PropertyInfo> {
    let mut tx = store.pool.begin().await?;
    let table = table_of(&mut tx, id).await.map_err(super::unseen(user, Permission::TableAdmin))?;
    let mut def = admin_table(&mut tx, user, table).await?;
    let before = one(&mut tx, id).await?;
    let i = def.columns.iter().position(|c| c.property_id == id).ok_or(EngineError::NotFound(Resource::Property))?;
    let rule_type = match patch.validation_rule_type {
        Some(r) => r,
        None => before.validation_rule_type,
    };
    let params = patch.validation_parameters.clone().unwrap_or_else(|| before.validation_parameters.clone());
    let was_soft = def.columns[i].soft.clone();
    {
        let c = &mut def.columns[i];
        c.mandatory = patch.is_mandatory.unwrap_or(c.mandatory);
        c.unique = patch.is_value_unique.unwrap_or(c.unique);
        c.indexed = patch.is_indexed.unwrap_or(c.indexed);
        c.rule = compile(rule_type, &params)?;
        c.soft = Vec::new();
    }
    let want = |kind: SoftRule| patch.soft.unwrap_or(was_soft.contains(&kind));
    let soft = enforce(&mut tx, &def, &def.columns[i].clone(), &want).await?;
    def.columns[i].soft = soft.clone();
    let c = def.columns[i].clone();
    sync(&mut tx, &def, &c).await?;
    let soft_names: Vec<&str> = soft.iter().map(soft_name).collect();
    sqlx::query(
        "UPDATE table_column_properties SET display_order = coalesce($2, display_order), is_mandatory = $3, is_value_unique = $4,
            is_indexed = $5, validation_rule_type = $6, validation_parameters = $7, soft_rules = $8, updated_at = now(), updated_by = $9
         WHERE id = $1",
    )
    .bind(id)
    .bind(patch.display_order)
    .bind(c.mandatory)
    .bind(c.unique)
    .bind(c.indexed)
    .bind(rule_type.map(RuleType::as_str))
    .bind(params)
    .bind(&soft_names)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    let after = one(&mut tx, id).await?;
    record(&mut tx, Some(table), "property", id, "update", json(&before), json(&after), user.id).await?;
    tx.commit().await?;
    forget(store, table);
    Ok(after)
}

/// `DELETE /metadata/properties/{id}`: the column leaves the table with its values; refused while a
/// constraint of the table names it.
pub async fn delete_property(store: &Store, user: &CurrentUser, id: Uuid) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    let table = table_of(&mut tx, id).await.map_err(super::unseen(user, Permission::TableAdmin))?;
    let def = admin_table(&mut tx, user, table).await?;
    let c = def.columns.iter().find(|c| c.property_id == id).ok_or(EngineError::NotFound(Resource::Property))?;
    let mut users: Vec<String> = def.uniques.iter().filter(|u| u.columns.iter().any(|n| n.eq_ignore_ascii_case(&c.name))).map(|u| u.name.clone()).collect();
    users.extend(def.foreign_keys.iter().filter(|k| k.column.eq_ignore_ascii_case(&c.name)).map(|k| k.name.clone()));
    for k in &def.checks {
        let mut fields = Vec::new();
        k.expr.fields(&mut fields);
        if fields.iter().any(|f| f.eq_ignore_ascii_case(&c.name)) {
            users.push(k.name.clone());
        }
    }
    if !users.is_empty() {
        return Err(DataError::SchemaInUse(format!("the constraints {} use this column; delete them first", users.join(", "))).into());
    }
    let before = one(&mut tx, id).await?;
    sqlx::query(trusted(&format!("ALTER TABLE {} DROP COLUMN {}", def.physical(), c.physical))).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM table_column_properties WHERE id = $1").bind(id).execute(&mut *tx).await?;
    record(&mut tx, Some(table), "property", id, "delete", json(&before), None, user.id).await?;
    tx.commit().await?;
    forget(store, table);
    Ok(())
}

/// What a schema screen does in one step: the column defined (or the existing definition of that
/// name reused) and bound to the table with `property`'s settings. A definition made here and then
/// refused by the table (existing rows break a rule) is removed again, so nothing is left half done.
pub async fn add_column(store: &Store, user: &CurrentUser, column: &super::super::wire::NewColumn, property: NewProperty) -> Result<PropertyInfo> {
    let (id, made) = match super::columns::create_column(store, user, column).await {
        Ok(c) => (c.id, true),
        Err(EngineError::Data(DataError::ColumnExists(_))) => {
            let existing = super::columns::list_columns(store, user).await?;
            let found = existing.into_iter().find(|c| c.column_name.eq_ignore_ascii_case(&column.column_name));
            (found.ok_or(EngineError::NotFound(crate::error::Resource::Column))?.id, false)
        }
        Err(e) => return Err(e),
    };
    let bound = create_property(store, user, &NewProperty { column_definition_id: id, ..property }).await;
    if bound.is_err() && made {
        if let Err(e) = super::columns::delete_column(store, user, id).await {
            tracing::warn!(column = %id, error = %e, "a column defined for a refused binding stays defined");
        }
    }
    bound
}

/// Puts a table's columns in the order of `property_ids` (each gets its position as its
/// `display_order`); only the ones that move are changed, each change recorded like any other.
pub async fn reorder(store: &Store, user: &CurrentUser, table_id: Uuid, property_ids: &[Uuid]) -> Result<Vec<PropertyInfo>> {
    // Asked before anything else: an order that is already so changes nothing, but is still not
    // everyone's to ask for.
    let def = crate::eav::def::table_by_id(&store.pool, &store.defs, table_id).await.map_err(super::unseen(user, Permission::TableAdmin))?;
    super::require_admin(user, &def)?;
    let current = list_properties(store, user, table_id).await?;
    if property_ids.len() != current.len() || !current.iter().all(|p| property_ids.contains(&p.id)) {
        return Err(EngineError::invalid("name every column of the table once, in the new order"));
    }
    for (i, id) in property_ids.iter().enumerate() {
        let order = i as i32 + 1;
        if current.iter().any(|p| p.id == *id && p.display_order != order) {
            update_property(store, user, *id, &PropertyPatch { display_order: Some(order), ..Default::default() }).await?;
        }
    }
    list_properties(store, user, table_id).await
}
