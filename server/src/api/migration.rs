//! Imports into governed tables (seed 004 §19.3): `/migration/configurations` (CRUD, dry run),
//! `/migration/batch` (start, progress, errors, rollback) and `/migration/record`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::eav::import::source::SourceRequest;
use engine::eav::import::{
    Configuration, ConfigurationInput, DryRunReport, MigrateRecordRequest, MigrateRecordResponse, MigrationJobStatusResponse, RecordErrorPage,
    RollbackReport, StartBatchMigrationRequest, StartBatchMigrationResponse, config, dry_run, errors, jobs, record, rollback,
};
use engine::export::ExportOptions;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::session::AuthUser;
use crate::state::AppState;

/// Save an import configuration: the target table, field mappings with their transformations, the
/// upsert key, the validation level and the error strategy. Every mapping is checked against the table.
#[utoipa::path(post, path = "/migration/configurations", tag = "migration", request_body = ConfigurationInput,
    responses((status = 201, body = Configuration), (status = 403), (status = 404, description = "logical_table_not_found"),
              (status = 409, description = "migration_configuration_exists"), (status = 422, description = "mapping_invalid")))]
pub async fn create_configuration(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<ConfigurationInput>) -> Result<(StatusCode, Json<Configuration>), ApiError> {
    Ok((StatusCode::CREATED, Json(config::create_configuration(&s.services.tables, &u, &req).await?)))
}

/// The configurations whose target table the caller may write.
#[utoipa::path(get, path = "/migration/configurations", tag = "migration", responses((status = 200, body = Vec<Configuration>)))]
pub async fn list_configurations(State(s): State<AppState>, AuthUser(u): AuthUser) -> Result<Json<Vec<Configuration>>, ApiError> {
    Ok(Json(config::list_configurations(&s.services.tables, &u).await?))
}

#[utoipa::path(get, path = "/migration/configurations/{id}", tag = "migration", params(("id" = Uuid, Path)),
    responses((status = 200, body = Configuration), (status = 404, description = "migration_configuration_not_found")))]
pub async fn get_configuration(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<Configuration>, ApiError> {
    Ok(Json(config::get_configuration(&s.services.tables, &u, id).await?))
}

/// Replace a configuration; send the `version` read (409 when someone saved it since).
#[utoipa::path(put, path = "/migration/configurations/{id}", tag = "migration", params(("id" = Uuid, Path)), request_body = ConfigurationInput,
    responses((status = 200, body = Configuration), (status = 404), (status = 409, description = "migration_configuration_version_conflict, migration_configuration_exists"),
              (status = 422, description = "mapping_invalid")))]
pub async fn update_configuration(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(req): ApiJson<ConfigurationInput>) -> Result<Json<Configuration>, ApiError> {
    Ok(Json(config::update_configuration(&s.services.tables, &u, id, &req).await?))
}

/// Delete a configuration with its finished jobs' records (the rows they imported stay).
#[utoipa::path(delete, path = "/migration/configurations/{id}", tag = "migration", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "migration_job_active")))]
pub async fn delete_configuration(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    config::delete_configuration(&s.services.tables, &u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The source of a dry run: as for a batch; none given: the configuration's own.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DryRunRequest {
    #[schema(value_type = Option<Vec<Object>>)]
    source_data: Option<Vec<serde_json::Value>>,
    source_file_id: Option<String>,
    source_dataset_id: Option<Uuid>,
    source_run_id: Option<Uuid>,
}

/// What an import would do — inserted, updated, unchanged and rejected records with every reason —
/// found by doing it in a transaction that is rolled back: nothing is written.
#[utoipa::path(post, path = "/migration/configurations/{id}/dry_run", tag = "migration", params(("id" = Uuid, Path)), request_body = DryRunRequest,
    responses((status = 200, body = DryRunReport), (status = 400, description = "migration_source_missing"), (status = 404), (status = 422, description = "mapping_invalid")))]
pub async fn dry_run(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiJson(req): ApiJson<DryRunRequest>) -> Result<Json<DryRunReport>, ApiError> {
    let source = SourceRequest { data: req.source_data, file_id: req.source_file_id, dataset_id: req.source_dataset_id, run_id: req.source_run_id, sample_id: None };
    Ok(Json(dry_run::dry_run(&s.services.tables, &u, id, source).await?))
}

/// Start an import (seed §19.3.1): the source is staged and the job left `PENDING` for a worker;
/// follow it at `GET /migration/batch/{job_id}`.
#[utoipa::path(post, path = "/migration/batch", tag = "migration", request_body = StartBatchMigrationRequest,
    responses((status = 200, body = StartBatchMigrationResponse), (status = 400, description = "migration_source_missing, malformed_request"),
              (status = 404, description = "migration_configuration_not_found, table_not_found, dataset_not_found, run_not_found"),
              (status = 422, description = "mapping_invalid, invalid_input"), (status = 429, description = "too_many_migrations")))]
