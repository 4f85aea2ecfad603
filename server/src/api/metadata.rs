//! The governed tables' schema (seed 004 §10.1): `/metadata/tables|columns|properties|constraints`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::eav::schema::{columns, constraints, properties, tables};
use engine::eav::{
    ColumnInfo, ColumnPatch, ConstraintInfo, ConstraintPatch, LogicalTableDetail, LogicalTableInfo, LogicalTablePatch, NewColumn,
    NewConstraint, NewLogicalTable, NewProperty, PropertyInfo, PropertyPatch, SchemaChange, TableGrant, Violations,
};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::AuthUser;
use crate::state::AppState;

type Created<T> = Result<(StatusCode, Json<T>), ApiError>;

/// Create a logical table (and the physical table its rows live in). A name taken, in any case, is 409.
#[utoipa::path(post, path = "/metadata/tables", tag = "tables", request_body = NewLogicalTable,
    responses((status = 201, body = LogicalTableInfo), (status = 403), (status = 409, description = "logical_table_exists"), (status = 422)))]
pub async fn create_table(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<NewLogicalTable>) -> Created<LogicalTableInfo> {
    Ok((StatusCode::CREATED, Json(tables::create_table(&s.services.tables, &u, &req).await?)))
}

/// The logical tables the caller may read, with their row counts.
#[utoipa::path(get, path = "/metadata/tables", tag = "tables", responses((status = 200, body = Vec<LogicalTableInfo>)))]
pub async fn list_tables(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<Vec<LogicalTableInfo>>, ApiError> {
    Ok(Json(tables::list_tables(&s.services.tables, &u).await?))
}

/// One table with its properties (bound columns), constraints and grants.
#[utoipa::path(get, path = "/metadata/tables/{id}", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 200, body = LogicalTableDetail), (status = 403), (status = 404)))]
pub async fn get_table(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<LogicalTableDetail>, ApiError> {
    Ok(Json(tables::table_detail(&s.services.tables, &u, id).await?))
}

/// Change a table's description, hierarchy or cache policy (`version`, when sent, must be current).
#[utoipa::path(patch, path = "/metadata/tables/{id}", tag = "tables", params(("id" = Uuid, Path)), request_body = LogicalTablePatch,
    responses((status = 200, body = LogicalTableInfo), (status = 404), (status = 409, description = "schema_version_conflict, schema_in_use")))]
pub async fn update_table(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(p): ApiJson<LogicalTablePatch>) -> Result<Json<LogicalTableInfo>, ApiError> {
    Ok(Json(tables::update_table(&s.services.tables, &u, id, &p).await?))
}

