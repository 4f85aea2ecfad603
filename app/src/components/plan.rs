//! The plan of a run, shown before anything is spent (the classify screen, re-runs from a sample).

use engine::classify::RunPlan;
use leptos::prelude::*;

use super::Stat;
use crate::format::{fmt_int, fmt_money};
use crate::i18n::{Key, tr};

/// A run's plan before it starts: calls, cache hits, rows dedup saves, tokens, cost, rounds and the
/// exact first call.
#[component]
pub fn PlanView(plan: RunPlan) -> impl IntoView {
    let first = plan.first_call.clone();
    let examples = plan.first_examples.clone();
    let learns = plan.settings.provider == engine::classify::ProviderKind::Offline && plan.examples_count > 0;
    view! {
        <div class="stats" data-testid="plan">
            <Stat label=Key::PlanCalls value=fmt_int(plan.calls) testid="plan-calls"/>
            <Stat label=Key::PlanCached value=format!("{} / {}", fmt_int(plan.cached), fmt_int(plan.lines)) testid="plan-cached"/>
            <Stat label=Key::PlanSaved value=fmt_int(plan.rows - plan.lines) testid="plan-saved"/>
            <Stat label=Key::PlanTokens value=format!("{} / {}", fmt_int(plan.est_tokens_in), fmt_int(plan.est_tokens_out)) testid="plan-tokens"/>
            <Stat label=Key::PlanCost value=fmt_money(plan.est_cost) testid="plan-cost"/>
            <Stat label=Key::PlanRounds value=fmt_int(plan.rounds) testid="plan-rounds"/>
            <Stat label=Key::PlanExamples value=format!("{} · v{}", fmt_int(plan.examples_count), plan.examples_version) testid="plan-examples"/>
        </div>
        {learns.then(|| view! { <p class="hint" data-testid="plan-learns">{tr(Key::PlanOfflineLearns)}</p> })}
        {(!examples.is_empty()).then(|| view! {
            <div class="stack-sm" data-testid="plan-first-examples">
                <h3>{tr(Key::PlanFirstExamples)}" ("{examples.len()}" · ~"{fmt_int(plan.example_tokens_per_call)}" tokens)"</h3>
                <super::ExampleList examples/>
            </div>
        })}
        {(!first.is_empty()).then(|| view! {
            <details class="first-call">
                <summary>{tr(Key::FirstCall)}</summary>
                {first.into_iter().map(|m| view! {
                    <p class="eyebrow">{m.role}</p>
                    <pre class="code">{m.content}</pre>
                }).collect_view()}
            </details>
        })}
    }
}
