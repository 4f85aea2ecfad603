//! Changing rows from the grid: a cell edited in place, a block pasted from a spreadsheet (tab-
//! separated text), a block copied out, the last changes undone. Every change is checked in the
//! browser first, cell by cell, and sent as one all-or-nothing batch with the versions read: a row
//! changed by someone since is a conflict the person resolves (reload it, or overwrite it).

use std::collections::BTreeMap;

use engine::eav::{BatchOperation, OperationType, RowInput};
use engine::ErrorCode;
use leptos::prelude::*;
use serde_json::Value;

use super::cells::{Col, display_of, editable, failing_check, parse_text, patch, text_of, value_of, with_value};
use super::{Change, Conflict, Grid};
use crate::api::save_grid_rows;
use crate::i18n::{Key, t, tr};

/// Starts editing the selected cell, with `seed` typed over it or its text to change.
pub fn begin(grid: Grid, seed: Option<String>) {
    let (r, c) = grid.sel.get_untracked();
    let col = grid.cols.with_value(|cols| cols[c]);
    if !grid.spec.with_value(|s| s.can_write && editable(col, &s.columns)) {
        return;
    }
    let Some(row) = grid.rows.with_untracked(|rows| rows.get(&r).cloned()) else { return };
    let text = seed.unwrap_or_else(|| grid.spec.with_value(|s| text_of(&value_of(&row, col, &s.columns))));
    set_draft(grid, text);
}

/// The text being typed in the selected cell, checked as it is typed by the code the server runs.
pub fn set_draft(grid: Grid, text: String) {
    let (r, c) = grid.sel.get_untracked();
    let col = grid.cols.with_value(|cols| cols[c]);
    let verdict = grid.spec.with_value(|s| parse_text(col, &s.columns, &text).map(|_| ()));
    grid.cell_error.set(verdict.err().map(|e| (r, c, e)));
    grid.editing.set(Some(text));
}

#[component]
pub fn CellEditor(grid: Grid, draft: String) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move || {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    view! {
        <input type="text" class="grid2-input" data-testid="cell-editor" node_ref=input prop:value=draft
            on:input=move |ev| set_draft(grid, event_target_value(&ev))
            on:mousedown=|ev| ev.stop_propagation()/>
    }
}

/// Sends the edited cell; true when the editor may close (sent, or nothing to send).
pub fn commit(grid: Grid) -> bool {
    let Some(text) = grid.editing.get_untracked() else { return true };
    let (r, c) = grid.sel.get_untracked();
    let col = grid.cols.with_value(|cols| cols[c]);
    let parsed = grid.spec.with_value(|s| parse_text(col, &s.columns, &text));
    match parsed {
        Err(e) => {
            grid.cell_error.set(Some((r, c, e)));
            false
        }
        Ok(v) => {
            grid.editing.set(None);
            grid.cell_error.set(None);
            apply(grid, vec![(r, col, v)], true);
            true
        }
    }
}

/// Checks `edits` (row index, column, value) on their rows, then sends them as one batch; on
/// success the rows are updated in place and, with `remember`, the change can be undone.
pub fn apply(grid: Grid, edits: Vec<(i64, Col, Value)>, remember: bool) {
    let locale = grid.locale.get_untracked();
    let mut by_row: BTreeMap<i64, Vec<(Col, Value)>> = BTreeMap::new();
    for (r, col, v) in edits {
        by_row.entry(r).or_default().push((col, v));
    }
    let mut ops = Vec::new();
    let mut undo = Vec::new();
    let mut after = Vec::new();
    for (r, edits) in &by_row {
        let Some(row) = grid.rows.with_untracked(|rows| rows.get(r).cloned()) else { continue };
        let (mut next, mut input) = (row.clone(), RowInput::default());
        grid.spec.with_value(|s| {
            for (col, v) in edits {
                undo.push(Change { index: *r, col: *col, before: value_of(&row, *col, &s.columns) });
                next = with_value(&next, *col, &s.columns, v);
                patch(&mut input, *col, &s.columns, v);
            }
        });
        // Hard checks always; a soft one when the change touches its fields, as the server does.
        let failing = grid.spec.with_value(|s| {
            let enforced: Vec<_> = s.checks.iter().filter(|c| !c.soft || touches(c, &s.columns, edits)).cloned().collect();
            failing_check(&next, &s.columns, &enforced)
        });
        if let Some(message) = failing {
            grid.note.set(Some(format!("{} {}: {message}", t(locale, Key::RowWord), r + 1)));
            return;
        }
        ops.push(BatchOperation { op: OperationType::Update, row_id: Some(row.id), version: Some(row.version), fields: input });
        after.push((*r, next, edits.clone()));
    }
    if ops.is_empty() {
        return;
    }
    let name = grid.name.get_value();
    leptos::task::spawn_local(async move {
        match save_grid_rows(name, ops).await {
            Err(e) => grid.note.set(Some(crate::components::error_text(locale, &e.0))),
            Ok(res) if res.error_count == 0 => {
                grid.rows.update(|rows| {
                    for ((r, mut next, _), result) in after.into_iter().zip(&res.results) {
                        next.version = result.version.unwrap_or(next.version + 1);
                        rows.insert(r, next);
                    }
                });
                grid.note.set(None);
                if remember {
                    grid.undo.update(|u| u.push(undo));
                }
            }
            Ok(res) => {
                // Nothing was applied: the first failure says why.
                let Some((k, error)) = res.results.iter().enumerate().find_map(|(k, x)| x.error.clone().map(|e| (k, e))) else { return };
                let (r, _, edits) = after[k].clone();
                if error.code == ErrorCode::RowVersionConflict {
                    if let Some(current) = error.details.get("current").cloned().and_then(|v| serde_json::from_value(v).ok()) {
                        grid.conflict.set(Some(Conflict { index: r, current, edits }));
                        return;
                    }
                }
                grid.note.set(Some(format!("{} {}: {}", t(locale, Key::RowWord), r + 1, crate::components::error_text(locale, &error))));
            }
        }
    });
}

