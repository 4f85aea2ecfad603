//! The classifications of this dataset, newest first: the way back to every run.

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::list_runs;
use crate::components::{ErrorNote, RunsTable};
use crate::i18n::{Key, tr};

#[component]
pub fn DatasetRuns(dataset_id: Uuid) -> impl IntoView {
    let runs = Resource::new(move || dataset_id, |id| list_runs(Some(id)));
    view! {
        <section class="panel" aria-labelledby="dataset-runs-title" data-testid="dataset-runs">
            <h2 id="dataset-runs-title">{tr(Key::Runs)}</h2>
            <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match runs.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-runs">{tr(Key::NoRuns)}</p> }.into_any(),
                        Ok(list) => view! { <RunsTable runs=list/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
