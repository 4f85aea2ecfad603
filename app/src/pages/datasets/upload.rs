//! The upload wizard: upload (progress bar) → review every table found (counts, detected types with
//! their evidence, warnings, skipped and failed entries, first rows, rejected rows) → choose the
//! description column(s), cleaning and de-duplication with a live preview → confirm. The result is a
//! dataset, whose page opens next.

use crate::api::AppError;
use engine::clean::{CleanOptions, DedupStrategy, NewDataset};
use engine::ingest::{ColumnType, FileSummary, UploadSummary};
use leptos::prelude::*;
use uuid::Uuid;

use crate::format::fmt_int;
use super::upload_clean::CleanStep;
use super::upload_tables::TableCard;
use crate::api::BuildDataset;
use crate::components::{ErrorNote, ProgressBar, RejectedList, browser};
use crate::i18n::{Key, t, tr, use_locale};

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Step {
    Choose,
    Uploading(f64),
    Reading,
    Failed(AppError),
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
pub(super) struct Choices {
    pub(super) summary: RwSignal<Option<UploadSummary>>,
    pub(super) kept: RwSignal<Vec<Uuid>>,
    pub(super) descriptions: RwSignal<Vec<String>>,
    pub(super) clean: RwSignal<CleanOptions>,
    pub(super) dedup: RwSignal<&'static str>,
    pub(super) keys: RwSignal<Vec<String>>,
    pub(super) name: RwSignal<String>,
}

impl Choices {
    fn kept_tables(&self) -> Vec<FileSummary> {
        let kept = self.kept.get();
        self.summary.get().map(|s| s.files.into_iter().filter(|f| kept.contains(&f.table_id)).collect()).unwrap_or_default()
    }

    /// Columns present in every kept table, in the first table's order.
    pub(super) fn common_columns(&self) -> Vec<(String, ColumnType)> {
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

    /// Called when an upload's answer arrives, perhaps after the user left the page (then the
    /// `try_` writes do nothing).
    fn start(&self, summary: UploadSummary) {
        self.kept.try_set(summary.files.iter().filter(|f| f.rows > 0).map(|f| f.table_id).collect());
        // A good first guess for the description: the text column with the longest examples.
        let guess = summary.files.first().and_then(|f| {
            f.columns
                .iter()
                .filter(|c| c.kind == ColumnType::Text)
                .max_by_key(|c| c.evidence.examples.iter().map(|e| e.value.len()).max().unwrap_or(0))
                .or(f.columns.first())
                .map(|c| c.name.clone())
        });
        self.descriptions.try_set(guess.into_iter().collect());
        self.name.try_set(summary.name.rsplit_once('.').map_or(summary.name.clone(), |(stem, _)| stem.to_string()));
        self.summary.try_set(Some(summary));
    }
}

/// The wizard; with `resume`, it opens on the review step of an upload made earlier.
#[component]
pub fn UploadWizard(#[prop(optional)] resume: Option<UploadSummary>) -> impl IntoView {
    let step = RwSignal::new(if resume.is_some() { Step::Review } else { Step::Choose });
    let choices = Choices {
        summary: RwSignal::new(None),
        kept: RwSignal::new(vec![]),
        descriptions: RwSignal::new(vec![]),
        clean: RwSignal::new(CleanOptions::default()),
        dedup: RwSignal::new("cleaned"),
        keys: RwSignal::new(vec![]),
        name: RwSignal::new(String::new()),
    };
    if let Some(summary) = resume {
        choices.start(summary);
    }
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
        step.try_set(Step::Uploading(0.0));
        let sent = browser::upload_file(
            file,
            move |p| {
                step.try_set(if p >= 1.0 { Step::Reading } else { Step::Uploading(p) });
            },
            move |status, body| {
                if status == 201 {
                    match serde_json::from_str::<UploadSummary>(&body) {
                        Ok(summary) => {
                            choices.start(summary);
                            step.try_set(Step::Review);
                        }
                        Err(e) => {
                            step.try_set(Step::Failed(AppError::new(engine::ErrorCode::Network, e.to_string())));
                        }
                    }
                } else {
                    step.try_set(Step::Failed(browser::api_error(status, &body)));
                }
            },
        );
        if let Err(e) = sent {
            step.try_set(Step::Failed(AppError::new(engine::ErrorCode::Network, e)));
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
                    {match other { Step::Failed(e) => Some(view! { <div data-testid="upload-error"><ErrorNote error=e/></div> }), _ => None }}
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

/// `/uploads/:id`: an earlier upload, back in the wizard at its review step.
#[component]
pub fn UploadPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let upload = Resource::new(id, |id| async move {
        match id {
            Some(id) => crate::api::get_upload(id).await,
            None => Err(AppError::new(engine::ErrorCode::UploadNotFound, "upload not found")),
        }
    });
    view! {
        <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match upload.await {
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    Ok(summary) => view! { <UploadWizard resume=summary/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
