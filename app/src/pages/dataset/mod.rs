//! A dataset: its de-duplication statistics, the largest groups of duplicates, every row (paged,
//! sortable, searchable) with its cleaned description and the size of its group, the upload's
//! rejected rows, and the button that starts classification.

mod runs;
mod shares;

use crate::api::AppError;
use engine::clean::RowsQuery;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use crate::format::fmt_int;
use crate::api::{RemoveDataset, get_dataset, get_dataset_rows};
use crate::components::{ErrorNote, Pager, RejectedList, browser};
use crate::i18n::{Key, t, tr, use_locale};

const PAGE: i64 = 50;

#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let load = |id: Option<Uuid>| async move {
        match id {
            Some(id) => get_dataset(id).await,
            None => Err(AppError::new(engine::ErrorCode::DatasetNotFound, "dataset not found")),
        }
    };
    let detail = Resource::new(id, load);
    // Each boundary reads a resource of its own: two boundaries sharing one can deadlock rendering.
    let rejected = Resource::new(id, load);
    let remove = ServerAction::<RemoveDataset>::new();
    let locale = use_locale();
    Effect::new(move || {
        if let Some(Ok(())) = remove.value().get() {
            browser::go("/datasets");
        }
    });
    view! {
      <div class="stack">
        <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    Ok(d) => {
                        let s = d.summary.clone();
                        let dataset_id = s.id;
                        // Effects run only once this part of the page is live in the browser: tests
                        // wait for the mark before clicking.
                        let ready = RwSignal::new(false);
                        Effect::new(move || ready.set(true));
                        let saved = if s.rows > 0 { 100.0 * (s.rows - s.unique_lines) as f64 / s.rows as f64 } else { 0.0 };
                        view! {
                            <div class="stack">
                                <section class="panel">
                                    <div class="title-row">
                                        <h1 data-testid="dataset-title">{s.name.clone()}</h1>
                                        <div class="actions">
                                        <button class="btn btn-ghost" data-testid="delete-dataset" disabled=move || remove.pending().get()
                                            on:click=move |_| {
                                                if browser::confirm(t(locale.get_untracked(), Key::ConfirmDeleteDataset)) {
                                                    remove.dispatch(RemoveDataset { id: dataset_id });
                                                }
                                            }>{tr(Key::Delete)}</button>
                                        <a class="btn btn-primary" data-testid="classify" data-ready=move || ready.get().to_string()
                                            href=format!("/datasets/{dataset_id}/classify")>{tr(Key::Classify)}</a>
                                        </div>
                                    </div>
                                    {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
                                    <div class="stats">
                                        <div class="stat"><span class="stat-value" data-testid="stat-rows">{fmt_int(s.rows)}</span><span class="stat-label">{tr(Key::Rows)}</span></div>
                                        <div class="stat"><span class="stat-value" data-testid="stat-unique">{fmt_int(s.unique_lines)}</span><span class="stat-label">{tr(Key::UniqueLines)}</span></div>
                                        <div class="stat"><span class="stat-value">{fmt_int(s.duplicate_groups)}</span><span class="stat-label">{tr(Key::DuplicateGroups)}</span></div>
                                        <div class="stat"><span class="stat-value">{fmt_int(d.duplicate_rows)}</span><span class="stat-label">{tr(Key::DuplicateRows)}" ("{format!("{saved:.1} %")}")"</span></div>
                                    </div>
                                    <p class="muted">{tr(Key::DescriptionColumns)}": "<code>{s.description_columns.join(" + ")}</code></p>
                                </section>
                                {(!d.largest_groups.is_empty()).then(|| view! {
                                    <section class="panel">
                                        <h2>{tr(Key::LargestGroups)}</h2>
                                        <div class="table-wrap"><table class="table table-compact">
                                            <thead><tr>
                                                <th scope="col" class="num">{tr(Key::Rows)}</th>
                                                <th scope="col">{tr(Key::Line)}</th>
                                                <th scope="col">{tr(Key::CleanValue)}</th>
                                            </tr></thead>
                                            <tbody>{d.largest_groups.iter().map(|g| view! {
                                                <tr><td class="num">{fmt_int(i64::from(g.rows))}</td><td>{g.text.clone()}</td><td><code>{g.clean_text.clone()}</code></td></tr>
                                            }).collect_view()}</tbody>
                                        </table></div>
                                    </section>
                                })}
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        // Outside the Suspense above, so its resource is created while the page renders: the server
        // sends its first page along, and the browser does not fetch it again on hydration (a late
        // answer to that second fetch could overwrite a search typed meanwhile).
        {move || id().map(|dataset_id| view! { <runs::DatasetRuns dataset_id/> })}
        {move || id().map(|dataset_id| view! { <RowsTable dataset_id/> })}
        {move || id().map(|dataset_id| view! { <shares::SharesPanel dataset_id/> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                rejected.await.ok().filter(|d| d.rejected_rows > 0).map(|d| view! {
                    <section class="panel">
                        <h2>{tr(Key::RejectedRows)}" ("{fmt_int(d.rejected_rows)}")"</h2>
                        <RejectedList upload_id=d.summary.upload_id/>
                    </section>
                })
            })}
        </Suspense>
      </div>
    }
}

#[component]
fn RowsTable(dataset_id: Uuid) -> impl IntoView {
    // The search lives in the URL too (`?q=`): the form works before the page hydrates, and a
    // filtered view can be bookmarked or shared.
    let from_url = use_query_map().with_untracked(|m| m.get("q")).filter(|q| !q.trim().is_empty());
    let query = RwSignal::new(RowsQuery { limit: Some(PAGE), q: from_url.clone(), ..Default::default() });
    // Read from the element on submit: text typed before the page hydrated counts too.
    let search_input = NodeRef::<leptos::html::Input>::new();
    let page = Resource::new(move || query.get(), move |q| get_dataset_rows(dataset_id, q));
    let sort_by = move |col: String| {
        query.update(|q| {
            if q.sort.as_deref() == Some(col.as_str()) {
                q.desc = !q.desc;
            } else {
                q.sort = Some(col);
                q.desc = false;
            }
            q.offset = 0;
        })
    };
    let arrow = move |col: &str| {
        let q = query.get();
        match (q.sort.as_deref() == Some(col), q.desc) {
            (true, false) => " ▲",
            (true, true) => " ▼",
            _ => "",
        }
    };
    view! {
        <section class="panel" aria-labelledby="rows-title">
            <div class="title-row">
                <h2 id="rows-title">{tr(Key::Rows)}</h2>
                <form class="search" method="get" on:submit=move |ev| {
                    ev.prevent_default();
                    let text = search_input.get().map(|i| i.value()).unwrap_or_default();
                    query.update(|q| { q.q = Some(text).filter(|t| !t.trim().is_empty()); q.offset = 0; });
                }>
                    <input type="search" name="q" aria-label=tr(Key::Search) placeholder=tr(Key::SearchHint) data-testid="rows-search"
                        value=from_url.clone().unwrap_or_default() node_ref=search_input/>
                    <button class="btn" type="submit">{tr(Key::Search)}</button>
                </form>
            </div>
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(p) if p.rows.is_empty() => view! { <p class="muted">{tr(Key::NoRows)}</p> }.into_any(),
                        Ok(p) => {
                            let shown = p.total;
                            view! {
                                <div class="table-wrap"><table class="table table-compact" data-testid="rows-table">
                                    <thead><tr>
                                        <th scope="col" class="num"><button class="th-sort" on:click=move |_| sort_by("row_no".into())>"#"{move || arrow("row_no")}</button></th>
                                        <th scope="col">{tr(Key::File)}</th>
                                        <th scope="col" class="num"><button class="th-sort" on:click=move |_| sort_by("group_rows".into())>{tr(Key::Group)}{move || arrow("group_rows")}</button></th>
                                        {p.columns.iter().map(|c| {
                                            let col = c.clone();
                                            let label = c.clone();
                                            let sortable = !c.starts_with("clean_");
                                            view! {
                                                <th scope="col" class:clean=!sortable>
                                                    {if sortable {
                                                        let key = col.clone();
                                                        view! { <button class="th-sort" on:click=move |_| sort_by(col.clone())>{label}{move || arrow(&key)}</button> }.into_any()
                                                    } else { view! { <span>{label}</span> }.into_any() }}
                                                </th>
                                            }
                                        }).collect_view()}
                                    </tr></thead>
                                    <tbody>{p.rows.into_iter().map(|r| view! {
                                        <tr>
                                            <td class="num muted">{r.row_no}</td>
                                            <td class="muted" title=format!("line {}", r.line_no)>{r.file}</td>
                                            <td class="num">{(r.group_rows > 1).then(|| format!("×{}", r.group_rows))}</td>
                                            {r.values.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}
                                        </tr>
                                    }).collect_view()}</tbody>
                                </table></div>
                                <Pager offset=Signal::derive(move || query.get().offset) on_page=move |o| query.update(|q| q.offset = o)
                                    page=PAGE total=shown label=Key::RowsOf testid="rows-range"/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
