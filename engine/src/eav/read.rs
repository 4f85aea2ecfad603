//! Reading rows: one row by id (through the cache when the table has a policy), rows as `RowData`,
//! and masking for readers without `table:unmask` — applied here, on every read path.

use crate::eav::physical::trusted;
use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;
use uuid::Uuid;

use super::def::TableDef;
use super::wire::{DataType, MaskingRule, RowData};
use super::{Store, cache, physical};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

/// A row as `physical::select_list` selects it, with the schema version it was read at.
pub struct RawRow {
    pub data: RowData,
    /// The table's schema version when the row was read: a reader that validated against another
    /// reads again.
    pub schema_version: Option<i32>,
}

impl RawRow {
    /// Decodes a row of `physical::select_list(def, only)`: each column by its type, straight into
    /// the JSON value the API answers with.
    pub fn decode(def: &TableDef, only: Option<&[String]>, row: &PgRow) -> std::result::Result<RawRow, sqlx::Error> {
        let mut column_values = Map::new();
        for (j, c) in physical::read_columns(def, only).into_iter().enumerate() {
            let i = 11 + j;
            let v = match c.ty {
                DataType::String | DataType::Enum => row.try_get::<Option<String>, _>(i)?.map(Value::String),
                DataType::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                DataType::Decimal => row.try_get::<Option<f64>, _>(i)?.and_then(|d| serde_json::Number::from_f64(d).map(Value::Number)),
                DataType::Boolean => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
                DataType::Date => row.try_get::<Option<chrono::NaiveDate>, _>(i)?.map(|d| {
                    use chrono::Datelike;
                    // Not `format("%Y-%m-%d")`: that parses its pattern for every value.
                    Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
                }),
                DataType::DateTime => row.try_get::<Option<chrono::DateTime<chrono::Utc>>, _>(i)?.map(|t| Value::String(t.to_rfc3339())),
                DataType::Reference => row.try_get::<Option<Uuid>, _>(i)?.map(|u| Value::String(u.to_string())),
            };
            column_values.insert(c.name.clone(), v.unwrap_or(Value::Null));
        }
        let extended_properties = match row.try_get::<Value, _>(7)? {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        Ok(RawRow {
            data: RowData {
                id: row.try_get(0)?,
                code: row.try_get(1)?,
                display_value: row.try_get(2)?,
                is_active: row.try_get(3)?,
                sort_order: row.try_get(4)?,
                parent_row_id: row.try_get(5)?,
                version: row.try_get(6)?,
                column_values,
                extended_properties,
                created_at: row.try_get(8)?,
                updated_at: row.try_get(9)?,
                warnings: Vec::new(),
            },
            schema_version: row.try_get(10)?,
        })
    }
}

impl From<RawRow> for RowData {
    fn from(r: RawRow) -> RowData {
        r.data
    }
}

/// Masks the columns the reader may not see in clear.
pub fn mask_for(def: &TableDef, user: &CurrentUser, mut row: RowData) -> RowData {
    if def.allows(user, Permission::TableUnmask) {
        return row;
    }
    for c in def.columns.iter().filter(|c| c.masking != MaskingRule::None) {
        if let Some(v) = row.column_values.get_mut(&c.name) {
            *v = super::values::mask(c.masking, v);
        }
    }
    row
}

/// The row as stored, optionally locked for update (writes).
pub async fn fetch(conn: &mut PgConnection, def: &TableDef, id: Uuid, lock: bool) -> Result<Option<RowData>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE id = $1{}",
        physical::select_list(def, None),
        def.physical(),
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = sqlx::query(trusted(&sql)).bind(id).fetch_optional(conn).await?;
    Ok(match row {
        Some(r) => Some(RawRow::decode(def, None, &r)?.data),
        None => None,
    })
}

/// `GET /data/{table}/{id}`.
pub async fn get_row(store: &Store, user: &CurrentUser, table: &str, id: Uuid) -> Result<RowData> {
    let def = store.table_for_read(table).await?;
    match get_with(store, user, &def, id).await? {
        Some(row) => Ok(row),
        // The schema moved since the definition was read: once more with the current one.
        None => {
            store.defs.forget(def.id);
            let def = store.table(table).await?;
            get_with(store, user, &def, id).await?.ok_or_else(|| EngineError::internal("the schema keeps changing"))
        }
    }
}

/// The row, or `None` when the definition `def` is not the table's current one.
async fn get_with(store: &Store, user: &CurrentUser, def: &TableDef, id: Uuid) -> Result<Option<RowData>> {
    def.require(user, Permission::TableRead)?;
    let cached = def.cache_policy != super::wire::CachePolicy::None;
    let mut generation = None;
    if cached && let Some(redis) = &store.redis {
        let (hit, g) = cache::get(redis, def.id, id).await;
        if let Some(row) = hit {
            return Ok(Some(mask_for(def, user, row)));
        }
        generation = g;
    }
    let sql = format!("SELECT {} FROM {} WHERE id = $1", physical::select_list(def, None), def.physical());
    let raw = match sqlx::query(trusted(&sql)).bind(id).fetch_optional(&store.pool).await {
        Ok(Some(r)) => Some(RawRow::decode(def, None, &r)?),
        Ok(None) => None,
        // A column or the table went since the definition was read.
        Err(sqlx::Error::Database(d)) if matches!(d.code().as_deref(), Some("42703") | Some("42P01")) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(raw) = raw else { return Err(EngineError::NotFound(Resource::Row)) };
    if raw.schema_version != Some(def.version) {
        return Ok(None);
    }
    let row = RowData::from(raw);
    if let (Some(redis), Some(g)) = (&store.redis, generation) {
        cache::put(redis, def.id, g, &row).await;
    }
    Ok(Some(mask_for(def, user, row)))
}

/// A row's changes, newest first (at most 200), masked like the row itself for this reader.
pub async fn row_history(store: &Store, user: &CurrentUser, table: &str, id: Uuid) -> Result<Vec<super::wire::RowChange>> {
    let def = store.table_for_read(table).await?;
    def.require(user, Permission::TableRead)?;
    type Entry = (i32, String, Option<String>, chrono::DateTime<chrono::Utc>, sqlx::types::Json<RowData>, Option<sqlx::types::Json<RowData>>);
    let rows: Vec<Entry> = sqlx::query_as(
        "SELECT h.version, h.action, u.username, h.at, h.before, h.after FROM row_history h LEFT JOIN users u ON u.id = h.actor_id
         WHERE h.logical_table_id = $1 AND h.row_id = $2 ORDER BY h.id DESC LIMIT 200",
    )
    .bind(def.id)
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(version, action, actor, at, before, after)| super::wire::RowChange {
            version,
            action,
            actor,
            at,
            before: mask_for(&def, user, before.0),
            after: after.map(|a| mask_for(&def, user, a.0)),
        })
        .collect())
}
