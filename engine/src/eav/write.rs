//! Writing prepared rows inside a transaction: the checks that need the database (uniques,
//! references, the parent), the insert (many rows in one statement), the update, their history and
//! the outbox event. Single writes are batches of one, so both paths share every check.

use crate::eav::physical::trusted;
use std::collections::HashSet;

use sqlx::PgConnection;
use uuid::Uuid;

use super::def::{TableDef, UniqueDef};
use super::error::DataError;
use super::physical;
use super::validate::Prepared;
use super::values::Cell;
use super::wire::{DataType, RowData};
use crate::error::{EngineError, Result};

/// The uniques a row is held to: `code`, each unique property, each active unique constraint.
fn uniques(def: &TableDef) -> Vec<UniqueDef> {
    let mut out = vec![UniqueDef {
        id: def.id,
        name: "code".into(),
        columns: vec![],
        json_paths: vec![],
        case_sensitive: true,
        active: true,
        soft: false,
    }];
    out.extend(def.columns.iter().filter(|c| c.unique).map(|c| c.as_unique()));
    out.extend(def.uniques.iter().filter(|u| u.active).cloned());
    out
}

fn unique_columns(u: &UniqueDef) -> Vec<String> {
    if u.name == "code" && u.columns.is_empty() && u.json_paths.is_empty() {
        return vec!["code".into()];
    }
    u.columns.iter().cloned().chain(u.json_paths.iter().map(|p| format!("ext.{}", p.join(".")))).collect()
}

/// The key of `u` for `row` as texts (None: a part is null, so the unique does not apply), and
/// the SQL comparing a stored row with it.
fn unique_probe(def: &TableDef, u: &UniqueDef, row: &Prepared) -> Option<(String, Vec<String>)> {
    if u.name == "code" && u.columns.is_empty() && u.json_paths.is_empty() {
        return Some(("code = $1".into(), vec![row.code.clone()]));
    }
    let exprs = physical::unique_exprs(def, u);
    let mut values = Vec::new();
    let mut conds = Vec::new();
    for name in &u.columns {
        let i = def.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name))?;
        let c = &def.columns[i];
        let text = row.cells[i].sql_text()?;
        let n = values.len() + 1;
        let lower = !u.case_sensitive && matches!(c.ty, DataType::String | DataType::Enum);
        conds.push(format!("{} = {}", exprs[conds.len()], if lower { format!("lower(${n})") } else { format!("${n}::{}", physical::sql_type(c.ty)) }));
        values.push(text);
    }
    for path in &u.json_paths {
        let mut v = row.ext.get(path.first()?);
        for key in &path[1..] {
            v = v.and_then(|x| x.get(key));
        }
        let text = match v? {
            serde_json::Value::Null => return None,
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let n = values.len() + 1;
        conds.push(format!("{} = {}", exprs[conds.len()], if u.case_sensitive { format!("${n}") } else { format!("lower(${n})") }));
        values.push(text);
    }
    Some((conds.join(" AND "), values))
}

/// Whether another row than `row` holds `row`'s key of `u`.
async fn key_taken(conn: &mut PgConnection, def: &TableDef, u: &UniqueDef, row: &Prepared) -> Result<bool> {
    let Some((cond, values)) = unique_probe(def, u, row) else { return Ok(false) };
    let n = values.len() + 1;
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {} WHERE {cond} AND id <> ${n})", def.physical());
    let mut q = sqlx::query_scalar::<_, bool>(trusted(&sql));
    for v in values {
        q = q.bind(v);
    }
    Ok(q.bind(row.id).fetch_one(conn).await?)
}

/// Soft uniques have no unique index: a new or changed key is looked up (under a lock on the key,
/// so two writers cannot both take it).
pub async fn check_soft_uniques(conn: &mut PgConnection, def: &TableDef, row: &Prepared) -> Result<()> {
    for u in uniques(def).iter().filter(|u| u.soft) {
        if let Some((_, values)) = unique_probe(def, u, row) {
            let lock_key = format!("{}:{}:{}", def.id, u.id, values.join("\u{1f}"));
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(lock_key).execute(&mut *conn).await?;
            if key_taken(conn, def, u, row).await? {
                return Err(DataError::UniqueViolated { constraint: u.name.clone(), columns: unique_columns(u) }.into());
            }
        }
    }
    Ok(())
}

