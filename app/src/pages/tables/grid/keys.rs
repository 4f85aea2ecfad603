//! The grid's keyboard, as in a spreadsheet: arrows (with Shift, a block), Tab and Shift+Tab,
//! Enter to edit and to save (moving down), Esc to cancel, Home/End (with Ctrl: the first or last
//! row), PageUp/PageDown, F2 to edit, typing to replace, Delete to empty, Ctrl+Z to undo, Ctrl+D to
//! fill down, Ctrl+Enter to write the typed value into the whole block, Alt+H for the row's history.

use leptos::prelude::*;

use super::Grid;
use super::edit;

pub fn on_key(grid: Grid, can_write: bool, ev: leptos::ev::KeyboardEvent) {
    let key = ev.key();
    let ctrl = ev.ctrl_key() || ev.meta_key();
    let editing = grid.editing.get_untracked().is_some();
    if editing {
        match key.as_str() {
            "Enter" if ctrl => {
                ev.prevent_default();
                edit::commit_block(grid);
                focus(grid);
            }
            "Enter" | "Tab" => {
                ev.prevent_default();
                if edit::commit(grid) {
                    let back = ev.shift_key();
                    if key == "Enter" {
                        step(grid, if back { -1 } else { 1 }, 0, false);
                    } else {
                        step(grid, 0, if back { -1 } else { 1 }, false);
                    }
                    focus(grid);
                }
            }
            "Escape" => {
                ev.prevent_default();
                grid.editing.set(None);
                grid.cell_error.set(None);
                focus(grid);
            }
            // Keys typed before the editor took the focus still belong to the cell.
            k if k.chars().count() == 1 && !ctrl && !in_input(&ev) => {
                ev.prevent_default();
                let mut draft = grid.editing.get_untracked().unwrap_or_default();
                draft.push_str(k);
                edit::set_draft(grid, draft);
            }
            _ => {}
        }
        return;
    }
    let page = grid.visible();
    let moved = match key.as_str() {
        "ArrowDown" => step(grid, 1, 0, ev.shift_key()),
        "ArrowUp" => step(grid, -1, 0, ev.shift_key()),
        "ArrowRight" => step(grid, 0, 1, ev.shift_key()),
        "ArrowLeft" => step(grid, 0, -1, ev.shift_key()),
        "Tab" => step(grid, 0, if ev.shift_key() { -1 } else { 1 }, false),
        "PageDown" => step(grid, page, 0, ev.shift_key()),
        "PageUp" => step(grid, -page, 0, ev.shift_key()),
        "Home" if ctrl => jump(grid, Some(0), Some(0)),
        "End" if ctrl => jump(grid, Some(grid.total.get_untracked() - 1), None),
        "Home" => jump(grid, None, Some(0)),
        "End" => jump(grid, None, Some(grid.cols.with_value(Vec::len) - 1)),
        _ => false,
    };
    if moved {
        ev.prevent_default();
        return;
    }
    match key.as_str() {
        "z" | "Z" if ctrl && can_write => {
            ev.prevent_default();
            edit::undo_last(grid);
        }
        "d" | "D" if ctrl && can_write => {
            ev.prevent_default();
            edit::fill_down(grid);
        }
        "h" | "H" if ev.alt_key() => {
            ev.prevent_default();
            grid.history.set(!grid.history.get_untracked());
        }
        "Enter" | "F2" if can_write => {
            ev.prevent_default();
            edit::begin(grid, None);
        }
        "Delete" | "Backspace" if can_write => {
            ev.prevent_default();
            edit::begin(grid, Some(String::new()));
        }
        "Escape" => grid.anchor.set(None),
        k if can_write && !ctrl && !ev.alt_key() && k.chars().count() == 1 => {
            ev.prevent_default();
            edit::begin(grid, Some(k.to_string()));
        }
        _ => {}
    }
}

/// Moves the selection by rows and columns (keeping the block's other corner with `extend`).
fn step(grid: Grid, rows: i64, cols: i64, extend: bool) -> bool {
    let (r, c) = grid.sel.get_untracked();
    let last_col = grid.cols.with_value(Vec::len) as i64 - 1;
    let last_row = (grid.total.get_untracked() - 1).max(0);
    let next = ((r + rows).clamp(0, last_row), (c as i64 + cols).clamp(0, last_col) as usize);
    select(grid, next, extend);
    true
}

fn jump(grid: Grid, row: Option<i64>, col: Option<usize>) -> bool {
    let (r, c) = grid.sel.get_untracked();
    select(grid, (row.unwrap_or(r).max(0), col.unwrap_or(c)), false);
    true
}

fn select(grid: Grid, next: (i64, usize), extend: bool) {
    if extend {
        if grid.anchor.get_untracked().is_none() {
            grid.anchor.set(Some(grid.sel.get_untracked()));
        }
    } else {
        grid.anchor.set(None);
    }
    grid.cell_error.set(None);
    grid.sel.set(next);
    grid.reveal(next.0);
}

fn in_input(ev: &leptos::ev::KeyboardEvent) -> bool {
    ev.target().and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::Element>(t).ok()).is_some_and(|el| el.tag_name().eq_ignore_ascii_case("input"))
}

fn focus(grid: Grid) {
    if let Some(el) = grid.container.get_untracked() {
        let _ = el.focus();
    }
}
