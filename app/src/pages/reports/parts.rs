//! The builder's sections over one draft: what to show (rows, or groups with aggregates and
//! derived metrics), filters (fixed, a parameter, or locked), order and limit, and the chart.
//! Lists commit a text field when it is left (so typing never loses its place); a formula is
//! judged as it is typed by the server's own parser, compiled to wasm.

use engine::reports::{
    Aggregate, AggregateFn, Bucket, Chart, ChartKind, Derived, FilterMode, GroupBy, Operator, ReportFilter, ReportSort, ReportSpec, SortDirection, Source, SourceFieldInfo,
};
use leptos::prelude::*;
use serde_json::{Value, json};

use crate::i18n::{Key, t, tr, use_locale};

/// A filter as the form holds it: its value as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterRow {
    pub field: String,
    pub operator: Operator,
    pub text: String,
    pub mode: FilterMode,
}

#[derive(Clone, Copy)]
pub struct Draft {
    pub name: RwSignal<String>,
    pub description: RwSignal<String>,
    pub source: RwSignal<Option<Source>>,
    pub fields: RwSignal<Vec<SourceFieldInfo>>,
    pub summarise: RwSignal<bool>,
    pub columns: RwSignal<Vec<String>>,
    pub filters: RwSignal<Vec<FilterRow>>,
    pub group_by: RwSignal<Vec<GroupBy>>,
    pub aggregates: RwSignal<Vec<Aggregate>>,
    pub derived: RwSignal<Vec<Derived>>,
    pub sort: RwSignal<Vec<ReportSort>>,
    pub limit: RwSignal<Option<i64>>,
    pub chart: RwSignal<Chart>,
}

use engine::eav::Operator as Op;
const OPERATORS: [(Operator, &str); 12] = Op::SYMBOLS;

/// A filter's typed text as the value its field wants: numbers for numbers, a list for in (comma
/// separated), `a..b` for between, yes/no for is null; empty is no value.
pub fn value_of(ty: &str, op: Operator, text: &str) -> Value {
    let one = |s: &str| -> Value {
        let s = s.trim();
        match ty {
            "number" => s.replace(',', ".").parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::String(s.into()), Value::Number),
            "boolean" => Value::Bool(matches!(s.to_lowercase().as_str(), "true" | "sí" | "si" | "yes" | "1")),
            _ => Value::String(s.into()),
        }
    };
    if text.trim().is_empty() && op != Operator::IsNull {
        return Value::Null;
    }
    match op {
        Operator::In | Operator::NotIn => Value::Array(text.split(',').filter(|p| !p.trim().is_empty()).map(one).collect()),
        Operator::Between => {
            let (a, b) = text.split_once("..").unwrap_or((text, text));
            json!([one(a), one(b)])
        }
        Operator::IsNull => Value::Bool(!matches!(text.trim().to_lowercase().as_str(), "no" | "false" | "0")),
        _ => one(text),
    }
}

/// The text a stored value is typed as again.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.len() == 2 => format!("{}..{}", text_of(&items[0]), text_of(&items[1])),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// What a report's runner may set: its parameter filters and an SQL report's named parameters,
/// each with its operator and the value it starts at, as text.
pub fn parameters_of(spec: &ReportSpec) -> Vec<(String, Operator, String)> {
    spec.parameters().into_iter().map(|f| (f.field, f.operator, text_of(&f.value))).collect()
}

impl Draft {
    pub fn new() -> Draft {
        Draft {
            name: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            source: RwSignal::new(None),
            fields: RwSignal::new(Vec::new()),
            summarise: RwSignal::new(true),
            columns: RwSignal::new(Vec::new()),
            filters: RwSignal::new(Vec::new()),
            group_by: RwSignal::new(Vec::new()),
            aggregates: RwSignal::new(vec![Aggregate { func: AggregateFn::Count, field: None, alias: "n".into() }]),
            derived: RwSignal::new(Vec::new()),
            sort: RwSignal::new(Vec::new()),
            limit: RwSignal::new(None),
            chart: RwSignal::new(Chart { kind: ChartKind::Bar, ..Default::default() }),
        }
    }

