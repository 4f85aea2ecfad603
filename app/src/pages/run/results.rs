//! The run page's lower half: the distribution of original rows by category, and the results table
//! (one row per original row) filtered by category and score.

use crate::api::AppError;
use engine::classify::CategoryCount;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{run_categories, run_results};
use crate::components::{ErrorNote, Pager, ShownExamples};
use crate::i18n::{Key, tr};
use crate::format::fmt_int;

const PAGE: i64 = 50;

type Categories = Resource<Result<Vec<CategoryCount>, AppError>>;

#[component]
pub fn Distribution(categories: Categories) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>{tr(Key::Distribution)}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let cats = categories.await.unwrap_or_default();
                    let max = cats.iter().map(|c| c.lines).max().unwrap_or(1).max(1);
                    let total: i64 = cats.iter().map(|c| c.lines).sum::<i64>().max(1);
                    view! {
                        <ul class="bars" data-testid="distribution">
                            {cats.into_iter().map(|c| view! {
                                <li>
                                    <span class="bar-label">{c.category.clone()}</span>
                                    <span class="bar"><span class="bar-fill" style:width=format!("{:.1}%", c.lines as f64 * 100.0 / max as f64)></span></span>
                                    <span class="num">{fmt_int(c.lines)}<span class="muted">{format!(" · {}", crate::format::fmt_pct(c.lines as f64 / total as f64, 1))}</span></span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn ResultsTable(id: Uuid, finished: Memo<bool>) -> impl IntoView {
    let offset = RwSignal::new(0i64);
    let category = RwSignal::new(String::new());
    let opened = RwSignal::new(std::collections::HashSet::<i32>::new());
    let min_score = RwSignal::new(String::new());
    let results = Resource::new(
        move || (finished.get(), offset.get(), category.get(), min_score.get()),
        move |(_, off, cat, min)| {
            let cat = Some(cat).filter(|c| !c.is_empty());
            let min = min.trim().replace(',', ".").parse::<f64>().ok();
            run_results(id, off, cat, min, None)
        },
    );
    // The filter's own list, read in its own boundary: a resource read from two boundaries (or
    // outside one) can deadlock server rendering and breaks hydration.
    let options = Resource::new(move || finished.get(), move |_| run_categories(id));
    view! {
        <section class="panel">
            <div class="title-row">
                <h2>{tr(Key::Results)}</h2>
                <div class="filters">
                    // The whole select is drawn once its options are known: a boundary inside a
                    // <select> leaves markers the browser's parser moves, and hydration fails.
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let cats = options.await.unwrap_or_default();
                            view! {
                                <label class="field field-inline">
                                    <span>{tr(Key::Category)}</span>
                                    <select data-testid="filter-category" prop:value=move || category.get()
                                        on:change=move |ev| { category.set(event_target_value(&ev)); offset.set(0); }>
                                        <option value="">{tr(Key::AllCategories)}</option>
                                        {cats.into_iter().map(|c| view! {
                                            <option value=c.category.clone()>{c.category.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            }
                        })}
                    </Transition>
                    <label class="field field-inline">
                        <span>{tr(Key::MinScore)}</span>
                        <input type="text" inputmode="decimal" size="4" placeholder="0.8" data-testid="filter-score"
                            prop:value=move || min_score.get()
                            on:change=move |ev| { min_score.set(event_target_value(&ev)); offset.set(0); }/>
                    </label>
                </div>
            </div>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(page) => {
                            let total = page.total_rows;
                            view! {
                                <div class="table-wrap"><table class="table table-stack" data-testid="results">
                                    <thead><tr>
                                        <th scope="col" class="num">"#"</th>
                                        <th scope="col">{tr(Key::Line)}</th>
                                        <th scope="col">{tr(Key::Category)}</th>
                                        <th scope="col" class="num">{tr(Key::Score)}</th>
                                        <th scope="col">{tr(Key::Reason)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.rows.into_iter().map(|r| view! {
                                            <tr>
                                                <td class="num cell-no">{r.row_no}</td>
                                                <td class="cell-line">{r.line}</td>
                                                <td class="cell-category"><span class="chip">{r.category}</span></td>
                                                <td class="num cell-score">{if r.score < 0.0 { "—".to_string() } else { crate::format::fmt_number(r.score, 2) }}</td>
                                                <td class="muted cell-reason">
                                                    {let reason = r.reason; move || engine::classify::reason_text(&reason, crate::i18n::use_locale().get().into())}
                                                    {(r.examples_shown > 0).then(|| view! { <ShownExamples run_id=id line_idx=r.line_idx count=r.examples_shown opened/> })}
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                                <Pager offset on_page=move |o| offset.set(o) page=PAGE total label=Key::PageOf/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
