//! The upload wizard: upload (progress bar, at `/upload`) → review every table found (counts,
//! detected types with their evidence, warnings, skipped and failed entries, first rows, rejected
//! rows) → choose the description column(s), cleaning and de-duplication with a live preview →
//! confirm. From the review on, the step is in the address (`/uploads/{id}?step=clean`), so the back
//! button goes back a step and a link opens the step it names. The result is a dataset, whose page
//! opens next.

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

/// Where the first step is: choosing a file, sending it, the server reading it, or a failure.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Sending {
    Choose,
    Uploading(f64),
    Reading,
    Failed(AppError),
}

/// The steps after the upload, each with its own address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    Review,
    Clean,
    Confirm,
}

impl Stage {
    fn param(self) -> &'static str {
        match self {
            Stage::Review => "review",
            Stage::Clean => "clean",
            Stage::Confirm => "confirm",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Stage::Review, Stage::Clean, Stage::Confirm].into_iter().find(|st| st.param() == s)
    }

    fn number(self) -> u8 {
        match self {
            Stage::Review => 2,
            Stage::Clean => 3,
            Stage::Confirm => 4,
        }
    }
}

/// Moves the wizard to a step: a new history entry, so the back button returns to this one.
pub(super) type GoTo = Callback<Stage>;

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
        let guess = summary.files.first().and_then(|f| engine::ingest::description_guess(&f.columns));
        self.descriptions.try_set(guess.into_iter().collect());
        self.name.try_set(summary.name.rsplit_once('.').map_or(summary.name.clone(), |(stem, _)| stem.to_string()));
        self.summary.try_set(Some(summary));
    }
}

/// The four steps, with the current one marked.
#[component]
fn StepsBar(#[prop(into)] current: Signal<u8>) -> impl IntoView {
    let class = move |n: u8| {
        let c = current.get();
        if n < c { "step done" } else if n == c { "step current" } else { "step" }
    };
    let aria = move |n: u8| (current.get() == n).then_some("step");
    view! {
        <ol class="steps" data-testid="wizard-steps">
            <li class=move || class(1) aria-current=move || aria(1)>{tr(Key::StepUpload)}</li>
            <li class=move || class(2) aria-current=move || aria(2)>{tr(Key::StepReview)}</li>
            <li class=move || class(3) aria-current=move || aria(3)>{tr(Key::StepClean)}</li>
            <li class=move || class(4) aria-current=move || aria(4)>{tr(Key::StepConfirm)}</li>
        </ol>
    }
}

/// `/upload`: the wizard's first step. Once the file is read, the review step opens at the upload's
/// own address.
#[component]
pub fn NewUploadPage() -> impl IntoView {
    let sending = RwSignal::new(Sending::Choose);
    view! {
        <section class="panel" aria-labelledby="upload-title">
            <h1 id="upload-title">{tr(Key::UploadTitle)}</h1>
            <StepsBar current=1/>
            <UploadStep sending/>
        </section>
    }
}

