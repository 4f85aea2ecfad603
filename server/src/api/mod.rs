//! The REST API under `/api/v1`, one module per resource. Handlers are thin: authenticate, call the
//! engine, shape the answer. The OpenAPI document is generated from the handlers' annotations.

mod admin;
mod auth;
mod data;
mod datasets;
mod etl;
mod events;
mod passkeys;
mod examples;
mod prompts;
pub mod error;
pub mod extract;
mod metadata;
mod migration;
mod reports;
pub mod shared;
mod runs;
mod samples;
pub mod session;
mod tokens;
mod uploads;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Data Governance Service API", version = "1.0.0",
         description = "Upload ledger lines, clean and de-duplicate them, classify them. Errors are \
                        `{\"error\": {\"code\", \"message\", \"details\"}}`. Authenticate with the session \
                        cookie from `POST /auth/login`, or with a personal token from `POST /tokens` sent as \
                        `Authorization: Bearer dgs_…`."),
    tags((name = "auth"), (name = "admin"), (name = "uploads"), (name = "datasets"), (name = "prompts"), (name = "runs"), (name = "review"),
         (name = "tables", description = "Governed tables: the schema (seed 004 `/metadata`)"),
         (name = "data", description = "Governed tables: rows (seed 004 `/data`)"),
         (name = "migration", description = "Imports into governed tables: configurations, dry runs, batch jobs, rollback (seed 004 §19)"),
         (name = "reports", description = "Reports over governed tables and runs, their versions, exports and shared links (seed 004 §18)"),
         (name = "shared", description = "A shared link's report, without an account: the token is the credential"),
         (name = "etl", description = "Marketing data: Ads and CRM sources, incremental runs, funnel metrics, retention, signed export (seeds 001/002)"),
         (name = "events", description = "The event pipeline: records validated, aggregated per user and event, stored (seed 003)"))
)]
struct ApiDoc;

