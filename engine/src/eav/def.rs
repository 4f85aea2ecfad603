//! A logical table's definition as writes and reads use it: its columns with their compiled rules,
//! its uniques, foreign keys and checks, its grants. Kept per process and re-read whenever the
//! table's schema version moved, so every server validates against the schema of the moment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::expr::Expr;
use super::physical;
use super::rules::Rule;
use super::wire::{CachePolicy, DataType, MaskingRule, OnDelete, RuleType, SoftRule};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

#[derive(Debug, Clone)]
pub struct ColumnDef {
    pub id: Uuid,
    pub property_id: Uuid,
    pub name: String,
    pub ty: DataType,
    pub enum_values: Vec<String>,
    pub reference_table_id: Option<Uuid>,
    pub default: Option<Value>,
    pub masking: MaskingRule,
    pub mandatory: bool,
    pub unique: bool,
    pub indexed: bool,
    pub rule: Option<(RuleType, Rule)>,
    pub soft: Vec<SoftRule>,
    /// The physical column (`c_<id>`), made by the engine.
    pub physical: String,
}

impl ColumnDef {
    pub fn is_soft(&self, r: SoftRule) -> bool {
        self.soft.contains(&r)
    }

    /// The unique a property's `is_value_unique` stands for (its index is named by the property).
    pub fn as_unique(&self) -> UniqueDef {
        UniqueDef {
            id: self.property_id,
            name: self.name.clone(),
            columns: vec![self.name.clone()],
            json_paths: vec![],
            case_sensitive: true,
            active: true,
            soft: self.is_soft(SoftRule::Unique),
        }
    }
}

/// The texts of the list `key` of a stored constraint definition.
pub fn json_strings(d: &Value, key: &str) -> Vec<String> {
    d.get(key).and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// A unique over columns and/or `extended_properties` paths.
#[derive(Debug, Clone)]
pub struct UniqueDef {
    pub id: Uuid,
    pub name: String,
    pub columns: Vec<String>,
    pub json_paths: Vec<Vec<String>>,
    pub case_sensitive: bool,
    pub active: bool,
    pub soft: bool,
}

#[derive(Debug, Clone)]
pub struct ForeignKeyDef {
    pub id: Uuid,
    pub name: String,
    pub column: String,
    pub referenced_table_id: Uuid,
    pub on_delete: OnDelete,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct CheckDef {
    pub id: Uuid,
    pub name: String,
    pub expr: Expr,
    pub message: String,
    pub active: bool,
    pub soft: bool,
}

#[derive(Debug, Clone)]
pub struct TableDef {
    pub id: Uuid,
    pub name: String,
    pub version: i32,
    pub is_hierarchical: bool,
    pub cache_policy: CachePolicy,
    pub columns: Vec<ColumnDef>,
    pub uniques: Vec<UniqueDef>,
    pub foreign_keys: Vec<ForeignKeyDef>,
    pub checks: Vec<CheckDef>,
    pub grants: Vec<(String, Permission)>,
}

impl TableDef {
    /// The physical table, named with the schema version in a comment: a column's new type changes
    /// what a statement returns, and a connection's statement prepared before would fail on it
    /// ("cached plan must not change result type"); new text is prepared afresh.
    pub fn physical(&self) -> String {
        format!("{} /* v{} */", physical::table(self.id), self.version)
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The caller holds `p` globally or on this table through one of their roles.
    pub fn allows(&self, user: &CurrentUser, p: Permission) -> bool {
        user.can(p) || self.grants.iter().any(|(role, perm)| *perm == p && user.roles.iter().any(|r| r == role))
    }

    pub fn require(&self, user: &CurrentUser, p: Permission) -> Result<()> {
        if user.must_change_password {
            return Err(EngineError::PasswordChangeRequired);
        }
        if self.allows(user, p) { Ok(()) } else { Err(EngineError::Forbidden(p.name())) }
    }
}

/// Definitions by table id, with the version each was read at, and when a name was last checked
/// against the database.
#[derive(Default)]
pub struct DefCache {
    by_id: Mutex<HashMap<Uuid, Arc<TableDef>>>,
    ids: Mutex<HashMap<String, (Uuid, std::time::Instant)>>,
}

/// How long a read may trust a definition without asking the database for its version. Reads
/// check the version in their own query anyway; this bounds only what a cache hit can miss (a
/// grant revoked on another server a moment ago).
const TRUST: std::time::Duration = std::time::Duration::from_secs(1);

impl DefCache {
    /// The definition of `name` checked within the last second, if any.
    pub fn recent(&self, name: &str) -> Option<Arc<TableDef>> {
        let (id, checked) = *self.ids.lock().ok()?.get(&name.to_lowercase())?;
        if checked.elapsed() > TRUST {
            return None;
        }
        self.get(id)
    }

    fn checked(&self, name: &str, id: Uuid) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.insert(name.to_lowercase(), (id, std::time::Instant::now()));
        }
    }

    fn get(&self, id: Uuid) -> Option<Arc<TableDef>> {
        self.by_id.lock().ok().and_then(|m| m.get(&id).cloned())
    }

    fn put(&self, def: Arc<TableDef>) {
        self.checked(&def.name, def.id);
        if let Ok(mut m) = self.by_id.lock() {
            m.insert(def.id, def);
        }
    }

    pub fn forget(&self, id: Uuid) {
        if let Ok(mut m) = self.by_id.lock() {
            m.remove(&id);
        }
        if let Ok(mut ids) = self.ids.lock() {
            ids.retain(|_, v| v.0 != id);
        }
    }
}

/// The id and schema version of the table named `name` (any case). Inside a write's transaction,
/// `lock` share-locks the table's row so no schema change lands before the write commits.
async fn version<'c>(conn: impl PgExecutor<'c>, name: &str, lock: bool) -> Result<(Uuid, i32)> {
    let sql = if lock {
        "SELECT id, version FROM logical_tables WHERE lower(table_name) = lower($1) FOR SHARE"
    } else {
        "SELECT id, version FROM logical_tables WHERE lower(table_name) = lower($1)"
    };
    let row: Option<(Uuid, i32)> = sqlx::query_as(sql).bind(name).fetch_optional(conn).await?;
    row.ok_or(EngineError::NotFound(Resource::LogicalTable))
}

