//! The samples drawn from this run, with their review progress: the way back into a review, and
//! drawing a new sample with the size chosen by confidence and margin or fixed.

use engine::review::NewSample;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{DrawSample, list_reviews};
use crate::components::{ErrorNote, SamplesTable, browser};
use crate::i18n::{Key, tr};

#[component]
pub fn RunSamples(run_id: Uuid, draw_open: RwSignal<bool>) -> impl IntoView {
    let samples = Resource::new(move || run_id, |id| list_reviews(Some(id)));
    view! {
        <section class="panel" aria-labelledby="run-samples-title" data-testid="run-samples">
            <div class="title-row">
                <h2 id="run-samples-title">{tr(Key::Samples)}</h2>
                <button class="btn btn-ghost" data-testid="draw-new-sample" aria-expanded=move || draw_open.get().to_string()
                    on:click=move |_| draw_open.update(|o| *o = !*o)>{tr(Key::DrawNewSample)}</button>
            </div>
            <Show when=move || draw_open.get()>
                <DrawForm run_id/>
            </Show>
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

#[derive(Clone, Copy, PartialEq)]
enum SizeBy {
    Precision,
    Fixed,
}

#[component]
fn DrawForm(run_id: Uuid) -> impl IntoView {
    let by = RwSignal::new(SizeBy::Precision);
    let confidence = RwSignal::new("0.95".to_string());
    let margin = RwSignal::new("5".to_string());
    let size = RwSignal::new("100".to_string());
    let low = RwSignal::new(false);
    let draw = ServerAction::<DrawSample>::new();
    Effect::new(move || {
        if let Some(Ok(s)) = draw.value().get() {
            browser::go(&format!("/samples/{s}"));
        }
    });
    let bad_number = RwSignal::new(false);
    let number = |s: RwSignal<String>| s.get_untracked().trim().replace(',', ".").parse::<f64>().ok().filter(|x| x.is_finite());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fixed = by.get_untracked() == SizeBy::Fixed;
        // Out-of-range values go to the server, which says which bound; text that is no number at all stops here.
        let (c, m, n) = (number(confidence), number(margin), number(size));
        // The margin is typed in percent: checked here, where the unit is the one on screen.
        let ok = if fixed { n.is_some() } else { c.is_some() && m.is_some_and(|m| m > 0.0 && m < 50.0) };
        bad_number.set(!ok);
        if !ok {
            return;
        }
        let req = NewSample {
            run_id,
            confidence: if fixed { None } else { c },
            margin: if fixed { None } else { m.map(|m| m / 100.0) },
            size: if fixed { n.map(|n| n.round() as i64) } else { None },
            seed: None,
            // A fixed size is the size: no per-category minimum raising it.
            min_per_category: fixed.then_some(0),
            oversample_low: Some(low.get_untracked()),
        };
        draw.dispatch(DrawSample { req });
    };
    view! {
        <form class="confirm-box" data-testid="draw-form" on:submit=submit>
            <fieldset class="field">
                <legend>{tr(Key::SampleSize)}</legend>
                <label class="check"><input type="radio" name="size-by" data-testid="size-by-precision"
                    prop:checked=move || by.get() == SizeBy::Precision on:change=move |_| by.set(SizeBy::Precision)/>
                    {tr(Key::SizeByPrecision)}</label>
                <label class="check"><input type="radio" name="size-by" data-testid="size-by-fixed"
                    prop:checked=move || by.get() == SizeBy::Fixed on:change=move |_| by.set(SizeBy::Fixed)/>
                    {tr(Key::SizeFixed)}</label>
            </fieldset>
            <div class="form-grid">
                <Show when=move || by.get() == SizeBy::Precision fallback=move || view! {
                    <label class="field"><span>{tr(Key::Lines)}</span>
                        <input type="number" min="1" data-testid="sample-size" prop:value=move || size.get()
                            on:change=move |ev| size.set(event_target_value(&ev))/></label>
                }>
                    <label class="field"><span>{tr(Key::ConfidenceLevel)}</span>
                        <select data-testid="sample-confidence" on:change=move |ev| confidence.set(event_target_value(&ev))>
                            {["0.90", "0.95", "0.99"].into_iter().map(|c| view! {
                                <option value=c selected=move || confidence.get() == c>{crate::format::fmt_pct(c.parse::<f64>().unwrap_or_default(), 0)}</option>
                            }).collect_view()}
                        </select></label>
                    <label class="field"><span>{tr(Key::MarginPercent)}</span>
                        <input type="text" inputmode="decimal" data-testid="sample-margin" prop:value=move || margin.get()
                            on:change=move |ev| margin.set(event_target_value(&ev))/></label>
                </Show>
                <label class="check"><input type="checkbox" prop:checked=move || low.get()
                    on:change=move |ev| low.set(event_target_checked(&ev))/>{tr(Key::OversampleLow)}</label>
            </div>
            <div class="actions">
                <button class="btn btn-primary" type="submit" data-testid="draw-sample" disabled=move || draw.pending().get()>
                    {move || tr(if draw.pending().get() { Key::Working } else { Key::DrawSample })()}</button>
            </div>
            <Show when=move || bad_number.get()>
                <p class="note note-error" role="alert" data-testid="draw-bad-number">{tr(Key::NotANumber)}</p>
            </Show>
            {move || draw.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </form>
    }
}