/// Which unique `row` broke (after the database refused it).
pub async fn which_unique(conn: &mut PgConnection, def: &TableDef, row: &Prepared) -> Result<DataError> {
    for u in uniques(def).iter().filter(|u| !u.soft) {
        if key_taken(conn, def, u, row).await? {
            return Ok(DataError::UniqueViolated { constraint: u.name.clone(), columns: unique_columns(u) });
        }
    }
    Err(EngineError::internal("a row was refused as a duplicate, but no unique matches it"))
}

/// Every reference of `rows` must name a row of the referenced table; the rows found are
/// key-share-locked, so they cannot be deleted before this transaction commits. Returns, per row,
/// the first reference that is missing.
pub async fn missing_references(conn: &mut PgConnection, def: &TableDef, rows: &[Prepared]) -> Result<Vec<Option<DataError>>> {
    let mut out: Vec<Option<DataError>> = vec![None; rows.len()];
    for (i, c) in def.columns.iter().enumerate() {
        let Some(target) = c.reference_table_id else { continue };
        let ids: Vec<Uuid> = rows.iter().filter_map(|r| if let Cell::Ref(u) = r.cells[i] { Some(u) } else { None }).collect();
        if ids.is_empty() {
            continue;
        }
        let sql = format!("SELECT id FROM {} WHERE id = ANY($1) FOR KEY SHARE", physical::table(target));
        let found: HashSet<Uuid> = sqlx::query_scalar::<_, Uuid>(trusted(&sql)).bind(&ids).fetch_all(&mut *conn).await?.into_iter().collect();
        for (r, slot) in rows.iter().zip(out.iter_mut()) {
            if let Cell::Ref(u) = r.cells[i]
                && !found.contains(&u)
                && slot.is_none()
            {
                *slot = Some(DataError::ReferenceMissing { column: c.name.clone(), row_id: u.to_string() });
            }
        }
    }
    Ok(out)
}

/// The parent must be a row of the same table, and not the row itself or one of its descendants.
pub async fn check_parent(conn: &mut PgConnection, def: &TableDef, row: &Prepared) -> Result<()> {
    let Some(parent) = row.parent_row_id else { return Ok(()) };
    if parent == row.id {
        return Err(DataError::ParentInvalid("a row cannot be its own parent".into()).into());
    }
    let t = def.physical();
    let exists: bool = sqlx::query_scalar(trusted(&format!("SELECT EXISTS (SELECT 1 FROM {t} WHERE id = $1 FOR KEY SHARE)"))).bind(parent).fetch_one(&mut *conn).await?;
    if !exists {
        return Err(DataError::ParentInvalid(format!("no row {parent} in this table")).into());
    }
    // Walk up from the parent; meeting the row means the change would close a cycle.
    let cycle: bool = sqlx::query_scalar(trusted(&format!(
        "WITH RECURSIVE up(id, parent_row_id, depth) AS (
             SELECT id, parent_row_id, 1 FROM {t} WHERE id = $1
             UNION ALL SELECT r.id, r.parent_row_id, up.depth + 1 FROM {t} r JOIN up ON r.id = up.parent_row_id WHERE up.depth < 10000)
         SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)"
    )))
    .bind(parent)
    .bind(row.id)
    .fetch_one(&mut *conn)
    .await?;
    if cycle {
        return Err(DataError::ParentInvalid("this parent is the row itself or one of its descendants (a cycle)".into()).into());
    }
    Ok(())
}

/// From this many rows on, an insert is tried as one COPY first (the fastest way into PostgreSQL);
/// a duplicate anywhere undoes it and the rows go through `INSERT … ON CONFLICT` to tell which.
const COPY_FROM: usize = 64;