/// The table named `name` at its current schema version, from the cache when it holds that version.
pub async fn table(pool: &PgPool, cache: &DefCache, name: &str) -> Result<Arc<TableDef>> {
    let mut conn = pool.acquire().await?;
    fresh(&mut conn, cache, name, false).await
}

/// In a write's transaction: the definition, share-locked, fresh.
pub async fn table_locked(tx: &mut sqlx::PgConnection, cache: &DefCache, name: &str) -> Result<Arc<TableDef>> {
    fresh(tx, cache, name, true).await
}

async fn fresh(conn: &mut sqlx::PgConnection, cache: &DefCache, name: &str, lock: bool) -> Result<Arc<TableDef>> {
    let (id, version) = self::version(&mut *conn, name, lock).await?;
    if let Some(def) = cache.get(id)
        && def.version == version
    {
        cache.checked(name, id);
        return Ok(def);
    }
    let def = Arc::new(read(conn, name).await?);
    cache.put(def.clone());
    Ok(def)
}

/// The definition of the table with id `id`, whatever its name.
pub async fn table_by_id(pool: &PgPool, cache: &DefCache, id: Uuid) -> Result<Arc<TableDef>> {
    let name: Option<String> = sqlx::query_scalar("SELECT table_name FROM logical_tables WHERE id = $1").bind(id).fetch_optional(pool).await?;
    let name = name.ok_or(EngineError::NotFound(Resource::LogicalTable))?;
    table(pool, cache, &name).await
}

#[derive(sqlx::FromRow)]
struct TableRow {
    id: Uuid,
    table_name: String,
    version: i32,
    is_hierarchical: bool,
    cache_policy: String,
}

