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

/// A table's schema screen: its columns, constraints, grants and history; for the forms, the
/// definitions of its columns and the tables a Reference column may point at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableSchema {
    pub detail: LogicalTableDetail,
    pub history: Vec<SchemaChange>,
    /// The definitions bound to this table (type, enum values, default, masking).
    pub columns: Vec<engine::eav::ColumnInfo>,
    /// Tables the reader may see, by id and name.
    pub tables: Vec<(uuid::Uuid, String)>,
    /// May change the schema (`table:admin` on this table).
    pub can_define: bool,
}

#[server(prefix = "/api/read")]
pub async fn get_table_schema(name: String) -> Result<TableSchema, AppError> {
    use engine::auth::Permission;
    let user = ssr::user().await?;
    let store = ssr::services()?.tables;
    let def = store.table(&name).await.map_err(ssr::fail)?;
    let detail = engine::eav::schema::tables::table_detail(&store, &user, def.id).await.map_err(ssr::fail)?;
    let history = engine::eav::schema::tables::table_history(&store, &user, def.id).await.map_err(ssr::fail)?;
    let bound: Vec<uuid::Uuid> = detail.properties.iter().map(|p| p.column_definition_id).collect();
    // Readers granted one table only see its properties; the definitions are for the forms.
    let mut columns = if user.can(Permission::TableAdmin) || user.can(Permission::TableRead) {
        engine::eav::schema::columns::list_columns(&store, &user).await.map_err(ssr::fail)?
    } else {
        Vec::new()
    };
    columns.retain(|c| bound.contains(&c.id));
    let tables = engine::eav::schema::tables::list_tables(&store, &user).await.map_err(ssr::fail)?.into_iter().map(|t| (t.id, t.table_name)).collect();
    Ok(TableSchema { detail, history, columns, tables, can_define: def.allows(&user, Permission::TableAdmin) })
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
    /// For a Reference column the reader may follow: the table it points at.
    pub reference: Option<String>,
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
    // Names of the tables Reference columns point at, when they are ones the reader may open.
    let readable = if def.columns.iter().any(|c| c.reference_table_id.is_some()) {
        engine::eav::schema::tables::list_tables(&store, &user).await.map_err(ssr::fail)?
    } else {
        Vec::new()
    };
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
                reference: c.reference_table_id.and_then(|t| readable.iter().find(|r| r.id == t)).map(|r| r.table_name.clone()),
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

/// A column of the table changed: its definition (type where every value survives, enum values,
/// default, masking), then its binding (mandatory, unique, rule, soft). Each part is applied
/// whole or refused whole; the second is not tried when the first is refused.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn edit_table_column(
    column_id: uuid::Uuid,
    column: engine::eav::ColumnPatch,
    property_id: uuid::Uuid,
    property: engine::eav::PropertyPatch,
) -> Result<engine::eav::PropertyInfo, AppError> {
    use engine::eav::schema::{columns, properties};
    let user = ssr::user().await?;
    let store = ssr::services()?.tables;
    if column != engine::eav::ColumnPatch::default() {
        columns::update_column(&store, &user, column_id, &column).await.map_err(ssr::fail)?;
    }
    properties::update_property(&store, &user, property_id, &property).await.map_err(ssr::fail)
}

/// The table's columns in a new order.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn reorder_table_columns(table_id: uuid::Uuid, property_ids: Vec<uuid::Uuid>) -> Result<Vec<engine::eav::PropertyInfo>, AppError> {
    let user = ssr::user().await?;
    engine::eav::schema::properties::reorder(&ssr::services()?.tables, &user, table_id, &property_ids).await.map_err(ssr::fail)
}

/// The grid's saved views: the reader's own and those shared with every reader of the table.
#[server(prefix = "/api/read")]
pub async fn get_grid_views(name: String) -> Result<Vec<engine::eav::SavedView>, AppError> {
    let user = ssr::user().await?;
    engine::eav::views::list(&ssr::services()?.tables, &user, &name).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_grid_view(name: String, view: String, spec: engine::eav::ViewSpec, shared: bool) -> Result<engine::eav::SavedView, AppError> {
    let user = ssr::user().await?;
    engine::eav::views::save(&ssr::services()?.tables, &user, &name, &view, &spec, shared).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn delete_grid_view(name: String, view: String) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::eav::views::remove(&ssr::services()?.tables, &user, &name, &view).await.map_err(ssr::fail)
}
