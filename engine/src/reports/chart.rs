//! A report's answer drawn as SVG by charts-rs (pure Rust with its own font, so the same bytes
//! wherever it is drawn): bars, lines, stacked bars (split by a second group-by), a pie. A table
//! and a KPI number are not pictures: the screens draw those themselves. The SVG is decoration
//! over data the page also gives as a table, so a reader without sight loses nothing.

use charts_rs::{BarChart, LineChart, PieChart, Series};
use serde_json::{Map, Value};

use super::compile::Kind;
use super::wire::{Chart, ChartKind};

/// Categories drawn at most; a longer answer is drawn in its first ones (the table has them all).
pub const MAX_CATEGORIES: usize = 60;

fn label(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn number(v: Option<&Value>) -> Option<f32> {
    v.and_then(Value::as_f64).filter(|f| f.is_finite()).map(|f| f as f32)
}

/// The x field and the value fields the chart draws: as chosen, else the first field along x and
/// every number after it.
pub fn axes(chart: &Chart, fields: &[(String, Kind)]) -> Option<(String, Vec<String>)> {
    let x = chart.x.clone().or_else(|| fields.first().map(|(n, _)| n.clone()))?;
    let ys: Vec<String> = if chart.y.is_empty() {
        fields.iter().filter(|(n, k)| *k == Kind::Number && *n != x && chart.series.as_deref() != Some(n)).map(|(n, _)| n.clone()).collect()
    } else {
        chart.y.clone()
    };
    (!ys.is_empty()).then_some((x, ys))
}

/// The SVG of `chart` over `rows`, or `None` for a table, a KPI, or nothing to draw.
pub fn svg(chart: &Chart, fields: &[(String, Kind)], rows: &[Map<String, Value>], width: f32, height: f32) -> Option<String> {
    if matches!(chart.kind, ChartKind::Table | ChartKind::Kpi) || rows.is_empty() {
        return None;
    }
    let (x, ys) = axes(chart, fields)?;
    let mut categories: Vec<String> = Vec::new();
    for r in rows {
        let c = label(r.get(&x));
        if !categories.contains(&c) && categories.len() < MAX_CATEGORIES {
            categories.push(c);
        }
    }
    let at = |c: &str| categories.iter().position(|k| k == c);
    let title = chart.title.clone().unwrap_or_default();
    let out = match chart.kind {
        ChartKind::Pie => {
            let y = &ys[0];
            let series: Vec<Series> = rows.iter().take(MAX_CATEGORIES).map(|r| (label(r.get(&x)).as_str(), vec![number(r.get(y)).unwrap_or(0.0).max(0.0)]).into()).collect();
            let mut c = PieChart::new(series);
            c.title.text = title;
            c.width = width;
            c.height = height;
            c.svg()
        }
        kind => {
            // Stacked bars split by the series field: one series per value of it.
            let series: Vec<Series> = match (kind, chart.series.as_deref()) {
                (ChartKind::StackedBar, Some(split)) => {
                    let y = &ys[0];
                    let mut names: Vec<String> = Vec::new();
                    let mut data: Vec<Vec<Option<f32>>> = Vec::new();
                    for r in rows {
                        let (Some(i), name) = (at(&label(r.get(&x))), label(r.get(split))) else { continue };
                        let k = match names.iter().position(|n| *n == name) {
                            Some(k) => k,
                            None => {
                                names.push(name);
                                data.push(vec![None; categories.len()]);
                                names.len() - 1
                            }
                        };
                        data[k][i] = number(r.get(y));
                    }
                    names.iter().zip(data).map(|(n, d)| (n.as_str(), d).into()).collect()
                }
                _ => ys
                    .iter()
                    .map(|y| {
                        let mut d = vec![None; categories.len()];
                        for r in rows {
                            if let Some(i) = at(&label(r.get(&x))) {
                                d[i] = number(r.get(y));
                            }
                        }
                        (y.as_str(), d).into()
                    })
                    .collect(),
            };
            if kind == ChartKind::Line {
                let mut c = LineChart::new(series, categories.clone());
                c.title.text = title;
                c.width = width;
                c.height = height;
                c.svg()
            } else {
                let mut c = BarChart::new(series, categories.clone());
                if kind == ChartKind::StackedBar {
                    c.series_list.iter_mut().for_each(|s| s.stack = Some("all".into()));
                }
                c.title.text = title;
                c.width = width;
                c.height = height;
                c.svg()
            }
        }
    };
    out.ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_draws_its_title_and_categories_and_tables_draw_nothing() {
        let fields = vec![("month".to_string(), Kind::Date), ("channel".to_string(), Kind::Text), ("cost".to_string(), Kind::Number)];
        let rows: Vec<Map<String, Value>> = [("2026-01-01", "search", 10.0), ("2026-01-01", "social", 5.0), ("2026-02-01", "search", 7.5)]
            .iter()
            .filter_map(|(m, c, v)| json!({ "month": m, "channel": c, "cost": v }).as_object().cloned())
            .collect();
        for kind in [ChartKind::Bar, ChartKind::Line, ChartKind::StackedBar, ChartKind::Pie] {
            let chart = Chart { kind, x: Some("month".into()), y: vec!["cost".into()], series: Some("channel".into()), title: Some("Coste por mes".into()) };
            let svg = svg(&chart, &fields, &rows, 600.0, 300.0).unwrap_or_default();
            assert!(svg.starts_with("<svg") && svg.contains("Coste por mes"), "{kind:?}: {}", &svg[..svg.len().min(200)]);
            assert!(svg.contains("2026-01-01"), "{kind:?} names its categories");
        }
        let stacked = Chart { kind: ChartKind::StackedBar, x: Some("month".into()), y: vec!["cost".into()], series: Some("channel".into()), title: None };
        let svg = svg(&stacked, &fields, &rows, 600.0, 300.0).unwrap_or_default();
        assert!(svg.contains("search") && svg.contains("social"), "a series per channel");
        for kind in [ChartKind::Table, ChartKind::Kpi] {
            assert_eq!(svg_of(kind, &fields, &rows), None);
        }
        assert_eq!(super::svg(&stacked, &fields, &[], 600.0, 300.0), None, "nothing to draw");
    }

    fn svg_of(kind: ChartKind, fields: &[(String, Kind)], rows: &[Map<String, Value>]) -> Option<String> {
        svg(&Chart { kind, ..Default::default() }, fields, rows, 600.0, 300.0)
    }
}