pub async fn start_batch(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<StartBatchMigrationRequest>) -> Result<Json<StartBatchMigrationResponse>, ApiError> {
    Ok(Json(jobs::start_batch(&s.services.tables, &u, req).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    configuration_id: Option<Uuid>,
}

/// Import jobs, newest first (at most 200), optionally of one configuration.
#[utoipa::path(get, path = "/migration/batch", tag = "migration", params(JobsQuery), responses((status = 200, body = Vec<MigrationJobStatusResponse>)))]
pub async fn list_jobs(State(s): State<AppState>, AuthUser(u): AuthUser, ApiQuery(q): ApiQuery<JobsQuery>) -> Result<Json<Vec<MigrationJobStatusResponse>>, ApiError> {
    Ok(Json(jobs::list_jobs(&s.services.tables, &u, q.configuration_id).await?))
}

/// A job's status, progress and counters: processed = success + errors; success = inserted +
/// updated + unchanged.
#[utoipa::path(get, path = "/migration/batch/{job_id}", tag = "migration", params(("job_id" = Uuid, Path)),
    responses((status = 200, body = MigrationJobStatusResponse), (status = 400), (status = 404, description = "migration_job_not_found")))]
pub async fn job_status(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<MigrationJobStatusResponse>, ApiError> {
    Ok(Json(jobs::job_status(&s.services.tables, &u, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorsQuery {
    /// `json` (default, paged) or `csv` (every rejected record with its fields, to fix and re-import).
    format: Option<String>,
    /// `error` or `warning` (json only; both when absent).
    severity: Option<String>,
    offset: Option<i64>,
    /// 1 to 1000 (default 100).
    limit: Option<i64>,
    /// csv: `es` (default) or `en` for the header.
    lang: Option<String>,
    /// csv: `;` (default) or `,`.
    sep: Option<String>,
}

/// A job's rejected records with their reasons (and LENIENT warnings); their source fields only
/// for the job's creator and `dataset:admin` (the source may not be shared with every writer).
#[utoipa::path(get, path = "/migration/batch/{job_id}/errors", tag = "migration", params(("job_id" = Uuid, Path), ErrorsQuery),
    responses((status = 200, body = RecordErrorPage), (status = 200, content_type = "text/csv"), (status = 404)))]
pub async fn job_errors(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>, ApiQuery(q): ApiQuery<ErrorsQuery>) -> Result<Response, ApiError> {
    let store = &s.services.tables;
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let severity = match q.severity.as_deref() {
                None => None,
                Some(v @ ("error" | "warning")) => Some(v),
                Some(other) => return Err(ApiError(engine::EngineError::invalid(format!("unknown severity '{other}': use error or warning")))),
            };
            Ok(Json(errors::list_errors(store, &u, id, severity, q.offset.unwrap_or(0), q.limit.unwrap_or(100)).await?).into_response())
        }
        "csv" => {
            let lang = super::extract::query_lang(q.lang.as_deref())?;
            let separator = super::extract::query_separator(q.sep.as_deref())?;
            let body = errors::errors_csv(store, &u, id, ExportOptions { lang, separator }).await?;
            let disposition = format!("attachment; filename=\"import-{id}-rejected.csv\"");
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
        }
        other => Err(ApiError(engine::EngineError::invalid(format!("unknown format '{other}': use json or csv")))),
    }
}

/// Undo a finished import: rows it inserted are deleted, rows it updated restored — all or nothing
/// (409 `migration_rollback_conflict` when some were changed since).
#[utoipa::path(post, path = "/migration/batch/{job_id}/rollback", tag = "migration", params(("job_id" = Uuid, Path)),
    responses((status = 200, body = RollbackReport), (status = 404),
              (status = 409, description = "migration_job_active, migration_rolled_back, migration_rollback_conflict, row_referenced")))]
pub async fn rollback_job(State(s): State<AppState>, AuthUser(u): AuthUser, ApiPath(id): ApiPath<Uuid>) -> Result<Json<RollbackReport>, ApiError> {
    Ok(Json(rollback::rollback_job(&s.services.tables, &u, id).await?))
}

/// Import one record now (seed §19.3.2): `success` false with the reasons when it is refused.
#[utoipa::path(post, path = "/migration/record", tag = "migration", request_body = MigrateRecordRequest,
    responses((status = 200, body = MigrateRecordResponse), (status = 400, description = "malformed_request"), (status = 404, description = "migration_configuration_not_found")))]
pub async fn migrate_record(State(s): State<AppState>, AuthUser(u): AuthUser, ApiJson(req): ApiJson<MigrateRecordRequest>) -> Result<Json<MigrateRecordResponse>, ApiError> {
    Ok(Json(record::migrate_record(&s.services.tables, &u, &req).await?))
}
