//! What the grid shows: words searched across the row's text, filters built field by field with
//! every operator of the query API, and views (search, filters, order) saved by name on the
//! server: the reader's own, wherever they sign in, and those shared with every reader.

use engine::eav::{DataType, Filter, Operator, SavedView, ViewSpec};
use leptos::prelude::*;
use serde_json::{Value, json};

use super::Grid;
use super::cells::Col;
use crate::api::{delete_grid_view, get_grid_views, save_grid_view};
use crate::i18n::{Key, t, tr};

pub const OPERATORS: [(Operator, &str); 12] = Operator::SYMBOLS;

fn op_label(op: Operator) -> &'static str {
    op.symbol()
}

/// A value typed in the filter bar, as the field's type wants it: numbers for numeric columns,
/// lists for in / not in (comma-separated), a pair for between (`a..b`), yes/no for is null.
fn filter_value(ty: Option<DataType>, op: Operator, text: &str) -> Value {
    let one = |s: &str| -> Value {
        let s = s.trim();
        match ty {
            Some(DataType::Int | DataType::Decimal) => match s.replace(',', ".").parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => json!(f as i64),
                Ok(f) => serde_json::Number::from_f64(f).map_or(Value::String(s.into()), Value::Number),
                Err(_) => Value::String(s.into()),
            },
            Some(DataType::Boolean) => Value::Bool(matches!(s.to_lowercase().as_str(), "true" | "sí" | "si" | "yes" | "1")),
            _ => Value::String(s.into()),
        }
    };
    match op {
        Operator::In | Operator::NotIn => Value::Array(text.split(';').flat_map(|p| p.split(',')).filter(|p| !p.trim().is_empty()).map(one).collect()),
        Operator::Between => {
            let (a, b) = text.split_once("..").unwrap_or((text, text));
            json!([one(a), one(b)])
        }
        Operator::IsNull => Value::Bool(!matches!(text.trim().to_lowercase().as_str(), "no" | "false" | "0")),
        _ => one(text),
    }
}

/// The saved views again, after one was saved or removed.
fn reload_views(grid: Grid, views: RwSignal<Vec<SavedView>>) {
    let name = grid.name.get_value();
    leptos::task::spawn_local(async move {
        match get_grid_views(name).await {
            Ok(v) => views.set(v),
            Err(e) => grid.note.set(Some(crate::components::error_text(grid.locale.get_untracked(), &e.0))),
        }
    });
}

