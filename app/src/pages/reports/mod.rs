//! Reports: the list of those the reader may run; building one (`builder`, with a live preview),
//! running one with its parameters, exports and sharing (`view`, `share`), and the admins'
//! inventory of shared links (`links`).

use leptos::prelude::*;

mod answer;
mod builder;
mod parts;
mod share;
mod view;
mod links;

pub use builder::ReportBuilderPage;
pub use links::LinkInventoryPage;
pub use view::ReportPage;

use crate::api::get_reports;
use crate::components::{ErrorNote, TableHead};
use crate::format::fmt_time;
use crate::i18n::{Key, tr};

#[component]
pub fn ReportsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_reports());
    view! {
        <div class="stack">
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(o) => view! {
                            <section class="panel" aria-labelledby="reports-title">
                                <div class="title-row">
                                    <h1 id="reports-title">{tr(Key::NavReports)}</h1>
                                    <div class="actions">
                                        {o.can_admin.then(|| view! { <a class="btn" href="/reports/links" data-testid="link-inventory">{tr(Key::SharedLinks)}</a> })}
                                        {o.can_create.then(|| view! { <a class="btn btn-primary" href="/reports/new" data-testid="new-report">{tr(Key::NewReport)}</a> })}
                                    </div>
                                </div>
                                <p class="muted">{tr(Key::ReportsHint)}</p>
                                {if o.reports.is_empty() {
                                    view! { <p class="muted" data-testid="no-reports">{tr(Key::NoReports)}</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="table" data-testid="reports">
                                            <TableHead cols=vec![Key::Name, Key::Source, Key::Chart, Key::Owner, Key::Version, Key::Updated]/>
                                            <tbody>
                                                {o.reports.into_iter().map(|r| view! {
                                                    <tr data-testid="report-row">
                                                        <td><a href=format!("/reports/{}", r.id)>{r.name.clone()}</a></td>
                                                        <td><code>{r.source.clone()}</code></td>
                                                        <td>{r.chart.as_str()}</td>
                                                        <td>{r.owner.clone()}</td>
                                                        <td>{format!("v{}", r.version)}</td>
                                                        <td>{fmt_time(&r.updated_at)}</td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