/// Inserts `rows`; returns the ids of the rows a hard unique refused (they are not inserted; the
/// others are).
pub async fn insert(conn: &mut PgConnection, def: &TableDef, rows: &[Prepared], actor: Uuid) -> Result<Vec<Uuid>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if rows.len() >= COPY_FROM {
        sqlx::query("SAVEPOINT eav_copy").execute(&mut *conn).await?;
        match copy(conn, def, rows, actor).await {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT eav_copy").execute(&mut *conn).await?;
                return Ok(Vec::new());
            }
            Err(e) if is_unique_violation(&e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT eav_copy").execute(&mut *conn).await?;
            }
            Err(e) => return Err(db_error(e)),
        }
    }
    let mut cols = vec!["id", "code", "display_value", "is_active", "sort_order", "parent_row_id", "extended_properties"]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let mut select = vec!["u.id".to_string(), "u.code".into(), "u.dv".into(), "u.act".into(), "u.so".into(), "u.par".into(), "u.ext::jsonb".into()];
    let mut unnest = vec!["$2::uuid[]".to_string(), "$3::text[]".into(), "$4::text[]".into(), "$5::bool[]".into(), "$6::int4[]".into(), "$7::uuid[]".into(), "$8::text[]".into()];
    let mut aliases = vec!["id", "code", "dv", "act", "so", "par", "ext"].into_iter().map(str::to_string).collect::<Vec<_>>();
    for (i, c) in def.columns.iter().enumerate() {
        cols.push(c.physical.clone());
        select.push(format!("u.v{i}::{}", physical::sql_type(c.ty)));
        unnest.push(format!("${}::text[]", 9 + i));
        aliases.push(format!("v{i}"));
    }
    let sql = format!(
        "INSERT INTO {} ({}, version, created_at, created_by, updated_at, updated_by)
         SELECT {}, 1, now(), $1, now(), $1 FROM unnest({}) AS u({})
         ON CONFLICT DO NOTHING RETURNING id",
        def.physical(),
        cols.join(", "),
        select.join(", "),
        unnest.join(", "),
        aliases.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, Uuid>(trusted(&sql))
        .bind(actor)
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.code.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.display_value.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.is_active).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.sort_order).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.parent_row_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| serde_json::Value::Object(r.ext.clone()).to_string()).collect::<Vec<_>>());
    for i in 0..def.columns.len() {
        q = q.bind(rows.iter().map(|r| r.cells[i].sql_text()).collect::<Vec<_>>());
    }
    let inserted: HashSet<Uuid> = q.fetch_all(&mut *conn).await.map_err(db_error)?.into_iter().collect();
    Ok(rows.iter().filter(|r| !inserted.contains(&r.id)).map(|r| r.id).collect())
}

