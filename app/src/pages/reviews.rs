//! Reviews: every sample the user can see, with how far its review has got and the accuracy so far,
//! and the way back into it.

use leptos::prelude::*;

use crate::api::list_reviews;
use crate::components::{ErrorNote, SamplesTable};
use crate::i18n::{Key, tr};

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let reviews = Resource::new(|| (), |_| list_reviews(None));
    view! {
        <section class="panel" aria-labelledby="reviews-title">
            <h1 id="reviews-title">{tr(Key::NavReviews)}</h1>
            <p class="muted">{tr(Key::ReviewsHint)}</p>
            <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match reviews.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-reviews">{tr(Key::NoReviews)}</p> }.into_any(),
                        Ok(list) => view! { <SamplesTable samples=list with_dataset=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
