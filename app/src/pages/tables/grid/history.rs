//! The selected row's history beside the grid: every change, newest first, with who made it, when,
//! and the fields it changed (before → after); a deleted row's last state.

use engine::eav::{RowChange, RowData};
use leptos::prelude::*;
use serde_json::Value;

use super::Grid;
use super::cells::{display_of, value_of};
use crate::api::get_row_history;
use crate::components::ErrorNote;
use crate::format::fmt_time;
use crate::i18n::{Key, tr};

#[component]
pub fn HistoryDrawer(grid: Grid) -> impl IntoView {
    let row = move || {
        let (r, _) = grid.sel.get();
        grid.rows.with(|rows| rows.get(&r).map(|x| (x.id, x.version, x.code.clone())))
    };
    let changes = Resource::new(move || (grid.history.get(), row()), move |(open, row)| async move {
        match (open, row) {
            (true, Some((id, _, _))) => get_row_history(grid.name.get_value(), id).await.map(Some),
            _ => Ok(None),
        }
    });
    view! {
        <Show when=move || grid.history.get()>
            <aside class="drawer" aria-labelledby="history-title" data-testid="row-history">
                <div class="title-row">
                    <h2 id="history-title">{tr(Key::RowHistory)}" · "<code>{move || row().map(|r| r.2).unwrap_or_default()}</code></h2>
                    <button class="btn btn-ghost" on:click=move |_| grid.history.set(false)>{tr(Key::Close)}</button>
                </div>
                <Transition fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match changes.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(None) => view! { <p class="muted">{tr(Key::SelectARow)}</p> }.into_any(),
                            Ok(Some(list)) if list.is_empty() => view! { <p class="muted" data-testid="no-row-history">{tr(Key::NoRowHistory)}</p> }.into_any(),
                            Ok(Some(list)) => view! {
                                <ol class="history">{list.into_iter().map(|c| view! { <ChangeItem grid change=c/> }).collect_view()}</ol>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </aside>
        </Show>
    }
}

#[component]
fn ChangeItem(grid: Grid, change: RowChange) -> impl IntoView {
    let fields = grid.cols.with_value(|cols| cols.clone());
    let diffs: Vec<(String, String, String)> = fields
        .iter()
        .enumerate()
        .filter_map(|(c, col)| {
            let before = grid.spec.with_value(|s| value_of(&change.before, *col, &s.columns));
            let after = change.after.as_ref().map(|a| grid.spec.with_value(|s| value_of(a, *col, &s.columns)));
            let changed = after.as_ref().is_none_or(|a| *a != before);
            changed.then(|| (grid.field_name(c), display_of(&before), after.map(|a| display_of(&a)).unwrap_or_else(|| "—".into())))
        })
        .chain(ext_diffs(&change.before, change.after.as_ref()))
        .collect();
    let deleted = change.after.is_none();
    view! {
        <li data-testid="row-change">
            <p><strong>{format!("v{}", change.version)}</strong>" · "{fmt_time(&change.at)}" · "{change.actor.clone().unwrap_or_default()}
                {deleted.then(|| view! { " · "<span class="badge badge-warn">{tr(Key::Deleted)}</span> })}</p>
            <table class="table table-compact">
                <tbody>
                    {diffs.into_iter().map(|(f, b, a)| view! {
                        <tr><td><code>{f}</code></td><td class="diff-del">{b}</td><td class="diff-add">{a}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </li>
    }
}

fn ext_diffs(before: &RowData, after: Option<&RowData>) -> Vec<(String, String, String)> {
    let Some(after) = after else { return Vec::new() };
    let mut keys: Vec<&String> = before.extended_properties.keys().chain(after.extended_properties.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (b, a) = (before.extended_properties.get(k).cloned().unwrap_or(Value::Null), after.extended_properties.get(k).cloned().unwrap_or(Value::Null));
            (a != b).then(|| (format!("ext.{k}"), display_of(&b), display_of(&a)))
        })
        .collect()
}
