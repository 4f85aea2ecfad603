//! Reference columns as links: a cell holding the id of another table's row shows that row's code
//! and opens it (`/tables/{table}?row={id}`). Codes are read per block as it arrives, by the same
//! query API the grid reads with, so a reader sees only codes of rows they may read.

use std::collections::HashMap;

use engine::eav::{Filter, Operator, RowData, RowQuery};
use leptos::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use super::Grid;
use crate::api::get_table_rows;

/// Asks for the codes of the rows `rows` point at that are not known yet.
pub fn resolve(grid: Grid, rows: &[RowData]) {
    let wanted: HashMap<String, Vec<Uuid>> = grid.spec.with_value(|s| {
        let mut out: HashMap<String, Vec<Uuid>> = HashMap::new();
        for c in &s.columns {
            let Some(target) = &c.reference else { continue };
            let ids = out.entry(target.clone()).or_default();
            for r in rows {
                if let Some(id) = r.column_values.get(&c.name).and_then(Value::as_str).and_then(|v| v.parse::<Uuid>().ok())
                    && !grid.refs.with_untracked(|k| k.contains_key(&id))
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
        }
        out
    });
    for (table, ids) in wanted.into_iter().filter(|(_, ids)| !ids.is_empty()) {
        let q = RowQuery {
            page_size: Some(ids.len() as i64),
            filters: vec![Filter { field: "id".into(), operator: Operator::In, value: Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()) }],
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            // A reader who may not read the other table keeps the ids as they are.
            if let Ok(page) = get_table_rows(table, q).await {
                grid.refs.update(|k| k.extend(page.rows.into_iter().map(|r| (r.id, r.code))));
            }
        });
    }
}

/// The link a Reference cell shows: the row's code once known, else the start of its id.
#[component]
pub fn RefLink(table: String, id: Uuid, grid: Grid) -> impl IntoView {
    let short = id.to_string()[..8].to_string();
    view! {
        <a class="ref-link" data-testid="ref-link" href=format!("/tables/{table}?row={id}") on:mousedown=|ev| ev.stop_propagation()>
            {move || grid.refs.with(|k| k.get(&id).cloned()).unwrap_or_else(|| format!("{short}…"))}
        </a>
    }
}
