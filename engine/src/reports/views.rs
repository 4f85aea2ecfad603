//! The read-only views SQL reports read: `report_views.<table>` for each governed table, its
//! promoted fields and its columns by name (lower case), masked columns left out, readable by
//! `dgs_report_reader` and by nobody else through it. A schema change drops the table's view
//! before it touches the physical table (PostgreSQL refuses to change a column a view reads) and
//! makes it again when the change is recorded, in the same transaction.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::eav::def::TableDef;
use crate::eav::physical::{self, trusted};
use crate::eav::wire::MaskingRule;
use crate::error::Result;

pub const READER_ROLE: &str = "dgs_report_reader";

fn view_name(table: &str) -> String {
    // Table names are checked to letters, digits and `_`: safe to quote as they are.
    format!("report_views.\"{}\"", table.to_ascii_lowercase())
}

pub async fn drop(conn: &mut PgConnection, table: &str) -> Result<()> {
    sqlx::query(trusted(&format!("DROP VIEW IF EXISTS {}", view_name(table)))).execute(conn).await?;
    Ok(())
}

/// Makes the view of `def` (again).
pub async fn create(conn: &mut PgConnection, def: &TableDef) -> Result<()> {
    let mut cols = vec!["id", "code", "display_value", "sort_order", "is_active", "parent_row_id", "created_at", "updated_at"].into_iter().map(str::to_string).collect::<Vec<_>>();
    for c in def.columns.iter().filter(|c| c.masking == MaskingRule::None) {
        cols.push(format!("{} AS \"{}\"", c.physical, c.name.to_ascii_lowercase()));
    }
    let name = view_name(&def.name);
    drop(conn, &def.name).await?;
    sqlx::query(trusted(&format!("CREATE VIEW {name} AS SELECT {} FROM {}", cols.join(", "), physical::table(def.id)))).execute(&mut *conn).await?;
    sqlx::query(trusted(&format!("GRANT SELECT ON {name} TO {READER_ROLE}"))).execute(&mut *conn).await?;
    Ok(())
}

/// After a recorded change of table `id`: its view as the table now is (none once it is gone).
pub async fn refresh(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    let name: Option<String> = sqlx::query_scalar("SELECT table_name FROM logical_tables WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    if let Some(name) = name {
        let def = crate::eav::def::read(conn, &name).await?;
        create(conn, &def).await?;
    }
    Ok(())
}

/// Every table's view, as at start-up (tables made before views existed get theirs).
pub async fn refresh_all(pool: &sqlx::PgPool) -> Result<usize> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM logical_tables").fetch_all(pool).await?;
    let mut tx = pool.begin().await?;
    for id in &ids {
        refresh(&mut tx, *id).await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}