    /// The ready-made classification summary of a run: its lines by category, with the count and
    /// the share of each, largest first, as a pie.
    pub fn summary_of(self, source: Source, name: &str) {
        self.name.set(name.to_string());
        self.source.set(Some(source));
        self.summarise.set(true);
        self.group_by.set(vec![GroupBy { field: "category".into(), bucket: None }]);
        self.aggregates.set(vec![
            Aggregate { func: AggregateFn::Count, field: None, alias: "lines".into() },
            Aggregate { func: AggregateFn::Share, field: None, alias: "share".into() },
            Aggregate { func: AggregateFn::Avg, field: Some("score".into()), alias: "mean_score".into() },
        ]);
        self.sort.set(vec![ReportSort { field: "lines".into(), direction: SortDirection::Desc }]);
        self.chart.set(Chart { kind: ChartKind::Pie, x: Some("category".into()), y: vec!["lines".into()], series: None, title: Some(name.to_string()) });
    }

    /// Ready-made over a reviewed sample: each iteration's accuracy with its 95 % interval
    /// (`accuracy`), or the pairs the model confuses most (`confusions`).
    pub fn sample_template(self, sample_id: uuid::Uuid, template: &str, name: &str) {
        self.name.set(name.to_string());
        self.source.set(Some(Source::Sample { sample_id }));
        self.summarise.set(true);
        if template == "confusions" {
            self.filters.set(vec![
                FilterRow { field: "correct".into(), operator: Operator::Eq, text: "0".into(), mode: FilterMode::Locked },
                FilterRow { field: "prompt_version".into(), operator: Operator::Eq, text: String::new(), mode: FilterMode::Parameter },
            ]);
            self.group_by.set(vec![GroupBy { field: "truth".into(), bucket: None }, GroupBy { field: "predicted".into(), bucket: None }]);
            self.aggregates.set(vec![Aggregate { func: AggregateFn::Count, field: None, alias: "lines".into() }]);
            self.sort.set(vec![ReportSort { field: "lines".into(), direction: SortDirection::Desc }]);
            self.limit.set(Some(10));
            self.chart.set(Chart { kind: ChartKind::Table, title: Some(name.to_string()), ..Default::default() });
        } else {
            self.group_by.set(vec![GroupBy { field: "prompt_version".into(), bucket: None }]);
            self.aggregates.set(vec![
                Aggregate { func: AggregateFn::Count, field: None, alias: "lines".into() },
                Aggregate { func: AggregateFn::Avg, field: Some("correct".into()), alias: "accuracy".into() },
            ]);
            // A normal approximation of the 95 % interval of a proportion.
            self.derived.set(vec![
                Derived { alias: "low".into(), formula: "accuracy - 1.96 * sqrt(accuracy * (1 - accuracy) / lines)".into() },
                Derived { alias: "high".into(), formula: "accuracy + 1.96 * sqrt(accuracy * (1 - accuracy) / lines)".into() },
            ]);
            self.sort.set(vec![ReportSort { field: "prompt_version".into(), direction: SortDirection::Asc }]);
            self.chart.set(Chart { kind: ChartKind::Line, x: Some("prompt_version".into()), y: vec!["accuracy".into(), "low".into(), "high".into()], series: None, title: Some(name.to_string()) });
        }
    }

    /// The draft filled from a saved spec.
    pub fn load(self, name: &str, description: &str, spec: &ReportSpec) {
        self.name.set(name.to_string());
        self.description.set(description.to_string());
        self.source.set(Some(spec.source.clone()));
        self.summarise.set(!spec.group_by.is_empty() || !spec.aggregates.is_empty());
        self.columns.set(spec.columns.clone());
        self.filters.set(spec.filters.iter().map(|f| FilterRow { field: f.field.clone(), operator: f.operator, text: text_of(&f.value), mode: f.mode }).collect());
        self.group_by.set(spec.group_by.clone());
        self.aggregates.set(spec.aggregates.clone());
        self.derived.set(spec.derived.clone());
        self.sort.set(spec.sort.clone());
        self.limit.set(spec.limit);
        self.chart.set(spec.chart.clone().unwrap_or_default());
    }

