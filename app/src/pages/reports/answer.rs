//! An answer as every report screen shows it: the chart (SVG drawn on the server, or a KPI
//! number), and the rows as a table — the chart's accessible fallback and the figures themselves.

use engine::reports::{ChartKind, Drawn};
use leptos::prelude::*;
use serde_json::Value;

use crate::format::fmt_int;
use crate::i18n::{Key, tr, use_locale};

/// A cell as a reader reads it: numbers with the locale's decimal mark, yes/no for booleans.
pub fn cell_text(v: Option<&Value>, es: bool) -> String {
    engine::reports::display_cell(v, if es { engine::Lang::Es } else { engine::Lang::En }).0
}

#[component]
pub fn Answer(drawn: Drawn, chart: ChartKind, #[prop(into)] title: String) -> impl IntoView {
    let locale = use_locale();
    let es = move || locale.get() == crate::i18n::Locale::Es;
    let fields: Vec<String> = drawn.result.metadata.fields.iter().map(|f| f.name.clone()).collect();
    let numeric: Vec<bool> = drawn.result.metadata.fields.iter().map(|f| f.ty == "number").collect();
    let rows = drawn.result.data.clone();
    let total = drawn.result.metadata.total_rows;
    let kpi = (chart == ChartKind::Kpi).then(|| {
        let first = rows.first().cloned().unwrap_or_default();
        let name = fields.iter().zip(&numeric).find(|(_, n)| **n).map(|(f, _)| f.clone()).or_else(|| fields.first().cloned()).unwrap_or_default();
        (name.clone(), first.get(&name).cloned())
    });
    view! {
        <figure class="report-answer" data-testid="report-answer">
            {kpi.map(|(name, v)| view! {
                <div class="kpi-tile" data-testid="kpi"><span class="muted">{name}</span><strong>{move || cell_text(v.as_ref(), es())}</strong></div>
            })}
            {drawn.svg.map(|svg| view! { <div class="chart" role="img" aria-label=title.clone() data-testid="report-chart" inner_html=svg></div> })}
            <figcaption class="muted" data-testid="report-total">{fmt_int(total)}" "{tr(Key::RowsWord)}</figcaption>
            <div class="table-wrap">
                <table class="table" data-testid="report-table">
                    <thead><tr>{fields.iter().map(|f| view! { <th scope="col">{f.clone()}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| {
                            let cells: Vec<(Option<Value>, bool)> = fields.iter().zip(&numeric).map(|(f, n)| (r.get(f).cloned(), *n)).collect();
                            view! { <tr>{cells.into_iter().map(|(v, n)| view! { <td class:num=n>{move || cell_text(v.as_ref(), es())}</td> }).collect_view()}</tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </figure>
    }
}
