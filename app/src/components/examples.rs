//! Few-shot examples as the reader sees them: a list (the plan's first call, a result's call), and
//! the button on a result that opens the examples its call carried.

use engine::classify::examples::ExampleShown;
use leptos::prelude::*;
use uuid::Uuid;

use super::ErrorNote;
use crate::api::get_result_examples;
use crate::format::fmt_number;
use crate::i18n::{Key, tr};

#[component]
pub fn ExampleList(examples: Vec<ExampleShown>) -> impl IntoView {
    view! {
        <ul class="example-list" data-testid="example-list">
            {examples.into_iter().map(|e| view! {
                <li>
                    <span class="example-text">{e.text}</span>
                    <span class="chip">{e.category}</span>
                    <span class="muted num" title=tr(Key::Similarity)>{fmt_number(e.similarity, 2)}</span>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// "N examples" on a result: opens the examples the call that classified the line carried. Which
/// lines are open lives in `opened`, the table's: the table is drawn again when the run's progress
/// arrives, and what the reader opened stays open.
#[component]
pub fn ShownExamples(run_id: Uuid, line_idx: i32, count: i32, opened: RwSignal<std::collections::HashSet<i32>>) -> impl IntoView {
    let open = Signal::derive(move || opened.with(|o| o.contains(&line_idx)));
    // Loaded only once opened: a results page would otherwise ask once per row.
    let shown = LocalResource::new(move || {
        let wanted = open.get();
        async move { if wanted { Some(get_result_examples(run_id, line_idx).await) } else { None } }
    });
    view! {
        <div class="shown-examples">
            <button class="btn btn-ghost btn-small" data-testid="shown-examples" aria-expanded=move || open.get().to_string()
                on:click=move |_| opened.update(|o| if !o.remove(&line_idx) { o.insert(line_idx); })>
                {count}" "{tr(Key::ExamplesShown)}
            </button>
            <Show when=move || open.get()>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match shown.await {
                            Some(Ok(r)) => view! {
                                <p class="hint">{tr(Key::ExamplesShownHint)}" v"{r.examples_version.unwrap_or(0)}</p>
                                <ExampleList examples=r.examples/>
                            }.into_any(),
                            Some(Err(e)) => view! { <ErrorNote error=e/> }.into_any(),
                            None => ().into_any(),
                        }
                    })}
                </Transition>
            </Show>
        </div>
    }
}
