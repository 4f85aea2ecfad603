//! One import job: its progress while it runs (polled), what it did when done — inserted,
//! updated, unchanged, rejected, which add up to the records read — the rejected records with their
//! reasons and as a CSV to fix and import again, and the rollback of the whole job.

use engine::eav::import::{JobStatus, MigrationJobStatusResponse};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::new::RecordErrorsTable;
use super::{job_status_class, job_status_key};
use crate::api::{RollbackImport, get_import_errors, get_import_job};
use crate::components::{ErrorNote, ProgressBar, Stat};
use crate::format::{fmt_int, fmt_pct};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn ImportJobPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<Uuid>().ok()));
    let rollback = ServerAction::<RollbackImport>::new();
    let tick = RwSignal::new(0u32);
    let job = Resource::new(move || (id(), tick.get(), rollback.version().get()), |(id, _, _)| async move {
        match id {
            Some(id) => get_import_job(id).await,
            None => Err(crate::api::AppError::new(engine::ErrorCode::MigrationJobNotFound, "not an import job id")),
        }
    });
    // While the job runs, read it again twice a second.
    crate::components::browser::poll_while(tick, std::time::Duration::from_millis(500), move || {
        job.get_untracked().and_then(|r| r.ok()).is_some_and(|j| !j.status.is_finished())
    });
    view! {
        <div class="stack">
            <Transition fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match job.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(j) => view! { <JobView job=j rollback/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn JobView(job: MigrationJobStatusResponse, rollback: ServerAction<RollbackImport>) -> impl IntoView {
    let locale = use_locale();
    let status = job.status;
    let finished = status.is_finished();
    let progress = job.progress;
    let label = format!("{} / {}", fmt_int(job.processed_records.into()), fmt_int(job.total_records.into()));
    let lang = locale.get_untracked().code();
    let stats = [
        (Key::Inserted, job.inserted_records, "job-inserted"),
        (Key::UpdatedRows, job.updated_records, "job-updated"),
        (Key::Unchanged, job.unchanged_records, "job-unchanged"),
        (Key::Rejected, job.error_records, "job-rejected"),
    ];
    let confirming = RwSignal::new(false);
    let id = job.job_id;
    view! {
        <section class="panel" aria-labelledby="job-title" data-testid="import-job">
            <a class="back-link" href="/imports">{tr(Key::Imports)}</a>
            <div class="title-row">
                <h1 id="job-title">{job.configuration_name.clone()}</h1>
                <span class=job_status_class(status) data-testid="job-status" data-status=status.as_str()>{move || t(locale.get(), job_status_key(status))}</span>
            </div>
            <p class="muted">
                {job.source.clone()}" → "<a href=format!("/tables/{}", job.target_table_name)><code>{job.target_table_name.clone()}</code></a>
            </p>
            <ProgressBar value=Signal::derive(move || progress) label=Signal::derive({ let l = label.clone(); move || l.clone() })/>
            <p class="muted" data-testid="job-progress">
                {label}" · "{fmt_pct(progress, 0)}
                {job.estimated_time_left.filter(|_| !finished).map(|s| format!(" · ~{s} s"))}
                {format!(" · {} s", job.elapsed_time)}
            </p>
            <div class="stats">
                {stats.into_iter().map(|(k, n, tid)| view! { <Stat label=k value=fmt_int(n.into()) testid=tid/> }).collect_view()}
            </div>
            {(job.warning_records > 0).then(|| view! { <p class="note note-warn">{fmt_int(job.warning_records)}" "{tr(Key::RecordsWithWarnings)}</p> })}
            {job.error.clone().map(|e| view! { <p class="note note-error" data-testid="job-error">{e}</p> })}
            {(finished && status != JobStatus::RolledBack).then(|| view! {
                <div class="actions">
                    {(job.error_records > 0).then(|| view! {
                        <a class="btn" data-testid="download-rejected" href=format!("/api/v1/migration/batch/{id}/errors?format=csv&lang={lang}")>{tr(Key::DownloadRejected)}</a>
                    })}
                    <a class="btn" href=format!("/tables/{}", job.target_table_name)>{tr(Key::OpenRows)}</a>
                    <button class="btn" data-testid="rollback" on:click=move |_| confirming.set(true)>{tr(Key::RollBack)}</button>
                </div>
                <Show when=move || confirming.get()>
                    <div class="confirm-box" role="alertdialog" aria-labelledby="rollback-q">
                        <h3 id="rollback-q">{tr(Key::RollBackQuestion)}</h3>
                        <p>{tr(Key::RollBackHint)}</p>
                        <div class="actions">
                            <button class="btn btn-primary" data-testid="confirm-rollback" disabled=move || rollback.pending().get()
                                on:click=move |_| { rollback.dispatch(RollbackImport { job_id: id }); confirming.set(false); }>{tr(Key::RollBack)}</button>
                            <button class="btn btn-ghost" on:click=move |_| confirming.set(false)>{tr(Key::Cancel)}</button>
                        </div>
                    </div>
                </Show>
            })}
            {move || rollback.value().get().map(|r| match r {
                Ok(done) => view! { <p class="note" role="status" data-testid="rolled-back">{format!("{} ", fmt_int(done.deleted_rows))}{tr(Key::RowsRemoved)}{format!(" · {} ", fmt_int(done.restored_rows))}{tr(Key::RowsRestored)}</p> }.into_any(),
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
        </section>
        {(finished && job.error_records + i32::try_from(job.warning_records).unwrap_or(0) > 0).then(|| view! { <JobErrors id/> })}
    }
}

#[component]
fn JobErrors(id: Uuid) -> impl IntoView {
    let offset = RwSignal::new(0i64);
    let page = Resource::new(move || offset.get(), move |o| get_import_errors(id, o));
    view! {
        <section class="panel" aria-labelledby="job-errors-title">
            <h2 id="job-errors-title">{tr(Key::RejectedRecords)}</h2>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(p) => {
                            let total = p.total;
                            view! {
                                <RecordErrorsTable errors=p.errors/>
                                <crate::components::Pager offset on_page=move |o| offset.set(o) page=50 total label=Key::PageOf/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