    pub fn field_type(self, name: &str) -> String {
        self.fields.with(|fs| fs.iter().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.ty.clone()).unwrap_or_else(|| "text".into()))
    }

    pub fn spec(self) -> Option<ReportSpec> {
        let summarise = self.summarise.get();
        Some(ReportSpec {
            source: self.source.get()?,
            columns: if summarise { vec![] } else { self.columns.get() },
            filters: self
                .filters
                .get()
                .into_iter()
                .map(|f| ReportFilter { value: value_of(&self.field_type(&f.field), f.operator, &f.text), field: f.field, operator: f.operator, mode: f.mode })
                .collect(),
            group_by: if summarise { self.group_by.get() } else { vec![] },
            aggregates: if summarise { self.aggregates.get() } else { vec![] },
            derived: if summarise { self.derived.get() } else { vec![] },
            sort: self.sort.get(),
            limit: self.limit.get(),
            chart: Some(self.chart.get()),
        })
    }

    /// The answer's fields and whether each is a number.
    pub fn outputs(self) -> Vec<(String, bool)> {
        if self.summarise.get() {
            let mut out: Vec<(String, bool)> = self.group_by.get().into_iter().map(|g| (g.field.clone(), self.field_type(&g.field) == "number" && g.bucket.is_none())).collect();
            out.extend(self.aggregates.get().into_iter().map(|a| (a.alias, !matches!(a.func, AggregateFn::Min | AggregateFn::Max) || a.field.as_deref().is_some_and(|f| self.field_type(f) == "number"))));
            out.extend(self.derived.get().into_iter().map(|d| (d.alias, true)));
            out
        } else {
            let cols = self.columns.get();
            self.fields.get().into_iter().filter(|f| !f.masked && (cols.is_empty() || cols.contains(&f.name))).map(|f| (f.name, f.ty == "number")).collect()
        }
    }
}

/// A select of the source's usable fields; `any` adds an empty first choice.
fn field_options(d: Draft, selected: Option<String>, any: bool) -> impl IntoView {
    view! {
        {any.then(|| view! { <option value="" selected=selected.is_none()>"—"</option> })}
        {move || d.fields.get().into_iter().filter(|f| !f.masked).map(|f| {
            let on = selected.as_deref() == Some(f.name.as_str());
            view! { <option value=f.name.clone() selected=on>{f.name.clone()}</option> }
        }).collect_view()}
    }
}

#[component]
pub fn WhatToShow(d: Draft) -> impl IntoView {
    view! {
        <fieldset class="field field-wide">
            <legend>{tr(Key::ReportShows)}</legend>
            <label class="check"><input type="radio" name="shape" data-testid="shape-summary" prop:checked=d.summarise on:change=move |_| d.summarise.set(true)/><span>{tr(Key::ReportSummarise)}</span></label>
            <label class="check"><input type="radio" name="shape" data-testid="shape-rows" prop:checked=move || !d.summarise.get() on:change=move |_| d.summarise.set(false)/><span>{tr(Key::ReportListRows)}</span></label>
        </fieldset>
        <Show when=move || d.summarise.get() fallback=move || view! { <Columns d/> }>
            <GroupBys d/>
            <Aggregates d/>
            <DerivedList d/>
        </Show>
    }
}

