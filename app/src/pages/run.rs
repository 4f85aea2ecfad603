//! A classification run: live progress pushed from the server (Server-Sent Events), the category
//! distribution, the results table and the CSV download.

use engine::classify::{RunProgress, RunStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::{CancelRun, get_run_progress, run_categories, run_results};
use crate::components::{ErrorNote, Pager, ProgressBar};
use crate::i18n::{Key, t, tr, use_locale};
use crate::pages::datasets::fmt_int;

fn status_key(s: RunStatus) -> Key {
    match s {
        RunStatus::Queued => Key::StatusQueued,
        RunStatus::Running => Key::StatusRunning,
        RunStatus::Succeeded => Key::StatusSucceeded,
        RunStatus::Failed => Key::StatusFailed,
        RunStatus::Cancelled => Key::StatusCancelled,
    }
}

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| Uuid::parse_str(&s).ok());
    view! {
        {move || match id() {
            Some(id) => view! { <RunView id=id/> }.into_any(),
            None => view! { <crate::pages::NotFound/> }.into_any(),
        }}
    }
}

#[component]
fn RunView(id: Uuid) -> impl IntoView {
    let initial = Resource::new(move || id, get_run_progress);
    let live: RwSignal<Option<RunProgress>> = RwSignal::new(None);
    subscribe(id, live);
    let progress = move || live.get().or_else(|| initial.get().and_then(|r| r.ok()));
    // Tables load once, then again when the stream says the run has finished (its first event is the
    // current state, so an already finished run is covered); while running, the bar moves live.
    // Reading only `live` here keeps the resource out of non-Suspense code (hydration stays exact).
    let finished = Memo::new(move |_| live.get().is_some_and(|p| p.status.is_terminal()));
    let offset = RwSignal::new(0i64);
    let results = Resource::new(move || (finished.get(), offset.get()), move |(_, off)| run_results(id, off));
    let categories = Resource::new(move || finished.get(), move |_| run_categories(id));
    let cancel = ServerAction::<CancelRun>::new();
    let locale = use_locale();

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
                                view! {
                                    <div class="run-head">
                                        <h1>{format!("{} v{}", p.prompt_name, p.prompt_version)}</h1>
                                        <span class=format!("status status-{}", status.as_str()) data-testid="run-status">
                                            {move || t(locale.get(), status_key(status))}
                                        </span>
                                        {(!status.is_terminal()).then(|| view! { <span class="live" aria-hidden="true">{tr(Key::Live)}</span> })}
                                    </div>
                                    <ProgressBar value=Signal::derive(move || ratio) label=Signal::derive(move || t(locale.get(), Key::LinesDone).to_string())/>
                                    <p class="counts" data-testid="run-counts" aria-live="polite">
                                        <strong>{fmt_int(p.done)}</strong>" "{tr(Key::LinesDone)}" "<strong>{fmt_int(p.total)}</strong>
                                        {(p.failed > 0).then(|| view! { <span class="warn">" · "{fmt_int(p.failed)}" "{tr(Key::Failed)}</span> })}
                                    </p>
                                    {p.error.clone().map(|e| view! { <p class="note note-error">{e}</p> })}
                                    <div class="actions">
                                        {(!status.is_terminal()).then(|| view! {
                                            <button class="btn" on:click=move |_| { cancel.dispatch(CancelRun { id }); }>{tr(Key::Cancel)}</button>
                                        })}
                                        {(status == RunStatus::Succeeded).then(|| view! {
                                            <a class="btn btn-primary" data-testid="download-csv" rel="external" download
                                                href=format!("/api/v1/runs/{id}/results?format=csv")>{tr(Key::DownloadCsv)}</a>
                                        })}
                                    </div>
                                }
                            })}
                        }.into_any()
                    })}
                </Suspense>
            </section>
            <section class="panel">
                <h2>{tr(Key::Distribution)}</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let cats = categories.await.unwrap_or_default();
                        let max = cats.iter().map(|c| c.lines).max().unwrap_or(1).max(1);
                        view! {
                            <ul class="bars">
                                {cats.into_iter().map(|c| view! {
                                    <li>
                                        <span class="bar-label">{c.category.clone()}</span>
                                        <span class="bar"><span class="bar-fill" style:width=format!("{:.1}%", c.lines as f64 * 100.0 / max as f64)></span></span>
                                        <span class="num">{fmt_int(c.lines)}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }
                    })}
                </Transition>
            </section>
            <section class="panel">
                <h2>{tr(Key::Results)}</h2>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match results.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(page) => {
                                let total = page.total_rows;
                                view! {
                                    <div class="table-wrap"><table class="table" data-testid="results">
                                        <thead><tr>
                                            <th scope="col" class="num">"#"</th>
                                            <th scope="col">{tr(Key::Line)}</th>
                                            <th scope="col">{tr(Key::Category)}</th>
                                            <th scope="col" class="num">{tr(Key::Score)}</th>
                                            <th scope="col">{tr(Key::Reason)}</th>
                                        </tr></thead>
                                        <tbody>
                                            {page.rows.into_iter().map(|r| view! {
                                                <tr>
                                                    <td class="num">{r.row_no}</td>
                                                    <td>{r.line}</td>
                                                    <td><span class="chip">{r.category}</span></td>
                                                    <td class="num">{format!("{:.2}", r.score)}</td>
                                                    <td class="muted">{r.reason}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                    <Pager offset on_page=move |o| offset.set(o) page=50 total label=Key::PageOf/>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
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
                    live.set(Some(p));
                }
            }
        });
        let _ = source.add_event_listener_with_callback("progress", on_progress.as_ref().unchecked_ref());
        let held = send_wrapper::SendWrapper::new((source, on_progress));
        on_cleanup(move || held.0.close());
    });
    let _ = (id, live);
}
