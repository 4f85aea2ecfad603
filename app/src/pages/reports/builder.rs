//! Building a report (`/reports/new`, `/reports/{id}/edit`): its source, what it shows, its
//! filters, order and chart, with the answer previewed live as the draft changes (the server
//! runs the draft over its first rows and draws it). Saving makes a new version.

use engine::reports::{NewReport, Source};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::answer::Answer;
use super::parts::{Draft, Filters, OrderAndChart, WhatToShow};
use crate::api::{AppError, ReportSources, get_report, get_report_sources, get_report_fields, preview_report, save_report};
use crate::components::{ErrorNote, browser};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn ReportBuilderPage() -> impl IntoView {
    let locale = use_locale();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|s| s.parse::<uuid::Uuid>().ok());
    // `?table=NAME` or `?run=ID` start a new report on that source (from a table or a run).
    // `?sample=ID&template=accuracy|confusions`: a ready-made report over a reviewed sample.
    let start = move || {
        query.with(|q| {
            q.get("table")
                .map(|t| Source::Table { table: t })
                .or_else(|| q.get("run").and_then(|r| r.parse().ok()).map(|run_id| Source::Run { run_id }))
                .or_else(|| q.get("sample").and_then(|r| r.parse().ok()).map(|sample_id| Source::Sample { sample_id }))
        })
    };
    let template = move || query.with(|q| q.get("template")).unwrap_or_default();
    let data = Resource::new(move || (id(), start(), template()), |(id, start, template)| async move {
        let sources = get_report_sources().await?;
        let report = match id {
            Some(id) => Some(get_report(id).await?),
            None => None,
        };
        Ok::<_, AppError>((sources, report, start, template))
    });
    view! {
        <div class="stack">
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok((sources, report, start, template)) => {
                            let d = Draft::new();
                            let id = report.as_ref().map(|r| r.id);
                            match (&report, start) {
                                (Some(r), _) => d.load(&r.name, &r.description, &r.spec),
                                (None, Some(run @ Source::Run { .. })) => d.summary_of(run, &t(locale.get_untracked(), Key::ClassificationSummary)),
                                (None, Some(Source::Sample { sample_id })) => {
                                    let name = t(locale.get_untracked(), if template == "confusions" { Key::ConfusedPairs } else { Key::AccuracyByIteration });
                                    d.sample_template(sample_id, &template, name)
                                }
                                (None, start) => d.source.set(start),
                            }
                            view! { <Builder d sources id/> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

fn source_key(s: &Source) -> String {
    match s {
        Source::Table { table } => format!("table:{table}"),
        Source::Run { run_id } => format!("run:{run_id}"),
        Source::Sql(_) => "sql".into(),
        Source::Sample { sample_id } => format!("sample:{sample_id}"),
    }
}

/// Where a new SQL report starts: one view, one parameter, its contract.
fn sql_start() -> Source {
    Source::Sql(engine::reports::sql::SqlDefinition {
        sql: "SELECT code, created_at FROM report_views.my_table WHERE created_at >= :since".into(),
        parameters: vec![engine::reports::sql::SqlParameter { name: "since".into(), ty: "date".into(), required: false, default: Some("2020-01-01".into()), validation_rule_type: None, validation_parameters: serde_json::Value::Null }],
        fields: vec![
            engine::reports::sql::ContractField { field_name: "code".into(), ty: "text".into(), field_alias: None, is_required: true, display_order: 1 },
            engine::reports::sql::ContractField { field_name: "created_at".into(), ty: "datetime".into(), field_alias: None, is_required: false, display_order: 2 },
        ],
    })
}

#[component]
fn Builder(d: Draft, sources: ReportSources, id: Option<uuid::Uuid>) -> impl IntoView {
    let locale = use_locale();
    // The source's fields, read again when it changes.
    let fields = Resource::new(move || d.source.get(), |s| async move {
        match s {
            Some(s) => get_report_fields(s).await,
            None => Ok(Vec::new()),
        }
    });
    // The preview follows the draft; the last one stays while the next is on its way.
    let preview = Resource::new(move || d.spec(), |spec| async move {
        match spec {
            Some(spec) => preview_report(spec).await.map(Some),
            None => Ok(None),
        }
    });
    let change = RwSignal::new(String::new());
    let save = Action::new(move |_: &()| {
        let req = d.spec().map(|spec| NewReport { name: d.name.get_untracked().trim().to_string(), description: d.description.get_untracked(), spec, change_description: Some(change.get_untracked()).filter(|c| !c.trim().is_empty()) });
        async move {
            let req = req.ok_or_else(|| AppError(engine::ErrorBody::new(engine::ErrorCode::InvalidInput, "pick a source")))?;
            let done = save_report(id, req).await?;
            browser::go(&format!("/reports/{}", done.id));
            Ok::<_, AppError>(done)
        }
    });
    let tables = sources.tables.clone();
    let can_sql = sources.can_sql;
    let runs = sources.runs.clone();
    view! {
        <section class="panel" aria-labelledby="builder-title">
            <div class="title-row">
                <h1 id="builder-title">{tr(if id.is_some() { Key::EditReport } else { Key::NewReport })}</h1>
                {id.map(|id| view! { <a class="btn" href=format!("/reports/{id}")>{tr(Key::Cancel)}</a> })}
            </div>
            <form class="form form-grid" data-testid="report-builder" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); save.dispatch(()); }>
                <label class="field">
                    <span>{tr(Key::Name)}</span>
                    <input type="text" required maxlength="200" data-testid="report-name" prop:value=d.name on:input=move |ev| d.name.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span>{tr(Key::Source)}</span>
                    <select data-testid="report-source" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let s = v.strip_prefix("table:").map(|t| Source::Table { table: t.to_string() })
                            .or_else(|| v.strip_prefix("run:").and_then(|r| r.parse().ok()).map(|run_id| Source::Run { run_id }))
                            .or_else(|| v.strip_prefix("sample:").and_then(|r| r.parse().ok()).map(|sample_id| Source::Sample { sample_id }))
                            .or_else(|| (v == "sql").then(sql_start));
                        d.source.set(s);
                    }>
                        <option value="" selected=move || d.source.with(Option::is_none)>"—"</option>
                        <optgroup label=move || t(locale.get(), Key::GovernedTables)>
                            {tables.into_iter().map(|name| { let k = format!("table:{name}"); let k2 = k.clone(); view! { <option value=k selected=move || d.source.with(|s| s.as_ref().map(source_key).as_deref() == Some(k2.as_str()))>{name}</option> } }).collect_view()}
                        </optgroup>
                        <optgroup label=move || t(locale.get(), Key::ClassificationRuns)>
                            {runs.into_iter().map(|(rid, label)| { let k = format!("run:{rid}"); let k2 = k.clone(); view! { <option value=k selected=move || d.source.with(|s| s.as_ref().map(source_key).as_deref() == Some(k2.as_str()))>{label}</option> } }).collect_view()}
                        </optgroup>
                        {move || d.source.with(|s| match s {
                            Some(Source::Sample { sample_id }) => Some(view! { <option value=format!("sample:{sample_id}") selected=true>{format!("{} {}", t(locale.get(), Key::ReviewedSample), &sample_id.to_string()[..8])}</option> }),
                            _ => None,
                        })}
                        {can_sql.then(|| view! { <option value="sql" selected=move || d.source.with(|s| matches!(s, Some(Source::Sql(_))))>{move || t(locale.get(), Key::SqlSource)}</option> })}
                    </select>
                </label>
                <Show when=move || d.source.with(|s| matches!(s, Some(Source::Sql(_))))>
                    <SqlEditor d/>
                </Show>
                <label class="field field-wide">
                    <span>{tr(Key::Description)}</span>
                    <input type="text" data-testid="report-description" prop:value=d.description on:input=move |ev| d.description.set(event_target_value(&ev))/>
                </label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match fields.await {
                            Err(e) => view! { <div class="field-wide"><ErrorNote error=e/></div> }.into_any(),
                            Ok(fs) => {
                                d.fields.set(fs);
                                view! {
                                    <WhatToShow d/>
                                    <Filters d/>
                                    <div class="field-wide"><OrderAndChart d/></div>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
                {id.is_some().then(|| view! {
                    <label class="field field-wide">
                        <span>{tr(Key::ChangeDescription)}</span>
                        <input type="text" data-testid="report-change" prop:value=change on:input=move |ev| change.set(event_target_value(&ev))/>
                    </label>
                })}
                <div class="actions">
                    <button class="btn btn-primary" type="submit" data-testid="save-report" disabled=move || save.pending().get()>{tr(Key::SaveReport)}</button>
                </div>
            </form>
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
        <section class="panel" aria-labelledby="preview-title" aria-live="polite">
            <h2 id="preview-title">{tr(Key::Preview)}</h2>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(e) => view! { <div data-testid="preview-error"><ErrorNote error=e/></div> }.into_any(),
                        Ok(None) => view! { <p class="muted">{tr(Key::PickSource)}</p> }.into_any(),
                        Ok(Some(drawn)) => {
                            let chart = d.chart.get_untracked();
                            view! { <Answer drawn chart=chart.kind title=chart.title.unwrap_or_else(|| d.name.get_untracked())/> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// An SQL report's source, for admins: the query over `report_views.<table>`, its parameters and
/// its response contract (JSON, read when left; the server plans the query as the reader role).
#[component]
fn SqlEditor(d: Draft) -> impl IntoView {
    let current = move || d.source.with(|s| match s {
        Some(Source::Sql(def)) => Some(def.clone()),
        _ => None,
    });
    let problem = RwSignal::new(String::new());
    let set = move |f: &dyn Fn(&mut engine::reports::sql::SqlDefinition)| {
        if let Some(mut def) = current() {
            f(&mut def);
            d.source.set(Some(Source::Sql(def)));
        }
    };
    let on_params = move |ev: leptos::ev::Event| match serde_json::from_str::<Vec<engine::reports::sql::SqlParameter>>(&event_target_value(&ev)) {
        Ok(ps) => {
            problem.set(String::new());
            set(&|def| def.parameters = ps.clone());
        }
        Err(e) => problem.set(format!("JSON: {e}")),
    };
    let on_fields = move |ev: leptos::ev::Event| match serde_json::from_str::<Vec<engine::reports::sql::ContractField>>(&event_target_value(&ev)) {
        Ok(fs) => {
            problem.set(String::new());
            set(&|def| def.fields = fs.clone());
        }
        Err(e) => problem.set(format!("JSON: {e}")),
    };
    view! {
        <label class="field field-wide">
            <span>"SQL"</span>
            <textarea class="code" rows="6" data-testid="sql-text" prop:value=move || current().map(|d| d.sql).unwrap_or_default()
                on:change=move |ev| { let v = event_target_value(&ev); set(&|def| def.sql = v.clone()); }></textarea>
            <small class="hint">{tr(Key::SqlHint)}</small>
        </label>
        <label class="field">
            <span>{tr(Key::SqlParameters)}</span>
            <textarea class="code" rows="5" data-testid="sql-parameters" prop:value=move || current().map(|d| serde_json::to_string_pretty(&d.parameters).unwrap_or_default()).unwrap_or_default()
                on:change=on_params></textarea>
        </label>
        <label class="field">
            <span>{tr(Key::SqlContract)}</span>
            <textarea class="code" rows="5" data-testid="sql-fields" prop:value=move || current().map(|d| serde_json::to_string_pretty(&d.fields).unwrap_or_default()).unwrap_or_default()
                on:change=on_fields></textarea>
        </label>
        <p class="hint field-wide" role="alert">{problem}</p>
    }
}
