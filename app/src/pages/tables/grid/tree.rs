//! A hierarchical table as a tree beside its grid: the rows without a parent, each opening to its
//! children as they are asked for (read by `parent_row_id`, 200 at a time), so a deep or wide tree
//! costs only what is opened. Choosing a node shows that row in the grid.

use engine::eav::{Filter, Operator, RowData, RowQuery, Sort};
use leptos::prelude::*;
use serde_json::Value;

use super::Grid;
use crate::api::get_table_rows;
use crate::i18n::{Key, tr};

const LEVEL: i64 = 200;

/// The children of `parent` (the roots for `None`), in code order.
async fn children(table: String, parent: Option<uuid::Uuid>) -> Result<Vec<RowData>, String> {
    let filter = match parent {
        None => Filter { field: "parent_row_id".into(), operator: Operator::IsNull, value: Value::Bool(true) },
        Some(id) => Filter { field: "parent_row_id".into(), operator: Operator::Eq, value: Value::String(id.to_string()) },
    };
    let q = RowQuery { page_size: Some(LEVEL), filters: vec![filter], sorting: vec![Sort { field: "code".into(), direction: engine::eav::Direction::Asc }], ..Default::default() };
    get_table_rows(table, q).await.map(|p| p.rows).map_err(|e| e.to_string())
}

#[component]
pub fn TreePanel(grid: Grid) -> impl IntoView {
    let roots = RwSignal::new(None::<Result<Vec<RowData>, String>>);
    let open = RwSignal::new(false);
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() && roots.with_untracked(Option::is_none) {
            let table = grid.name.get_value();
            leptos::task::spawn_local(async move { roots.set(Some(children(table, None).await)) });
        }
    };
    view! {
        <div class="tree-panel" data-testid="tree-panel">
            <button class="btn" type="button" data-testid="tree-toggle" aria-expanded=move || open.get().to_string() on:click=toggle>
                {move || if open.get() { "▾ " } else { "▸ " }}{tr(Key::Hierarchy)}
            </button>
            <Show when=move || open.get()>
                {move || match roots.get() {
                    None => view! { <p class="muted">{tr(Key::Loading)}</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="note note-warn" role="alert">{e}</p> }.into_any(),
                    Some(Ok(rows)) => view! { <Level grid rows/> }.into_any(),
                }}
            </Show>
        </div>
    }
}

// Levels and nodes hold each other: both are `AnyView`, so their types do not nest forever.
#[component]
fn Level(grid: Grid, rows: Vec<RowData>) -> AnyView {
    let more = rows.len() as i64 == LEVEL;
    view! {
        <ul class="tree" role="group">
            {rows.into_iter().map(|r| view! { <Node grid row=r/> }).collect_view()}
            {more.then(|| view! { <li class="muted">{tr(Key::FirstRowsOnly)}</li> })}
        </ul>
    }
    .into_any()
}

#[component]
fn Node(grid: Grid, row: RowData) -> AnyView {
    let kids = RwSignal::new(None::<Result<Vec<RowData>, String>>);
    let open = RwSignal::new(false);
    let id = row.id;
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() && kids.with_untracked(Option::is_none) {
            let table = grid.name.get_value();
            leptos::task::spawn_local(async move { kids.set(Some(children(table, Some(id)).await)) });
        }
    };
    let label = match &row.display_value {
        Some(d) if !d.is_empty() => format!("{} · {d}", row.code),
        _ => row.code.clone(),
    };
    let show = move |_| {
        let only = vec![Filter { field: "id".into(), operator: Operator::Eq, value: Value::String(id.to_string()) }];
        grid.refresh(only, String::new());
    };
    view! {
        <li role="treeitem" aria-expanded=move || open.get().to_string() data-testid="tree-node">
            <button class="tree-twist" type="button" data-testid="tree-expand" aria-label=tr(Key::ShowChildren) on:click=toggle>
                {move || if open.get() { "▾" } else { "▸" }}
            </button>
            <button class="tree-label" type="button" data-testid="tree-label" on:click=show>{label}</button>
            <Show when=move || open.get()>
                {move || match kids.get() {
                    None => view! { <span class="muted">" …"</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="note-warn">{e}</span> }.into_any(),
                    Some(Ok(rows)) if rows.is_empty() => view! { <span class="muted" data-testid="tree-leaf">" "{tr(Key::NoChildren)}</span> }.into_any(),
                    Some(Ok(rows)) => view! { <Level grid rows/> }.into_any(),
                }}
            </Show>
        </li>
    }
    .into_any()
}
