//! Server functions of governed tables: the list with row counts, a new table, one table's schema
//! and history, and pages of its rows.

use engine::eav::{LogicalTableDetail, LogicalTableInfo, NewLogicalTable, RowPage, RowQuery, SchemaChange};
use leptos::prelude::*;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

/// The tables screen: the tables the user may read, and what the user may do with them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TablesOverview {
    pub tables: Vec<LogicalTableInfo>,
    /// May create tables and change their schema (`table:admin`).
    pub can_define: bool,
    /// May write rows, and so import (`table:write`).
    pub can_write: bool,
}

#[server(prefix = "/api/read")]
pub async fn get_logical_tables() -> Result<TablesOverview, AppError> {
    use engine::auth::Permission;
    let user = ssr::user().await?;
    let tables = engine::eav::schema::tables::list_tables(&ssr::services()?.tables, &user).await.map_err(ssr::fail)?;
    Ok(TablesOverview { tables, can_define: user.can(Permission::TableAdmin), can_write: user.can(Permission::TableWrite) })
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn create_logical_table(req: NewLogicalTable) -> Result<LogicalTableInfo, AppError> {
    let user = ssr::user().await?;
    engine::eav::schema::tables::create_table(&ssr::services()?.tables, &user, &req).await.map_err(ssr::fail)
}

/// The table named `name` with its columns, constraints, grants and schema history.
#[server(prefix = "/api/read")]
pub async fn get_table_schema(name: String) -> Result<(LogicalTableDetail, Vec<SchemaChange>), AppError> {
    let user = ssr::user().await?;
    let store = ssr::services()?.tables;
    let def = store.table(&name).await.map_err(ssr::fail)?;
    let detail = engine::eav::schema::tables::table_detail(&store, &user, def.id).await.map_err(ssr::fail)?;
    let history = engine::eav::schema::tables::table_history(&store, &user, def.id).await.map_err(ssr::fail)?;
    Ok((detail, history))
}

#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn get_table_rows(name: String, query: RowQuery) -> Result<RowPage, AppError> {
    let user = ssr::user().await?;
    engine::eav::query::query_rows(&ssr::services()?.tables, &user, &name, &query).await.map_err(ssr::fail)
}

/// A column defined (or reused by name) and bound to the table in one step.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn add_table_column(column: engine::eav::NewColumn, property: engine::eav::NewProperty) -> Result<engine::eav::PropertyInfo, AppError> {
    let user = ssr::user().await?;
    engine::eav::schema::properties::add_column(&ssr::services()?.tables, &user, &column, property).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn add_table_constraint(req: engine::eav::NewConstraint) -> Result<engine::eav::ConstraintInfo, AppError> {
    let user = ssr::user().await?;
    engine::eav::schema::constraints::create_constraint(&ssr::services()?.tables, &user, &req).await.map_err(ssr::fail)
}
