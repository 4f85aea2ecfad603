//! One report (`/reports/{id}`): its parameters to change, the answer (chart and table, paged),
//! any earlier version by number, exports of the whole answer, and for those who may change it
//! the sharing panel.

use engine::reports::Report;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::{Map, Value};

use super::answer::Answer;
use super::parts::{parameters_of, value_of};
use super::share::SharePanel;
use crate::api::{AppError, delete_report, get_report, run_report};
use crate::components::{ErrorNote, browser};
use crate::format::{fmt_time, url_encode};
use crate::i18n::{Key, tr, use_locale};

#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).and_then(|s| s.parse::<uuid::Uuid>().ok());
    let report = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_report(id).await,
            None => Err(AppError(engine::ErrorBody::new(engine::ErrorCode::ReportNotFound, "report not found"))),
        }
    });
    view! {
        <div class="stack">
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(r) => view! { <ReportView r/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// A query string of the parameters as typed (for exports).
fn query_of(params: &[(String, String)]) -> String {
    params.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| format!("&{}={}", url_encode(k), url_encode(v))).collect()
}

#[component]
fn ReportView(r: Report) -> impl IntoView {
    let locale = use_locale();
    let id = r.id;
    let spec = r.spec.clone();
    let parameters = parameters_of(&spec);
    let typed = RwSignal::new(parameters.iter().map(|(f, _, v)| (f.clone(), v.clone())).collect::<Vec<_>>());
    let applied = RwSignal::new(typed.get_untracked());
    let version = RwSignal::new(None::<i32>);
    let page = RwSignal::new(1i64);
    let ops: Vec<(String, engine::reports::Operator)> = parameters.iter().map(|(f, o, _)| (f.clone(), *o)).collect();
    let answer = Resource::new(move || (version.get(), applied.get(), page.get()), move |(v, ps, page)| {
        let map: Map<String, Value> = ps
            .iter()
            .filter_map(|(f, text)| {
                let op = ops.iter().find(|(n, _)| n == f).map(|(_, o)| *o)?;
                let v = value_of("text", op, text);
                (!v.is_null()).then(|| (f.clone(), v))
            })
            .collect();
        run_report(id, v, map, page)
    });
    let chart = spec.chart.clone().unwrap_or_default();
    let title = chart.title.clone().unwrap_or_else(|| r.name.clone());
    let confirming = RwSignal::new(false);
    let delete = Action::new(move |_: &()| async move {
        delete_report(id).await?;
        browser::go("/reports");
        Ok::<_, AppError>(())
    });
    let export = move |format: &str| {
        let v = version.get().map(|v| format!("&version={v}")).unwrap_or_default();
        format!("/api/v1/reports/{id}/export?format={format}&lang={}{v}{}", locale.get().code(), query_of(&applied.get()))
    };
    let versions = r.versions.clone();
    view! {
        <section class="panel" aria-labelledby="report-title">
            <div class="title-row">
                <h1 id="report-title" data-testid="report-name">{r.name.clone()}</h1>
                <div class="actions">
                    {r.can_edit.then(|| view! { <a class="btn" href=format!("/reports/{id}/edit") data-testid="edit-report">{tr(Key::EditReport)}</a> })}
                    <a class="btn" href=move || export("csv") data-testid="report-export-csv">{tr(Key::ExportCsv)}</a>
                    <a class="btn" href=move || export("xlsx") data-testid="report-export-xlsx">{tr(Key::ExportXlsx)}</a>
                </div>
            </div>
            <p class="muted">
                {(!r.description.is_empty()).then(|| format!("{} · ", r.description))}
                {format!("{} · v{} · ", r.owner, r.version)}{fmt_time(&r.updated_at)}
            </p>
            {(!parameters.is_empty()).then(|| view! {
                <form class="filters" data-testid="report-params" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); page.set(1); applied.set(typed.get_untracked()); }>
                    {parameters.iter().enumerate().map(|(i, (f, _, _))| view! {
                        <label class="field-inline">
                            <span>{f.clone()}</span>
                            <input type="text" data-testid=format!("param-{f}") prop:value=move || typed.with(|t| t[i].1.clone())
                                on:input=move |ev| { let v = event_target_value(&ev); typed.update(|t| t[i].1 = v); }/>
                        </label>
                    }).collect_view()}
                    <button class="btn btn-primary" type="submit" data-testid="apply-params">{tr(Key::Apply)}</button>
                </form>
            })}
        </section>
        <section class="panel" aria-labelledby="answer-title">
            <div class="title-row">
                <h2 id="answer-title">{title.clone()}</h2>
                <label class="field-inline">
                    <span>{tr(Key::Version)}</span>
                    <select data-testid="report-version" on:change=move |ev| { page.set(1); version.set(event_target_value(&ev).parse().ok()); }>
                        {versions.iter().map(|v| view! { <option value=v.version.to_string()>{format!("v{}", v.version)}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || {
                    let title = title.clone();
                    Suspend::new(async move {
                        match answer.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(drawn) => {
                                let pg = drawn.result.pagination.clone();
                                view! {
                                    <Answer drawn chart=chart.kind title/>
                                    {(pg.total_pages > 1).then(|| view! {
                                        <div class="actions pager">
                                            <button class="btn" disabled=pg.page_number <= 1 on:click=move |_| page.update(|p| *p = (*p - 1).max(1))>"←"</button>
                                            <span class="muted">{format!("{} / {}", pg.page_number, pg.total_pages)}</span>
                                            <button class="btn" data-testid="next-page" disabled=!pg.has_more on:click=move |_| page.update(|p| *p += 1)>"→"</button>
                                        </div>
                                    })}
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
        {r.can_edit.then(|| view! { <SharePanel report=r.clone()/> })}
        <section class="panel" aria-labelledby="versions-title">
            <h2 id="versions-title">{tr(Key::Versions)}</h2>
            <ol class="history" data-testid="report-versions">
                {r.versions.iter().map(|v| view! {
                    <li>{format!("v{} · ", v.version)}{fmt_time(&v.created_at)}{v.created_by.clone().map(|u| format!(" · {u}"))}
                        {(!v.change_description.is_empty()).then(|| format!(" · {}", v.change_description))}</li>
                }).collect_view()}
            </ol>
            {r.can_edit.then(|| view! {
                <div class="actions">
                    <Show when=move || confirming.get() fallback=move || view! {
                        <button class="btn btn-danger" data-testid="delete-report" on:click=move |_| confirming.set(true)>{tr(Key::DeleteReport)}</button>
                    }>
                        <button class="btn btn-danger" data-testid="confirm-delete" on:click=move |_| { delete.dispatch(()); }>{tr(Key::ConfirmDelete)}</button>
                        <button class="btn" on:click=move |_| confirming.set(false)>{tr(Key::Cancel)}</button>
                    </Show>
                </div>
            })}
            {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
    }
}
