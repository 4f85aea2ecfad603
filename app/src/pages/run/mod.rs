//! A classification run: live progress pushed from the server (Server-Sent Events) with throughput,
//! ETA, calls in flight, tokens, cost, retries and failures; cancel, resume and retry; the category
//! distribution growing as results arrive; the results table and the CSV/XLSX downloads.

mod results;
mod samples;

use engine::classify::{RunProgress, RunStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use results::{Distribution, ResultsTable};
use crate::api::{CancelRun, ResumeRun, get_run_progress, list_reviews, run_categories};
use crate::components::{ErrorNote, NotFound, ProgressBar, Stat, classifier_label, status_key};
use crate::i18n::{Key, t, tr, use_locale};
use crate::format::{fmt_int, fmt_money};

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| Uuid::parse_str(&s).ok());
    view! {
        {move || match id() {
            Some(id) => view! { <RunView id=id/> }.into_any(),
            None => view! { <NotFound/> }.into_any(),
        }}
    }
}

/// "1 h 02 min", "3 min 10 s", "42 s".
fn duration_text(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

#[component]
fn RunView(id: Uuid) -> impl IntoView {
    let initial = Resource::new(move || id, get_run_progress);
    let live: RwSignal<Option<RunProgress>> = RwSignal::new(None);
    subscribe(id, live);
    let progress = move || live.get().or_else(|| initial.get().and_then(|r| r.ok()));
    // Tables follow the stream: the distribution refreshes about twenty times over a run and once
    // more at the end; the results table when the run finishes. Reading only `live` keeps the
    // resources out of non-Suspense code (hydration stays exact).
    let finished = Memo::new(move |_| live.get().is_some_and(|p| p.status.is_terminal()));
    let step = Memo::new(move |_| live.get().map(|p| (p.done / (p.total / 20).max(1), p.status.is_terminal())));
    let categories = Resource::new(move || step.get(), move |_| run_categories(id));
    let cancel = ServerAction::<CancelRun>::new();
    let resume = ServerAction::<ResumeRun>::new();
    // "Review a sample" goes back to the run's open sample; only without one does it offer a draw.
    let draw_open = RwSignal::new(false);
    let review = Action::new(move |_: &()| async move {
        match list_reviews(Some(id)).await {
            Ok(list) => match list.iter().find(|s| s.reviewed < s.size) {
                Some(open) => crate::components::browser::go(&format!("/samples/{}", open.id)),
                None => { draw_open.try_set(true); }
            },
            Err(_) => { draw_open.try_set(true); }
        }
    });
    let locale = use_locale();
    // A resumed run streams again from the start: reopen the page to subscribe anew.
    Effect::new(move || {
        if let Some(Ok(_)) = resume.value().get() {
            crate::components::browser::go(&format!("/runs/{id}"));
        }
    });

    view! {
        <div class="stack">
            <section class="panel">
                <p class="eyebrow">{tr(Key::RunTitle)}</p>
                <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        if let Err(e) = initial.await { return view! { <ErrorNote error=e/> }.into_any(); }
                        view! {
                            {move || progress().map(|p| {
                                let ratio = if p.total > 0 { p.done as f64 / p.total as f64 } else { 1.0 };
                                let status = p.status;
                                let active = !status.is_terminal();
                                let failed_chunks = !p.failures.is_empty();
                                let resumable = status.is_terminal() && p.done + p.failed < p.total;
                                view! {
                                    <a class="back-link" href=format!("/datasets/{}", p.dataset_id) data-testid="run-dataset">"← "{tr(Key::BackToDataset)}</a>
                                    <div class="run-head">
                                        <h1>{format!("{} v{}", p.prompt_name, p.prompt_version)}</h1>
                                        <span class=format!("status status-{}", status.as_str()) data-testid="run-status">
                                            {move || t(locale.get(), status_key(status))}
                                        </span>
                                        {active.then(|| view! { <span class="live" aria-hidden="true">{tr(Key::Live)}</span> })}
                                        <span class="muted" data-testid="run-classifier">{classifier_label(p.provider, &p.model)}</span>
                                    </div>
                                    <ProgressBar value=Signal::derive(move || ratio) label=Signal::derive(move || t(locale.get(), Key::LinesDone).to_string())/>
                                    <p class="counts" data-testid="run-counts" aria-live="polite">
                                        <strong>{fmt_int(p.done)}</strong>" "{tr(Key::LinesDone)}" "<strong>{fmt_int(p.total)}</strong>
                                        {(p.failed > 0).then(|| view! { <span class="warn">" · "{fmt_int(p.failed)}" "{tr(Key::Failed)}</span> })}
                                        {p.lines_per_second.map(|r| view! { <span>" · "{crate::format::fmt_number(r, 1)}" "{tr(Key::Throughput)}</span> })}
                                        {p.eta_secs.map(|s| view! { <span>" · "{tr(Key::Eta)}" "{duration_text(s)}</span> })}
                                    </p>
                                    <div class="stats stats-compact" data-testid="run-stats">
                                        <Stat label=Key::InFlight value=fmt_int(p.in_flight) testid="stat-in-flight"/>
                                        <Stat label=Key::Chunks value=format!("{} / {}", fmt_int(p.chunks_done), fmt_int(p.chunks_total)) testid="stat-chunks"/>
                                        <Stat label=Key::Tokens value=format!("{} / {}", fmt_int(p.tokens_in), fmt_int(p.tokens_out)) testid="stat-tokens"/>
                                        <Stat label=Key::Cost value=fmt_money(p.cost) testid="stat-cost"/>
                                        <Stat label=Key::Retries value=fmt_int(p.retries) testid="stat-retries"/>
                                        <Stat label=Key::Cached value=fmt_int(p.cached) testid="stat-cached"/>
                                        <Stat label=Key::Repaired value=fmt_int(p.repaired) testid="stat-repaired"/>
                                        <Stat label=Key::Missing value=fmt_int(p.missing) testid="stat-missing"/>
                                        <Stat label=Key::Discarded value=fmt_int(p.discarded) testid="stat-discarded"/>
                                        <Stat label=Key::Reasked value=format!("{} → {}", fmt_int(p.reasked), fmt_int(p.reask_answered)) testid="stat-reasked"/>
                                        <Stat label=Key::SplitCalls value=format!("{} → {}", fmt_int(p.split_calls), fmt_int(p.split_answered)) testid="stat-split"/>
                                        <Stat label=Key::Isolated value=fmt_int(p.isolated) testid="stat-isolated"/>
                                        <Stat label=Key::RetryPassRescued value=fmt_int(p.retry_pass_rescued) testid="stat-retry-pass"/>
                                        <Stat label=Key::PlanExamples value=format!("{} · v{}", fmt_int(i64::from(p.examples_count)), p.examples_version.unwrap_or(0)) testid="stat-examples"/>
                                    </div>
                                    {p.error.clone().map(|e| view! { <p class="note note-error" data-testid="run-error">{e}</p> })}
                                    {failed_chunks.then(|| view! {
                                        <details class="failures" open>
                                            <summary>{tr(Key::Failures)}" ("{p.failures.len()}")"</summary>
                                            <ul>
                                                {p.failures.iter().map(|f| view! {
                                                    <li><strong>{format!("#{}", f.chunk_no)}</strong>
                                                        {format!(" · {} ", f.lines)}{tr(Key::UniqueLinesLower)}
                                                        {format!(" · {} ", f.attempts)}{tr(Key::Attempts)}
                                                        <code>{f.error.clone()}</code></li>
                                                }).collect_view()}
                                            </ul>
                                        </details>
                                    })}
                                    <div class="actions">
                                        {active.then(|| view! {
                                            <button class="btn" data-testid="cancel-run" on:click=move |_| { cancel.dispatch(CancelRun { id }); }>{tr(Key::Cancel)}</button>
                                        })}
                                        {resumable.then(|| view! {
                                            <button class="btn" data-testid="resume-run" on:click=move |_| { resume.dispatch(ResumeRun { id, retry_failed: false }); }>{tr(Key::Resume)}</button>
                                        })}
                                        {(status.is_terminal() && failed_chunks).then(|| view! {
                                            <button class="btn" data-testid="retry-failed" on:click=move |_| { resume.dispatch(ResumeRun { id, retry_failed: true }); }>{tr(Key::RetryFailed)}</button>
                                        })}
                                        {(status == RunStatus::Succeeded).then(|| view! {
                                            <button class="btn" data-testid="review-sample" disabled=move || review.pending().get()
                                                on:click=move |_| { review.dispatch(()); }>{tr(Key::ReviewSample)}</button>
                                        })}
                                        {(p.done > 0).then(|| view! {
                                            <crate::components::ExportLinks run_id=id testid="download"/>
                                            <a class="btn" href=format!("/imports/new?run={id}") data-testid="publish-run">{tr(Key::PublishToTable)}</a>
                                            <a class="btn" href=format!("/reports/new?run={id}") data-testid="report-run">{tr(Key::ReportOnRun)}</a>
                                        })}
                                    </div>
                                }
                            })}
                            {move || resume.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                        }.into_any()
                    })}
                </Suspense>
            </section>
            <samples::RunSamples run_id=id draw_open/>
            <Distribution categories/>
            <ResultsTable id finished/>
        </div>
    }
}

/// Opens the run's event stream in the browser and writes every `progress` event into `live`.
fn subscribe(id: Uuid, live: RwSignal<Option<RunProgress>>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let Ok(source) = web_sys::EventSource::new(&format!("/api/v1/runs/{id}/events")) else { return };
        let on_progress = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(text) = ev.data().as_string() {
                if let Ok(p) = serde_json::from_str::<RunProgress>(&text) {
                    live.try_set(Some(p));
                }
            }
        });
        let _ = source.add_event_listener_with_callback("progress", on_progress.as_ref().unchecked_ref());
        let held = send_wrapper::SendWrapper::new((source, on_progress));
        on_cleanup(move || held.0.close());
    });
    let _ = (id, live);
}