/// `upload_body_limit`: the upload's file limit plus room for the multipart framing (the file's own
/// limit is checked while streaming). Every other route's body is limited at the edge (`security`).
pub fn router(upload_body_limit: usize) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let body_limit = upload_body_limit;
    let api = OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::list_sessions, auth::end_all_sessions))
        .routes(routes!(auth::end_session))
        .routes(routes!(passkeys::register_start))
        .routes(routes!(passkeys::register_finish))
        .routes(routes!(passkeys::login_start))
        .routes(routes!(passkeys::login_finish))
        .routes(routes!(passkeys::list))
        .routes(routes!(passkeys::rename, passkeys::remove))
        .routes(routes!(passkeys::enrol))
        .routes(routes!(passkeys::create_enrolment_link))
        .routes(routes!(tokens::create, tokens::list))
        .routes(routes!(tokens::revoke))
        .routes(routes!(admin::list_users, admin::create_user))
        .routes(routes!(admin::update_user))
        .routes(routes!(admin::reset_password))
        .routes(routes!(admin::unlock_user))
        .routes(routes!(admin::list_roles, admin::save_role))
        .routes(routes!(admin::delete_role))
        .routes(routes!(admin::list_permissions))
        .routes(routes!(admin::list_assignments))
        .routes(routes!(admin::assign_role, admin::unassign_role))
        .routes(routes!(admin::audit_log))
        .routes(routes!(uploads::create, uploads::list))
        .routes(routes!(uploads::get, uploads::delete))
        .routes(routes!(uploads::rejected))
        .routes(routes!(uploads::preview))
        .routes(routes!(uploads::set_column_type))
        .routes(routes!(datasets::create, datasets::list))
        .routes(routes!(datasets::get, datasets::delete))
        .routes(routes!(datasets::rows))
        .routes(routes!(datasets::list_shares, datasets::share))
        .routes(routes!(datasets::unshare))
        .routes(routes!(prompts::list, prompts::create))
        .routes(routes!(prompts::versions, prompts::save))
        .routes(routes!(prompts::version))
        .routes(routes!(prompts::make_default))
        .routes(routes!(prompts::duplicate))
        .routes(routes!(prompts::diff))
        .routes(routes!(examples::list, examples::add))
        .routes(routes!(examples::remove))
        .routes(routes!(examples::preview))
        .routes(routes!(examples::import))
        .routes(routes!(examples::shown))
        .routes(routes!(runs::create, runs::list))
        .routes(routes!(runs::plan))
        .routes(routes!(runs::get))
        .routes(routes!(runs::cancel))
        .routes(routes!(runs::resume))
        .routes(routes!(runs::retry_failed))
        .routes(routes!(runs::categories))
        .routes(routes!(runs::results))
        .routes(routes!(runs::events))
        .routes(routes!(samples::create, samples::list))
        .routes(routes!(samples::get))
        .routes(routes!(samples::items))
        .routes(routes!(samples::verdict))
        .routes(routes!(samples::undo))
        .routes(routes!(samples::metrics))
        .routes(routes!(samples::rerun, samples::list_iterations))
        .routes(routes!(samples::apply))
        .routes(routes!(samples::plan))
        .routes(routes!(samples::compare_iterations))
        .routes(routes!(samples::list_corrections))
        .routes(routes!(samples::add_examples))
        .routes(routes!(metadata::create_table, metadata::list_tables))
        .routes(routes!(metadata::get_table, metadata::update_table, metadata::delete_table))
        .routes(routes!(metadata::table_history))
        .routes(routes!(metadata::table_violations))
        .routes(routes!(metadata::grant))
        .routes(routes!(metadata::revoke))
        .routes(routes!(metadata::create_column, metadata::list_columns))
        .routes(routes!(metadata::get_column, metadata::update_column, metadata::delete_column))
        .routes(routes!(metadata::create_property, metadata::list_properties))
        .routes(routes!(metadata::get_property, metadata::update_property, metadata::delete_property))
        .routes(routes!(metadata::create_constraint, metadata::list_constraints))
        .routes(routes!(metadata::get_constraint, metadata::update_constraint, metadata::delete_constraint))
        .routes(routes!(data::create, data::list))
        .routes(routes!(data::get, data::update, data::delete))
        .routes(routes!(data::query_rows))
        .routes(routes!(data::batch))
        .routes(routes!(data::row_history))
        .routes(routes!(data::export))
        .routes(routes!(migration::create_configuration, migration::list_configurations))
        .routes(routes!(migration::get_configuration, migration::update_configuration, migration::delete_configuration))
        .routes(routes!(migration::dry_run))
        .routes(routes!(migration::start_batch, migration::list_jobs))
        .routes(routes!(migration::job_status))
        .routes(routes!(migration::job_errors))
        .routes(routes!(migration::rollback_job))
        .routes(routes!(migration::migrate_record))
        .routes(routes!(reports::create, reports::list))
        .routes(routes!(reports::get, reports::update, reports::delete))
        .routes(routes!(reports::set_grants))
        .routes(routes!(reports::run))
        .routes(routes!(reports::export_file))
        .routes(routes!(reports::create_link, reports::list_links))
        .routes(routes!(reports::inventory))
        .routes(routes!(reports::revoke_link))
        .routes(routes!(reports::rotate_link))
        .routes(routes!(shared::data))
        .routes(routes!(shared::unlock))
        .routes(routes!(shared::export))
        .routes(routes!(shared::suggest))
        .routes(routes!(etl::list_presets))
        .routes(routes!(etl::create_source, etl::list_sources))
        .routes(routes!(etl::get_source, etl::update_source, etl::delete_source))
        .routes(routes!(etl::run))
        .routes(routes!(etl::list_runs))
        .routes(routes!(etl::get_run))
        .routes(routes!(etl::run_rejections))
        .routes(routes!(etl::metrics))
        .routes(routes!(etl::cleanup))
        .routes(routes!(etl::export))
        .routes(routes!(etl::funnel_report))
        .routes(routes!(events::post_events))
        .routes(routes!(events::user))
        .routes(routes!(events::by_event))
        .routes(routes!(events::stats))
        .layer(DefaultBodyLimit::max(body_limit));
    let (router, api_doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", api).split_for_parts();
    (router, api_doc)
}