/// Whether `edits` change a field `check` reads: a column edited, or any promoted or extended field.
fn touches(check: &crate::api::GridCheck, columns: &[crate::api::GridColumn], edits: &[(Col, Value)]) -> bool {
    let Ok(expr) = engine::eav::expr::parse(&check.expression) else { return true };
    let mut fields = Vec::new();
    expr.fields(&mut fields);
    fields.iter().any(|f| match columns.iter().position(|c| c.name.eq_ignore_ascii_case(f)) {
        Some(i) => edits.iter().any(|(col, _)| *col == Col::Field(i)),
        None => true,
    })
}

/// Ctrl+D: the block's first row copied down into the rows below it, column by column.
pub fn fill_down(grid: Grid) {
    let (r0, r1, c0, c1) = block(grid);
    if r1 == r0 {
        return;
    }
    let Some(top) = grid.rows.with_untracked(|rows| rows.get(&r0).cloned()) else { return };
    let mut edits = Vec::new();
    for c in c0..=c1 {
        let col = grid.cols.with_value(|cols| cols[c]);
        if !grid.spec.with_value(|s| editable(col, &s.columns)) || col == Col::Code {
            continue;
        }
        let v = grid.spec.with_value(|s| value_of(&top, col, &s.columns));
        edits.extend((r0 + 1..=r1).map(|r| (r, col, v.clone())));
    }
    apply(grid, edits, true);
}

/// Ctrl+Enter while editing: the text typed goes into every cell of the selected block.
pub fn commit_block(grid: Grid) {
    let Some(text) = grid.editing.get_untracked() else { return };
    let (r0, r1, c0, c1) = block(grid);
    let mut edits = Vec::new();
    for c in c0..=c1 {
        let col = grid.cols.with_value(|cols| cols[c]);
        if col == Col::Code && r1 > r0 {
            continue;
        }
        let parsed = grid.spec.with_value(|s| {
            if !editable(col, &s.columns) {
                return Err("cannot be changed".to_string());
            }
            parse_text(col, &s.columns, &text)
        });
        match parsed {
            Ok(v) => edits.extend((r0..=r1).map(|r| (r, col, v.clone()))),
            Err(e) => {
                grid.note.set(Some(format!("{}: {e}", grid.field_name(c))));
                return;
            }
        }
    }
    grid.editing.set(None);
    grid.cell_error.set(None);
    apply(grid, edits, true);
}

/// Ctrl+Z: the last change written back as it was, with the versions read now.
pub fn undo_last(grid: Grid) {
    let Some(changes) = grid.undo.try_update(Vec::pop).flatten() else { return };
    apply(grid, changes.into_iter().map(|c| (c.index, c.col, c.before)).collect(), false);
}

/// The selected block as (first row, last row, first column, last column).
pub fn block(grid: Grid) -> (i64, i64, usize, usize) {
    let (r0, c0) = grid.sel.get_untracked();
    let (r1, c1) = grid.anchor.get_untracked().unwrap_or((r0, c0));
    (r0.min(r1), r0.max(r1), c0.min(c1), c0.max(c1))
}

