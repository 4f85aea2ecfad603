//! Starting a classification: choose the prompt, the provider and its settings, and see the plan
//! (calls, cache hits, tokens, cost and the exact first call) update as you change them, before
//! anything is spent.

use engine::classify::{NewRun, ProviderKind, PromptSummary, RunDefaults, RunOverrides};
use engine::clean::DatasetSummary;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::format::fmt_int;
use crate::api::{StartClassification, get_dataset, get_prompts, get_run_defaults, plan_classification};
use crate::components::{ErrorNote, PlanView, browser};
use crate::i18n::{Key, tr};

#[component]
pub fn ClassifyPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    view! {
        {move || match id() {
            Some(id) => view! { <ClassifyView dataset_id=id/> }.into_any(),
            None => view! { <crate::components::NotFound/> }.into_any(),
        }}
    }
}

/// The form's fields as the user typed them; numbers stay text until they are sent.
#[derive(Clone, Copy)]
struct Fields {
    prompt: RwSignal<String>,
    provider: RwSignal<ProviderKind>,
    model: RwSignal<String>,
    chunk: RwSignal<String>,
    concurrency: RwSignal<String>,
    temperature: RwSignal<String>,
    retries: RwSignal<String>,
    timeout: RwSignal<String>,
    price_in: RwSignal<String>,
    price_out: RwSignal<String>,
    rpm: RwSignal<String>,
    use_cache: RwSignal<bool>,
    few_shot: RwSignal<String>,
    few_shot_tokens: RwSignal<String>,
}

impl Fields {
    fn new(d: &RunDefaults, prompt: Option<Uuid>) -> Self {
        let s = &d.settings;
        let text = |v: String| RwSignal::new(v);
        Fields {
            prompt: text(prompt.map(|p| p.to_string()).unwrap_or_default()),
            provider: RwSignal::new(s.provider),
            model: text(s.model.clone()),
            chunk: text(s.chunk_size.to_string()),
            concurrency: text(s.concurrency.to_string()),
            temperature: text(s.temperature.to_string()),
            retries: text(s.max_retries.to_string()),
            timeout: text(s.timeout_secs.to_string()),
            price_in: text(s.price_in_per_1k.to_string()),
            price_out: text(s.price_out_per_1k.to_string()),
            rpm: text(s.requests_per_minute.to_string()),
            use_cache: RwSignal::new(s.use_cache),
            few_shot: text(s.few_shot.to_string()),
            few_shot_tokens: text(s.few_shot_tokens.to_string()),
        }
    }

    fn request(&self, dataset_id: Uuid) -> NewRun {
        fn num<T: std::str::FromStr>(s: RwSignal<String>) -> Option<T> {
            s.get().trim().replace(',', ".").parse().ok()
        }
        NewRun {
            dataset_id,
            prompt_id: Uuid::parse_str(&self.prompt.get()).ok(),
            prompt_version_id: None,
            overrides: RunOverrides {
                provider: Some(self.provider.get()),
                model: Some(self.model.get()).filter(|m| !m.trim().is_empty()),
                chunk_size: num(self.chunk),
                concurrency: num(self.concurrency),
                temperature: num(self.temperature),
                max_retries: num(self.retries),
                timeout_secs: num(self.timeout),
                price_in_per_1k: num(self.price_in),
                price_out_per_1k: num(self.price_out),
                requests_per_minute: num(self.rpm),
                tokens_per_minute: None,
                use_cache: Some(self.use_cache.get()),
                few_shot: num(self.few_shot),
                few_shot_tokens: num(self.few_shot_tokens),
            },
        }
    }
}

