//! Reviews: every sample the user can see, with how far its review has got and the accuracy so far,
//! and the way back into it.

use leptos::prelude::*;

use crate::api::list_reviews;
use crate::components::{ErrorNote, TableHead};
use crate::format::fmt_int;
use crate::i18n::{Key, tr};

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let reviews = Resource::new(|| (), |_| list_reviews());
    view! {
        <section class="panel" aria-labelledby="reviews-title">
            <h1 id="reviews-title">{tr(Key::NavReviews)}</h1>
            <p class="muted">{tr(Key::ReviewsHint)}</p>
            <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match reviews.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-reviews">{tr(Key::NoReviews)}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table" data-testid="reviews">
                                <TableHead cols=vec![Key::Dataset, Key::Prompt, Key::ReviewProgress, Key::AccuracySoFar, Key::Created] actions=Key::Continue/>
                                <tbody>
                                    {list.into_iter().map(|s| {
                                        let done = s.reviewed >= s.size;
                                        let share = if s.size > 0 { 100.0 * s.reviewed as f64 / s.size as f64 } else { 100.0 };
                                        let accuracy = s.accuracy().map(|a| format!("{:.1} %", a * 100.0)).unwrap_or_else(|| "—".into());
                                        view! {
                                            <tr>
                                                <td><a href=format!("/datasets/{}", s.dataset_id)>{s.dataset_name.clone()}</a></td>
                                                <td><a href=format!("/runs/{}", s.run_id)>{format!("{} v{}", s.prompt_name, s.prompt_version)}</a></td>
                                                <td class="num">
                                                    {format!("{} / {}", fmt_int(s.reviewed), fmt_int(s.size))}
                                                    <span class="bar bar-inline" aria-hidden="true"><span class="bar-fill" style:width=format!("{share:.1}%")></span></span>
                                                </td>
                                                <td class="num">{accuracy}</td>
                                                <td>{s.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                                <td><a class="btn" class:btn-primary=!done href=format!("/samples/{}", s.id) data-testid="open-review">
                                                    {tr(if done { Key::Open } else { Key::Continue })}
                                                </a></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
