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

/// A column as the grid shows, edits and checks it in the browser.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GridColumn {
    pub name: String,
    pub ty: engine::eav::DataType,
    pub enum_values: Vec<String>,
    pub mandatory: bool,
    pub rule: Option<(engine::eav::RuleType, serde_json::Value)>,
    /// Shown masked to this reader (who may then neither edit, filter nor sort on it).
    pub masked: bool,
}

/// A check the browser evaluates on the edited row before sending it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GridCheck {
    pub name: String,
    pub expression: String,
    pub message: String,
    /// Old rows may break it (they are highlighted); new and changed values may not.
    pub soft: bool,
}

/// What the grid of a table is drawn and checked from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GridSpec {
    pub table: LogicalTableInfo,
    pub columns: Vec<GridColumn>,
    pub checks: Vec<GridCheck>,
    pub can_write: bool,
    /// Rows the view holds now (exact).
    pub total: i64,
}

#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn get_grid_spec(name: String, filters: Vec<engine::eav::Filter>) -> Result<GridSpec, AppError> {
    use engine::auth::Permission;
    use engine::eav::{ConstraintType, MaskingRule};
    let user = ssr::user().await?;
    let store = ssr::services()?.tables;
    let def = store.table(&name).await.map_err(ssr::fail)?;
    let detail = engine::eav::schema::tables::table_detail(&store, &user, def.id).await.map_err(ssr::fail)?;
    let total = engine::eav::query::count_rows(&store, &user, &name, &filters, None).await.map_err(ssr::fail)?;
    let unmask = def.allows(&user, Permission::TableUnmask);
    let mut props = detail.properties.clone();
    props.sort_by_key(|p| p.display_order);
    let columns = props
        .iter()
        .filter_map(|p| {
            let c = def.columns.iter().find(|c| c.id == p.column_definition_id)?;
            Some(GridColumn {
                name: c.name.clone(),
                ty: c.ty,
                enum_values: c.enum_values.clone(),
                mandatory: p.is_mandatory,
                rule: p.validation_rule_type.map(|r| (r, p.validation_parameters.clone())),
                masked: c.masking != MaskingRule::None && !unmask,
            })
        })
        .collect();
    let checks = detail
        .constraints
        .iter()
        .filter(|c| c.constraint_type == ConstraintType::Check && c.is_active)
        .map(|c| GridCheck {
            name: c.constraint_name.clone(),
            expression: c.check_expression.clone().unwrap_or_default(),
            message: c.error_message.clone().unwrap_or_default(),
            soft: c.is_soft,
        })
        .collect();
    Ok(GridSpec { table: detail.table, columns, checks, can_write: def.allows(&user, Permission::TableWrite), total })
}

/// Changes from the grid (an edit, a pasted block, an undo): all applied, or none.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_grid_rows(name: String, operations: Vec<engine::eav::BatchOperation>) -> Result<engine::eav::BatchResponse, AppError> {
    let user = ssr::user().await?;
    let req = engine::eav::BatchRequest { operations, on_error: engine::eav::OnError::Abort };
    engine::eav::rows::batch(&ssr::services()?.tables, &user, &name, &req).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_row_history(name: String, id: uuid::Uuid) -> Result<Vec<engine::eav::RowChange>, AppError> {
    let user = ssr::user().await?;
    engine::eav::read::row_history(&ssr::services()?.tables, &user, &name, id).await.map_err(ssr::fail)
}

/// How many rows a view keeps (exact), to size the grid.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn count_table_rows(name: String, filters: Vec<engine::eav::Filter>, search: Option<String>) -> Result<i64, AppError> {
    let user = ssr::user().await?;
    engine::eav::query::count_rows(&ssr::services()?.tables, &user, &name, &filters, search.as_deref()).await.map_err(ssr::fail)
}

/// The table's columns in a new order.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn reorder_table_columns(table_id: uuid::Uuid, property_ids: Vec<uuid::Uuid>) -> Result<Vec<engine::eav::PropertyInfo>, AppError> {
    let user = ssr::user().await?;
    engine::eav::schema::properties::reorder(&ssr::services()?.tables, &user, table_id, &property_ids).await.map_err(ssr::fail)
}
