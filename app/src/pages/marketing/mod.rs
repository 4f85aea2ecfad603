//! Marketing data: the Ads and CRM sources with their last runs and a way to add or change one
//! (`source_form`), the recent runs, the funnel (`funnel`), one run's progress and rejected
//! records (`run`), and the event pipeline's live figures (`events`).

use engine::etl::wire::{RunInfo, RunStatus, SourceInfo};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

mod events;
mod funnel;
mod run;
mod source_form;

pub use events::EventsPage;
pub use run::EtlRunPage;

use crate::api::{MarketingOverview, RunEtlSource, get_marketing};
use crate::components::{ErrorNote, TableHead};
use crate::format::{fmt_int, fmt_time};
use crate::i18n::{Key, t, tr, use_locale};

pub fn run_status_key(s: RunStatus) -> Key {
    match s {
        RunStatus::Pending => Key::StatusQueued,
        RunStatus::Running => Key::StatusRunning,
        RunStatus::Succeeded => Key::StatusSucceeded,
        RunStatus::Failed => Key::StatusFailed,
    }
}

pub fn run_status_class(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Pending | RunStatus::Running => "status status-running",
        RunStatus::Succeeded => "status status-succeeded",
        RunStatus::Failed => "status status-failed",
    }
}

/// Which source the form is open for.
#[derive(Clone, PartialEq)]
enum Editing {
    Closed,
    New,
    Source(Box<SourceInfo>),
}

