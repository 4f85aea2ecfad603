//! The review screen's lower half: honest metrics (accuracy with its interval, the estimate for the
//! whole run, per-category scores, the confusion matrix as a heat map) and the iterations of the
//! prompt on the same items (re-run a version, compare two, apply one to the whole dataset).

use crate::api::AppError;
use engine::review::{Iteration, SampleMetrics, Scope};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{get_corrections, AddCorrectionExamples, compare_iterations, get_iterations, get_sample_metrics};
use crate::components::{CorrectionGroups, ErrorNote, browser, classifier_label, status_key};
use crate::format::{fmt_number, fmt_pct};
use crate::i18n::{Key, t, tr, use_locale};

fn pct(x: f64) -> String {
    fmt_pct(x, 1)
}

#[component]
pub fn MetricsPanel(sample_id: Uuid, refresh: RwSignal<u32>) -> impl IntoView {
    // Loaded in the browser, again whenever verdicts settle: an explicit fetch into a signal, so a
    // fast reviewer's stream of changes never leaves a stale answer on screen.
    let metrics: RwSignal<Option<Result<SampleMetrics, AppError>>> = RwSignal::new(None);
    let load = Action::new(move |_: &u32| async move {
        metrics.try_set(Some(get_sample_metrics(sample_id, None).await));
    });
    Effect::new(move |_| {
        load.dispatch(refresh.get());
    });
    view! {
        <section class="panel" data-testid="metrics">
            <h2>{tr(Key::Metrics)}</h2>
            {move || match metrics.get() {
                None => view! { <p class="muted">{tr(Key::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNote error=e/> }.into_any(),
                Some(Ok(m)) => view! { <MetricsView m/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn MetricsView(m: SampleMetrics) -> impl IntoView {
    let locale = use_locale();
    let max = m.confusion.iter().flatten().copied().max().unwrap_or(1).max(1);
    let labels = m.labels.clone();
    view! {
        <div class="stats">
            <div class="stat"><span class="stat-value" data-testid="accuracy">{m.accuracy.map(pct).unwrap_or_else(|| "—".into())}</span>
                <span class="stat-label">{tr(Key::Accuracy)}{m.accuracy_ci.map(|[lo, hi]| {
                    let level = format!("{:.0}", m.confidence * 100.0);
                    move || format!(" · {} {level}\u{a0}%: {}–{}", t(locale.get(), Key::IntervalShort), pct(lo), pct(hi))
                })}</span></div>
            <div class="stat"><span class="stat-value">{m.population_estimate.map(pct).unwrap_or_else(|| "—".into())}</span>
                <span class="stat-label">{tr(Key::WholeRunEstimate)}{m.population_ci.map(|[lo, hi]| format!(" · {}–{}", pct(lo), pct(hi)))}</span></div>
            <div class="stat"><span class="stat-value">{m.reviewed}</span><span class="stat-label">{tr(Key::Reviewed)}</span></div>
            <div class="stat"><span class="stat-value">{m.skipped}</span><span class="stat-label">{tr(Key::VerdictSkipped)}</span></div>
        </div>
        {(!m.most_confused.is_empty()).then(|| view! {
            <p class="diff-summary"><span class="muted">{tr(Key::MostConfused)}": "</span>
                {m.most_confused.iter().map(|c| view! { <span class="chip">{format!("{} → {} ({})", c.truth, c.predicted, c.count)}</span>" " }).collect_view()}
            </p>
        })}
        <div class="table-wrap"><table class="table table-compact" data-testid="per-category">
            <thead><tr><th scope="col">{tr(Key::Category)}</th><th class="num">"P"</th><th class="num">"R"</th><th class="num">"F1"</th><th class="num">{tr(Key::Support)}</th></tr></thead>
            <tbody>
                {m.per_category.iter().map(|c| view! {
                    <tr><td>{c.category.clone()}</td><td class="num">{fmt_number(c.precision, 2)}</td><td class="num">{fmt_number(c.recall, 2)}</td>
                        <td class="num">{fmt_number(c.f1, 2)}</td><td class="num">{c.support}</td></tr>
                }).collect_view()}
            </tbody>
        </table></div>
        {(!labels.is_empty()).then(|| view! {
            <h3>{tr(Key::Confusion)}</h3>
            <div class="table-wrap"><table class="heatmap" data-testid="confusion">
                <thead><tr><th scope="col" class="muted">{tr(Key::TruthVsPredicted)}</th>
                    {labels.iter().map(|l| view! { <th scope="col">{l.clone()}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {m.confusion.iter().enumerate().map(|(r, row)| view! {
                        <tr><th scope="row">{labels[r].clone()}</th>
                            {row.iter().enumerate().map(|(c, n)| {
                                let alpha = *n as f64 / max as f64;
                                let tone = if r == c { "31, 111, 92" } else { "164, 38, 44" };
                                view! { <td class="num" style:background=format!("rgba({tone}, {:.2})", alpha * 0.85)
                                    style:color={if alpha > 0.5 { "#fff" } else { "inherit" }}>{*n}</td> }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        })}
    }
}

#[component]
pub fn IterationsPanel(sample_id: Uuid, versions: RwSignal<Vec<(Uuid, i32)>>, refresh: RwSignal<u32>) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    // Accuracy per iteration moves with every verdict, and with the refresh button.
    let list: RwSignal<Option<Result<Vec<Iteration>, AppError>>> = RwSignal::new(None);
    // Loads can overlap (a verdict, a click, the poll); only the latest one may set the list, or a slow
    // older answer would put back a list without the newest iteration.
    let latest = StoredValue::new(0u64);
    let load = Action::new(move |_: &(u32, u32)| {
        let mine = latest.get_value() + 1;
        latest.set_value(mine);
        async move {
            let answer = get_iterations(sample_id).await;
            // The panel may be gone by now; then nothing is written.
            if latest.try_get_value() == Some(mine) {
                list.try_set(Some(answer));
            }
        }
    });
    Effect::new(move |_| {
        load.dispatch((tick.get(), refresh.get()));
    });
    // While an iteration is queued or running, follow it without anyone pressing refresh.
    Effect::new(move |_| {
        let busy = list.with(|l| matches!(l, Some(Ok(its)) if its.iter().any(|i| !i.status.is_terminal())));
        if busy {
            set_timeout(move || { tick.try_update(|t| *t += 1); }, std::time::Duration::from_millis(1000));
        }
    });
    let locale = use_locale();
    let chosen = RwSignal::new(versions.with_untracked(|v| v.first().map(|v| v.0).unwrap_or_default()));
    // A version saved from the corrections becomes the one to re-run.
    Effect::new(move |_| {
        if let Some(first) = versions.with(|v| v.first().map(|v| v.0)) {
            chosen.set(first);
        }
    });
    let before: RwSignal<Option<Uuid>> = RwSignal::new(None);
    let after: RwSignal<Option<Uuid>> = RwSignal::new(None);
    let started = Callback::new(move |(scope, run): (Scope, Uuid)| match scope {
        Scope::Sample => { tick.try_update(|t| *t += 1); }
        Scope::Dataset => browser::go(&format!("/runs/{run}")),
    });
    view! {
        <section class="panel" data-testid="iterations">
            <div class="title-row">
                <h2>{tr(Key::Iterations)}</h2>
                <div class="actions">
                    <a class="btn btn-ghost" data-testid="report-accuracy" href=format!("/reports/new?sample={sample_id}&template=accuracy")>{tr(Key::AccuracyByIteration)}</a>
                    <a class="btn btn-ghost" data-testid="report-confusions" href=format!("/reports/new?sample={sample_id}&template=confusions")>{tr(Key::ConfusedPairs)}</a>
                    <button class="btn btn-ghost" data-testid="refresh-iterations" on:click=move |_| tick.update(|t| *t += 1)>{tr(Key::Refresh)}</button>
                </div>
            </div>
            <super::launch::LaunchFromSample sample_id versions chosen started/>
            {move || {
                    let its = match list.get() {
                        None => return view! { <p class="muted">{tr(Key::Loading)}</p> }.into_any(),
                        Some(Ok(i)) => i,
                        Some(Err(e)) => return view! { <ErrorNote error=e/> }.into_any(),
                    };
                    let max_n = its.len();
                    // Any two iterations; by default the first against the last.
                    let pair = (its.len() >= 2).then(|| {
                        let a = before.get().filter(|b| its.iter().any(|i| i.run_id == *b)).unwrap_or(its[0].run_id);
                        let b = after.get().filter(|b| its.iter().any(|i| i.run_id == *b)).unwrap_or(its[its.len() - 1].run_id);
                        (a, b)
                    });
                    let labels: Vec<(Uuid, String)> = its.iter().map(|i| (i.run_id, format!("#{} · v{}", i.number, i.prompt_version))).collect();
                    let picker = move |signal: RwSignal<Option<Uuid>>, current: Uuid, testid: &'static str| {
                        let options = labels.clone();
                        view! {
                            <select data-testid=testid on:change=move |ev| signal.set(Uuid::parse_str(&event_target_value(&ev)).ok())>
                                {options.into_iter().map(|(id, label)| view! { <option value=id.to_string() selected=id == current>{label}</option> }).collect_view()}
                            </select>
                        }
                    };
                    let first = its.first().map(|i| (i.provider, i.model.clone()));
                    view! {
                        <ol class="history-chart" data-testid="iteration-list">
                            {its.into_iter().map(|i| {
                                let width = i.accuracy.map_or(0.0, |a| a * 100.0);
                                let other = first.as_ref().is_some_and(|f| f.0 != i.provider || f.1 != i.model);
                                let classifier = classifier_label(i.provider, &i.model);
                                view! {
                                    <li>
                                        <span class="bar-label">{format!("#{} · {} v{} · ", i.number, i.prompt_name, i.prompt_version)}
                                            <span data-testid="iteration-status">{move || t(locale.get(), status_key(i.status))}</span>
                                            " "<span class="chip" class:chip-warn=other data-testid="iteration-model"
                                                title=move || other.then(|| t(locale.get(), Key::OtherClassifier))>{classifier}</span></span>
                                        <span class="bar"><span class="bar-fill" style:width=format!("{width:.1}%")></span></span>
                                        <span class="num" data-testid="iteration-accuracy">{i.accuracy.map(pct).unwrap_or_else(|| "—".into())}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                        {pair.map(|(a, b)| view! {
                            <div class="filters">
                                <span class="muted">{tr(Key::CompareTitle)}</span>
                                {picker(before, a, "compare-before")}<span class="muted">"→"</span>{picker(after, b, "compare-after")}
                            </div>
                            <CompareView sample_id before=a after=b/>
                        })}
                        {(max_n < 2).then(|| view! { <p class="hint">{tr(Key::IterationsHint)}</p> })}
                    }.into_any()
                }}
        </section>
    }
}

#[component]
fn CompareView(sample_id: Uuid, before: Uuid, after: Uuid) -> impl IntoView {
    let locale = use_locale();
    let cmp = Resource::new(move || (before, after), move |(a, b)| compare_iterations(sample_id, a, b));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let c = match cmp.await { Ok(c) => c, Err(e) => return view! { <ErrorNote error=e/> }.into_any() };
                let delta = match (c.before.accuracy, c.after.accuracy) {
                    (Some(a), Some(b)) => format!("{}{} {}", if b >= a { "+" } else { "" }, fmt_number((b - a) * 100.0, 1), t(locale.get_untracked(), Key::PointsShort)),
                    _ => "—".into(),
                };
                view! {
                    <p><span class="chip" data-testid="accuracy-delta">{delta}</span>
                        <span class="muted">{format!(" {} → {}", c.before.accuracy.map(pct).unwrap_or_else(|| "—".into()), c.after.accuracy.map(pct).unwrap_or_else(|| "—".into()))}</span></p>
                    <div class="compare-grid">
                        <div><h4>{tr(Key::Fixed)}" ("{c.fixed.len()}")"</h4>
                            <ul class="changed" data-testid="fixed">{c.fixed.iter().map(|l| view! { <li>{l.line.clone()}<span class="muted">{format!(" {} → {}", l.before, l.after)}</span></li> }).collect_view()}</ul></div>
                        <div><h4>{tr(Key::Broken)}" ("{c.broken.len()}")"</h4>
                            <ul class="changed" data-testid="broken">{c.broken.iter().map(|l| view! { <li>{l.line.clone()}<span class="muted">{format!(" {} → {}", l.before, l.after)}</span></li> }).collect_view()}</ul></div>
                    </div>
                    <div class="table-wrap"><table class="table table-compact">
                        <thead><tr><th>{tr(Key::Category)}</th><th class="num">"F1 ←"</th><th class="num">"F1 →"</th><th class="num">"Δ"</th></tr></thead>
                        <tbody>{c.per_category.iter().map(|d| view! {
                            <tr><td>{d.category.clone()}</td><td class="num">{fmt_number(d.f1_before, 2)}</td><td class="num">{fmt_number(d.f1_after, 2)}</td>
                                <td class="num">{format!("{}{}", if d.f1_after >= d.f1_before { "+" } else { "" }, fmt_number(d.f1_after - d.f1_before, 2))}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            })}
        </Transition>
    }
}

/// The lines the model got wrong, grouped by the right category, and the way to turn them into
/// few-shot examples in the prompt's next version: in the prompt itself when the reviewer may edit it
/// (asking first when it is everyone's default), else in a copy that becomes theirs.
#[component]
pub fn CorrectionsPanel(
    sample_id: Uuid,
    refresh: RwSignal<u32>,
    versions: RwSignal<Vec<(Uuid, i32)>>,
    editable: bool,
    is_default: bool,
) -> impl IntoView {
    let groups: RwSignal<Option<Result<Vec<engine::review::CorrectionGroup>, AppError>>> = RwSignal::new(None);
    let load = Action::new(move |_: &u32| async move {
        groups.try_set(Some(get_corrections(sample_id).await));
    });
    Effect::new(move |_| {
        load.dispatch(refresh.get());
    });
    let add = ServerAction::<AddCorrectionExamples>::new();
    // Whether the last save went into a copy (the note says where the examples are).
    let copied = RwSignal::new(false);
    let confirm_default = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok((id, version))) = add.value().get() {
            versions.update(|v| if !v.iter().any(|x| x.0 == id) { v.insert(0, (id, version)) });
        }
    });
    let save = move |into_copy: bool| {
        confirm_default.set(false);
        copied.set(into_copy);
        add.dispatch(AddCorrectionExamples { id: sample_id, into_copy });
    };
    view! {
        <section class="panel" data-testid="corrections">
            <div class="title-row">
                <h2>{tr(Key::Corrections)}</h2>
                <div class="actions">
                    <a class="btn btn-ghost" data-testid="open-editor" href=format!("/prompts?sample={sample_id}")>{tr(Key::OpenPromptEditor)}</a>
                    {if editable {
                        view! {
                            <button class="btn" data-testid="add-examples" disabled=move || add.pending().get()
                                on:click=move |_| if is_default { confirm_default.set(true) } else { save(false) }>{tr(Key::AddAsExamples)}</button>
                        }.into_any()
                    } else {
                        view! {
                            <button class="btn" data-testid="add-examples-copy" disabled=move || add.pending().get()
                                on:click=move |_| save(true)>{tr(Key::AddAsExamplesInCopy)}</button>
                        }.into_any()
                    }}
                </div>
            </div>
            {(!editable).then(|| view! { <p class="hint" data-testid="not-your-prompt">{tr(Key::NotYourPromptHint)}</p> })}
            <Show when=move || confirm_default.get()>
                <div class="confirm-box" role="alertdialog" aria-labelledby="default-warning" data-testid="confirm-default">
                    <p id="default-warning">{tr(Key::DefaultPromptWarning)}</p>
                    <div class="actions">
                        <button class="btn" on:click=move |_| confirm_default.set(false)>{tr(Key::Cancel)}</button>
                        <button class="btn" data-testid="confirm-copy" on:click=move |_| save(true)>{tr(Key::AddAsExamplesInCopy)}</button>
                        <button class="btn btn-primary" data-testid="confirm-default-save" on:click=move |_| save(false)>{tr(Key::SaveDefaultAnyway)}</button>
                    </div>
                </div>
            </Show>
            {move || add.value().get().map(|r| match r {
                Ok((_, v)) => view! { <p class="note" role="status" data-testid="examples-saved">
                    {move || tr(if copied.get() { Key::SavedInCopy } else { Key::SavedVersion })()}" "{v}</p> }.into_any(),
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
            {move || match groups.get() {
                None => view! { <p class="muted">{tr(Key::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNote error=e/> }.into_any(),
                Some(Ok(g)) if g.is_empty() => view! { <p class="hint">{tr(Key::NoCorrections)}</p> }.into_any(),
                Some(Ok(g)) => view! { <CorrectionGroups groups=g/> }.into_any(),
            }}
        </section>
    }
}