#[component]
pub fn FilterBar(grid: Grid) -> impl IntoView {
    let search = RwSignal::new(grid.search.get_untracked());
    let field = RwSignal::new(0usize);
    let op = RwSignal::new(Operator::Eq);
    let value = RwSignal::new(String::new());
    let views = RwSignal::new(Vec::<SavedView>::new());
    let view_name = RwSignal::new(String::new());
    let share = RwSignal::new(false);
    // The view chosen last, when it is the reader's own (it may then be removed).
    let chosen = RwSignal::new(None::<String>);
    Effect::new(move || reload_views(grid, views));
    let ncols = grid.cols.with_value(Vec::len);
    let add = move || {
        let c = field.get_untracked();
        let ty = match grid.cols.with_value(|cols| cols[c]) {
            Col::Field(i) => grid.spec.with_value(|s| Some(s.columns[i].ty)),
            Col::Active => Some(DataType::Boolean),
            _ => None,
        };
        let f = Filter { field: grid.field_name(c), operator: op.get_untracked(), value: filter_value(ty, op.get_untracked(), &value.get_untracked()) };
        let mut filters = grid.filters.get_untracked();
        filters.push(f);
        grid.refresh(filters, grid.search.get_untracked());
        value.set(String::new());
    };
    view! {
        <div class="filters grid2-filters" data-testid="grid-filters">
            <form class="field-inline" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); grid.refresh(grid.filters.get_untracked(), search.get_untracked()); }>
                <input type="search" data-testid="grid-search" placeholder=move || t(grid.locale.get(), Key::SearchRows) prop:value=search
                    on:input=move |ev| search.set(event_target_value(&ev))/>
                <button class="btn" type="submit">{tr(Key::Search)}</button>
            </form>
            <form class="field-inline" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); add(); }>
                <select aria-label=tr(Key::Field) data-testid="filter-field" on:change=move |ev| {
                    let name = event_target_value(&ev);
                    field.set((0..ncols).find(|c| grid.field_name(*c) == name).unwrap_or(0));
                }>
                    {(0..ncols).map(|c| view! { <option value=grid.field_name(c)>{grid.field_name(c)}</option> }).collect_view()}
                </select>
                <select aria-label=tr(Key::Operator) data-testid="filter-op" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some((o, _)) = OPERATORS.iter().find(|(_, l)| *l == v) { op.set(*o); }
                }>
                    {OPERATORS.iter().map(|(_, l)| view! { <option value=*l>{*l}</option> }).collect_view()}
                </select>
                <input type="text" data-testid="filter-value" aria-label=tr(Key::Value) prop:value=value on:input=move |ev| value.set(event_target_value(&ev))
                    placeholder=move || match op.get() { Operator::In | Operator::NotIn => "a, b, c", Operator::Between => "10..20", Operator::IsNull => "sí / no", _ => "" }/>
                <button class="btn" type="submit" data-testid="add-filter">{tr(Key::AddFilter)}</button>
            </form>
            <div class="chips" data-testid="active-filters">
                {move || grid.filters.get().into_iter().enumerate().map(|(k, f)| view! {
                    <span class="chip">
                        <code>{format!("{} {} {}", f.field, op_label(f.operator), f.value)}</code>
                        <button class="chip-x" aria-label=tr(Key::RemoveFilter) on:click=move |_| {
                            let mut filters = grid.filters.get_untracked();
                            filters.remove(k);
                            grid.refresh(filters, grid.search.get_untracked());
                        }>"×"</button>
                    </span>
                }).collect_view()}
            </div>
            <form class="field-inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let name = view_name.get_untracked().trim().to_string();
                if name.is_empty() { return; }
                let spec = ViewSpec { search: grid.search.get_untracked(), filters: grid.filters.get_untracked(), sorting: grid.sorting.get_untracked() };
                let table = grid.name.get_value();
                let shared = share.get_untracked();
                leptos::task::spawn_local(async move {
                    match save_grid_view(table, name, spec, shared).await {
                        Ok(_) => { view_name.set(String::new()); reload_views(grid, views); }
                        Err(e) => grid.note.set(Some(crate::components::error_text(grid.locale.get_untracked(), &e.0))),
                    }
                });
            }>
                <input type="text" data-testid="view-name" maxlength="80" placeholder=move || t(grid.locale.get(), Key::ViewName) prop:value=view_name on:input=move |ev| view_name.set(event_target_value(&ev))/>
                <label class="check"><input type="checkbox" data-testid="view-shared" prop:checked=share on:change=move |ev| share.set(event_target_checked(&ev))/><span>{tr(Key::ShareView)}</span></label>
                <button class="btn" type="submit" data-testid="save-view">{tr(Key::SaveView)}</button>
                <select aria-label=tr(Key::SavedViews) data-testid="saved-views" on:change=move |ev| {
                    let key = event_target_value(&ev);
                    if let Some(v) = views.get_untracked().into_iter().find(|v| view_key(v) == key) {
                        chosen.set(v.mine.then(|| v.name.clone()));
                        search.set(v.spec.search.clone());
                        grid.sorting.set(v.spec.sorting.clone());
                        grid.refresh(v.spec.filters, v.spec.search);
                    }
                }>
                    <option value="">{tr(Key::SavedViews)}</option>
                    {move || views.get().into_iter().map(|v| {
                        let label = match (v.mine, v.shared) {
                            (true, true) => format!("{} ⇆", v.name),
                            (true, false) => v.name.clone(),
                            (false, _) => format!("{} — {}", v.name, v.owner),
                        };
                        view! { <option value=view_key(&v)>{label}</option> }
                    }).collect_view()}
                </select>
                {move || chosen.get().map(|name| view! {
                    <button class="btn btn-ghost" type="button" data-testid="delete-view" on:click=move |_| {
                        let (table, name) = (grid.name.get_value(), name.clone());
                        leptos::task::spawn_local(async move {
                            if delete_grid_view(table, name).await.is_ok() { chosen.set(None); reload_views(grid, views); }
                        });
                    }>{tr(Key::DeleteView)}</button>
                })}
            </form>
        </div>
    }
}

/// A view's option value: the reader's own by name, another's by owner and name.
fn view_key(v: &SavedView) -> String {
    if v.mine { v.name.clone() } else { format!("{}\u{1f}{}", v.owner, v.name) }
}
