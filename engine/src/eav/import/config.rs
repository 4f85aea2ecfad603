//! Saved import configurations (seed §19.2 `MigrationConfigurations` + `MigrationFieldMappings`):
//! checked against the target table when saved — every target field exists, every parameter reads,
//! the upsert key is made of promoted fields or columns — so a job never meets a bad mapping.

use std::sync::Arc;

use sqlx::PgConnection;
use uuid::Uuid;

use super::transform::{PROMOTED, Step};
use super::wire::{Configuration, ConfigurationInput, ErrorStrategy, FieldMapping, SourceType, StorageType, ValidationLevel};
use crate::auth::{CurrentUser, Permission};
use crate::eav::def::{TableDef, table_by_id};
use crate::eav::{DataError, Store};
use crate::error::{Conflict, EngineError, Resource, Result};

/// Mappings one configuration may hold.
pub const MAX_MAPPINGS: usize = 500;

#[derive(sqlx::FromRow)]
struct ConfigRow {
    id: Uuid,
    name: String,
    description: String,
    source_type: String,
    source_id: Option<Uuid>,
    sample_id: Option<Uuid>,
    target_logical_table_id: Uuid,
    target_table_name: String,
    validation_level: String,
    error_handling_strategy: String,
    upsert_key: Vec<String>,
    mappings: serde_json::Value,
    version: i32,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

const SELECT: &str = "SELECT c.id, c.name, c.description, c.source_type, c.source_id, c.sample_id, c.target_logical_table_id,
        t.table_name AS target_table_name, c.validation_level, c.error_handling_strategy, c.upsert_key, c.version, c.created_at, c.updated_at,
        coalesce((SELECT jsonb_agg(jsonb_build_object('source_field', m.source_field, 'target_field', m.target_field,
                    'transformation_type', m.transformation_type, 'transformation_parameters', m.transformation_parameters,
                    'storage_type', m.storage_type, 'is_required', m.is_required) ORDER BY m.position)
                  FROM migration_field_mappings m WHERE m.migration_configuration_id = c.id), '[]'::jsonb) AS mappings
     FROM migration_configurations c JOIN logical_tables t ON t.id = c.target_logical_table_id";

impl TryFrom<ConfigRow> for Configuration {
    type Error = EngineError;
    fn try_from(r: ConfigRow) -> Result<Configuration> {
        let parse = |what: &str, s: &str| EngineError::internal(format!("stored {what} '{s}' is not known"));
        Ok(Configuration {
            id: r.id,
            name: r.name,
            description: r.description,
            source_type: serde_json::from_value(serde_json::Value::String(r.source_type.clone())).map_err(|_| parse("source type", &r.source_type))?,
            source_id: r.source_id,
            sample_id: r.sample_id,
            target_logical_table_id: r.target_logical_table_id,
            target_table_name: r.target_table_name,
            validation_level: serde_json::from_value(serde_json::Value::String(r.validation_level.clone()))
                .map_err(|_| parse("validation level", &r.validation_level))?,
            error_handling_strategy: serde_json::from_value(serde_json::Value::String(r.error_handling_strategy.clone()))
                .map_err(|_| parse("error strategy", &r.error_handling_strategy))?,
            upsert_key: r.upsert_key,
            mappings: serde_json::from_value(r.mappings).map_err(EngineError::internal)?,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn level_str(l: ValidationLevel) -> &'static str {
    match l {
        ValidationLevel::Strict => "STRICT",
        ValidationLevel::Lenient => "LENIENT",
    }
}

fn strategy_str(s: ErrorStrategy) -> &'static str {
    match s {
        ErrorStrategy::Continue => "CONTINUE",
        ErrorStrategy::Stop => "STOP",
    }
}

fn transformation_str(m: &FieldMapping) -> String {
    serde_json::to_value(m.transformation_type).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "NONE".into())
}

/// A configuration as stored, if `user` may write its target table.
pub async fn get_configuration(store: &Store, user: &CurrentUser, id: Uuid) -> Result<Configuration> {
    let row = sqlx::query_as::<_, ConfigRow>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::MigrationConfiguration))?;
    if !may_write(store, user, row.target_logical_table_id).await? {
        return Err(EngineError::NotFound(Resource::MigrationConfiguration));
    }
    row.try_into()
}