/// `/uploads/:id?step=review|clean|confirm`: an upload in the wizard, at the step the address names.
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
        <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
            {move || Suspend::new(async move {
                match upload.await {
                    Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                    Ok(summary) => view! { <UploadSteps summary/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The steps after the upload. The choices live here, so moving between steps (by the buttons or
/// the browser's back and forward) keeps them.
#[component]
fn UploadSteps(summary: UploadSummary) -> impl IntoView {
    let upload_id = summary.id;
    let query = leptos_router::hooks::use_query_map();
    let stage = Memo::new(move |_| query.with(|q| q.get("step").and_then(|s| Stage::parse(&s))).unwrap_or(Stage::Review));
    let navigate = leptos_router::hooks::use_navigate();
    let go: GoTo = Callback::new(move |st: Stage| navigate(&format!("/uploads/{upload_id}?step={}", st.param()), Default::default()));
    let choices = Choices {
        summary: RwSignal::new(None),
        kept: RwSignal::new(vec![]),
        descriptions: RwSignal::new(vec![]),
        clean: RwSignal::new(CleanOptions::default()),
        dedup: RwSignal::new("cleaned"),
        keys: RwSignal::new(vec![]),
        name: RwSignal::new(String::new()),
    };
    choices.start(summary);
    view! {
        <section class="panel" aria-labelledby="upload-title">
            <h1 id="upload-title">{tr(Key::UploadTitle)}</h1>
            <StepsBar current=Signal::derive(move || stage.get().number())/>
            {move || match stage.get() {
                Stage::Review => view! { <ReviewStep go choices/> }.into_any(),
                Stage::Clean => view! { <CleanStep go choices/> }.into_any(),
                Stage::Confirm => view! { <ConfirmStep go choices/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn UploadStep(sending: RwSignal<Sending>) -> impl IntoView {
    let file_input = NodeRef::<leptos::html::Input>::new();
    let locale = use_locale();
    let dragging = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    let send = move |file: web_sys::File| {
        sending.try_set(Sending::Uploading(0.0));
        let sent = browser::upload_file(
            file,
            move |p| {
                sending.try_set(if p >= 1.0 { Sending::Reading } else { Sending::Uploading(p) });
            },
            move |status, body| {
                if status == 201 {
                    match serde_json::from_str::<UploadSummary>(&body) {
                        Ok(summary) => browser::go(&format!("/uploads/{}?step=review", summary.id)),
                        Err(e) => {
                            sending.try_set(Sending::Failed(AppError::new(engine::ErrorCode::Network, e.to_string())));
                        }
                    }
                } else {
                    sending.try_set(Sending::Failed(browser::api_error(status, &body)));
                }
            },
        );
        if let Err(e) = sent {
            sending.try_set(Sending::Failed(AppError::new(engine::ErrorCode::Network, e)));
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
        {move || match sending.get() {
            Sending::Uploading(p) => view! {
                <div class="stack-sm">
                    <ProgressBar value=Signal::derive(move || p) label=Signal::derive(move || t(locale.get(), Key::Uploading).to_string())/>
                    <p class="muted">{tr(Key::Uploading)}" "{crate::format::fmt_pct(p, 0)}</p>
                </div>
            }.into_any(),
            Sending::Reading => view! {
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
                    {match other { Sending::Failed(e) => Some(view! { <div data-testid="upload-error"><ErrorNote error=e/></div> }), _ => None }}
                </div>
            }.into_any(),
        }}
    }
}

#[component]
fn ReviewStep(go: GoTo, choices: Choices) -> impl IntoView {
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
                    <ul>{summary.skipped.iter().map(|s| view! { <li><code>{s.name.clone()}</code>" — "{crate::components::note(&s.reason)}</li> }).collect_view()}</ul>
                </details>
            })}
            {(!summary.failed.is_empty()).then(|| view! {
                <div class="note note-error" data-testid="failed">
                    <strong>{tr(Key::FailedFiles)}</strong>
                    <ul>{summary.failed.iter().map(|s| view! { <li><code>{s.name.clone()}</code>" — "{crate::components::note(&s.reason)}</li> }).collect_view()}</ul>
                </div>
            })}
            {any_rejected.then(|| view! { <RejectedList upload_id/> })}
            <div class="actions">
                <a class="btn" href="/upload" data-testid="upload-another">{tr(Key::UploadAnother)}</a>
                <button class="btn btn-primary" data-testid="to-clean" disabled=move || choices.kept.get().is_empty()
                    on:click=move |_| go.run(Stage::Clean)>{tr(Key::Next2)}</button>
                {move || choices.kept.get().is_empty().then(|| view! { <span class="warn">{tr(Key::ChooseTables)}</span> })}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn ConfirmStep(go: GoTo, choices: Choices) -> impl IntoView {
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
                <button class="btn" data-testid="confirm-back" on:click=move |_| go.run(Stage::Clean)>{tr(Key::Back)}</button>
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
