//! Importing last year's labelled ledger into a prompt's examples: pick an uploaded table, its text
//! and category columns, see the labels against the prompt's categories (map, merge into one,
//! create, skip), the duplicates and the conflicting labels, then import.

use std::collections::HashMap;

use engine::classify::examples::{ExamplesImport, ExamplesPreview, LabelAction, LabelChoice, LabelledSource};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{ImportPromptExamples, PreviewExamples, get_upload, recent_uploads};
use crate::components::{ErrorNote, Stat};
use crate::format::fmt_int;
use crate::i18n::{Key, tr};

/// What a label's select holds: `create`, `skip` or `map:<category>`.
fn action_value(a: &LabelAction) -> String {
    match a {
        LabelAction::Create => "create".into(),
        LabelAction::Skip => "skip".into(),
        LabelAction::Map { category } => format!("map:{category}"),
    }
}

fn action_of(v: &str) -> LabelAction {
    match v {
        "create" => LabelAction::Create,
        "skip" => LabelAction::Skip,
        other => LabelAction::Map { category: other.strip_prefix("map:").unwrap_or(other).to_string() },
    }
}

#[component]
pub fn ImportExamples(prompt_id: Uuid, on_done: Callback<bool>) -> impl IntoView {
    let upload = RwSignal::new(None::<Uuid>);
    let table = RwSignal::new(None::<Uuid>);
    let text_columns = RwSignal::new(Vec::<String>::new());
    let label_column = RwSignal::new(String::new());
    let choices = RwSignal::new(HashMap::<String, LabelAction>::new());
    let uploads = Resource::new(|| (), |_| recent_uploads());
    let summary = Resource::new(move || upload.get(), |u| async move {
        match u {
            Some(u) => get_upload(u).await.map(Some),
            None => Ok(None),
        }
    });
    let preview = ServerAction::<PreviewExamples>::new();
    let import = ServerAction::<ImportPromptExamples>::new();
    let source = move || {
        Some(LabelledSource {
            upload_id: upload.get_untracked()?,
            table_id: table.get_untracked()?,
            text_columns: text_columns.get_untracked(),
            label_column: label_column.get_untracked(),
        })
    };
    Effect::new(move || {
        if let Some(Ok(p)) = preview.value().get() {
            choices.set(p.labels.iter().map(|l| (l.label.clone(), l.suggested.clone())).collect());
        }
    });
    Effect::new(move || {
        if let Some(Ok(done)) = import.value().get() {
            on_done.run(!done.created_categories.is_empty());
        }
    });
    view! {
        <details class="import-examples" data-testid="import-examples">
            <summary>{tr(Key::ImportLabelled)}</summary>
            <p class="hint">{tr(Key::ImportLabelledHint)}</p>
            <div class="form-grid">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = uploads.await.unwrap_or_default();
                        view! {
                            <label class="field">
                                <span>{tr(Key::UploadedFile)}</span>
                                <select data-testid="labelled-upload" on:change=move |ev| {
                                    upload.set(Uuid::parse_str(&event_target_value(&ev)).ok());
                                    table.set(None);
                                    text_columns.set(Vec::new());
                                    label_column.set(String::new());
                                }>
                                    <option value="">"—"</option>
                                    {list.into_iter().map(|u| view! { <option value=u.id.to_string()>{u.name}" · "{fmt_int(u.rows)}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let files = summary.await.ok().flatten().map(|s| s.files).unwrap_or_default();
                        if table.get_untracked().is_none() && files.len() == 1 {
                            table.set(Some(files[0].table_id));
                        }
                        let columns: HashMap<Uuid, Vec<String>> = files.iter().map(|f| (f.table_id, f.columns.iter().map(|c| c.name.clone()).collect())).collect();
                        let cols = move || table.get().and_then(|t| columns.get(&t).cloned()).unwrap_or_default();
                        let cols2 = cols.clone();
                        view! {
                            <label class="field">
                                <span>{tr(Key::Table)}</span>
                                <select data-testid="labelled-table" on:change=move |ev| table.set(Uuid::parse_str(&event_target_value(&ev)).ok())>
                                    <option value="">"—"</option>
                                    {files.iter().map(|f| {
                                        let id = f.table_id;
                                        view! { <option value=id.to_string() selected=move || table.get() == Some(id)>{f.name.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <fieldset class="field field-wide">
                                <legend>{tr(Key::TextColumns)}</legend>
                                <div class="chips">
                                    {move || cols().into_iter().map(|c| {
                                        let name = c.clone();
                                        let checked = c.clone();
                                        view! {
                                            <label class="check">
                                                <input type="checkbox" data-testid="text-column" value=c.clone()
                                                    prop:checked=move || text_columns.with(|t| t.contains(&checked))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        text_columns.update(|t| { t.retain(|x| *x != name); if on { t.push(name.clone()); } });
                                                    }/>
                                                {c}
                                            </label>
                                        }
                                    }).collect_view()}
                                </div>
                            </fieldset>
                            <label class="field">
                                <span>{tr(Key::LabelColumn)}</span>
                                <select data-testid="label-column" on:change=move |ev| label_column.set(event_target_value(&ev))>
                                    <option value="">"—"</option>
                                    {move || cols2().into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
            </div>
            <div class="actions">
                <button class="btn" data-testid="preview-labelled"
                    disabled=move || preview.pending().get() || upload.get().is_none() || table.get().is_none() || label_column.get().is_empty() || text_columns.with(Vec::is_empty)
                    on:click=move |_| if let Some(source) = source() { preview.dispatch(PreviewExamples { prompt_id, source }); }>
                    {move || if preview.pending().get() { tr(Key::Working)() } else { tr(Key::PreviewLabels)() }}
                </button>
            </div>
            {move || preview.value().get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(p) => view! { <LabelMapping p choices/> }.into_any(),
            })}
            <Show when=move || matches!(preview.value().get(), Some(Ok(_)))>
                <div class="actions">
                    <button class="btn btn-primary" data-testid="import-labelled" disabled=move || import.pending().get()
                        on:click=move |_| if let Some(source) = source() {
                            let mapping = choices.get_untracked().into_iter().map(|(label, action)| LabelChoice { label, action }).collect();
                            import.dispatch(ImportPromptExamples { prompt_id, request: ExamplesImport { source, mapping } });
                        }>
                        {move || if import.pending().get() { tr(Key::Working)() } else { tr(Key::ImportExamplesAction)() }}
                    </button>
                </div>
            </Show>
            {move || import.value().get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(d) => view! {
                    <p class="note" role="status" data-testid="imported">
                        {tr(Key::ImportedExamples)}" "{fmt_int(d.added)}" · "{tr(Key::Replaced)}" "{fmt_int(d.replaced)}
                        " · "{tr(Key::Unchanged)}" "{fmt_int(d.unchanged)}" · "{tr(Key::SkippedRows)}" "{fmt_int(d.skipped)}
                        " · "{tr(Key::ExampleSet)}" v"{d.examples_version}
                        {(!d.created_categories.is_empty()).then(|| view! {
                            <br/>{tr(Key::CreatedCategories)}" "{d.created_categories.join(", ")}" · "{tr(Key::SavedVersion)}" "{d.prompt_version.unwrap_or(0)}
                        })}
                    </p>
                }.into_any(),
            })}
        </details>
    }
}

/// The file's labels with their counts, each with its action; duplicates and conflicts counted.
#[component]
fn LabelMapping(p: ExamplesPreview, choices: RwSignal<HashMap<String, LabelAction>>) -> impl IntoView {
    let prompt_categories = p.categories.clone();
    view! {
        <div class="stats" data-testid="labelled-stats">
            <Stat label=Key::RowsRead value=fmt_int(p.rows) testid="labelled-rows"/>
            <Stat label=Key::DistinctTexts value=fmt_int(p.distinct) testid="labelled-distinct"/>
            <Stat label=Key::Duplicates value=fmt_int(p.duplicates) testid="labelled-duplicates"/>
            <Stat label=Key::ConflictingLabels value=fmt_int(p.conflicts) testid="labelled-conflicts"/>
            <Stat label=Key::EmptySkipped value=fmt_int(p.empty) testid="labelled-empty"/>
        </div>
        {(!p.conflict_samples.is_empty()).then(|| view! {
            <details>
                <summary>{tr(Key::ConflictingLabels)}" ("{p.conflict_samples.len()}")"</summary>
                <ul class="example-list">
                    {p.conflict_samples.into_iter().map(|c| view! {
                        <li><span class="example-text">{c.text}</span>
                            <span class="muted">{c.labels.into_iter().map(|l| format!("{} × {}", l.name, l.count)).collect::<Vec<_>>().join(" · ")}</span></li>
                    }).collect_view()}
                </ul>
            </details>
        })}
        <div class="table-wrap"><table class="table" data-testid="label-mapping">
            <thead><tr>
                <th scope="col">{tr(Key::Label)}</th>
                <th scope="col" class="num">{tr(Key::Lines)}</th>
                <th scope="col">{tr(Key::Action)}</th>
            </tr></thead>
            <tbody>
                {p.labels.into_iter().map(|l| {
                    let label = l.label.clone();
                    let current = l.label.clone();
                    let cats = prompt_categories.clone();
                    view! {
                        <tr data-testid="label-row" data-label=l.label.clone()>
                            <td>{l.label.clone()}</td>
                            <td class="num">{fmt_int(l.lines)}</td>
                            <td>
                                <select data-testid="label-action" aria-label=l.label.clone()
                                    prop:value=move || choices.with(|c| c.get(&current).map(action_value).unwrap_or_default())
                                    on:change=move |ev| { let a = action_of(&event_target_value(&ev)); choices.update(|c| { c.insert(label.clone(), a); }); }>
                                    <option value="create">{tr(Key::CreateCategory)}</option>
                                    <option value="skip">{tr(Key::SkipLabel)}</option>
                                    {cats.into_iter().map(|c| view! { <option value=format!("map:{c}")>"→ "{c.clone()}</option> }).collect_view()}
                                </select>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
