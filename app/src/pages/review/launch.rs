//! Running a prompt version from a sample, on the sample's items or on the whole dataset. Both show
//! the plan and cost first, with the sampled run's provider and model (so an iteration compares
//! prompts, not classifiers), and the settings change only when the user changes them explicitly.

use engine::classify::{ProviderKind, RunOverrides};
use engine::review::{IterationPlanRequest, SampleRerun, Scope};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{RunFromSample, plan_from_sample};
use crate::components::{ErrorNote, PlanView, classifier_label};
use crate::i18n::{Key, tr};

#[component]
pub fn LaunchFromSample(
    sample_id: Uuid,
    versions: RwSignal<Vec<(Uuid, i32)>>,
    chosen: RwSignal<Uuid>,
    /// Called with the scope and the new run once it is queued.
    started: Callback<(Scope, Uuid)>,
) -> impl IntoView {
    // The open plan: which action it is for. None = no plan shown.
    let scope: RwSignal<Option<Scope>> = RwSignal::new(None);
    // Explicit changes only; None keeps what the sampled run used.
    let provider: RwSignal<Option<ProviderKind>> = RwSignal::new(None);
    let model = RwSignal::new(String::new());
    let request = move |scope: Scope| IterationPlanRequest {
        scope,
        rerun: SampleRerun {
            prompt_version_id: chosen.get(),
            overrides: RunOverrides {
                provider: provider.get(),
                model: Some(model.get()).filter(|m| !m.trim().is_empty()),
                ..Default::default()
            },
        },
    };
    // Form state, so computed in the browser only (leptos#4673).
    let plan = LocalResource::new(move || {
        let req = scope.get().map(request);
        async move {
            match req {
                Some(req) => Some(plan_from_sample(sample_id, req).await),
                None => None,
            }
        }
    });
    let run = ServerAction::<RunFromSample>::new();
    Effect::new(move || {
        if let Some(Ok(id)) = run.value().get() {
            if let Some(s) = scope.get_untracked() {
                scope.set(None);
                started.run((s, id));
            }
        }
    });
    let open = move |s: Scope| {
        run.value().set(None);
        scope.set(Some(s));
    };
    view! {
        <div class="filters">
            <select data-testid="iteration-version" aria-label=tr(Key::PromptVersion)
                on:change=move |ev| if let Ok(id) = Uuid::parse_str(&event_target_value(&ev)) { chosen.set(id) }>
                {move || versions.get().into_iter().map(|(id, v)| view! {
                    <option value=id.to_string() selected=move || chosen.get() == id>{format!("v{v}")}</option>
                }).collect_view()}
            </select>
            <button class="btn" data-testid="rerun-sample" aria-pressed=move || (scope.get() == Some(Scope::Sample)).to_string()
                on:click=move |_| open(Scope::Sample)>{tr(Key::RerunOnSample)}"…"</button>
            <button class="btn" data-testid="apply-all" aria-pressed=move || (scope.get() == Some(Scope::Dataset)).to_string()
                on:click=move |_| open(Scope::Dataset)>{tr(Key::ApplyToAll)}"…"</button>
        </div>
        <Show when=move || scope.get().is_some()>
            <div class="confirm-box" data-testid="launch-plan" role="region" aria-label=tr(Key::PlanTitle)>
                <h3>{move || tr(if scope.get() == Some(Scope::Dataset) { Key::PlanApplyTitle } else { Key::PlanRerunTitle })()}</h3>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match plan.await {
                            None => ().into_any(),
                            Some(Err(e)) => view! { <ErrorNote error=e/> }.into_any(),
                            Some(Ok(p)) => view! {
                                <p><span class="muted">{tr(Key::Classifier)}": "</span>
                                    <strong data-testid="launch-classifier">{classifier_label(p.settings.provider, &p.settings.model)}</strong>
                                    {provider.get_untracked().is_none().then(|| view! { <span class="muted">" · "{tr(Key::SameAsSampledRun)}</span> })}</p>
                                <PlanView plan=p/>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <details>
                    <summary data-testid="change-settings">{tr(Key::ChangeSettings)}</summary>
                    <div class="form-grid">
                        <label class="field">
                            <span>{tr(Key::Provider)}</span>
                            <select data-testid="launch-provider" on:change=move |ev| provider.set(ProviderKind::parse(&event_target_value(&ev)))>
                                <option value="" selected=move || provider.get().is_none()>{tr(Key::SameAsSampledRun)}</option>
                                <option value="offline" selected=move || provider.get() == Some(ProviderKind::Offline)>{tr(Key::ProviderOffline)}</option>
                                <option value="openai" selected=move || provider.get() == Some(ProviderKind::Openai)>{tr(Key::ProviderOpenai)}</option>
                            </select>
                        </label>
                        <label class="field">
                            <span>{tr(Key::Model)}</span>
                            <input type="text" data-testid="launch-model" prop:value=move || model.get()
                                on:change=move |ev| model.set(event_target_value(&ev))/>
                        </label>
                    </div>
                </details>
                <div class="actions">
                    <button class="btn" on:click=move |_| scope.set(None)>{tr(Key::Cancel)}</button>
                    <button class="btn btn-primary" data-testid="confirm-launch"
                        disabled=move || run.pending().get() || !matches!(plan.get(), Some(Some(Ok(_))))
                        on:click=move |_| if let Some(s) = scope.get_untracked() { run.dispatch(RunFromSample { id: sample_id, req: request(s) }); }>
                        {move || tr(if run.pending().get() { Key::Working } else { Key::StartRun })()}
                    </button>
                </div>
                {move || run.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            </div>
        </Show>
    }
}