/// Delete a table with its rows; 409 while Reference columns point at it.
#[utoipa::path(delete, path = "/metadata/tables/{id}", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "schema_in_use")))]
pub async fn delete_table(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    tables::delete_table(&s.services.tables, &u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The table's schema history, newest first: every change with its before and after.
#[utoipa::path(get, path = "/metadata/tables/{id}/history", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<SchemaChange>), (status = 404)))]
pub async fn table_history(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Vec<SchemaChange>>, ApiError> {
    Ok(Json(tables::table_history(&s.services.tables, &u, id).await?))
}

/// For each soft rule of the table, how many rows break it and up to 20 of them.
#[utoipa::path(get, path = "/metadata/tables/{id}/violations", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Violations>), (status = 404)))]
pub async fn table_violations(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Vec<Violations>>, ApiError> {
    Ok(Json(tables::violations(&s.services.tables, &u, id).await?))
}

/// Grant a role `table:read|write|admin|unmask` on this table only.
#[utoipa::path(put, path = "/metadata/tables/{id}/grants", tag = "tables", params(("id" = Uuid, Path)), request_body = TableGrant,
    responses((status = 204), (status = 404), (status = 422)))]
pub async fn grant(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(g): ApiJson<TableGrant>) -> Result<StatusCode, ApiError> {
    tables::grant(&s.services.tables, &u, id, &g).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a per-table grant back.
#[utoipa::path(delete, path = "/metadata/tables/{id}/grants/{role}/{permission}", tag = "tables",
    params(("id" = Uuid, Path), ("role" = String, Path), ("permission" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn revoke(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath((id, role, permission)): ApiPath<(Uuid, String, String)>) -> Result<StatusCode, ApiError> {
    tables::revoke(&s.services.tables, &u, id, &TableGrant { role, permission }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Define a column: name (unique in any case), type, description, enum values or referenced table,
/// default, masking.
#[utoipa::path(post, path = "/metadata/columns", tag = "tables", request_body = NewColumn,
    responses((status = 201, body = ColumnInfo), (status = 403), (status = 409, description = "column_exists"), (status = 422)))]
pub async fn create_column(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<NewColumn>) -> Created<ColumnInfo> {
    Ok((StatusCode::CREATED, Json(columns::create_column(&s.services.tables, &u, &req).await?)))
}

#[utoipa::path(get, path = "/metadata/columns", tag = "tables", responses((status = 200, body = Vec<ColumnInfo>), (status = 403)))]
pub async fn list_columns(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<Vec<ColumnInfo>>, ApiError> {
    Ok(Json(columns::list_columns(&s.services.tables, &u).await?))
}

#[utoipa::path(get, path = "/metadata/columns/{id}", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 200, body = ColumnInfo), (status = 404)))]
pub async fn get_column(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<ColumnInfo>, ApiError> {
    Ok(Json(columns::get_column(&s.services.tables, &u, id).await?))
}

/// Change a column's description, enum values (409 while rows hold a removed value), default or masking.
#[utoipa::path(patch, path = "/metadata/columns/{id}", tag = "tables", params(("id" = Uuid, Path)), request_body = ColumnPatch,
    responses((status = 200, body = ColumnInfo), (status = 404), (status = 409, description = "rows_violate_rule, schema_version_conflict"), (status = 422)))]
pub async fn update_column(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(p): ApiJson<ColumnPatch>) -> Result<Json<ColumnInfo>, ApiError> {
    Ok(Json(columns::update_column(&s.services.tables, &u, id, &p).await?))
}

/// Delete a column no table uses (409 otherwise).
#[utoipa::path(delete, path = "/metadata/columns/{id}", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "schema_in_use")))]
pub async fn delete_column(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    columns::delete_column(&s.services.tables, &u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByTable {
    logical_table_id: Uuid,
}

/// Bind a column to a table with its order and rules. Existing rows that break a new rule: 409 with
/// their count and up to 20 of them, unless `soft` keeps the rule soft.
#[utoipa::path(post, path = "/metadata/properties", tag = "tables", request_body = NewProperty,
    responses((status = 201, body = PropertyInfo), (status = 404), (status = 409, description = "property_exists, rows_violate_rule"), (status = 422)))]
pub async fn create_property(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<NewProperty>) -> Created<PropertyInfo> {
    Ok((StatusCode::CREATED, Json(properties::create_property(&s.services.tables, &u, &req).await?)))
}

#[utoipa::path(get, path = "/metadata/properties", tag = "tables", params(ByTable), responses((status = 200, body = Vec<PropertyInfo>), (status = 404)))]
pub async fn list_properties(State(s): State<AppState>, AuthUser(u): AuthUser, ApiQuery(q): ApiQuery<ByTable>) -> Result<Json<Vec<PropertyInfo>>, ApiError> {
    Ok(Json(properties::list_properties(&s.services.tables, &u, q.logical_table_id).await?))
}

#[utoipa::path(get, path = "/metadata/properties/{id}", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 200, body = PropertyInfo), (status = 404)))]
pub async fn get_property(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<PropertyInfo>, ApiError> {
    Ok(Json(properties::get_property(&s.services.tables, &u, id).await?))
}

/// Change a property's order or rules; `soft: false` hardens its soft rules (409 while rows break them).
#[utoipa::path(patch, path = "/metadata/properties/{id}", tag = "tables", params(("id" = Uuid, Path)), request_body = PropertyPatch,
    responses((status = 200, body = PropertyInfo), (status = 404), (status = 409, description = "rows_violate_rule"), (status = 422)))]
pub async fn update_property(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(p): ApiJson<PropertyPatch>) -> Result<Json<PropertyInfo>, ApiError> {
    Ok(Json(properties::update_property(&s.services.tables, &u, id, &p).await?))
}

/// Unbind a column (its values go); 409 while a constraint names it.
#[utoipa::path(delete, path = "/metadata/properties/{id}", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "schema_in_use")))]
pub async fn delete_property(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    properties::delete_property(&s.services.tables, &u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a unique, foreign key or check. Existing rows that break it: 409 with the rows, unless
/// `soft` (not for foreign keys).
#[utoipa::path(post, path = "/metadata/constraints", tag = "tables", request_body = NewConstraint,
    responses((status = 201, body = ConstraintInfo), (status = 404), (status = 409, description = "constraint_exists, rows_violate_rule"),
              (status = 422, description = "expression_invalid, field_unknown, invalid_input")))]
pub async fn create_constraint(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<NewConstraint>) -> Created<ConstraintInfo> {
    Ok((StatusCode::CREATED, Json(constraints::create_constraint(&s.services.tables, &u, &req).await?)))
}

#[utoipa::path(get, path = "/metadata/constraints", tag = "tables", params(ByTable), responses((status = 200, body = Vec<ConstraintInfo>), (status = 404)))]
pub async fn list_constraints(State(s): State<AppState>, AuthUser(u): AuthUser, ApiQuery(q): ApiQuery<ByTable>) -> Result<Json<Vec<ConstraintInfo>>, ApiError> {
    Ok(Json(constraints::list_constraints(&s.services.tables, &u, q.logical_table_id).await?))
}

#[utoipa::path(get, path = "/metadata/constraints/{id}", tag = "tables", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConstraintInfo), (status = 404)))]
pub async fn get_constraint(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<ConstraintInfo>, ApiError> {
    Ok(Json(constraints::get_constraint(&s.services.tables, &u, id).await?))
}

/// (De)activate, soften or harden a constraint, or reword a check's message.
#[utoipa::path(patch, path = "/metadata/constraints/{id}", tag = "tables", params(("id" = Uuid, Path)), request_body = ConstraintPatch,
    responses((status = 200, body = ConstraintInfo), (status = 404), (status = 409, description = "rows_violate_rule")))]
pub async fn update_constraint(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(p): ApiJson<ConstraintPatch>) -> Result<Json<ConstraintInfo>, ApiError> {
    Ok(Json(constraints::update_constraint(&s.services.tables, &u, id, &p).await?))
}

#[utoipa::path(delete, path = "/metadata/constraints/{id}", tag = "tables", params(("id" = Uuid, Path)), responses((status = 204), (status = 404)))]
pub async fn delete_constraint(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    constraints::delete_constraint(&s.services.tables, &u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
