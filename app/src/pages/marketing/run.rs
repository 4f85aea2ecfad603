//! One marketing run: its progress while it runs (read every second), what became of every record
//! read — inserted, updated, unchanged or rejected, which add up to what was read — pages, retries,
//! the cursor before and after, the error that stopped it, and the records kept aside with why.

use engine::etl::wire::RunInfo;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::{run_status_class, run_status_key};
use crate::api::{get_etl_rejections, get_etl_run};
use crate::components::{ErrorNote, Stat, TableHead};
use crate::format::{fmt_int, fmt_time};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn EtlRunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<Uuid>().ok()));
    let tick = RwSignal::new(0u32);
    let run = Resource::new(move || (id(), tick.get()), |(id, _)| async move {
        match id {
            Some(id) => get_etl_run(id).await,
            None => Err(crate::api::AppError::new(engine::ErrorCode::EtlRunNotFound, "not a run id")),
        }
    });
    crate::components::browser::poll_while(tick, std::time::Duration::from_secs(1), move || {
        run.get_untracked().and_then(|r| r.ok()).is_some_and(|r| !r.status.is_finished())
    });
    view! {
        <div class="stack">
            <Transition fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match run.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(r) => view! { <RunView r/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn RunView(r: RunInfo) -> impl IntoView {
    let locale = use_locale();
    let status = r.status;
    let finished = status.is_finished();
    let stats = [
        (Key::Read, r.read, "etl-read"),
        (Key::Inserted, r.inserted, "etl-inserted"),
        (Key::UpdatedRows, r.updated, "etl-updated"),
        (Key::Unchanged, r.unchanged, "etl-unchanged"),
        (Key::Rejected, r.rejected, "etl-rejected"),
    ];
    let id = r.id;
    view! {
        <section class="panel" aria-labelledby="etl-run-title" data-testid="etl-run">
            <a class="back-link" href="/marketing">{tr(Key::NavMarketing)}</a>
            <div class="title-row">
                <h1 id="etl-run-title">{r.source_name.clone()}</h1>
                <span class=run_status_class(status) data-testid="etl-run-status" data-status=format!("{status:?}").to_lowercase()>{move || t(locale.get(), run_status_key(status))}</span>
            </div>
            <p class="muted">
                {format!("{} · ", r.trigger)}{tr(Key::Window)}": "
                {match r.window_from {
                    Some(w) => fmt_time(&w).into_any(),
                    None => tr(Key::Everything).into_any(),
                }}
                {r.duration_ms.map(|ms| format!(" · {:.1} s", ms as f64 / 1000.0))}
            </p>
            {(!finished).then(|| view! { <div class="progress progress-indeterminate" role="progressbar" aria-label=move || t(locale.get(), Key::StatusRunning)><div class="progress-fill"></div></div> })}
            <div class="stats">
                {stats.into_iter().map(|(k, n, tid)| view! { <Stat label=k value=fmt_int(n) testid=tid/> }).collect_view()}
                <Stat label=Key::Pages value=r.pages.to_string() testid="etl-pages"/>
                <Stat label=Key::RetriesWord value=r.retries.to_string() testid="etl-retries"/>
            </div>
            <p class="muted small" data-testid="etl-reconcile">
                {format!("{} = {} + {} + {} + {}", fmt_int(r.read), fmt_int(r.inserted), fmt_int(r.updated), fmt_int(r.unchanged), fmt_int(r.rejected))}
            </p>
            <p class="muted small">{tr(Key::Cursor)}": "{r.cursor_before.map(|c| fmt_time(&c)).unwrap_or_else(|| "—".into())}" → "{r.cursor_after.map(|c| fmt_time(&c)).unwrap_or_else(|| "—".into())}</p>
            {r.error.clone().map(|e| view! { <p class="note note-error" data-testid="etl-run-error">{e}</p> })}
        </section>
        {(r.rejected > 0).then(|| view! { <Rejections id total=r.rejected/> })}
    }
}

#[component]
fn Rejections(id: Uuid, total: i64) -> impl IntoView {
    let offset = RwSignal::new(0i64);
    let page = Resource::new(move || offset.get(), move |o| get_etl_rejections(id, o));
    view! {
        <section class="panel" aria-labelledby="etl-rejected-title">
            <h2 id="etl-rejected-title">{tr(Key::RejectedRecords)}</h2>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table" data-testid="etl-rejections">
                                <TableHead cols=vec![Key::Page, Key::RecordWord, Key::Reason]/>
                                <tbody>
                                    {list.into_iter().map(|x| view! {
                                        <tr><td class="num">{x.page}</td><td class="num">{x.seq}</td><td>{x.reason.clone()}<br/><code class="small">{x.record.to_string().chars().take(240).collect::<String>()}</code></td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Transition>
            <crate::components::Pager offset on_page=move |o| offset.set(o) page=50 total label=Key::PageOf/>
        </section>
    }
}