/// A tab-separated block from the clipboard into the cells from the selected one: each cell
/// checked first, and nothing written unless every one passes.
pub fn on_paste(grid: Grid, ev: leptos::web_sys::ClipboardEvent) {
    #[cfg(feature = "hydrate")]
    {
        let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text/plain").ok()) else { return };
        ev.prevent_default();
        paste_text(grid, &text);
    }
    let _ = (grid, ev);
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn paste_text(grid: Grid, text: &str) {
    let locale = grid.locale.get_untracked();
    let (top, _, left, _) = block(grid);
    let (total, ncols) = (grid.total.get_untracked(), grid.cols.with_value(Vec::len));
    let mut edits = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.trim_end_matches(['\n', '\r']).split('\n').enumerate() {
        let r = top + i as i64;
        if r >= total {
            break;
        }
        for (j, cell) in line.trim_end_matches('\r').split('\t').enumerate() {
            let c = left + j;
            if c >= ncols {
                break;
            }
            let col = grid.cols.with_value(|cols| cols[c]);
            let verdict = grid.spec.with_value(|s| {
                if !editable(col, &s.columns) {
                    return Err("cannot be changed".to_string());
                }
                parse_text(col, &s.columns, cell)
            });
            match verdict {
                Ok(v) => edits.push((r, col, v)),
                Err(e) => problems.push(format!("{} {}, {}: {e}", t(locale, Key::RowWord), r + 1, grid.field_name(c))),
            }
        }
    }
    if !problems.is_empty() {
        grid.note.set(Some(format!("{} {}", t(locale, Key::PasteRefused), problems.join(" · "))));
        return;
    }
    apply(grid, edits, true);
}

/// The selected block to the clipboard as tab-separated text.
pub fn on_copy(grid: Grid, ev: leptos::web_sys::ClipboardEvent) {
    if grid.editing.get_untracked().is_some() {
        return;
    }
    let text = block_text(grid);
    #[cfg(feature = "hydrate")]
    if let Some(data) = ev.clipboard_data() {
        let _ = data.set_data("text/plain", &text);
        ev.prevent_default();
    }
    let _ = (ev, text);
}

fn block_text(grid: Grid) -> String {
    let (r0, r1, c0, c1) = block(grid);
    grid.rows.with_untracked(|rows| {
        (r0..=r1)
            .map(|r| {
                let row = rows.get(&r);
                (c0..=c1)
                    .map(|c| {
                        let col = grid.cols.with_value(|cols| cols[c]);
                        row.map(|row| grid.spec.with_value(|s| text_of(&value_of(row, col, &s.columns)))).unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Dragging a column header's edge sets its width.
pub fn start_resize(grid: Grid, c: usize, ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    ev.stop_propagation();
    let (x0, w0) = (f64::from(ev.client_x()), grid.widths.with_untracked(|w| w[c]));
    let moving = leptos::prelude::window_event_listener(leptos::ev::mousemove, move |e| {
        let w = (w0 + f64::from(e.client_x()) - x0).clamp(60.0, 800.0);
        grid.widths.update(|ws| ws[c] = w);
    });
    let moving = StoredValue::new(Some(moving));
    let up = StoredValue::new(None::<WindowListenerHandle>);
    up.set_value(Some(leptos::prelude::window_event_listener(leptos::ev::mouseup, move |_| {
        if let Some(h) = moving.try_update_value(Option::take).flatten() {
            h.remove();
        }
        if let Some(h) = up.try_update_value(Option::take).flatten() {
            h.remove();
        }
    })));
}

/// Someone changed the row since it was read: reload it (the edit dropped) or overwrite it.
#[component]
pub fn ConflictBox(grid: Grid) -> impl IntoView {
    let reload = move |_| {
        if let Some(c) = grid.conflict.get_untracked() {
            grid.rows.update(|rows| {
                rows.insert(c.index, c.current);
            });
        }
        grid.conflict.set(None);
    };
    let overwrite = move |_| {
        if let Some(c) = grid.conflict.get_untracked() {
            grid.rows.update(|rows| {
                rows.insert(c.index, c.current.clone());
            });
            grid.conflict.set(None);
            apply(grid, c.edits.into_iter().map(|(col, v)| (c.index, col, v)).collect(), true);
        }
    };
    view! {
        {move || grid.conflict.get().map(|c| view! {
            <div class="confirm-box" role="alertdialog" aria-labelledby="conflict-title" data-testid="conflict">
                <h3 id="conflict-title">{tr(Key::RowChangedTitle)}</h3>
                <p>{move || format!("{} {} · {} {}", t(grid.locale.get(), Key::RowWord), c.index + 1, t(grid.locale.get(), Key::Version), c.current.version)}</p>
                <table class="table table-compact" data-testid="conflict-values">
                    <thead><tr><th scope="col">{tr(Key::Field)}</th><th scope="col">{tr(Key::TheirValue)}</th><th scope="col">{tr(Key::MyValue)}</th></tr></thead>
                    <tbody>
                        {c.edits.iter().map(|(col, mine)| {
                            let (name, theirs) = grid.spec.with_value(|s| {
                                let c_idx = grid.cols.with_value(|cols| cols.iter().position(|x| x == col).unwrap_or(0));
                                (grid.field_name(c_idx), display_of(&value_of(&c.current, *col, &s.columns)))
                            });
                            view! { <tr><td><code>{name}</code></td><td>{theirs}</td><td><strong>{display_of(mine)}</strong></td></tr> }
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="actions">
                    <button class="btn" data-testid="conflict-reload" on:click=reload>{tr(Key::ReloadRow)}</button>
                    <button class="btn btn-primary" data-testid="conflict-overwrite" on:click=overwrite>{tr(Key::OverwriteRow)}</button>
                </div>
            </div>
        })}
    }
}