#[derive(sqlx::FromRow)]
struct ColumnRow {
    property_id: Uuid,
    id: Uuid,
    column_name: String,
    data_type: String,
    enum_values: Vec<String>,
    reference_table_id: Option<Uuid>,
    default_value: Option<Value>,
    masking_rule: String,
    is_mandatory: bool,
    is_value_unique: bool,
    is_indexed: bool,
    validation_rule_type: Option<String>,
    validation_parameters: Value,
    soft_rules: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct ConstraintRow {
    id: Uuid,
    constraint_name: String,
    constraint_type: String,
    definition: Value,
    is_active: bool,
    is_soft: bool,
}

/// Reads the whole definition; a stored rule or expression that no longer compiles is an internal
/// error (they are checked when set).
pub async fn read(conn: &mut sqlx::PgConnection, name: &str) -> Result<TableDef> {
    let t: Option<TableRow> = sqlx::query_as(
        "SELECT id, table_name, version, is_hierarchical, cache_policy FROM logical_tables WHERE lower(table_name) = lower($1)",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    let t = t.ok_or(EngineError::NotFound(Resource::LogicalTable))?;
    let cols: Vec<ColumnRow> = sqlx::query_as(
        "SELECT p.id AS property_id, c.id, c.column_name, c.data_type, c.enum_values, c.reference_table_id, c.default_value,
                c.masking_rule, p.is_mandatory, p.is_value_unique, p.is_indexed, p.validation_rule_type,
                p.validation_parameters, p.soft_rules
         FROM table_column_properties p JOIN column_definitions c ON c.id = p.column_definition_id
         WHERE p.logical_table_id = $1 ORDER BY p.display_order, c.column_name",
    )
    .bind(t.id)
    .fetch_all(&mut *conn)
    .await?;
    let constraints: Vec<ConstraintRow> = sqlx::query_as(
        "SELECT id, constraint_name, constraint_type, definition, is_active, is_soft FROM table_constraints WHERE logical_table_id = $1 ORDER BY constraint_name",
    )
    .bind(t.id)
    .fetch_all(&mut *conn)
    .await?;
    let grants: Vec<(String, String)> = sqlx::query_as("SELECT role, permission FROM logical_table_grants WHERE logical_table_id = $1")
        .bind(t.id)
        .fetch_all(&mut *conn)
        .await?;

    let mut columns = Vec::with_capacity(cols.len());
    for c in cols {
        let ty = DataType::parse(&c.data_type).ok_or_else(|| EngineError::internal(format!("column type {}", c.data_type)))?;
        let rule = match c.validation_rule_type.as_deref().and_then(RuleType::parse) {
            Some(rt) => Some((rt, Rule::new(rt, &c.validation_parameters).map_err(EngineError::internal)?)),
            None => None,
        };
        columns.push(ColumnDef {
            id: c.id,
            property_id: c.property_id,
            physical: physical::column(c.id),
            name: c.column_name,
            ty,
            enum_values: c.enum_values,
            reference_table_id: c.reference_table_id,
            default: c.default_value,
            masking: MaskingRule::parse(&c.masking_rule).unwrap_or_default(),
            mandatory: c.is_mandatory,
            unique: c.is_value_unique,
            indexed: c.is_indexed,
            rule,
            soft: c.soft_rules.iter().filter_map(|s| serde_json::from_value(Value::String(s.clone())).ok()).collect(),
        });
    }
    let mut def = TableDef {
        id: t.id,
        name: t.table_name,
        version: t.version,
        is_hierarchical: t.is_hierarchical,
        cache_policy: CachePolicy::parse(&t.cache_policy).unwrap_or_default(),
        columns,
        uniques: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        grants: grants.into_iter().filter_map(|(r, p)| Permission::parse(&p).map(|p| (r, p))).collect(),
    };
    for c in constraints {
        let d = &c.definition;
        let strings = |k: &str| json_strings(d, k);
        match c.constraint_type.as_str() {
            "UNIQUE" => def.uniques.push(UniqueDef {
                id: c.id,
                name: c.constraint_name,
                columns: strings("columns"),
                json_paths: strings("json_paths").iter().map(|p| p.split('.').map(str::to_string).collect()).collect(),
                case_sensitive: d.get("is_case_sensitive").and_then(Value::as_bool).unwrap_or(true),
                active: c.is_active,
                soft: c.is_soft,
            }),
            "FOREIGN KEY" => def.foreign_keys.push(ForeignKeyDef {
                id: c.id,
                name: c.constraint_name,
                column: strings("columns").into_iter().next().unwrap_or_default(),
                referenced_table_id: d.get("referenced_table_id").and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or_default(),
                on_delete: d.get("on_delete").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
                active: c.is_active,
            }),
            _ => {
                let src = d.get("check_expression").and_then(Value::as_str).unwrap_or_default();
                let expr = super::expr::parse(src).map_err(EngineError::internal)?;
                def.checks.push(CheckDef {
                    id: c.id,
                    message: d.get("error_message").and_then(Value::as_str).unwrap_or("the row breaks a check").to_string(),
                    name: c.constraint_name,
                    expr,
                    active: c.is_active,
                    soft: c.is_soft,
                });
            }
        }
    }
    Ok(def)
}
