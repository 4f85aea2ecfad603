//! Where an ingested table's rows live: a PostgreSQL table of its own, `upload_data.t_<id>`, with
//! `row_no`, `line_no`, one text column per source column (`c1`, `c2`… in the order of the table's
//! columns, NULL when empty) and `overflow`, a JSON object for columns past `stored_columns`.
//! Loading plain text columns without an index is what keeps ingestion near `psql \copy` speed; the
//! unique index on `row_no` is built once the table is loaded (see migration `table_storage`).
//!
//! Everything that reads rows goes through here: a table's SQL name, the expression for one column,
//! and a row source with every table of a dataset as `(table_id, row_no, line_no, data jsonb)`.

use sqlx::PgPool;
use uuid::Uuid;

use super::ColumnInfo;
use crate::error::{EngineError, Resource, Result};

/// PostgreSQL allows 1,600 columns; a few are kept for row_no, line_no and overflow.
pub const MAX_STORED_COLUMNS: usize = 1_500;

/// The table's qualified SQL name. Built from a parsed UUID: nothing user-typed goes into it.
pub fn physical_name(table_id: Uuid) -> String {
    format!("upload_data.t_{}", table_id.simple())
}

/// A string as an SQL literal (standard_conforming_strings is on: only quotes need doubling).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''").replace('\0', ""))
}

/// Creates the (unindexed) table for a table's rows, registered to its upload. Idempotent.
pub async fn create_storage(conn: &mut sqlx::PgConnection, upload_id: Uuid, table_id: Uuid, stored_columns: usize) -> Result<()> {
    sqlx::query!(
        "INSERT INTO upload_storage (table_id, upload_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        table_id,
        upload_id
    )
    .execute(&mut *conn)
    .await?;
    let columns: String = (1..=stored_columns.min(MAX_STORED_COLUMNS)).map(|i| format!(", c{i} text")).collect();
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {} (row_no BIGINT NOT NULL, line_no BIGINT NOT NULL{columns}, overflow JSONB)",
        physical_name(table_id)
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
    Ok(())
}

/// The COPY statement that loads a table's rows.
pub fn copy_statement(table_id: Uuid, stored_columns: usize) -> String {
    let columns: String = (1..=stored_columns.min(MAX_STORED_COLUMNS)).map(|i| format!(", c{i}")).collect();
    format!("COPY {} (row_no, line_no{columns}, overflow) FROM STDIN", physical_name(table_id))
}

/// Once loaded: the unique index that makes paging fast and that refuses a row stored twice.
pub async fn seal_storage(conn: &mut sqlx::PgConnection, table_id: Uuid) -> Result<()> {
    let sql = format!("CREATE UNIQUE INDEX IF NOT EXISTS t_{}_row ON {} (row_no)", table_id.simple(), physical_name(table_id));
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
    Ok(())
}

/// Drops the rows' tables (and rejected rows) of files that failed; deleting an upload drops all of
/// its tables the same way, by trigger.
pub async fn drop_storage(pool: &PgPool, table_ids: &[Uuid]) -> Result<()> {
    sqlx::query!("DELETE FROM upload_storage WHERE table_id = ANY($1)", table_ids).execute(pool).await?;
    Ok(())
}

/// A stored table as readers need it: its id, its columns in order and how many are real columns.
#[derive(Debug, Clone)]
pub struct StoredTable {
    pub id: Uuid,
    pub columns: Vec<String>,
    pub stored_columns: usize,
}

impl StoredTable {
    /// The SQL expression for one column's value (NULL when empty or absent).
    pub fn column_expr(&self, name: &str) -> String {
        match self.columns.iter().position(|c| c == name) {
            Some(i) if i < self.stored_columns => format!("c{}", i + 1),
            Some(_) => format!("(overflow->>{})", literal(name)),
            None => "NULL::text".to_string(),
        }
    }

    /// The row as a JSON object of column name → text (null when empty).
    pub fn data_expr(&self) -> String {
        let stored = self.stored_columns.min(self.columns.len());
        let names: Vec<String> = self.columns[..stored].iter().map(|c| literal(c)).collect();
        let values: Vec<String> = (1..=stored).map(|i| format!("c{i}")).collect();
        format!(
            "(jsonb_object(ARRAY[{}]::text[], ARRAY[{}]::text[]) || coalesce(overflow, '{{}}'::jsonb))",
            names.join(","),
            values.join(",")
        )
    }
}

/// The stored tables with these ids, in the order given.
pub async fn stored_tables(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<StoredTable>> {
    let rows = sqlx::query!(r#"SELECT id, columns, stored_columns FROM upload_tables WHERE id = ANY($1)"#, ids)
        .fetch_all(pool)
        .await?;
    ids.iter()
        .map(|id| {
            let r = rows.iter().find(|r| r.id == *id).ok_or(EngineError::NotFound(Resource::Table))?;
            let columns: Vec<ColumnInfo> = serde_json::from_value(r.columns.clone()).map_err(EngineError::internal)?;
            let columns = columns.into_iter().map(|c| c.name).collect();
            Ok(StoredTable { id: *id, columns, stored_columns: usize::try_from(r.stored_columns).unwrap_or(0) })
        })
        .collect()
}

/// A FROM item with the rows of every table as `(table_id, row_no, line_no, data)`: joined on
/// `(table_id, row_no)`, the planner probes each table's index for just the rows it needs.
pub fn rows_source(tables: &[StoredTable]) -> String {
    if tables.is_empty() {
        return "(SELECT NULL::uuid AS table_id, 0::bigint AS row_no, 0::bigint AS line_no, '{}'::jsonb AS data WHERE false)".into();
    }
    let parts: Vec<String> = tables
        .iter()
        .map(|t| {
            format!(
                "SELECT '{}'::uuid AS table_id, row_no, line_no, {} AS data FROM {}",
                t.id,
                t.data_expr(),
                physical_name(t.id)
            )
        })
        .collect();
    format!("({})", parts.join(" UNION ALL "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_past_the_stored_ones_come_from_overflow() {
        let t = StoredTable { id: Uuid::nil(), columns: vec!["a".into(), "b'c".into(), "late".into()], stored_columns: 2 };
        assert_eq!(t.column_expr("a"), "c1");
        assert_eq!(t.column_expr("b'c"), "c2");
        assert_eq!(t.column_expr("late"), "(overflow->>'late')");
        assert_eq!(t.column_expr("missing"), "NULL::text");
        assert!(t.data_expr().contains("ARRAY['a','b''c']"));
        assert_eq!(physical_name(Uuid::nil()), "upload_data.t_00000000000000000000000000000000");
    }
}
