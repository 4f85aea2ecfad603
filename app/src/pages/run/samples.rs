//! The samples drawn from this run, with their review progress: the way back into a review.

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::list_reviews;
use crate::components::{ErrorNote, SamplesTable};
use crate::i18n::{Key, tr};

#[component]
pub fn RunSamples(run_id: Uuid) -> impl IntoView {
    let samples = Resource::new(move || run_id, |id| list_reviews(Some(id)));
    view! {
        <section class="panel" aria-labelledby="run-samples-title" data-testid="run-samples">
            <h2 id="run-samples-title">{tr(Key::Samples)}</h2>
            <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match samples.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-run-samples">{tr(Key::NoRunSamples)}</p> }.into_any(),
                        Ok(list) => view! { <SamplesTable samples=list/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
