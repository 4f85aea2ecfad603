//! The lists that lead from one thing to the next: a dataset's runs, the samples drawn from runs.

use engine::classify::RunListItem;
use engine::review::SampleListItem;
use leptos::prelude::*;

use super::{TableHead, status_key};
use crate::format::{fmt_int, fmt_time};
use crate::i18n::{Key, t, tr, use_locale};

/// Runs, newest first: status, prompt version, provider and model, lines done of total (and
/// failed), samples drawn, when it started and finished; each row opens the run.
#[component]
pub fn RunsTable(runs: Vec<RunListItem>, #[prop(optional)] with_dataset: bool) -> impl IntoView {
    let locale = use_locale();
    let mut cols = vec![Key::Status, Key::Prompt, Key::Model, Key::LinesColumn, Key::Samples, Key::Started, Key::Finished];
    if with_dataset {
        cols.insert(0, Key::Dataset);
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="runs">
            <TableHead cols actions=Key::Open/>
            <tbody>
                {runs.into_iter().map(|r| {
                    let status = r.status;
                    view! {
                        <tr data-testid="run-row">
                            {with_dataset.then(|| view! { <td><a href=format!("/datasets/{}", r.dataset_id)>{r.dataset_name.clone()}</a></td> })}
                            <td><span class=format!("status status-{}", status.as_str())>{move || t(locale.get(), status_key(status))}</span></td>
                            <td><a href=format!("/runs/{}", r.id)>{format!("{} v{}", r.prompt_name, r.prompt_version)}</a></td>
                            <td>
                                {crate::components::classifier_label(r.provider, &r.model)}
                            </td>
                            <td class="num">
                                {format!("{} / {}", fmt_int(r.done), fmt_int(r.total))}
                                {(r.failed > 0).then(|| view! { <span class="muted">" · "{fmt_int(r.failed)}" "{tr(Key::Failed)}</span> })}
                            </td>
                            <td class="num">{fmt_int(r.samples)}</td>
                            <td>{r.started_at.as_ref().map(fmt_time).unwrap_or_else(|| "—".into())}</td>
                            <td>{r.finished_at.as_ref().map(fmt_time).unwrap_or_else(|| "—".into())}</td>
                            <td><a class="btn" href=format!("/runs/{}", r.id) data-testid="open-run">{tr(Key::Open)}</a></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

/// Samples, newest first, with how far their review got and the accuracy so far; each row opens
/// the review (to continue it, or to read it once done).
#[component]
pub fn SamplesTable(samples: Vec<SampleListItem>, #[prop(optional)] with_dataset: bool) -> impl IntoView {
    let mut cols = vec![Key::Prompt, Key::ReviewProgress, Key::AccuracySoFar, Key::Created];
    if with_dataset {
        cols.insert(0, Key::Dataset);
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="reviews">
            <TableHead cols actions=Key::Continue/>
            <tbody>
                {samples.into_iter().map(|s| {
                    let done = s.reviewed >= s.size;
                    let share = if s.size > 0 { 100.0 * s.reviewed as f64 / s.size as f64 } else { 100.0 };
                    let accuracy = s.accuracy().map(|a| crate::format::fmt_pct(a, 1)).unwrap_or_else(|| "—".into());
                    view! {
                        <tr>
                            {with_dataset.then(|| view! { <td><a href=format!("/datasets/{}", s.dataset_id)>{s.dataset_name.clone()}</a></td> })}
                            <td><a href=format!("/runs/{}", s.run_id)>{format!("{} v{}", s.prompt_name, s.prompt_version)}</a></td>
                            <td class="num">
                                {format!("{} / {}", fmt_int(s.reviewed), fmt_int(s.size))}
                                <span class="bar bar-inline" aria-hidden="true"><span class="bar-fill" style:width=format!("{share:.1}%")></span></span>
                            </td>
                            <td class="num">{accuracy}</td>
                            <td>{fmt_time(&s.created_at)}</td>
                            <td><a class="btn" class:btn-primary=!done href=format!("/samples/{}", s.id) data-testid="open-review">
                                {tr(if done { Key::Open } else { Key::Continue })}
                            </a></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