#[component]
fn Columns(d: Draft) -> impl IntoView {
    view! {
        <fieldset class="field field-wide">
            <legend>{tr(Key::Columns)}</legend>
            <div class="checks">
                {move || d.fields.get().into_iter().filter(|f| !f.masked).map(|f| {
                    let name = f.name.clone();
                    let on = d.columns.with(|c| c.contains(&name));
                    let n = name.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid=format!("col-{name}") prop:checked=on on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                d.columns.update(|c| if on { c.push(n.clone()) } else { c.retain(|x| *x != n) });
                            }/>
                            <span><code>{name}</code></span>
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

#[component]
fn GroupBys(d: Draft) -> impl IntoView {
    view! {
        <fieldset class="field field-wide">
            <legend>{tr(Key::GroupBy)}</legend>
            {move || d.group_by.get().into_iter().enumerate().map(|(i, g)| {
                let date = matches!(d.field_type(&g.field).as_str(), "date" | "datetime");
                let bucket = g.bucket;
                view! {
                    <div class="row-inline" data-testid="group-row">
                        <select aria-label=tr(Key::Field) data-testid="group-field" on:change=move |ev| { let v = event_target_value(&ev); d.group_by.update(|gs| gs[i] = GroupBy { field: v, bucket: None }); }>
                            {field_options(d, Some(g.field.clone()), false)}
                        </select>
                        {date.then(|| view! {
                            <select aria-label=tr(Key::Bucket) data-testid="group-bucket" on:change=move |ev| {
                                let v = event_target_value(&ev);
                                d.group_by.update(|gs| gs[i].bucket = Bucket::ALL.into_iter().find(|b| b.as_str() == v));
                            }>
                                <option value="" selected=bucket.is_none()>{tr(Key::ExactValue)}</option>
                                {Bucket::ALL.into_iter().map(|b| view! { <option value=b.as_str() selected=bucket == Some(b)>{b.as_str()}</option> }).collect_view()}
                            </select>
                        })}
                        <button class="btn btn-ghost" type="button" aria-label=tr(Key::Remove) on:click=move |_| d.group_by.update(|gs| { gs.remove(i); })>"×"</button>
                    </div>
                }
            }).collect_view()}
            <button class="btn" type="button" data-testid="add-group" on:click=move |_| {
                let first = d.fields.with(|fs| fs.iter().find(|f| !f.masked).map(|f| f.name.clone())).unwrap_or_default();
                d.group_by.update(|gs| gs.push(GroupBy { field: first, bucket: None }));
            }>{tr(Key::AddGroupBy)}</button>
        </fieldset>
    }
}

#[component]
fn Aggregates(d: Draft) -> impl IntoView {
    view! {
        <fieldset class="field field-wide">
            <legend>{tr(Key::Aggregates)}</legend>
            {move || d.aggregates.get().into_iter().enumerate().map(|(i, a)| {
                let func = a.func;
                view! {
                    <div class="row-inline" data-testid="aggregate-row">
                        <select aria-label=tr(Key::Function) data-testid="agg-fn" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(f) = AggregateFn::ALL.into_iter().find(|f| f.as_str() == v) { d.aggregates.update(|xs| xs[i].func = f); }
                        }>
                            {AggregateFn::ALL.into_iter().map(|f| view! { <option value=f.as_str() selected=f == func>{f.as_str()}</option> }).collect_view()}
                        </select>
                        <select aria-label=tr(Key::Field) data-testid="agg-field" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            d.aggregates.update(|xs| xs[i].field = Some(v).filter(|v| !v.is_empty()));
                        }>
                            {field_options(d, a.field.clone(), true)}
                        </select>
                        <input type="text" class="code" aria-label=tr(Key::NameAs) data-testid="agg-as" value=a.alias.clone() maxlength="63"
                            on:change=move |ev| { let v = event_target_value(&ev); d.aggregates.update(|xs| xs[i].alias = v.trim().to_string()); }/>
                        <button class="btn btn-ghost" type="button" aria-label=tr(Key::Remove) on:click=move |_| d.aggregates.update(|xs| { xs.remove(i); })>"×"</button>
                    </div>
                }
            }).collect_view()}
            <button class="btn" type="button" data-testid="add-aggregate" on:click=move |_| {
                let n = d.aggregates.with(Vec::len) + 1;
                d.aggregates.update(|xs| xs.push(Aggregate { func: AggregateFn::Sum, field: None, alias: format!("value{n}") }));
            }>{tr(Key::AddAggregate)}</button>
        </fieldset>
    }
}

#[component]
fn DerivedList(d: Draft) -> impl IntoView {
    let locale = use_locale();
    view! {
        <fieldset class="field field-wide">
            <legend>{tr(Key::DerivedMetrics)}</legend>
            {move || d.derived.get().into_iter().enumerate().map(|(i, x)| {
                let typed = RwSignal::new(x.formula.clone());
                // Judged as typed: the server's parser, and names that are no aggregate.
                let verdict = move || {
                    let src = typed.get();
                    if src.trim().is_empty() { return String::new(); }
                    match engine::reports::formula::parse(&src) {
                        Err(e) => e.to_string(),
                        Ok(f) => {
                            let mut names = Vec::new();
                            f.names(&mut names);
                            let known: Vec<String> = d.aggregates.get().into_iter().map(|a| a.alias).chain(d.derived.get().into_iter().take(i).map(|x| x.alias)).collect();
                            names.into_iter().find(|n| !known.iter().any(|k| k.eq_ignore_ascii_case(n))).map(|n| format!("{}: {n}", t(locale.get(), Key::UnknownField))).unwrap_or_default()
                        }
                    }
                };
                view! {
                    <div class="row-inline" data-testid="derived-row">
                        <input type="text" class="code" aria-label=tr(Key::NameAs) data-testid="derived-as" value=x.alias.clone() maxlength="63"
                            on:change=move |ev| { let v = event_target_value(&ev); d.derived.update(|xs| xs[i].alias = v.trim().to_string()); }/>
                        <span>"="</span>
                        <input type="text" class="code wide" aria-label=tr(Key::Formula) data-testid="derived-formula" placeholder="revenue / cost" prop:value=typed
                            aria-invalid=move || (!verdict().is_empty()).to_string()
                            on:input=move |ev| typed.set(event_target_value(&ev))
                            on:change=move |ev| { let v = event_target_value(&ev); d.derived.update(|xs| xs[i].formula = v); }/>
                        <button class="btn btn-ghost" type="button" aria-label=tr(Key::Remove) on:click=move |_| d.derived.update(|xs| { xs.remove(i); })>"×"</button>
                        <small class="hint" data-testid="formula-verdict" role="status">{verdict}</small>
                    </div>
                }
            }).collect_view()}
            <button class="btn" type="button" data-testid="add-derived" on:click=move |_| {
                let n = d.derived.with(Vec::len) + 1;
                d.derived.update(|xs| xs.push(Derived { alias: format!("metric{n}"), formula: String::new() }));
            }>{tr(Key::AddDerived)}</button>
            <p class="hint">{tr(Key::DerivedHint)}</p>
        </fieldset>
    }
}

#[component]
pub fn Filters(d: Draft) -> impl IntoView {
    const MODES: [(FilterMode, Key); 3] = [(FilterMode::Fixed, Key::FilterFixed), (FilterMode::Parameter, Key::FilterParameter), (FilterMode::Locked, Key::FilterLocked)];
    view! {
        <fieldset class="field field-wide">
            <legend>{tr(Key::Filters)}</legend>
            {move || d.filters.get().into_iter().enumerate().map(|(i, f)| {
                let (op, mode) = (f.operator, f.mode);
                view! {
                    <div class="row-inline" data-testid="filter-row">
                        <select aria-label=tr(Key::Field) data-testid="rf-field" on:change=move |ev| { let v = event_target_value(&ev); d.filters.update(|fs| fs[i].field = v); }>
                            {field_options(d, Some(f.field.clone()), false)}
                        </select>
                        <select aria-label=tr(Key::Operator) data-testid="rf-op" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some((o, _)) = OPERATORS.iter().find(|(_, l)| *l == v) { d.filters.update(|fs| fs[i].operator = *o); }
                        }>
                            {OPERATORS.iter().map(|(o, l)| view! { <option value=*l selected=*o == op>{*l}</option> }).collect_view()}
                        </select>
                        <input type="text" aria-label=tr(Key::Value) data-testid="rf-value" value=f.text.clone()
                            placeholder=match op { Operator::In | Operator::NotIn => "a, b, c", Operator::Between => "10..20", Operator::IsNull => "sí / no", _ => "" }
                            on:change=move |ev| { let v = event_target_value(&ev); d.filters.update(|fs| fs[i].text = v); }/>
                        <select aria-label=tr(Key::FilterMode) data-testid="rf-mode" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            let m = match v.as_str() { "parameter" => FilterMode::Parameter, "locked" => FilterMode::Locked, _ => FilterMode::Fixed };
                            d.filters.update(|fs| fs[i].mode = m);
                        }>
                            {MODES.into_iter().map(|(m, k)| {
                                let v = match m { FilterMode::Fixed => "fixed", FilterMode::Parameter => "parameter", FilterMode::Locked => "locked" };
                                view! { <option value=v selected=m == mode>{tr(k)}</option> }
                            }).collect_view()}
                        </select>
                        <button class="btn btn-ghost" type="button" aria-label=tr(Key::Remove) on:click=move |_| d.filters.update(|fs| { fs.remove(i); })>"×"</button>
                    </div>
                }
            }).collect_view()}
            <button class="btn" type="button" data-testid="add-report-filter" on:click=move |_| {
                let first = d.fields.with(|fs| fs.iter().find(|f| !f.masked).map(|f| f.name.clone())).unwrap_or_default();
                d.filters.update(|fs| fs.push(FilterRow { field: first, operator: Operator::Eq, text: String::new(), mode: FilterMode::Parameter }));
            }>{tr(Key::AddFilter)}</button>
            <p class="hint">{tr(Key::FilterModesHint)}</p>
        </fieldset>
    }
}