/// `rows` in COPY's text format; the table's own defaults fill version and timestamps.
async fn copy(conn: &mut PgConnection, def: &TableDef, rows: &[Prepared], actor: Uuid) -> std::result::Result<(), sqlx::Error> {
    let mut cols: Vec<&str> = vec!["id", "code", "display_value", "is_active", "sort_order", "parent_row_id", "extended_properties", "created_by", "updated_by"];
    cols.extend(def.columns.iter().map(|c| c.physical.as_str()));
    let mut copy = conn.copy_in_raw(&format!("COPY {} ({}) FROM STDIN", def.physical(), cols.join(", "))).await?;
    let actor = actor.to_string();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    for r in rows {
        let field = |buf: &mut Vec<u8>, v: Option<&str>| {
            match v {
                Some(v) => crate::store::copy_escape(buf, v),
                None => buf.extend_from_slice(b"\\N"),
            }
            buf.push(b'\t');
        };
        field(&mut buf, Some(&r.id.to_string()));
        field(&mut buf, Some(&r.code));
        field(&mut buf, r.display_value.as_deref());
        field(&mut buf, Some(if r.is_active { "t" } else { "f" }));
        field(&mut buf, Some(&r.sort_order.to_string()));
        field(&mut buf, r.parent_row_id.map(|p| p.to_string()).as_deref());
        field(&mut buf, Some(&serde_json::Value::Object(r.ext.clone()).to_string()));
        field(&mut buf, Some(&actor));
        field(&mut buf, Some(&actor));
        for cell in &r.cells {
            field(&mut buf, cell.sql_text().as_deref());
        }
        // The last field's tab becomes the line's end.
        buf.pop();
        buf.push(b'\n');
        if buf.len() > 1 << 20 {
            copy.send(std::mem::take(&mut buf)).await?;
        }
    }
    if !buf.is_empty() {
        copy.send(buf).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// Writes `row` over the stored row (locked by the caller): a unique it breaks is
/// answered as such, not as a database error.
pub async fn update(conn: &mut PgConnection, def: &TableDef, row: &Prepared, actor: Uuid) -> Result<i32> {
    let mut sets = vec![
        "code = $2".to_string(),
        "display_value = $3".into(),
        "is_active = $4".into(),
        "sort_order = $5".into(),
        "parent_row_id = $6".into(),
        "extended_properties = $7::jsonb".into(),
    ];
    for (i, c) in def.columns.iter().enumerate() {
        sets.push(format!("{} = ${}::{}", c.physical, 9 + i, physical::sql_type(c.ty)));
    }
    let sql = format!(
        "UPDATE {} SET {}, version = version + 1, updated_at = now(), updated_by = $8 WHERE id = $1 RETURNING version",
        def.physical(),
        sets.join(", ")
    );
    sqlx::query("SAVEPOINT eav_update").execute(&mut *conn).await?;
    let mut q = sqlx::query_scalar::<_, i32>(trusted(&sql))
        .bind(row.id)
        .bind(&row.code)
        .bind(&row.display_value)
        .bind(row.is_active)
        .bind(row.sort_order)
        .bind(row.parent_row_id)
        .bind(serde_json::Value::Object(row.ext.clone()).to_string())
        .bind(actor);
    for cell in &row.cells {
        q = q.bind(cell.sql_text());
    }
    match q.fetch_one(&mut *conn).await {
        Ok(version) => {
            sqlx::query("RELEASE SAVEPOINT eav_update").execute(&mut *conn).await?;
            Ok(version)
        }
        Err(e) if is_unique_violation(&e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT eav_update").execute(&mut *conn).await?;
            Err(which_unique(conn, def, row).await?.into())
        }
        Err(e) => Err(db_error(e)),
    }
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("23505"))
}

/// A relation gone (the table was dropped meanwhile) is the table not being there.
pub fn db_error(e: sqlx::Error) -> EngineError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("42P01") => EngineError::NotFound(crate::error::Resource::LogicalTable),
        _ => e.into(),
    }
}

/// Row history: the row before and after a change.
pub async fn history(conn: &mut PgConnection, def: &TableDef, before: &RowData, after: Option<&RowData>, actor: Uuid) -> Result<()> {
    let action = if after.is_some() { "update" } else { "delete" };
    let version = after.map_or(before.version, |a| a.version);
    sqlx::query("INSERT INTO row_history (logical_table_id, row_id, version, action, before, after, actor_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(def.id)
        .bind(before.id)
        .bind(version)
        .bind(action)
        .bind(sqlx::types::Json(before))
        .bind(after.map(sqlx::types::Json))
        .bind(actor)
        .execute(conn)
        .await?;
    Ok(())
}

/// The outbox event of a committed change to a table's rows (seed §8.4): consumers invalidate
/// caches and, later, report results.
pub async fn event(conn: &mut PgConnection, def: &TableDef, created: usize, updated: usize, deleted: &[Uuid], changed: &[Uuid]) -> Result<()> {
    // Row ids are listed for small changes only; a bulk load says how many.
    let ids: Vec<Uuid> = changed.iter().chain(deleted).take(100).copied().collect();
    let data = serde_json::json!({
        "table_id": def.id, "table_name": def.name,
        "created": created, "updated": updated, "deleted": deleted.len(), "row_ids": ids,
    });
    sqlx::query("INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, event_data) VALUES ('rows_changed', 'logical_table', $1, $2)")
        .bind(def.id)
        .bind(data)
        .execute(conn)
        .await?;
    Ok(())
}
