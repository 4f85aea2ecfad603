//! The wizard's third step: which column(s) describe a row, how their text is cleaned and how rows
//! collapse into unique lines, with the effect shown live on the first rows of the kept tables.

use crate::api::AppError;
use engine::clean::{CleanOptions, clean_text};
use engine::ingest::ColumnType;
use leptos::prelude::*;

use crate::format::fmt_int;
use super::upload::{Choices, GoTo, Stage};
use crate::api::preview_table;
use crate::components::ErrorNote;
use crate::i18n::{Key, tr, type_name, use_locale};

fn toggle(list: RwSignal<Vec<String>>, name: &str, on: bool) {
    list.update(|l| {
        l.retain(|c| c != name);
        if on {
            l.push(name.to_string());
        }
    });
}

#[component]
pub(super) fn CleanStep(go: GoTo, choices: Choices) -> impl IntoView {
    let columns = choices.common_columns();
    let upload_id = choices.summary.get_untracked().map(|s| s.id).unwrap_or_default();
    let kept = choices.kept.get_untracked();
    // Sample rows for the live preview: the first rows of every kept table.
    let samples = Resource::new(
        move || (),
        move |_| {
            let kept = kept.clone();
            async move {
                let mut rows: Vec<(Vec<String>, Vec<String>)> = Vec::new();
                for table_id in kept {
                    let p = preview_table(upload_id, table_id).await?;
                    rows.extend(p.rows.into_iter().map(|r| (p.columns.clone(), r.values)));
                }
                Ok::<_, AppError>(rows)
            }
        },
    );
    let opt = move |label: Key, get: fn(&CleanOptions) -> bool, set: fn(&mut CleanOptions, bool), id: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox" data-testid=id prop:checked=move || get(&choices.clean.get())
                    on:change=move |ev| choices.clean.update(|c| set(c, event_target_checked(&ev)))/>
                {tr(label)}
            </label>
        }
    };
    view! {
        <div class="stack">
            <fieldset class="fieldset">
                <legend>{tr(Key::DescriptionColumns)}</legend>
                <div class="checks">{column_checks(columns.clone(), choices.descriptions, "desc")}</div>
                <small class="hint">{tr(Key::DescriptionColumnHelp)}</small>
            </fieldset>
            <fieldset class="fieldset">
                <legend>{tr(Key::Cleaning)}</legend>
                <div class="checks">
                    {opt(Key::OptLowercase, |c| c.lowercase, |c, v| c.lowercase = v, "opt-lowercase")}
                    {opt(Key::OptAccents, |c| c.strip_accents, |c, v| c.strip_accents = v, "opt-accents")}
                    {opt(Key::OptPunctuation, |c| c.strip_punctuation, |c, v| c.strip_punctuation = v, "opt-punctuation")}
                    {opt(Key::OptNoise, |c| c.strip_noise, |c, v| c.strip_noise = v, "opt-noise")}
                </div>
            </fieldset>
            <fieldset class="fieldset">
                <legend>{tr(Key::Dedup)}</legend>
                <div class="checks">
                    {[("exact", Key::DedupExact), ("cleaned", Key::DedupCleaned), ("key_columns", Key::DedupKeys)].into_iter().map(|(v, label)| view! {
                        <label class="check">
                            <input type="radio" name="dedup" value=v data-testid=format!("dedup-{v}")
                                prop:checked=move || choices.dedup.get() == v on:change=move |_| choices.dedup.set(v)/>
                            {tr(label)}
                        </label>
                    }).collect_view()}
                </div>
                {
                    let cols = columns.clone();
                    view! {
                        <Show when=move || choices.dedup.get() == "key_columns">
                            <div class="checks">{column_checks(cols.clone(), choices.keys, "key")}</div>
                        </Show>
                    }
                }
            </fieldset>
            <section aria-labelledby="clean-preview">
                <h3 id="clean-preview">{tr(Key::LivePreview)}</h3>
                <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match samples.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(rows) => view! { <CleanPreview rows choices/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <div class="actions">
                <button class="btn" data-testid="clean-back" on:click=move |_| go.run(Stage::Review)>{tr(Key::Back)}</button>
                <button class="btn btn-primary" data-testid="to-confirm" disabled=move || choices.descriptions.get().is_empty()
                    on:click=move |_| go.run(Stage::Confirm)>{tr(Key::Next2)}</button>
                {move || choices.descriptions.get().is_empty().then(|| view! { <span class="warn">{tr(Key::ChooseDescription)}</span> })}
            </div>
        </div>
    }
}

fn column_checks(columns: Vec<(String, ColumnType)>, list: RwSignal<Vec<String>>, prefix: &'static str) -> impl IntoView {
    let locale = use_locale();
    columns
        .into_iter()
        .map(|(name, kind)| {
            let n = name.clone();
            let n2 = name.clone();
            view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("{prefix}-{name}") prop:checked=move || list.get().contains(&n)
                        on:change=move |ev| toggle(list, &n2, event_target_checked(&ev))/>
                    <code>{name.clone()}</code>" "<span class="badge">{move || type_name(locale.get(), kind)}</span>
                </label>
            }
        })
        .collect_view()
}

/// The description of sample rows before and after cleaning, recomputed in the browser as options change.
#[component]
fn CleanPreview(rows: Vec<(Vec<String>, Vec<String>)>, choices: Choices) -> impl IntoView {
    let rows = StoredValue::new(rows);
    let lines = move || {
        let desc = choices.descriptions.get();
        let opts = choices.clean.get();
        rows.with_value(|rows| {
            rows.iter()
                .map(|(cols, values)| {
                    let picked: Vec<String> = desc
                        .iter()
                        .filter_map(|d| cols.iter().position(|c| c == d).and_then(|i| values.get(i)).cloned())
                        .collect();
                    let original = engine::clean::description_text(&picked);
                    let clean = clean_text(&original, &opts);
                    (original, clean)
                })
                .collect::<Vec<_>>()
        })
    };
    let distinct = move || {
        let l = lines();
        let mut keys: Vec<String> = l
            .iter()
            .map(|(o, c)| if choices.dedup.get() == "exact" { o.clone() } else { c.clone() })
            .collect();
        keys.sort();
        keys.dedup();
        (keys.len(), l.len())
    };
    view! {
        <p class="muted" data-testid="sample-unique">
            {move || fmt_int(distinct().0 as i64)}" "{tr(Key::SampleUnique)}" "{move || fmt_int(distinct().1 as i64)}
        </p>
        <div class="table-wrap"><table class="table">
            <thead><tr><th scope="col">{tr(Key::Original)}</th><th scope="col">{tr(Key::CleanValue)}</th></tr></thead>
            <tbody>
                {move || lines().into_iter().take(10).map(|(o, c)| view! { <tr><td>{o}</td><td><code>{c}</code></td></tr> }).collect_view()}
            </tbody>
        </table></div>
    }
}
