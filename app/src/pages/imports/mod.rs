//! Imports into governed tables: saved configurations and recent jobs with their progress; a new
//! import (`new`, mapping, dry run) and one job (`job`, live progress, rejected rows, rollback) are
//! screens of their own.

use engine::eav::import::{Configuration, JobStatus, MigrationJobStatusResponse};
use leptos::prelude::*;

mod job;
mod mapping;
mod new;

pub use job::ImportJobPage;
pub use new::NewImportPage;

use crate::api::{get_import_configurations, get_import_jobs};
use crate::components::{ErrorNote, TableHead};
use crate::format::{fmt_int, fmt_time};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn ImportsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| async move {
        let configs = get_import_configurations().await?;
        let jobs = get_import_jobs(None).await?;
        Ok::<_, crate::api::AppError>((configs, jobs))
    });
    view! {
        <div class="stack">
            <section class="panel" aria-labelledby="imports-title">
                <div class="title-row">
                    <h1 id="imports-title">{tr(Key::Imports)}</h1>
                    <a class="btn btn-primary" href="/imports/new" data-testid="new-import">{tr(Key::NewImport)}</a>
                </div>
                <p class="muted">{tr(Key::ImportsHint)}</p>
            </section>
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok((configs, jobs)) => view! {
                            <section class="panel" aria-labelledby="jobs-title">
                                <h2 id="jobs-title">{tr(Key::ImportJobs)}</h2>
                                <JobsTable jobs/>
                            </section>
                            <section class="panel" aria-labelledby="configs-title">
                                <h2 id="configs-title">{tr(Key::ImportConfigurations)}</h2>
                                <ConfigsTable configs/>
                            </section>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

pub fn job_status_key(s: JobStatus) -> Key {
    match s {
        JobStatus::Pending => Key::StatusQueued,
        JobStatus::Processing => Key::StatusRunning,
        JobStatus::Succeeded => Key::StatusSucceeded,
        JobStatus::PartiallySucceeded => Key::StatusPartial,
        JobStatus::Failed => Key::StatusFailed,
        JobStatus::RolledBack => Key::StatusRolledBack,
    }
}

pub fn job_status_class(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Pending | JobStatus::Processing => "status status-running",
        JobStatus::Succeeded => "status status-succeeded",
        JobStatus::PartiallySucceeded => "status status-partial",
        JobStatus::Failed | JobStatus::RolledBack => "status status-failed",
    }
}

#[component]
fn JobsTable(jobs: Vec<MigrationJobStatusResponse>) -> impl IntoView {
    let locale = use_locale();
    if jobs.is_empty() {
        return view! { <p class="muted" data-testid="no-import-jobs">{tr(Key::NoImportJobs)}</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="import-jobs">
            <thead><tr>
                <th scope="col">{tr(Key::Status)}</th>
                <th scope="col">{tr(Key::ImportConfiguration)}</th>
                <th scope="col">{tr(Key::TargetTable)}</th>
                <th scope="col">{tr(Key::Source)}</th>
                <th scope="col" class="num">{tr(Key::Processed)}</th>
                <th scope="col" class="num">{tr(Key::Rejected)}</th>
                <th scope="col">{tr(Key::Created)}</th>
            </tr></thead>
            <tbody>
                {jobs.into_iter().map(|j| {
                    let status = j.status;
                    view! {
                        <tr data-testid="import-job-row">
                            <td><a class=job_status_class(status) href=format!("/imports/jobs/{}", j.job_id)>{move || t(locale.get(), job_status_key(status))}</a></td>
                            <td>{j.configuration_name.clone()}</td>
                            <td><a href=format!("/tables/{}", j.target_table_name)><code>{j.target_table_name.clone()}</code></a></td>
                            <td>{j.source.clone()}</td>
                            <td class="num">
                                {format!("{} / {}", fmt_int(j.processed_records.into()), fmt_int(j.total_records.into()))}
                                <span class="bar bar-inline" aria-hidden="true"><span class="bar-fill" style:width=format!("{:.1}%", j.progress * 100.0)></span></span>
                            </td>
                            <td class="num">{fmt_int(j.error_records.into())}</td>
                            <td>{fmt_time(&j.created_at)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

#[component]
fn ConfigsTable(configs: Vec<Configuration>) -> impl IntoView {
    if configs.is_empty() {
        return view! { <p class="muted" data-testid="no-import-configs">{tr(Key::NoImportConfigs)}</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="import-configs">
            <TableHead cols=vec![Key::Name, Key::TargetTable, Key::Fields, Key::UpsertKey, Key::Updated] actions=Key::Open/>
            <tbody>
                {configs.into_iter().map(|c| view! {
                    <tr>
                        <td>{c.name.clone()}</td>
                        <td><code>{c.target_table_name.clone()}</code></td>
                        <td class="num">{c.mappings.len()}</td>
                        <td><code>{c.upsert_key.join(" + ")}</code></td>
                        <td>{fmt_time(&c.updated_at)}</td>
                        <td><a class="btn" href=format!("/imports/new?config={}", c.id)>{tr(Key::ImportAgain)}</a></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}
