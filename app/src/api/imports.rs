//! Server functions of imports into governed tables: configurations, the fields of a source, the
//! dry run, jobs with their progress and rejected records, rollback.

use engine::eav::import::{Configuration, ConfigurationInput, DryRunReport, MigrationJobStatusResponse, RecordErrorPage, RollbackReport, SourceRef};
use leptos::prelude::*;
use uuid::Uuid;

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/read")]
pub async fn get_import_configurations() -> Result<Vec<Configuration>, AppError> {
    let user = ssr::user().await?;
    engine::eav::import::config::list_configurations(&ssr::services()?.tables, &user).await.map_err(ssr::fail)
}

/// Creates a configuration when `id` is none, else replaces configuration `id` (at `input.version`).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_import_configuration(id: Option<Uuid>, input: ConfigurationInput) -> Result<Configuration, AppError> {
    let user = ssr::user().await?;
    let store = ssr::services()?.tables;
    match id {
        None => engine::eav::import::config::create_configuration(&store, &user, &input).await,
        Some(id) => engine::eav::import::config::update_configuration(&store, &user, id, &input).await,
    }
    .map_err(ssr::fail)
}

#[server]
pub async fn delete_import_configuration(id: Uuid) -> Result<(), AppError> {
    let user = ssr::user().await?;
    engine::eav::import::config::delete_configuration(&ssr::services()?.tables, &user, id).await.map_err(ssr::fail)
}

/// The fields a source's records have, to map them.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn get_source_fields(source: SourceRef) -> Result<Vec<String>, AppError> {
    use engine::eav::import::source;
    let user = ssr::user().await?;
    let store = ssr::services()?.tables;
    let resolved = source::resolve(&store, &user, source.into(), (engine::eav::import::SourceType::Inline, None, None)).await.map_err(ssr::fail)?;
    source::fields(&store, &user, &resolved).await.map_err(ssr::fail)
}

/// Writes nothing: the import done in a transaction that is rolled back.
#[server(input = leptos::server_fn::codec::Json, prefix = "/api/read")]
pub async fn dry_run_import(configuration_id: Uuid, source: SourceRef) -> Result<DryRunReport, AppError> {
    let user = ssr::user().await?;
    engine::eav::import::dry_run::dry_run(&ssr::services()?.tables, &user, configuration_id, source.into()).await.map_err(ssr::fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn start_import(configuration_id: Uuid, source: SourceRef) -> Result<Uuid, AppError> {
    let user = ssr::user().await?;
    let started = engine::eav::import::jobs::start_job(&ssr::services()?.tables, &user, configuration_id, source.into(), None).await.map_err(ssr::fail)?;
    Ok(started.job_id)
}

#[server(prefix = "/api/read")]
pub async fn get_import_jobs(configuration_id: Option<Uuid>) -> Result<Vec<MigrationJobStatusResponse>, AppError> {
    let user = ssr::user().await?;
    engine::eav::import::jobs::list_jobs(&ssr::services()?.tables, &user, configuration_id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_import_job(job_id: Uuid) -> Result<MigrationJobStatusResponse, AppError> {
    let user = ssr::user().await?;
    engine::eav::import::jobs::job_status(&ssr::services()?.tables, &user, job_id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn get_import_errors(job_id: Uuid, offset: i64) -> Result<RecordErrorPage, AppError> {
    let user = ssr::user().await?;
    engine::eav::import::errors::list_errors(&ssr::services()?.tables, &user, job_id, None, offset, 50).await.map_err(ssr::fail)
}

#[server]
pub async fn rollback_import(job_id: Uuid) -> Result<RollbackReport, AppError> {
    let user = ssr::user().await?;
    engine::eav::import::rollback::rollback_job(&ssr::services()?.tables, &user, job_id).await.map_err(ssr::fail)
}