/// The configurations whose target table `user` may write, newest first.
pub async fn list_configurations(store: &Store, user: &CurrentUser) -> Result<Vec<Configuration>> {
    let rows = sqlx::query_as::<_, ConfigRow>(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY c.updated_at DESC, c.id")))
        .fetch_all(&store.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if may_write(store, user, r.target_logical_table_id).await? {
            out.push(r.try_into()?);
        }
    }
    Ok(out)
}

/// Whether `user` may write table `table_id`, which is what configurations and jobs of imports
/// into it are visible to (a table deleted meanwhile: no one).
pub async fn may_write(store: &Store, user: &CurrentUser, table_id: Uuid) -> Result<bool> {
    match table_by_id(&store.pool, &store.defs, table_id).await {
        Ok(def) => Ok(def.allows(user, Permission::TableWrite)),
        Err(EngineError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The target table, for a user who may write it, and the mappings checked against it.
pub async fn checked(store: &Store, user: &CurrentUser, input: &ConfigurationInput) -> Result<(Arc<TableDef>, Vec<Step>)> {
    let def = table_by_id(&store.pool, &store.defs, input.target_logical_table_id).await?;
    def.require(user, Permission::TableWrite)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(DataError::MappingInvalid { field: "name".into(), message: "give the configuration a name of 1 to 200 characters".into() }.into());
    }
    if input.source_type == SourceType::Run && input.sample_id.is_some() && input.source_id.is_none() {
        return Err(DataError::MappingInvalid { field: "sample_id".into(), message: "a sample needs the run it reviews (source_id)".into() }.into());
    }
    let steps = steps_for(&def, &input.mappings)?;
    for key in &input.upsert_key {
        let ok = key == "code" || def.column(key).is_some();
        let mapped = input.mappings.iter().any(|m| m.storage_type == StorageType::Column && m.target_field.eq_ignore_ascii_case(key));
        if !ok || !mapped {
            return Err(DataError::MappingInvalid {
                field: format!("upsert_key.{key}"),
                message: "an upsert key is `code` or a column of the table, and a mapping must fill it".into(),
            }
            .into());
        }
    }
    Ok((def, steps))
}

/// Every mapping read and checked against `def`.
pub fn steps_for(def: &TableDef, mappings: &[FieldMapping]) -> Result<Vec<Step>> {
    if mappings.is_empty() || mappings.len() > MAX_MAPPINGS {
        return Err(DataError::MappingInvalid { field: "mappings".into(), message: format!("map 1 to {MAX_MAPPINGS} fields") }.into());
    }
    let mut seen = std::collections::HashSet::new();
    let mut steps = Vec::with_capacity(mappings.len());
    for (i, m) in mappings.iter().enumerate() {
        let at = |message: String| DataError::MappingInvalid { field: format!("mappings[{i}].{}", m.target_field), message };
        if m.source_field.is_empty() {
            return Err(at("name the source field".into()).into());
        }
        let known = match m.storage_type {
            StorageType::Column => PROMOTED.contains(&m.target_field.as_str()) || def.column(&m.target_field).is_some(),
            StorageType::Jsonb => {
                !m.target_field.is_empty() && m.target_field.len() <= 63 && m.target_field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }
        };
        if !known {
            return Err(at(match m.storage_type {
                StorageType::Column => format!("the table has no field '{}'", m.target_field),
                StorageType::Jsonb => "an extended property's name is 1 to 63 letters, digits or _".into(),
            })
            .into());
        }
        if !seen.insert(m.target_field.to_lowercase()) {
            return Err(at("two mappings fill this field".into()).into());
        }
        steps.push(Step::new(m).map_err(at)?);
    }
    Ok(steps)
}

/// `POST /migration/configurations`.
pub async fn create_configuration(store: &Store, user: &CurrentUser, input: &ConfigurationInput) -> Result<Configuration> {
    checked(store, user, input).await?;
    let id = Uuid::now_v7();
    let mut tx = store.pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO migration_configurations (id, name, description, source_type, source_id, sample_id, target_logical_table_id,
             validation_level, error_handling_strategy, upsert_key, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(input.name.trim())
    .bind(&input.description)
    .bind(input.source_type.as_str())
    .bind(input.source_id)
    .bind(input.sample_id)
    .bind(input.target_logical_table_id)
    .bind(level_str(input.validation_level))
    .bind(strategy_str(input.error_handling_strategy))
    .bind(&input.upsert_key)
    .bind(user.id)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(name_taken(e, &input.name));
    }
    write_mappings(&mut tx, id, &input.mappings).await?;
    tx.commit().await?;
    get_configuration(store, user, id).await
}

fn name_taken(e: sqlx::Error, name: &str) -> EngineError {
    if crate::eav::write::is_unique_violation(&e) {
        Conflict::MigrationConfigurationExists(name.trim().to_string()).into()
    } else {
        e.into()
    }
}

async fn write_mappings(tx: &mut PgConnection, id: Uuid, mappings: &[FieldMapping]) -> Result<()> {
    sqlx::query("DELETE FROM migration_field_mappings WHERE migration_configuration_id = $1").bind(id).execute(&mut *tx).await?;
    for (i, m) in mappings.iter().enumerate() {
        sqlx::query(
            "INSERT INTO migration_field_mappings (id, migration_configuration_id, position, source_field, target_field,
                 transformation_type, transformation_parameters, storage_type, is_required)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(i as i32)
        .bind(&m.source_field)
        .bind(&m.target_field)
        .bind(transformation_str(m))
        .bind(if m.transformation_parameters.is_null() { serde_json::json!({}) } else { m.transformation_parameters.clone() })
        .bind(match m.storage_type {
            StorageType::Column => "COLUMN",
            StorageType::Jsonb => "JSONB",
        })
        .bind(m.is_required)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// `PUT /migration/configurations/{id}`: the whole configuration, at the version read.
pub async fn update_configuration(store: &Store, user: &CurrentUser, id: Uuid, input: &ConfigurationInput) -> Result<Configuration> {
    let current = get_configuration(store, user, id).await?;
    checked(store, user, input).await?;
    let sent = input.version.ok_or(DataError::MappingInvalid { field: "version".into(), message: "send the version you read".into() })?;
    let mut tx = store.pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE migration_configurations SET name = $3, description = $4, source_type = $5, source_id = $6, sample_id = $7,
             target_logical_table_id = $8, validation_level = $9, error_handling_strategy = $10, upsert_key = $11,
             version = version + 1, updated_at = now()
         WHERE id = $1 AND version = $2",
    )
    .bind(id)
    .bind(sent)
    .bind(input.name.trim())
    .bind(&input.description)
    .bind(input.source_type.as_str())
    .bind(input.source_id)
    .bind(input.sample_id)
    .bind(input.target_logical_table_id)
    .bind(level_str(input.validation_level))
    .bind(strategy_str(input.error_handling_strategy))
    .bind(&input.upsert_key)
    .execute(&mut *tx)
    .await
    .map_err(|e| name_taken(e, &input.name))?;
    if updated.rows_affected() == 0 {
        return Err(Conflict::MigrationConfigurationVersionConflict { sent, current: current.version }.into());
    }
    write_mappings(&mut tx, id, &input.mappings).await?;
    tx.commit().await?;
    get_configuration(store, user, id).await
}

/// `DELETE /migration/configurations/{id}`: with its finished jobs' records; refused while one runs.
pub async fn delete_configuration(store: &Store, user: &CurrentUser, id: Uuid) -> Result<()> {
    get_configuration(store, user, id).await?;
    let mut tx = store.pool.begin().await?;
    sqlx::query("SELECT id FROM migration_configurations WHERE id = $1 FOR UPDATE").bind(id).execute(&mut *tx).await?;
    let running: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM migration_jobs WHERE migration_configuration_id = $1 AND status IN ('PENDING', 'PROCESSING')",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if running > 0 {
        return Err(Conflict::MigrationJobActive.into());
    }
    sqlx::query("DELETE FROM migration_configurations WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
