//! Datasets: the upload wizard (file → description column → classify) and the list of datasets.

#[cfg(feature = "hydrate")]
use engine::ingest::ColumnType;
use engine::ingest::UploadSummary;
use leptos::prelude::*;

use crate::api::{ClassifyUpload, list_datasets};
use crate::components::{ErrorNote, ProgressBar, browser};
use crate::i18n::{Key, t, tr, use_locale};

// Only the browser moves past `Choose` (the upload runs in it).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Choose,
    Uploading(f64),
    Reading,
    Failed(String),
    Uploaded(UploadSummary),
}

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let datasets = Resource::new(|| (), |_| list_datasets());
    let locale = use_locale();
    view! {
        <div class="stack">
            <UploadWizard/>
            <section class="panel">
                <h2>{tr(Key::DatasetsTitle)}</h2>
                <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match datasets.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! { <p class="muted">{tr(Key::NoDatasets)}</p> }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap"><table class="table">
                                    <thead><tr>
                                        <th scope="col">{tr(Key::Name)}</th>
                                        <th scope="col" class="num">{tr(Key::Rows)}</th>
                                        <th scope="col" class="num">{tr(Key::UniqueLines)}</th>
                                        <th scope="col">{tr(Key::DescriptionColumn)}</th>
                                        <th scope="col">{tr(Key::Created)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|d| view! {
                                            <tr>
                                                <td>{d.name}</td>
                                                <td class="num">{fmt_int(d.rows)}</td>
                                                <td class="num">{fmt_int(d.unique_lines)}</td>
                                                <td><code>{d.description_column}</code></td>
                                                <td>{d.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <span hidden>{move || locale.get().code()}</span>
        </div>
    }
}

pub fn fmt_int(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[component]
fn UploadWizard() -> impl IntoView {
    let step = RwSignal::new(Step::Choose);
    let column = RwSignal::new(String::new());
    let classify = ServerAction::<ClassifyUpload>::new();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let locale = use_locale();
    Effect::new(move || {
        if let Some(Ok(run_id)) = classify.value().get() {
            browser::go(&format!("/runs/{run_id}"));
        }
    });
    let start_upload = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(input) = file_input.get() else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            step.set(Step::Uploading(0.0));
            let sent = browser::upload_file(
                file,
                move |p| step.set(if p >= 1.0 { Step::Reading } else { Step::Uploading(p) }),
                move |status, body| {
                    if status == 201 {
                        match serde_json::from_str::<UploadSummary>(&body) {
                            Ok(summary) => {
                                let best = summary.files.first().and_then(|f| {
                                    f.columns.iter().find(|c| c.kind == ColumnType::Text).or(f.columns.first())
                                });
                                column.set(best.map(|c| c.name.clone()).unwrap_or_default());
                                step.set(Step::Uploaded(summary));
                            }
                            Err(e) => step.set(Step::Failed(e.to_string())),
                        }
                    } else {
                        let msg = serde_json::from_str::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["error"]["message"].as_str().map(String::from))
                            .unwrap_or_else(|| format!("HTTP {status}"));
                        step.set(Step::Failed(msg));
                    }
                },
            );
            if let Err(e) = sent {
                step.set(Step::Failed(e));
            }
        }
        let _ = file_input;
    };
    let step_class = move |n: u8| {
        let current = match step.get() {
            Step::Uploaded(_) => 2,
            _ => 1,
        };
        if n < current { "step done" } else if n == current { "step current" } else { "step" }
    };
    view! {
        <section class="panel" aria-labelledby="upload-title">
            <h1 id="upload-title">{tr(Key::UploadTitle)}</h1>
            <ol class="steps">
                <li class=move || step_class(1)>{tr(Key::StepUpload)}</li>
                <li class=move || step_class(2)>{tr(Key::StepColumn)}</li>
                <li class=move || step_class(3)>{tr(Key::StepRun)}</li>
            </ol>
            {move || match step.get() {
                Step::Choose | Step::Failed(_) => view! {
                    <div class="dropzone">
                        <label class="field">
                            <span>{tr(Key::DropHere)}</span>
                            <input type="file" name="file" accept=".csv,.tsv,.txt" node_ref=file_input
                                data-testid="file-input" on:change=start_upload/>
                        </label>
                        <p class="hint">{tr(Key::UploadHelp)}</p>
                        {match step.get() { Step::Failed(m) => Some(view! { <p class="note note-error" role="alert">{m}</p> }), _ => None }}
                    </div>
                }.into_any(),
                Step::Uploading(p) => view! {
                    <div class="stack-sm">
                        <ProgressBar value=Signal::derive(move || p) label=Signal::derive(move || t(locale.get(), Key::Uploading).to_string())/>
                        <p class="muted">{tr(Key::Uploading)}" "{format!("{:.0} %", p * 100.0)}</p>
                    </div>
                }.into_any(),
                Step::Reading => view! { <p class="muted" aria-live="polite">{tr(Key::Processing)}</p> }.into_any(),
                Step::Uploaded(summary) => {
                    let upload_id = summary.id;
                    view! {
                        <div class="stack-sm">
                            {summary.files.iter().map(|f| view! {
                                <div class="file-card">
                                    <strong>{f.name.clone()}</strong>
                                    <span class="badge">{f.format.to_uppercase()}</span>
                                    <span data-testid="rows-stored">{fmt_int(f.rows)}" "{tr(Key::RowsStored)}</span>
                                    <span class={if f.rejected > 0 { "warn" } else { "muted" }} data-testid="rows-rejected">
                                        {fmt_int(f.rejected)}" "{tr(Key::RowsRejected)}
                                    </span>
                                </div>
                            }).collect_view()}
                            <label class="field">
                                <span>{tr(Key::DescriptionColumn)}</span>
                                <select name="column" data-testid="column-select"
                                    on:change=move |ev| column.set(event_target_value(&ev)) prop:value=move || column.get()>
                                    {summary.files.first().map(|f| f.columns.iter().map(|c| {
                                        let name = c.name.clone();
                                        let selected = name == column.get_untracked();
                                        view! { <option value=name.clone() selected=selected>{format!("{} ({:?})", name, c.kind).to_lowercase()}</option> }
                                    }).collect_view())}
                                </select>
                                <small class="hint">{tr(Key::DescriptionColumnHelp)}</small>
                            </label>
                            <button class="btn btn-primary" data-testid="classify"
                                disabled=move || classify.pending().get() || column.get().is_empty()
                                on:click=move |_| { classify.dispatch(ClassifyUpload { upload_id, column: column.get_untracked() }); }>
                                {move || if classify.pending().get() { tr(Key::Working)() } else { tr(Key::CreateDataset)() }}
                            </button>
                            {move || classify.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}
