//! The funnel by channel, campaign or date, filtered by dates and UTMs: cost, clicks, leads,
//! opportunities, won, revenue and the ratios (a dash where a denominator is zero), with how many
//! opportunities were joined on the campaign alone or matched nothing. Opens as a report, or is
//! sent to the sink, signed.

use engine::etl::wire::{Dimension, FunnelPage, FunnelQuery};
use leptos::prelude::*;

use crate::api::{ExportFunnel, MakeFunnelReport, get_funnel};
use crate::components::{ErrorNote, TableHead};
use crate::format::{fmt_int, fmt_money, fmt_number, fmt_pct};
use crate::i18n::{Key, t, tr, use_locale};

fn ratio(x: Option<f64>, pct: bool) -> String {
    match x {
        None => "—".into(),
        Some(v) if pct => fmt_pct(v, 1),
        Some(v) => fmt_number(v, 2),
    }
}

#[component]
pub fn Funnel(can_report: bool, can_export: bool) -> impl IntoView {
    let dim = RwSignal::new(Dimension::Channel);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let utm = RwSignal::new(String::new());
    let offset = RwSignal::new(0i64);
    let query = move || FunnelQuery {
        from: from.get().parse().ok(),
        to: to.get().parse().ok(),
        utm_campaign: Some(utm.get()).filter(|s| !s.trim().is_empty()),
        limit: Some(50),
        offset: Some(offset.get()),
        ..Default::default()
    };
    let page = Resource::new(move || (dim.get(), query()), |(d, q)| get_funnel(d, q));
    let report = ServerAction::<MakeFunnelReport>::new();
    let export = ServerAction::<ExportFunnel>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move || {
        if let Some(Ok(id)) = report.value().get() {
            navigate(&format!("/reports/{id}"), Default::default());
        }
    });
    let tab = move |d: Dimension, k: Key| {
        view! {
            <button class="tab" role="tab" aria-selected=move || (dim.get() == d).to_string() data-testid=format!("funnel-by-{}", d.as_str())
                on:click=move |_| { dim.set(d); offset.set(0); }>{tr(k)}</button>
        }
    };
    view! {
        <section class="panel" aria-labelledby="funnel-title" data-testid="funnel">
            <div class="title-row">
                <h2 id="funnel-title">{tr(Key::Funnel)}</h2>
                <div class="actions">
                    {can_report.then(|| view! {
                        <button class="btn" data-testid="funnel-report" disabled=move || report.pending().get()
                            on:click=move |_| { report.dispatch(MakeFunnelReport { dimension: dim.get_untracked() }); }>{tr(Key::OpenAsReport)}</button>
                    })}
                    {can_export.then(|| view! {
                        <button class="btn" data-testid="funnel-export" disabled=move || export.pending().get()
                            on:click=move |_| { export.dispatch(ExportFunnel { dimension: dim.get_untracked(), query: query() }); }>{tr(Key::SendToSink)}</button>
                    })}
                </div>
            </div>
            <div class="tabs" role="tablist">
                {tab(Dimension::Channel, Key::ByChannel)}
                {tab(Dimension::Campaign, Key::ByCampaign)}
                {tab(Dimension::Date, Key::ByDate)}
            </div>
            <div class="filters">
                <label class="field field-inline"><span>{tr(Key::FromVersion)}</span><input type="date" data-testid="funnel-from" prop:value=move || from.get() on:change=move |ev| { from.set(event_target_value(&ev)); offset.set(0); }/></label>
                <label class="field field-inline"><span>{tr(Key::ToVersion)}</span><input type="date" data-testid="funnel-to" prop:value=move || to.get() on:change=move |ev| { to.set(event_target_value(&ev)); offset.set(0); }/></label>
                <label class="field field-inline"><span>"utm_campaign"</span><input type="search" data-testid="funnel-utm" prop:value=move || utm.get() on:change=move |ev| { utm.set(event_target_value(&ev)); offset.set(0); }/></label>
            </div>
            {move || export.value().get().map(|r| match r {
                Ok(x) => view! { <p class="note" role="status" data-testid="exported">{format!("{} · {} · HTTP {} · ", x.webhook_id, fmt_int(x.rows as i64), x.status)}{tr(Key::Signed)}</p> }.into_any(),
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
            {move || report.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(p) => view! { <FunnelTable p offset/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn FunnelTable(p: FunnelPage, offset: RwSignal<i64>) -> impl IntoView {
    let locale = use_locale();
    let total = p.total;
    let (fallback, unmatched) = (p.fallback_opportunities, p.unmatched_opportunities);
    let note = (fallback > 0 || unmatched > 0)
        .then(|| move || format!("{} {} · {} {}", fmt_int(fallback), t(locale.get(), Key::FallbackJoined), fmt_int(unmatched), t(locale.get(), Key::Unmatched)));
    if p.rows.is_empty() {
        return view! { <p class="muted" data-testid="funnel-empty">{tr(Key::NoFunnelRows)}</p> }.into_any();
    }
    view! {
        {note.map(|n| view! { <p class="note" data-testid="funnel-note">{n}</p> })}
        <div class="table-wrap"><table class="table table-numbers" data-testid="funnel-table">
            <TableHead cols=vec![Key::Group, Key::Cost, Key::Clicks, Key::Leads, Key::Opportunities, Key::Won, Key::Revenue, Key::Cpc, Key::Cpa, Key::CvrLeadOpp, Key::CvrOppWon, Key::Roas]/>
            <tbody>
                {p.rows.into_iter().map(|r| view! {
                    <tr data-testid="funnel-row" data-key=r.key.clone()>
                        <th scope="row">{r.key.clone()}{(r.fallback_opportunities > 0).then(|| view! { <span class="muted small" title=move || t(locale.get(), Key::FallbackJoined)>{format!(" ({}*)", r.fallback_opportunities)}</span> })}</th>
                        <td class="num" data-testid="funnel-cost">{fmt_money(r.cost)}</td>
                        <td class="num">{fmt_int(r.clicks)}</td>
                        <td class="num">{fmt_int(r.leads)}</td>
                        <td class="num" data-testid="funnel-opps">{fmt_int(r.opportunities)}</td>
                        <td class="num">{fmt_int(r.closed_won)}</td>
                        <td class="num" data-testid="funnel-revenue">{fmt_money(r.revenue)}</td>
                        <td class="num">{ratio(r.cpc, false)}</td>
                        <td class="num">{ratio(r.cpa, false)}</td>
                        <td class="num">{ratio(r.cvr_lead_to_opportunity, true)}</td>
                        <td class="num">{ratio(r.cvr_opportunity_to_won, true)}</td>
                        <td class="num" data-testid="funnel-roas">{ratio(r.roas, false)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
        <crate::components::Pager offset on_page=move |o| offset.set(o) page=50 total label=Key::PageOf/>
    }
    .into_any()
}
