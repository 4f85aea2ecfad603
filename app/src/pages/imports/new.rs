//! A new import: the target table, the source (a dataset, or a classification run with its
//! categories: "publish to a table"), the mapping, the upsert key, the validation level and what
//! to do with a rejected record. A dry run shows what would happen, nothing written; the import
//! itself runs in the background and its page follows it.

use engine::eav::import::{Configuration, ConfigurationInput, DryRunReport, ErrorStrategy, SourceRef, SourceType, ValidationLevel};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::mapping::{MapRow, MappingEditor, initial_rows, mappings};
use crate::api::{AppError, dry_run_import, get_import_configurations, get_logical_tables, get_source_fields, get_table_schema, list_datasets, list_runs, save_import_configuration, start_import};
use crate::components::{ErrorNote, browser};
use crate::format::fmt_int;
use crate::i18n::{Key, t, tr, use_locale};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Choices {
    tables: Vec<String>,
    datasets: Vec<(Uuid, String)>,
    runs: Vec<(Uuid, String)>,
    config: Option<Configuration>,
}

#[component]
pub fn NewImportPage() -> impl IntoView {
    let query = use_query_map();
    let config_id = move || query.with(|q| q.get("config").and_then(|v| v.parse::<Uuid>().ok()));
    let choices = Resource::new(config_id, |config_id| async move {
        let tables = get_logical_tables().await?.tables.into_iter().map(|t| t.table_name).collect();
        let datasets = list_datasets().await?.into_iter().map(|d| (d.id, d.name)).collect();
        let runs = list_runs(None)
            .await?
            .into_iter()
            .filter(|r| r.done > 0)
            .map(|r| (r.id, format!("{} · {} v{}", r.dataset_name, r.prompt_name, r.prompt_version)))
            .collect();
        let config = match config_id {
            Some(id) => get_import_configurations().await?.into_iter().find(|c| c.id == id),
            None => None,
        };
        Ok::<_, AppError>(Choices { tables, datasets, runs, config })
    });
    view! {
        <div class="stack">
            <section class="panel" aria-labelledby="new-import-title">
                <a class="back-link" href="/imports">{tr(Key::Imports)}</a>
                <h1 id="new-import-title">{tr(Key::NewImport)}</h1>
                <p class="muted">{tr(Key::NewImportHint)}</p>
            </section>
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match choices.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(c) => view! { <ImportForm choices=c/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn ImportForm(choices: Choices) -> impl IntoView {
    let query = use_query_map();
    let locale = use_locale();
    let from_query = |k: &str| query.with_untracked(|q| q.get(k));
    let preset = choices.config.clone();
    let table = RwSignal::new(preset.as_ref().map(|c| c.target_table_name.clone()).or_else(|| from_query("table")).unwrap_or_default());
    let (kind0, id0) = match (&preset, from_query("run"), from_query("dataset")) {
        (Some(c), _, _) if c.source_type == SourceType::Run => ("run", c.source_id),
        (Some(c), _, _) if c.source_type == SourceType::Dataset => ("dataset", c.source_id),
        (_, Some(r), _) => ("run", r.parse().ok()),
        (_, _, Some(d)) => ("dataset", d.parse().ok()),
        _ => ("dataset", None),
    };
    let kind = RwSignal::new(kind0);
    let source_id = RwSignal::new(id0);
    let level = RwSignal::new(preset.as_ref().map_or(ValidationLevel::Strict, |c| c.validation_level));
    let strategy = RwSignal::new(preset.as_ref().map_or(ErrorStrategy::Continue, |c| c.error_handling_strategy));
    let upsert = RwSignal::new(preset.as_ref().map_or("code".to_string(), |c| c.upsert_key.first().cloned().unwrap_or_default()));
    let keep_rest = RwSignal::new(true);
    let saved = RwSignal::new(preset.as_ref().map(|c| (c.id, c.version)));
    let name = RwSignal::new(preset.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let source = move || {
        source_id.get().map(|id| match kind.get() {
            "run" => SourceRef::Run { id, sample_id: None },
            _ => SourceRef::Dataset { id },
        })
    };
    let rows = RwSignal::new(Vec::<MapRow>::new());
    let fields = RwSignal::new(Vec::<String>::new());
    let inputs = Resource::new(move || (table.get(), source()), |(table, source)| async move {
        match (table.is_empty(), source) {
            (false, Some(s)) => {
                let detail = get_table_schema(table).await?.detail;
                let fields = get_source_fields(s).await?;
                Ok::<_, AppError>(Some((detail, fields)))
            }
            _ => Ok(None),
        }
    });
    let source_label = {
        let (datasets, runs) = (choices.datasets.clone(), choices.runs.clone());
        Memo::new(move |_| {
            let id = source_id.get()?;
            datasets.iter().chain(runs.iter()).find(|(i, _)| *i == id).map(|(_, n)| n.clone())
        })
    };
    let input = move || -> Option<ConfigurationInput> {
        let detail_id = inputs.get().and_then(|r| r.ok()).flatten().map(|(d, _)| d.table.id)?;
        let (kind_now, id) = (kind.get(), source_id.get()?);
        let default_name = format!("{} → {}", source_label.get().unwrap_or_default(), table.get());
        Some(ConfigurationInput {
            name: Some(name.get()).filter(|n| !n.trim().is_empty()).unwrap_or(default_name),
            description: String::new(),
            source_type: if kind_now == "run" { SourceType::Run } else { SourceType::Dataset },
            source_id: Some(id),
            sample_id: None,
            target_logical_table_id: detail_id,
            validation_level: level.get(),
            error_handling_strategy: strategy.get(),
            upsert_key: Some(upsert.get()).filter(|k| !k.is_empty()).into_iter().collect(),
            mappings: mappings(&rows.get(), &fields.get(), keep_rest.get()),
            version: saved.get().map(|(_, v)| v),
        })
    };
    // Saved first (a new configuration, or the next version of this one), then tried or started.
    let dry = Action::new(move |(input, source): &(ConfigurationInput, SourceRef)| {
        let (input, source, id) = (input.clone(), source.clone(), saved.get_untracked().map(|(id, _)| id));
        async move {
            let cfg = save_import_configuration(id, input).await?;
            let report = dry_run_import(cfg.id, source).await?;
            Ok::<(Configuration, DryRunReport), AppError>((cfg, report))
        }
    });
    let start = Action::new(move |(input, source): &(ConfigurationInput, SourceRef)| {
        let (input, source, id) = (input.clone(), source.clone(), saved.get_untracked().map(|(id, _)| id));
        async move {
            let cfg = save_import_configuration(id, input).await?;
            start_import(cfg.id, source).await
        }
    });
    Effect::new(move || {
        if let Some(Ok((cfg, _))) = dry.value().get() {
            saved.set(Some((cfg.id, cfg.version)));
        }
    });
    Effect::new(move || {
        if let Some(Ok(job)) = start.value().get() {
            browser::go(&format!("/imports/jobs/{job}"));
        }
    });
    let busy = move || dry.pending().get() || start.pending().get();
    // The configuration as the form says and the source, once both are chosen.
    let ready = move || input().zip(source());
    let (tables, datasets, runs) = (choices.tables.clone(), choices.datasets.clone(), choices.runs.clone());
    view! {
        <section class="panel" aria-labelledby="import-where-title">
            <h2 id="import-where-title">{tr(Key::ImportWhat)}</h2>
            <div class="form form-grid">
                <label class="field">
                    <span>{tr(Key::TargetTable)}</span>
                    <select data-testid="import-table" on:change=move |ev| table.set(event_target_value(&ev))>
                        <option value="" selected=move || table.get().is_empty()>{tr(Key::Choose)}</option>
                        {tables.into_iter().map(|n| { let (value, m) = (n.clone(), n.clone()); view! { <option value=value selected=move || table.get() == m>{n}</option> } }).collect_view()}
                    </select>
                </label>
                <fieldset class="field">
                    <legend>{tr(Key::Source)}</legend>
                    <label class="check"><input type="radio" name="kind" data-testid="source-dataset" prop:checked=move || kind.get() == "dataset" on:change=move |_| { kind.set("dataset"); source_id.set(None); }/><span>{tr(Key::Dataset)}</span></label>
                    <label class="check"><input type="radio" name="kind" data-testid="source-run" prop:checked=move || kind.get() == "run" on:change=move |_| { kind.set("run"); source_id.set(None); }/><span>{tr(Key::ClassifiedRun)}</span></label>
                </fieldset>
                <label class="field">
                    <span>{move || t(locale.get(), if kind.get() == "run" { Key::ClassifiedRun } else { Key::Dataset })}</span>
                    <select data-testid="import-source" on:change=move |ev| source_id.set(event_target_value(&ev).parse().ok())>
                        <option value="" selected=move || source_id.get().is_none()>{tr(Key::Choose)}</option>
                        {move || {
                            let list = if kind.get() == "run" { runs.clone() } else { datasets.clone() };
                            list.into_iter().map(|(id, n)| view! { <option value=id.to_string() selected=move || source_id.get() == Some(id)>{n}</option> }).collect_view()
                        }}
                    </select>
                </label>
            </div>
        </section>
        <Transition fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
            {move || Suspend::new(async move {
                match inputs.await {
                    Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                    Ok(None) => view! { <section class="panel"><p class="muted" data-testid="choose-first">{tr(Key::ChooseTableAndSource)}</p></section> }.into_any(),
                    Ok(Some((detail, source_fields))) => {
                        let mut props = detail.properties.clone();
                        props.sort_by_key(|p| p.display_order);
                        rows.set(initial_rows(&props, &source_fields));
                        fields.set(source_fields.clone());
                        let keys: Vec<String> = std::iter::once("code".to_string()).chain(props.iter().map(|p| p.column_name.clone())).collect();
                        view! {
                            <section class="panel" aria-labelledby="mapping-title">
                                <h2 id="mapping-title">{tr(Key::Mapping)}</h2>
                                <MappingEditor rows fields=source_fields/>
                                <label class="check">
                                    <input type="checkbox" prop:checked=keep_rest on:change=move |ev| keep_rest.set(event_target_checked(&ev))/>
                                    <span>{tr(Key::KeepOtherFields)}</span>
                                </label>
                            </section>
                            <section class="panel" aria-labelledby="rules-title">
                                <h2 id="rules-title">{tr(Key::ImportRules)}</h2>
                                <div class="form form-grid">
                                    <label class="field">
                                        <span>{tr(Key::UpsertKey)}</span>
                                        <select data-testid="upsert-key" on:change=move |ev| upsert.set(event_target_value(&ev))>
                                            <option value="" selected=move || upsert.get().is_empty()>{tr(Key::AlwaysInsert)}</option>
                                            {keys.into_iter().map(|k| { let (value, m) = (k.clone(), k.clone()); view! { <option value=value selected=move || upsert.get() == m>{k}</option> } }).collect_view()}
                                        </select>
                                    </label>
                                    <fieldset class="field">
                                        <legend>{tr(Key::ValidationLevel)}</legend>
                                        <label class="check"><input type="radio" name="level" prop:checked=move || level.get() == ValidationLevel::Strict on:change=move |_| level.set(ValidationLevel::Strict)/><span>{tr(Key::Strict)}</span></label>
                                        <label class="check"><input type="radio" name="level" data-testid="level-lenient" prop:checked=move || level.get() == ValidationLevel::Lenient on:change=move |_| level.set(ValidationLevel::Lenient)/><span>{tr(Key::Lenient)}</span></label>
                                    </fieldset>
                                    <fieldset class="field">
                                        <legend>{tr(Key::OnRejected)}</legend>
                                        <label class="check"><input type="radio" name="strategy" prop:checked=move || strategy.get() == ErrorStrategy::Continue on:change=move |_| strategy.set(ErrorStrategy::Continue)/><span>{tr(Key::ContinueOnError)}</span></label>
                                        <label class="check"><input type="radio" name="strategy" data-testid="strategy-stop" prop:checked=move || strategy.get() == ErrorStrategy::Stop on:change=move |_| strategy.set(ErrorStrategy::Stop)/><span>{tr(Key::StopOnError)}</span></label>
                                    </fieldset>
                                    <label class="field">
                                        <span>{tr(Key::ConfigurationName)}</span>
                                        <input type="text" maxlength="200" prop:value=name placeholder=move || format!("{} → {}", source_label.get().unwrap_or_default(), table.get())
                                            on:input=move |ev| name.set(event_target_value(&ev))/>
                                    </label>
                                </div>
                                <div class="actions">
                                    <button class="btn" data-testid="dry-run" disabled=busy on:click=move |_| { if let Some(args) = ready() { dry.dispatch(args); } }>{tr(Key::DryRun)}</button>
                                    <button class="btn btn-primary" data-testid="start-import" disabled=busy on:click=move |_| { if let Some(args) = ready() { start.dispatch(args); } }>{tr(Key::StartImport)}</button>
                                </div>
                                {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || dry.value().get().map(|r| match r {
            Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
            Ok((_, report)) => view! { <DryRunView report/> }.into_any(),
        })}
    }
}

#[component]
fn DryRunView(report: DryRunReport) -> impl IntoView {
    let stats = [
        (Key::WouldInsert, report.inserted_records, "dry-inserted"),
        (Key::WouldUpdate, report.updated_records, "dry-updated"),
        (Key::Unchanged, report.unchanged_records, "dry-unchanged"),
        (Key::Rejected, report.error_records, "dry-rejected"),
    ];
    view! {
        <section class="panel" aria-labelledby="dry-title" data-testid="dry-run-report">
            <h2 id="dry-title">{tr(Key::DryRunResult)}</h2>
            <p class="muted">{format!("{} ", fmt_int(report.total_records.into()))}{tr(Key::RecordsNothingWritten)}</p>
            <div class="stats">
                {stats.into_iter().map(|(k, n, id)| view! { <crate::components::Stat label=k value=fmt_int(n.into()) testid=id/> }).collect_view()}
            </div>
            {report.would_stop.then(|| view! { <p class="note note-warn">{tr(Key::WouldStop)}</p> })}
            {(!report.errors.is_empty()).then(|| view! { <RecordErrorsTable errors=report.errors.clone()/> })}
        </section>
    }
}

/// Why a record was refused, in the reader's language: the import's own reasons by name, the
/// table's rules by their error code (a check says its author's message).
fn reason(l: crate::i18n::Locale, e: &engine::eav::import::RecordError) -> String {
    use engine::ErrorCode as C;
    let field = e.field.clone().unwrap_or_default();
    let own = |k: Key, tail: &str| format!("{} {tail}", t(l, k)).trim_end().to_string();
    match e.error_type.as_str() {
        "MISSING_REQUIRED_FIELD" => own(Key::ReasonMissing, &field),
        "TRANSFORMATION_ERROR" => own(Key::ReasonTransform, &e.error_message),
        "MISSING_UPSERT_KEY" => own(Key::ReasonNoKey, &field),
        "AMBIGUOUS_UPSERT_KEY" => own(Key::ReasonAmbiguousKey, &field),
        "NOT_APPLIED" => own(Key::ReasonNotApplied, ""),
        other => match serde_json::from_value::<C>(serde_json::Value::String(other.to_string())) {
            Ok(C::CheckFailed) | Err(_) => e.error_message.clone(),
            Ok(code @ (C::UniqueViolated | C::ValueRequired)) => {
                crate::components::error_text(l, &engine::ErrorBody { code, message: field, details: serde_json::Value::Null })
            }
            Ok(code) => crate::components::error_text(l, &engine::ErrorBody { code, message: e.error_message.clone(), details: serde_json::Value::Null }),
        },
    }
}

/// Rejected records (and warnings): which record, which field, why, and the record itself.
#[component]
pub fn RecordErrorsTable(errors: Vec<engine::eav::import::RecordError>) -> impl IntoView {
    let locale = use_locale();
    view! {
        <div class="table-wrap"><table class="table table-compact" data-testid="record-errors">
            <thead><tr>
                <th scope="col" class="num">{tr(Key::Record)}</th>
                <th scope="col">{tr(Key::Identifier)}</th>
                <th scope="col">{tr(Key::Field)}</th>
                <th scope="col">{tr(Key::Reason)}</th>
                <th scope="col">{tr(Key::Data)}</th>
            </tr></thead>
            <tbody>
                {errors.into_iter().map(|e| view! {
                    <tr data-testid="record-error" class:warning=e.severity == "warning">
                        <td class="num">{e.record_number}</td>
                        <td><code>{e.record_identifier.clone()}</code></td>
                        <td><code>{e.field.clone().unwrap_or_default()}</code></td>
                        <td>{let e2 = e.clone(); move || reason(locale.get(), &e2)}" "<span class="chip">{e.error_type.clone()}</span></td>
                        <td><code class="raw">{e.record_data.to_string()}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
