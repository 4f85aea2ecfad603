//! The upload wizard: upload (progress bar) → review every table found (counts, detected types with
//! their evidence, warnings, skipped and failed entries, first rows, rejected rows) → choose the
//! description column(s), cleaning and de-duplication with a live preview → confirm. The result is a
//! dataset, whose page opens next.

use engine::clean::{CleanOptions, DedupStrategy, NewDataset, clean_text};
use engine::ingest::{ColumnType, FileSummary, UploadSummary};
use leptos::prelude::*;
use uuid::Uuid;

use super::datasets::fmt_int;
use super::upload_tables::{RejectedList, TableCard};
use crate::api::{BuildDataset, preview_table};
use crate::components::{ErrorNote, ProgressBar, browser};
use crate::i18n::{Key, t, tr, use_locale};

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Choose,
    Uploading(f64),
    Reading,
    Failed(String),
    Review,
    Clean,
    Confirm,
}

impl Step {
    fn number(&self) -> u8 {
        match self {
            Step::Review => 2,
            Step::Clean => 3,
            Step::Confirm => 4,
            _ => 1,
        }
    }
}

/// What the user has chosen so far; shared by the steps.
#[derive(Clone, Copy)]
struct Choices {
    summary: RwSignal<Option<UploadSummary>>,
    kept: RwSignal<Vec<Uuid>>,
    descriptions: RwSignal<Vec<String>>,
    clean: RwSignal<CleanOptions>,
    dedup: RwSignal<&'static str>,
    keys: RwSignal<Vec<String>>,
    name: RwSignal<String>,
}

impl Choices {
    fn kept_tables(&self) -> Vec<FileSummary> {
        let kept = self.kept.get();
        self.summary.get().map(|s| s.files.into_iter().filter(|f| kept.contains(&f.table_id)).collect()).unwrap_or_default()
    }

    /// Columns present in every kept table, in the first table's order.
    fn common_columns(&self) -> Vec<(String, ColumnType)> {
        let tables = self.kept_tables();
        let Some(first) = tables.first() else { return vec![] };
        first
            .columns
            .iter()
            .filter(|c| tables.iter().all(|t| t.columns.iter().any(|o| o.name == c.name)))
            .map(|c| (c.name.clone(), c.kind))
            .collect()
    }

