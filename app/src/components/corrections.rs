//! The corrections of a review grouped by the right category: shown on the review screen and
//! beside the prompt editor.

use leptos::prelude::*;
use uuid::Uuid;

use super::ErrorNote;
use crate::api::get_corrections;
use crate::i18n::{Key, tr};

#[component]
pub fn CorrectionGroups(groups: Vec<engine::review::CorrectionGroup>) -> impl IntoView {
    view! {
        <div class="compare-grid" data-testid="correction-groups">
            {groups.into_iter().map(|group| view! {
                <div><h4>{group.category.clone()}" ("{group.lines.len()}")"</h4>
                    <ul class="changed">{group.lines.into_iter().map(|l| view! {
                        <li>{l.line}<span class="muted">{format!(" ({})", l.predicted)}</span>
                            {l.note.map(|n| view! { <em class="muted">{format!(" — {n}")}</em> })}</li>
                    }).collect_view()}</ul></div>
            }).collect_view()}
        </div>
    }
}

/// The corrections of a review beside the prompt editor (`/prompts?sample=…`).
#[component]
pub fn SampleCorrections(sample_id: Uuid) -> impl IntoView {
    let groups = Resource::new(move || sample_id, get_corrections);
    view! {
        <section class="panel" data-testid="editor-corrections">
            <h2>{tr(Key::Corrections)}</h2>
            <p class="hint">{tr(Key::CorrectionsHint)}</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match groups.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(g) if g.is_empty() => view! { <p class="hint">{tr(Key::NoCorrections)}</p> }.into_any(),
                        Ok(g) => view! { <CorrectionGroups groups=g/> }.into_any(),
                    }
                })}
            </Transition>
            <a class="btn btn-ghost" href=format!("/samples/{sample_id}")>{tr(Key::BackToReview)}</a>
        </section>
    }
}