#[component]
pub fn MarketingPage() -> impl IntoView {
    let run = ServerAction::<RunEtlSource>::new();
    let saved = RwSignal::new(0u32);
    let data = Resource::new(move || (saved.get(), run.version().get()), |_| get_marketing());
    let editing = RwSignal::new(Editing::Closed);
    let navigate = use_navigate();
    // A run started here opens its own page, where its progress shows live.
    Effect::new(move || {
        if let Some(Ok(r)) = run.value().get() {
            navigate(&format!("/marketing/runs/{}", r.id), Default::default());
        }
    });
    view! {
        <div class="stack">
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(o) => view! { <Overview o editing saved run/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn Overview(o: MarketingOverview, editing: RwSignal<Editing>, saved: RwSignal<u32>, run: ServerAction<RunEtlSource>) -> impl IntoView {
    let has_sources = !o.sources.is_empty();
    let presets = o.presets.clone();
    let can_admin = o.can_admin;
    view! {
        <section class="panel" aria-labelledby="marketing-title">
            <div class="title-row">
                <h1 id="marketing-title">{tr(Key::NavMarketing)}</h1>
                <div class="actions">
                    <a class="btn" href="/marketing/events" data-testid="events-link">{tr(Key::EventPipeline)}</a>
                    {can_admin.then(|| view! {
                        <button class="btn btn-primary" data-testid="new-source" on:click=move |_| editing.set(Editing::New)>{tr(Key::NewSource)}</button>
                    })}
                </div>
            </div>
            <p class="muted">{tr(Key::MarketingHint)}</p>
            {if has_sources {
                view! { <SourcesTable sources=o.sources.clone() can_admin editing run/> }.into_any()
            } else {
                view! { <p class="muted" data-testid="no-sources">{tr(Key::NoSources)}</p> }.into_any()
            }}
            {move || run.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
        {move || match editing.get() {
            Editing::Closed => None,
            Editing::New => Some(view! { <source_form::SourceForm presets=presets.clone() existing=None editing=Callback::new(move |_| editing.set(Editing::Closed)) saved/> }.into_any()),
            Editing::Source(s) => Some(view! { <source_form::SourceForm presets=presets.clone() existing=Some(*s) editing=Callback::new(move |_| editing.set(Editing::Closed)) saved/> }.into_any()),
        }}
        {has_sources.then(|| view! { <funnel::Funnel can_report=o.can_report can_export=o.can_admin && o.sink_configured/> })}
        {(!o.runs.is_empty()).then(|| view! { <RunsTable runs=o.runs.clone()/> })}
    }
}

#[component]
fn SourcesTable(sources: Vec<SourceInfo>, can_admin: bool, editing: RwSignal<Editing>, run: ServerAction<RunEtlSource>) -> impl IntoView {
    let locale = use_locale();
    view! {
        <div class="table-wrap"><table class="table" data-testid="sources">
            <TableHead cols=vec![Key::Name, Key::Kind, Key::Schedule, Key::Cursor, Key::LastRun] actions=Key::Actions/>
            <tbody>
                {sources.into_iter().map(|s| {
                    let id = s.id;
                    let last = s.last_run.clone();
                    let host = s.url.split('/').nth(2).unwrap_or_default().to_string();
                    let for_edit = s.clone();
                    view! {
                        <tr data-testid="source-row">
                            <td><strong>{s.name.clone()}</strong><br/><span class="muted small">{host}{(!s.enabled).then(|| view! { " · " {tr(Key::Disabled)} })}</span></td>
                            <td>{s.kind.as_str().to_uppercase()}" → "<a href=format!("/tables/{}", s.kind.table())><code>{s.kind.table()}</code></a></td>
                            <td>{s.schedule.clone().map(|c| view! { <code>{c}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}
                                {s.next_run_at.map(|t| view! { <br/><span class="muted small">{tr(Key::NextRun)}" "{fmt_time(&t)}</span> })}</td>
                            <td>{s.cursor.map(|c| fmt_time(&c)).unwrap_or_else(|| "—".into())}</td>
                            <td>{last.map(|r| view! {
                                <a href=format!("/marketing/runs/{}", r.id) class=run_status_class(r.status) data-testid="last-run-status">{move || t(locale.get(), run_status_key(r.status))}</a>
                                <br/><span class="muted small">
                                    {fmt_int(r.read)}" "{tr(Key::Read)}" · "{fmt_int(r.inserted)}" "{tr(Key::Inserted)}" · "{fmt_int(r.updated)}" "{tr(Key::UpdatedRows)}
                                    {(r.rejected > 0).then(|| view! { " · "{fmt_int(r.rejected)}" "{tr(Key::Rejected)} })}
                                </span>
                            })}</td>
                            <td class="row-actions">
                                {can_admin.then(|| view! {
                                    <button class="btn btn-primary btn-small" data-testid="run-source" disabled=move || run.pending().get()
                                        on:click=move |_| { run.dispatch(RunEtlSource { source: id }); }>{tr(Key::RunNow)}</button>
                                    <button class="btn btn-small" data-testid="edit-source" on:click=move |_| editing.set(Editing::Source(Box::new(for_edit.clone())))>{tr(Key::Edit)}</button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn RunsTable(runs: Vec<RunInfo>) -> impl IntoView {
    let locale = use_locale();
    view! {
        <section class="panel" aria-labelledby="runs-title">
            <h2 id="runs-title">{tr(Key::RecentRuns)}</h2>
            <div class="table-wrap"><table class="table" data-testid="etl-runs">
                <TableHead cols=vec![Key::Source, Key::Status, Key::Read, Key::Inserted, Key::UpdatedRows, Key::Unchanged, Key::Rejected, Key::Pages, Key::Retries, Key::Started]/>
                <tbody>
                    {runs.into_iter().map(|r| view! {
                        <tr>
                            <td><a href=format!("/marketing/runs/{}", r.id)>{r.source_name.clone()}</a></td>
                            <td><span class=run_status_class(r.status)>{move || t(locale.get(), run_status_key(r.status))}</span></td>
                            <td class="num">{fmt_int(r.read)}</td>
                            <td class="num">{fmt_int(r.inserted)}</td>
                            <td class="num">{fmt_int(r.updated)}</td>
                            <td class="num">{fmt_int(r.unchanged)}</td>
                            <td class="num">{fmt_int(r.rejected)}</td>
                            <td class="num">{r.pages}</td>
                            <td class="num">{r.retries}</td>
                            <td>{fmt_time(&r.created_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
    }
}
