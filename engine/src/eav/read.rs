//! Reading rows: one row by id (through the cache when the table has a policy), rows as `RowData`,
//! and masking for readers without `table:unmask` — applied here, on every read path.

use crate::eav::physical::trusted;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::def::TableDef;
use super::wire::{MaskingRule, RowData};
use super::{Store, cache, physical};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

#[derive(sqlx::FromRow)]
pub struct RawRow {
    pub id: Uuid,
    pub code: String,
    pub display_value: Option<String>,
    pub is_active: bool,
    pub sort_order: i32,
    pub parent_row_id: Option<Uuid>,
    pub version: i32,
    pub extended_properties: Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub column_values: Value,
}

impl From<RawRow> for RowData {
    fn from(r: RawRow) -> RowData {
        let obj = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        RowData {
            id: r.id,
            code: r.code,
            display_value: r.display_value,
            is_active: r.is_active,
            sort_order: r.sort_order,
            parent_row_id: r.parent_row_id,
            version: r.version,
            column_values: obj(r.column_values),
            extended_properties: obj(r.extended_properties),
            created_at: r.created_at,
            updated_at: r.updated_at,
            warnings: Vec::new(),
        }
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
    let row: Option<RawRow> = sqlx::query_as(trusted(&sql)).bind(id).fetch_optional(conn).await?;
    Ok(row.map(RowData::from))
}

/// `GET /data/{table}/{id}`.
pub async fn get_row(store: &Store, user: &CurrentUser, table: &str, id: Uuid) -> Result<RowData> {
    let def = store.table(table).await?;
    def.require(user, Permission::TableRead)?;
    let cached = def.cache_policy != super::wire::CachePolicy::None;
    let mut generation = None;
    if cached && let Some(redis) = &store.redis {
        let (hit, g) = cache::get(redis, def.id, id).await;
        if let Some(row) = hit {
            return Ok(mask_for(&def, user, row));
        }
        generation = g;
    }
    let mut conn = store.pool.acquire().await?;
    let row = fetch(&mut conn, &def, id, false).await?.ok_or(EngineError::NotFound(Resource::Row))?;
    if let (Some(redis), Some(g)) = (&store.redis, generation) {
        cache::put(redis, def.id, g, &row).await;
    }
    Ok(mask_for(&def, user, row))
}