#[component]
fn ClassifyView(dataset_id: Uuid) -> impl IntoView {
    let dataset = Resource::new(move || dataset_id, get_dataset);
    let prompts = Resource::new(|| (), |_| get_prompts());
    let defaults = Resource::new(|| (), |_| get_run_defaults());
    view! {
        <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
            {move || Suspend::new(async move {
                match (dataset.await, prompts.await, defaults.await) {
                    (Ok(d), Ok(list), Ok(defs)) => view! { <ClassifyForm dataset=d.summary prompts=list defaults=defs/> }.into_any(),
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => view! { <ErrorNote error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The choices, with the plan recomputed whenever one changes.
#[component]
fn ClassifyForm(dataset: DatasetSummary, prompts: Vec<PromptSummary>, defaults: RunDefaults) -> impl IntoView {
    let dataset_id = dataset.id;
    let chosen = prompts.iter().find(|p| p.is_default).or(prompts.first()).map(|p| p.id);
    let fields = Fields::new(&defaults, chosen);
    let request = Memo::new(move |_| fields.request(dataset_id));
    // Computed in the browser only: its input is form state, and a server-rendered resource keyed
    // on a memo of form state is what deadlocked page rendering (leptos#4673).
    let plan = LocalResource::new(move || plan_classification(request.get()));
    let start = ServerAction::<StartClassification>::new();
    Effect::new(move || {
        if let Some(Ok(run)) = start.value().get() {
            browser::go(&format!("/runs/{run}"));
        }
    });
    let openai = defaults.openai_available;
    let s = dataset;
    view! {
        <div class="stack">
            <section class="panel">
                <p class="eyebrow">{tr(Key::Classify)}</p>
                <h1>{s.name.clone()}</h1>
                <p class="muted">{fmt_int(s.rows)}" "{tr(Key::RowsLower)}" · "{fmt_int(s.unique_lines)}" "{tr(Key::UniqueLinesLower)}</p>
                <form class="form-grid" data-testid="run-settings" on:submit=|ev| ev.prevent_default()>
                    <label class="field">
                        <span>{tr(Key::Prompt)}</span>
                        <select data-testid="run-prompt" on:change=move |ev| fields.prompt.set(event_target_value(&ev))>
                            {prompts.into_iter().map(|p| {
                                let id = p.id.to_string();
                                let selected = Some(p.id) == chosen;
                                view! { <option value=id selected=selected>{format!("{} · v{}", p.name, p.latest_version)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <fieldset class="field">
                        <legend>{tr(Key::Provider)}</legend>
                        <label class="check">
                            <input type="radio" name="provider" data-testid="provider-offline"
                                prop:checked=move || fields.provider.get() == ProviderKind::Offline
                                on:change=move |_| fields.provider.set(ProviderKind::Offline)/>
                            {tr(Key::ProviderOffline)}
                        </label>
                        <label class="check">
                            <input type="radio" name="provider" data-testid="provider-openai" disabled=!openai
                                prop:checked=move || fields.provider.get() == ProviderKind::Openai
                                on:change=move |_| fields.provider.set(ProviderKind::Openai)/>
                            {tr(Key::ProviderOpenai)}
                        </label>
                        {(!openai).then(|| view! { <p class="hint">{tr(Key::ProviderOpenaiMissing)}</p> })}
                    </fieldset>
                    <Show when=move || fields.provider.get() == ProviderKind::Openai>
                        <NumberField label=Key::Model value=fields.model text=true/>
                        <NumberField label=Key::FewShotPerCall value=fields.few_shot/>
                        <NumberField label=Key::FewShotTokens value=fields.few_shot_tokens/>
                    </Show>
                    <NumberField label=Key::ChunkSize value=fields.chunk/>
                    <NumberField label=Key::Concurrency value=fields.concurrency/>
                    <details class="field-wide">
                        <summary>{tr(Key::Advanced)}</summary>
                        <div class="form-grid">
                            <NumberField label=Key::Temperature value=fields.temperature/>
                            <NumberField label=Key::MaxRetries value=fields.retries/>
                            <NumberField label=Key::TimeoutSecs value=fields.timeout/>
                            <NumberField label=Key::PriceIn value=fields.price_in/>
                            <NumberField label=Key::PriceOut value=fields.price_out/>
                            <NumberField label=Key::RequestsPerMinute value=fields.rpm/>
                            <label class="check">
                                <input type="checkbox" prop:checked=move || fields.use_cache.get()
                                    on:change=move |ev| fields.use_cache.set(event_target_checked(&ev))/>
                                {tr(Key::UseCache)}
                            </label>
                        </div>
                    </details>
                </form>
            </section>
            <section class="panel" aria-live="polite">
                <h2>{tr(Key::PlanTitle)}</h2>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match plan.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(p) => view! { <PlanView plan=p/> }.into_any(),
                        }
                    })}
                </Transition>
                <div class="actions">
                    <a class="btn" href=format!("/datasets/{dataset_id}")>{tr(Key::Back)}</a>
                    <button class="btn btn-primary" data-testid="start-run"
                        disabled=move || start.pending().get() || !matches!(plan.get(), Some(Ok(_)))
                        on:click=move |_| { start.dispatch(StartClassification { req: fields.request(dataset_id) }); }>
                        {move || if start.pending().get() { tr(Key::Working)() } else { tr(Key::StartRun)() }}
                    </button>
                </div>
                {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            </section>
        </div>
    }
}

#[component]
fn NumberField(label: Key, value: RwSignal<String>, #[prop(optional)] text: bool) -> impl IntoView {
    view! {
        <label class="field">
            <span>{tr(label)}</span>
            <input type="text" inputmode=if text { "text" } else { "decimal" } prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))/>
        </label>
    }
}
