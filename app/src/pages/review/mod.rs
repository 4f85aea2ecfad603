//! Reviewing a sample, built for speed: one line at a time with the model's category, score and
//! reason; Enter accepts, a number picks the right category, S skips, U undoes, arrows move, "/"
//! filters the categories and N writes a note. Every verdict is saved at once.

use crate::api::AppError;
use engine::review::{SampleItem, Verdict, VerdictInput};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

mod launch;
mod metrics;

use metrics::{CorrectionsPanel, IterationsPanel, MetricsPanel};
use crate::api::{give_verdict, get_review};
use engine::review::ReviewBundle as Review;
use crate::components::{ErrorNote, ProgressBar};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    view! {
        {move || match id() {
            Some(id) => view! { <ReviewLoader id/> }.into_any(),
            None => view! { <crate::components::NotFound/> }.into_any(),
        }}
    }
}

#[component]
fn ReviewLoader(id: Uuid) -> impl IntoView {
    let review = Resource::new(move || id, get_review);
    view! {
        <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
            {move || Suspend::new(async move {
                match review.await {
                    Ok(r) => view! { <ReviewView review=r/> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What a verdict was before it was changed, so U can put it back.
type Undo = (usize, Option<VerdictInput>);

fn input_of(item: &SampleItem) -> Option<VerdictInput> {
    item.verdict.map(|verdict| VerdictInput { verdict, corrected_category: item.corrected_category.clone(), note: item.note.clone() })
}

#[component]
fn ReviewView(review: Review) -> impl IntoView {
    let sample = review.sample.clone();
    let sample_id = sample.id;
    let run_id = sample.run_id;
    let categories = StoredValue::new(review.categories.clone());
    let items = RwSignal::new(review.items.clone());
    let first_open = review.items.iter().position(|i| i.verdict.is_none()).unwrap_or(0);
    let cursor = RwSignal::new(first_open);
    let history: RwSignal<Vec<Undo>> = RwSignal::new(Vec::new());
    let note = RwSignal::new(String::new());
    let filter = RwSignal::new(String::new());
    let saved = RwSignal::new(0u32);
    let error: RwSignal<Option<AppError>> = RwSignal::new(None);
    let locale = use_locale();
    let versions = RwSignal::new(review.versions.clone());

    let save = Action::new(move |(pos, input): &(usize, Option<VerdictInput>)| {
        let (pos, input) = (*pos, input.clone());
        let item_id = items.with_untracked(|list| list.get(pos).map(|i| i.id));
        async move {
            let Some(item_id) = item_id else { return };
            // The answer may come after the reviewer left the page: the `try_` writes then do nothing.
            match give_verdict(sample_id, item_id, input).await {
                Ok(mut item) => {
                    // By id, not position: the queue may have been reordered while the answer came.
                    items.try_update(|list| {
                        if let Some(slot) = list.iter_mut().find(|i| i.id == item_id) {
                            item.original = std::mem::take(&mut slot.original);
                            *slot = item;
                        }
                    });
                    saved.try_update(|n| *n += 1);
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        }
    });
    let current = move || items.with(|list| list.get(cursor.get()).cloned());
    let decide = move |input: Option<VerdictInput>| {
        let pos = cursor.get_untracked();
        let Some(item) = items.with_untracked(|list| list.get(pos).cloned()) else { return };
        history.update(|h| h.push((pos, input_of(&item))));
        save.dispatch((pos, input));
        note.set(String::new());
        filter.set(String::new());
        let len = items.with_untracked(Vec::len);
        cursor.set((pos + 1).min(len.saturating_sub(1)));
    };
    let with_note = move |verdict: Verdict, corrected: Option<String>| {
        let n = note.get_untracked();
        Some(VerdictInput { verdict, corrected_category: corrected, note: (!n.trim().is_empty()).then_some(n) })
    };
    let accept = move || decide(with_note(Verdict::Correct, None));
    let skip = move || decide(with_note(Verdict::Skipped, None));
    let pick = move |name: String| {
        let predicted = current().map(|i| i.category).unwrap_or_default();
        if name == predicted { accept() } else { decide(with_note(Verdict::Incorrect, Some(name))) }
    };
    let undo = move || {
        if let Some((pos, previous)) = history.try_update(|h| h.pop()).flatten() {
            save.dispatch((pos, previous));
            cursor.set(pos);
        }
    };
    let shown = move || {
        let f = filter.get().to_lowercase();
        categories.with_value(|c| c.iter().enumerate().filter(|(_, n)| f.is_empty() || n.to_lowercase().contains(&f)).map(|(i, n)| (i, n.clone())).collect::<Vec<_>>())
    };
    keyboard(accept, skip, undo, pick, cursor, items, categories, shown);
    // Metrics refresh once verdicts pause for a moment, not on every key of a fast reviewer.
    let settled = RwSignal::new(0u32);
    Effect::new(move |_| {
        let n = saved.get();
        set_timeout(
            // The page may be gone by then (the reviewer moved on): then there is nothing to do.
            move || {
                if saved.try_get_untracked() == Some(n) {
                    settled.try_set(n);
                }
            },
            std::time::Duration::from_millis(300),
        );
    });

    // The queue as sampled, or the least confident lines first (where a reviewer's time pays most).
    let reorder = move |least_confident: bool| {
        items.update(|list| {
            if least_confident {
                list.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.position.cmp(&b.position)));
            } else {
                list.sort_by_key(|i| i.position);
            }
        });
        history.set(Vec::new());
        cursor.set(items.with_untracked(|l| l.iter().position(|i| i.verdict.is_none()).unwrap_or(0)));
    };
    let done = move || items.with(|l| l.iter().filter(|i| i.verdict.is_some()).count());
    let total = review.items.len();
    view! {
        <div class="stack" data-testid="review" data-ready=move || "true">
            <section class="panel">
                <a class="back-link" href=format!("/runs/{run_id}") data-testid="sample-run">"← "{tr(Key::BackToRun)}</a>
                <p class="eyebrow">{tr(Key::ReviewTitle)}</p>
                <div class="title-row">
                    <h1>{review.prompt_name.clone()}</h1>
                    <span class="muted" data-testid="review-progress">{move || format!("{} / {}", done(), total)}</span>
                </div>
                <ProgressBar value=Signal::derive(move || if total == 0 { 1.0 } else { done() as f64 / total as f64 })
                    label=Signal::derive(move || t(locale.get(), Key::Reviewed).to_string())/>
                <p class="hint">{tr(Key::ReviewKeys)}</p>
                <div class="actions">
                    <label class="field field-inline">
                        <span>{tr(Key::ReviewOrder)}</span>
                        <select data-testid="review-order" on:change=move |ev| reorder(event_target_value(&ev) == "least")>
                            <option value="sample">{tr(Key::OrderSample)}</option>
                            <option value="least">{tr(Key::OrderLeastConfident)}</option>
                        </select>
                    </label>
                    <crate::components::ExportLinks run_id=sample.run_id query=format!("sample_id={sample_id}") testid="export-reviewed"/>
                </div>
                {move || error.get().map(|e| view! { <ErrorNote error=e/> })}
                {move || current().map(|item| {
                    let predicted = item.category.clone();
                    view! {
                        <article class="review-card" data-testid="review-item" data-position=item.position>
                            <p class="muted">{format!("#{} · {} ", item.position, item.rows)}{tr(Key::RowsLower)}</p>
                            <p class="review-line" data-testid="review-line">{item.line.clone()}</p>
                            {(!item.original.is_empty()).then(|| view! {
                                <dl class="original" data-testid="review-original">
                                    {item.original.iter().map(|(c, v)| view! { <div><dt>{c.clone()}</dt><dd>{v.clone()}</dd></div> }).collect_view()}
                                </dl>
                            })}
                            <p>
                                <span class="chip chip-predicted" data-testid="review-predicted">{predicted.clone()}</span>
                                <span class="muted">{format!(" {} · ", crate::format::fmt_number(item.score, 2))}{let reason = item.reason.clone(); move || engine::classify::reason_text(&reason, locale.get().into())}</span>
                            </p>
                            {item.verdict.map(|v| view! {
                                <p class=format!("verdict verdict-{}", v.as_str()) data-testid="review-verdict">
                                    {match v { Verdict::Correct => tr(Key::VerdictCorrect)(), Verdict::Incorrect => tr(Key::VerdictIncorrect)(), Verdict::Skipped => tr(Key::VerdictSkipped)() }}
                                    {item.corrected_category.clone().map(|c| format!(" → {c}"))}
                                    {item.reviewer.clone().map(|r| format!(" · {r}"))}
                                </p>
                            })}
                            <div class="actions">
                                <button class="btn btn-primary" data-testid="accept" on:click=move |_| accept()>{tr(Key::Accept)}" ⏎"</button>
                                <button class="btn" data-testid="skip" on:click=move |_| skip()>{tr(Key::Skip)}" S"</button>
                                <button class="btn btn-ghost" data-testid="undo" disabled=move || history.with(Vec::is_empty) on:click=move |_| undo()>{tr(Key::Undo)}" U"</button>
                            </div>
                            <div class="review-pick">
                                <input type="text" id="review-filter" placeholder=move || t(locale.get(), Key::TypeToFilter) data-testid="category-filter"
                                    prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))
                                    on:keydown=move |ev| if ev.key() == "Enter" {
                                        ev.prevent_default();
                                        if let Some((_, name)) = shown().into_iter().next() { pick(name); }
                                    }/>
                                <ul class="category-keys">
                                    {move || shown().into_iter().map(|(i, name)| {
                                        let chosen = name.clone();
                                        let class = if name == predicted { "chip chip-predicted" } else { "chip" };
                                        view! {
                                            <li><button class=class data-testid="pick-category" on:click=move |_| pick(chosen.clone())>
                                                {(i < 9).then(|| view! { <kbd>{i + 1}</kbd> })}" "{name}
                                            </button></li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                            <label class="field">
                                <span>{tr(Key::Note)}" (N)"</span>
                                <input type="text" id="review-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/>
                            </label>
                        </article>
                    }
                })}
            </section>
            <MetricsPanel sample_id refresh=settled/>
            <CorrectionsPanel sample_id refresh=settled versions editable=review.prompt_editable is_default=review.prompt_is_default/>
            <IterationsPanel sample_id versions refresh=settled/>
        </div>
    }
}

/// Keys anywhere on the page, except while typing in a field (Escape leaves the field).
#[allow(clippy::too_many_arguments)]
fn keyboard(
    accept: impl Fn() + Copy + 'static,
    skip: impl Fn() + Copy + 'static,
    undo: impl Fn() + Copy + 'static,
    pick: impl Fn(String) + Copy + 'static,
    cursor: RwSignal<usize>,
    items: RwSignal<Vec<SampleItem>>,
    categories: StoredValue<Vec<String>>,
    shown: impl Fn() -> Vec<(usize, String)> + Copy + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            let focus = |id: &str| {
                if let Some(el) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                    let _ = el.focus();
                }
            };
            if typing {
                if ev.key() == "Escape" {
                    if let Some(el) = document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                        let _ = el.blur();
                    }
                }
                return;
            }
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let len = items.with_untracked(Vec::len);
            match ev.key().as_str() {
                "Enter" | "a" => accept(),
                "s" => skip(),
                "u" | "Backspace" => undo(),
                "ArrowRight" | "j" => cursor.update(|c| *c = (*c + 1).min(len.saturating_sub(1))),
                "ArrowLeft" | "k" => cursor.update(|c| *c = c.saturating_sub(1)),
                "/" => focus("review-filter"),
                "n" => focus("review-note"),
                k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() && k != "0" => {
                    let n = (k.as_bytes()[0] - b'1') as usize;
                    let name = shown().into_iter().find(|(i, _)| *i == n).map(|(_, name)| name);
                    if let Some(name) = name.or_else(|| categories.with_value(|c| c.get(n).cloned())) {
                        pick(name);
                    }
                }
                _ => return,
            }
            ev.prevent_default();
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (accept, skip, undo, pick, cursor, items, categories, shown);
}