    fn request(&self) -> Option<NewDataset> {
        let summary = self.summary.get_untracked()?;
        let dedup = match self.dedup.get_untracked() {
            "exact" => DedupStrategy::Exact,
            "key_columns" => DedupStrategy::KeyColumns { columns: self.keys.get_untracked() },
            _ => DedupStrategy::Cleaned,
        };
        Some(NewDataset {
            upload_id: summary.id,
            table_ids: self.kept.get_untracked(),
            description_columns: self.descriptions.get_untracked(),
            name: Some(self.name.get_untracked()).filter(|n| !n.trim().is_empty()),
            clean: self.clean.get_untracked(),
            dedup,
            ..Default::default()
        })
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn start(&self, summary: UploadSummary) {
        self.kept.set(summary.files.iter().filter(|f| f.rows > 0).map(|f| f.table_id).collect());
        // A good first guess for the description: the text column with the longest examples.
        let guess = summary.files.first().and_then(|f| {
            f.columns
                .iter()
                .filter(|c| c.kind == ColumnType::Text)
                .max_by_key(|c| c.evidence.examples.iter().map(|e| e.value.len()).max().unwrap_or(0))
                .or(f.columns.first())
                .map(|c| c.name.clone())
        });
        self.descriptions.set(guess.into_iter().collect());
        self.name.set(summary.name.rsplit_once('.').map_or(summary.name.clone(), |(stem, _)| stem.to_string()));
        self.summary.set(Some(summary));
    }
}

#[component]
pub fn UploadWizard() -> impl IntoView {
    let step = RwSignal::new(Step::Choose);
    let choices = Choices {
        summary: RwSignal::new(None),
        kept: RwSignal::new(vec![]),
        descriptions: RwSignal::new(vec![]),
        clean: RwSignal::new(CleanOptions::default()),
        dedup: RwSignal::new("cleaned"),
        keys: RwSignal::new(vec![]),
        name: RwSignal::new(String::new()),
    };
    let step_class = move |n: u8| {
        let current = step.get().number();
        if n < current { "step done" } else if n == current { "step current" } else { "step" }
    };
    view! {
        <section class="panel" aria-labelledby="upload-title">
            <h1 id="upload-title">{tr(Key::UploadTitle)}</h1>
            <ol class="steps">
                <li class=move || step_class(1)>{tr(Key::StepUpload)}</li>
                <li class=move || step_class(2)>{tr(Key::StepReview)}</li>
                <li class=move || step_class(3)>{tr(Key::StepClean)}</li>
                <li class=move || step_class(4)>{tr(Key::StepConfirm)}</li>
            </ol>
            {move || match step.get() {
                Step::Choose | Step::Failed(_) | Step::Uploading(_) | Step::Reading => view! { <UploadStep step choices/> }.into_any(),
                Step::Review => view! { <ReviewStep step choices/> }.into_any(),
                Step::Clean => view! { <CleanStep step choices/> }.into_any(),
                Step::Confirm => view! { <ConfirmStep step choices/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn UploadStep(step: RwSignal<Step>, choices: Choices) -> impl IntoView {
    let file_input = NodeRef::<leptos::html::Input>::new();
    let locale = use_locale();
    let dragging = RwSignal::new(false);
    let _ = choices; // only the browser uploads
    #[cfg(feature = "hydrate")]
    let send = move |file: web_sys::File| {
        step.set(Step::Uploading(0.0));
        let sent = browser::upload_file(
            file,
            move |p| step.set(if p >= 1.0 { Step::Reading } else { Step::Uploading(p) }),
            move |status, body| {
                if status == 201 {
                    match serde_json::from_str::<UploadSummary>(&body) {
                        Ok(summary) => {
                            choices.start(summary);
                            step.set(Step::Review);
                        }
                        Err(e) => step.set(Step::Failed(e.to_string())),
                    }
                } else {
                    step.set(Step::Failed(browser::api_error_message(status, &body)));
                }
            },
        );
        if let Err(e) = sent {
            step.set(Step::Failed(e));
        }
    };
    let on_change = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(file) = file_input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) {
            send(file);
        }
        let _ = file_input;
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            send(file);
        }
    };
    view! {
        {move || match step.get() {
            Step::Uploading(p) => view! {
                <div class="stack-sm">
                    <ProgressBar value=Signal::derive(move || p) label=Signal::derive(move || t(locale.get(), Key::Uploading).to_string())/>
                    <p class="muted">{tr(Key::Uploading)}" "{format!("{:.0} %", p * 100.0)}</p>
                </div>
            }.into_any(),
            Step::Reading => view! {
                <div class="stack-sm" aria-live="polite">
                    <div class="progress progress-indeterminate" role="progressbar" aria-label=move || t(locale.get(), Key::Processing)><div class="progress-fill"></div></div>
                    <p class="muted">{tr(Key::Processing)}</p>
                </div>
            }.into_any(),
            other => view! {
                <div class="dropzone" class:dragging=move || dragging.get()
                    on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop>
                    <label class="field">
                        <span>{tr(Key::DropHere)}</span>
                        <input type="file" name="file" node_ref=file_input data-testid="file-input"
                            accept=".csv,.tsv,.txt,.json,.jsonl,.ndjson,.xlsx,.xlsm,.xls,.xlsb,.ods,.zip" on:change=on_change/>
                    </label>
                    <p class="hint">{tr(Key::UploadHelp)}</p>
                    {match other { Step::Failed(m) => Some(view! { <p class="note note-error" role="alert" data-testid="upload-error">{m}</p> }), _ => None }}
                </div>
            }.into_any(),
        }}
    }
}

#[component]
fn ReviewStep(step: RwSignal<Step>, choices: Choices) -> impl IntoView {
    let summary = choices.summary.get_untracked();
    let Some(summary) = summary else { return view! { <p/> }.into_any() };
    let upload_id = summary.id;
    let any_rejected = summary.rejected() > 0;
    view! {
        <div class="stack">
            <p class="muted" data-testid="upload-totals">
                {summary.name.clone()}" · "{fmt_int(summary.files.len() as i64)}" "{tr(Key::TablesCount)}" · "
                {fmt_int(summary.rows())}" "{tr(Key::Stored)}" · "{fmt_int(summary.rejected())}" "{tr(Key::Rejected)}
            </p>
            {summary.files.iter().cloned().map(|f| view! { <TableCard upload_id table=f kept=choices.kept/> }).collect_view()}
            {(!summary.skipped.is_empty()).then(|| view! {
                <details class="note" data-testid="skipped">
                    <summary>{tr(Key::Skipped)}" ("{summary.skipped.len()}")"</summary>
                    <ul>{summary.skipped.iter().map(|s| view! { <li><code>{s.name.clone()}</code>" — "{s.reason.clone()}</li> }).collect_view()}</ul>
                </details>
            })}
            {(!summary.failed.is_empty()).then(|| view! {
                <div class="note note-error" data-testid="failed">
                    <strong>{tr(Key::FailedFiles)}</strong>
                    <ul>{summary.failed.iter().map(|s| view! { <li><code>{s.name.clone()}</code>" — "{s.reason.clone()}</li> }).collect_view()}</ul>
                </div>
            })}
            {any_rejected.then(|| view! { <RejectedList upload_id/> })}
            <div class="actions">
                <button class="btn" on:click=move |_| step.set(Step::Choose)>{tr(Key::Back)}</button>
                <button class="btn btn-primary" data-testid="to-clean" disabled=move || choices.kept.get().is_empty()
                    on:click=move |_| step.set(Step::Clean)>{tr(Key::Next2)}</button>
                {move || choices.kept.get().is_empty().then(|| view! { <span class="warn">{tr(Key::ChooseTables)}</span> })}
            </div>
        </div>
    }
    .into_any()
}

fn toggle(list: RwSignal<Vec<String>>, name: &str, on: bool) {
    list.update(|l| {
        l.retain(|c| c != name);
        if on {
            l.push(name.to_string());
        }
    });
}

#[component]
fn CleanStep(step: RwSignal<Step>, choices: Choices) -> impl IntoView {
    let columns = choices.common_columns();
    let upload_id = choices.summary.get_untracked().map(|s| s.id).unwrap_or_default();
    let kept = choices.kept.get_untracked();
    // Sample rows for the live preview: the first rows of every kept table.
    let samples = Resource::new(
        move || (),
        move |_| {
            let kept = kept.clone();
            async move {
                let mut rows: Vec<(Vec<String>, Vec<String>)> = Vec::new();
                for table_id in kept {
                    let p = preview_table(upload_id, table_id).await?;
                    rows.extend(p.rows.into_iter().map(|r| (p.columns.clone(), r.values)));
                }
                Ok::<_, ServerFnError>(rows)
            }
        },
    );
    let opt = move |label: Key, get: fn(&CleanOptions) -> bool, set: fn(&mut CleanOptions, bool), id: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox" data-testid=id prop:checked=move || get(&choices.clean.get())
                    on:change=move |ev| choices.clean.update(|c| set(c, event_target_checked(&ev)))/>
                {tr(label)}
            </label>
        }
    };
    view! {
        <div class="stack">
            <fieldset class="fieldset">
                <legend>{tr(Key::DescriptionColumns)}</legend>
                <div class="checks">{column_checks(columns.clone(), choices.descriptions, "desc")}</div>
                <small class="hint">{tr(Key::DescriptionColumnHelp)}</small>
            </fieldset>
            <fieldset class="fieldset">
                <legend>{tr(Key::Cleaning)}</legend>
                <div class="checks">
                    {opt(Key::OptLowercase, |c| c.lowercase, |c, v| c.lowercase = v, "opt-lowercase")}
                    {opt(Key::OptAccents, |c| c.strip_accents, |c, v| c.strip_accents = v, "opt-accents")}
                    {opt(Key::OptPunctuation, |c| c.strip_punctuation, |c, v| c.strip_punctuation = v, "opt-punctuation")}
                    {opt(Key::OptNoise, |c| c.strip_noise, |c, v| c.strip_noise = v, "opt-noise")}
                </div>
            </fieldset>
            <fieldset class="fieldset">
                <legend>{tr(Key::Dedup)}</legend>
                <div class="checks">
                    {[("exact", Key::DedupExact), ("cleaned", Key::DedupCleaned), ("key_columns", Key::DedupKeys)].into_iter().map(|(v, label)| view! {
                        <label class="check">
                            <input type="radio" name="dedup" value=v data-testid=format!("dedup-{v}")
                                prop:checked=move || choices.dedup.get() == v on:change=move |_| choices.dedup.set(v)/>
                            {tr(label)}
                        </label>
                    }).collect_view()}
                </div>
                {
                    let cols = columns.clone();
                    view! {
                        <Show when=move || choices.dedup.get() == "key_columns">
                            <div class="checks">{column_checks(cols.clone(), choices.keys, "key")}</div>
                        </Show>
                    }
                }
            </fieldset>
            <section aria-labelledby="clean-preview">
                <h3 id="clean-preview">{tr(Key::LivePreview)}</h3>
                <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match samples.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(rows) => view! { <CleanPreview rows choices/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <div class="actions">
                <button class="btn" on:click=move |_| step.set(Step::Review)>{tr(Key::Back)}</button>
                <button class="btn btn-primary" data-testid="to-confirm" disabled=move || choices.descriptions.get().is_empty()
                    on:click=move |_| step.set(Step::Confirm)>{tr(Key::Next2)}</button>
                {move || choices.descriptions.get().is_empty().then(|| view! { <span class="warn">{tr(Key::ChooseDescription)}</span> })}
            </div>
        </div>
    }
}

fn column_checks(columns: Vec<(String, ColumnType)>, list: RwSignal<Vec<String>>, prefix: &'static str) -> impl IntoView {
    columns
        .into_iter()
        .map(|(name, kind)| {
            let n = name.clone();
            let n2 = name.clone();
            view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("{prefix}-{name}") prop:checked=move || list.get().contains(&n)
                        on:change=move |ev| toggle(list, &n2, event_target_checked(&ev))/>
                    <code>{name.clone()}</code>" "<span class="badge">{kind.as_str()}</span>
                </label>
            }
        })
        .collect_view()
}

/// The description of sample rows before and after cleaning, recomputed in the browser as options change.
#[component]
fn CleanPreview(rows: Vec<(Vec<String>, Vec<String>)>, choices: Choices) -> impl IntoView {
    let rows = StoredValue::new(rows);
    let lines = move || {
        let desc = choices.descriptions.get();
        let opts = choices.clean.get();
        rows.with_value(|rows| {
            rows.iter()
                .map(|(cols, values)| {
                    let picked: Vec<String> = desc
                        .iter()
                        .filter_map(|d| cols.iter().position(|c| c == d).and_then(|i| values.get(i)).cloned())
                        .collect();
                    let original = engine::clean::description_text(&picked);
                    let clean = clean_text(&original, &opts);
                    (original, clean)
                })
                .collect::<Vec<_>>()
        })
    };
    let distinct = move || {
        let l = lines();
        let mut keys: Vec<String> = l
            .iter()
            .map(|(o, c)| if choices.dedup.get() == "exact" { o.clone() } else { c.clone() })
            .collect();
        keys.sort();
        keys.dedup();
        (keys.len(), l.len())
    };
    view! {
        <p class="muted" data-testid="sample-unique">
            {move || fmt_int(distinct().0 as i64)}" "{tr(Key::SampleUnique)}" "{move || fmt_int(distinct().1 as i64)}
        </p>
        <div class="table-wrap"><table class="table">
            <thead><tr><th scope="col">{tr(Key::Original)}</th><th scope="col">{tr(Key::CleanValue)}</th></tr></thead>
            <tbody>
                {move || lines().into_iter().take(10).map(|(o, c)| view! { <tr><td>{o}</td><td><code>{c}</code></td></tr> }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn ConfirmStep(step: RwSignal<Step>, choices: Choices) -> impl IntoView {
    let build = ServerAction::<BuildDataset>::new();
    Effect::new(move || {
        if let Some(Ok(d)) = build.value().get() {
            browser::go(&format!("/datasets/{}", d.id));
        }
    });
    let tables = choices.kept_tables();
    let rows: i64 = tables.iter().map(|t| t.rows).sum();
    let dedup_label = match choices.dedup.get_untracked() {
        "exact" => Key::DedupExact,
        "key_columns" => Key::DedupKeys,
        _ => Key::DedupCleaned,
    };
    view! {
        <div class="stack">
            <dl class="facts">
                <dt>{tr(Key::TablesKept)}</dt>
                <dd>{tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", ")}</dd>
                <dt>{tr(Key::Rows)}</dt><dd data-testid="confirm-rows">{fmt_int(rows)}</dd>
                <dt>{tr(Key::DescriptionColumns)}</dt><dd><code>{choices.descriptions.get_untracked().join(" + ")}</code></dd>
                <dt>{tr(Key::Dedup)}</dt><dd>{tr(dedup_label)}
                    {(choices.dedup.get_untracked() == "key_columns").then(|| format!(": {}", choices.keys.get_untracked().join(", ")))}</dd>
            </dl>
            <label class="field">
                <span>{tr(Key::DatasetName)}</span>
                <input type="text" data-testid="dataset-name" prop:value=move || choices.name.get()
                    on:input=move |ev| choices.name.set(event_target_value(&ev))/>
            </label>
            <div class="actions">
                <button class="btn" on:click=move |_| step.set(Step::Clean)>{tr(Key::Back)}</button>
                <button class="btn btn-primary" data-testid="create-dataset" disabled=move || build.pending().get()
                    on:click=move |_| {
                        if let Some(req) = choices.request() {
                            build.dispatch(BuildDataset { req });
                        }
                    }>
                    {move || if build.pending().get() { tr(Key::Working)() } else { tr(Key::CreateDatasetOnly)() }}
                </button>
            </div>
            {move || build.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </div>
    }
}