#[component]
pub fn OrderAndChart(d: Draft) -> impl IntoView {
    let sort_field = move || d.sort.with(|s| s.first().map(|s| s.field.clone())).unwrap_or_default();
    let desc = move || d.sort.with(|s| s.first().is_some_and(|s| s.direction == SortDirection::Desc));
    let set_sort = move |field: String, desc: bool| {
        d.sort.set(if field.is_empty() { vec![] } else { vec![ReportSort { field, direction: if desc { SortDirection::Desc } else { SortDirection::Asc } }] });
    };
    view! {
        <div class="form-grid">
            <label class="field">
                <span>{tr(Key::SortBy)}</span>
                <select data-testid="sort-field" on:change=move |ev| set_sort(event_target_value(&ev), desc())>
                    <option value="">"—"</option>
                    {move || d.outputs().into_iter().map(|(n, _)| { let on = n == sort_field(); { let label = n.clone(); view! { <option value=n selected=on>{label}</option> } } }).collect_view()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" data-testid="sort-desc" prop:checked=desc on:change=move |ev| set_sort(sort_field(), event_target_checked(&ev))/>
                <span>{tr(Key::Descending)}</span>
            </label>
            <label class="field">
                <span>{tr(Key::Limit)}</span>
                <input type="number" min="1" data-testid="report-limit" prop:value=move || d.limit.get().map(|l| l.to_string()).unwrap_or_default()
                    on:change=move |ev| d.limit.set(event_target_value(&ev).trim().parse().ok().filter(|l: &i64| *l > 0))/>
            </label>
            <label class="field">
                <span>{tr(Key::Chart)}</span>
                <select data-testid="chart-kind" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some(k) = ChartKind::ALL.into_iter().find(|k| k.as_str() == v) { d.chart.update(|c| c.kind = k); }
                }>
                    {ChartKind::ALL.into_iter().map(|k| view! { <option value=k.as_str() selected=move || d.chart.with(|c| c.kind) == k>{k.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span>{tr(Key::ChartX)}</span>
                <select data-testid="chart-x" on:change=move |ev| { let v = event_target_value(&ev); d.chart.update(|c| c.x = Some(v).filter(|v| !v.is_empty())); }>
                    <option value="">"—"</option>
                    {move || d.outputs().into_iter().map(|(n, _)| { let on = d.chart.with(|c| c.x.as_deref() == Some(n.as_str())); { let label = n.clone(); view! { <option value=n selected=on>{label}</option> } } }).collect_view()}
                </select>
            </label>
            <Show when=move || d.chart.with(|c| c.kind == ChartKind::StackedBar)>
                <label class="field">
                    <span>{tr(Key::ChartSeries)}</span>
                    <select data-testid="chart-series" on:change=move |ev| { let v = event_target_value(&ev); d.chart.update(|c| c.series = Some(v).filter(|v| !v.is_empty())); }>
                        <option value="">"—"</option>
                        {move || d.outputs().into_iter().filter(|(_, num)| !num).map(|(n, _)| { let on = d.chart.with(|c| c.series.as_deref() == Some(n.as_str())); { let label = n.clone(); view! { <option value=n selected=on>{label}</option> } } }).collect_view()}
                    </select>
                </label>
            </Show>
            <label class="field">
                <span>{tr(Key::ChartTitle)}</span>
                <input type="text" data-testid="chart-title" prop:value=move || d.chart.with(|c| c.title.clone().unwrap_or_default())
                    on:change=move |ev| { let v = event_target_value(&ev); d.chart.update(|c| c.title = Some(v).filter(|v| !v.trim().is_empty())); }/>
            </label>
        </div>
    }
}
