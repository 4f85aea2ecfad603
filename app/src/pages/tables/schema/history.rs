//! The schema's history between any two versions, each change with its before and after.

use engine::eav::SchemaChange;
use leptos::prelude::*;

use crate::format::fmt_time;
use crate::i18n::{Key, tr};

/// The changes between two versions of the schema (from the first, exclusive, to the second).
#[component]
pub fn HistoryList(history: Vec<SchemaChange>) -> impl IntoView {
    if history.is_empty() {
        return view! { <p class="muted">{tr(Key::NoHistory)}</p> }.into_any();
    }
    let newest = history.iter().filter_map(|h| h.table_version).max().unwrap_or(1);
    let from = RwSignal::new(0);
    let to = RwSignal::new(newest);
    let versions: Vec<i32> = (0..=newest).collect();
    let all = StoredValue::new(history);
    let shown = move || all.with_value(|h| h.iter().filter(|c| c.table_version.is_none_or(|v| v > from.get() && v <= to.get())).cloned().collect::<Vec<_>>());
    let pick = |sig: RwSignal<i32>, testid: &'static str, label: Key, versions: Vec<i32>| view! {
        <label class="field-inline">
            <span>{tr(label)}</span>
            <select data-testid=testid on:change=move |ev| sig.set(event_target_value(&ev).parse().unwrap_or(0))>
                {versions.into_iter().map(|v| view! { <option value=v.to_string() selected=move || sig.get() == v>{format!("v{v}")}</option> }).collect_view()}
            </select>
        </label>
    };
    view! {
        <div class="filters">
            {pick(from, "history-from", Key::FromVersion, versions.clone())}
            {pick(to, "history-to", Key::ToVersion, versions)}
        </div>
        <ol class="history" data-testid="schema-history">
            {move || shown().into_iter().map(|h| view! {
                <li>
                    <details>
                        <summary>
                            {h.table_version.map(|v| format!("v{v} · ")).unwrap_or_default()}
                            {fmt_time(&h.at)}" · "{h.actor.clone().unwrap_or_default()}" · "<code>{format!("{} {}", h.action, h.entity)}</code>
                        </summary>
                        <div class="compare-grid">
                            <pre class="raw">{h.before.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).unwrap_or_default()}</pre>
                            <pre class="raw">{h.after.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).unwrap_or_default()}</pre>
                        </div>
                    </details>
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}
