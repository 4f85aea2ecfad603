//! A governed table's rows as a spreadsheet: only the rows in view are in the page, fetched a
//! block at a time by position (from the end of the order for the second half, so the last row
//! is as near as the first); the header and the first column stay in view. Cells are edited in
//! place, pasted and copied as blocks, and checked in the browser by the engine's own code before
//! they are sent (`cells`, `edit`); the keyboard moves like a spreadsheet's (`keys`).

use std::collections::{HashMap, HashSet};

use engine::eav::{Direction, Filter, RowData, RowQuery, Sort};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

mod cells;
mod edit;
mod filters;
mod history;
mod keys;
mod refs;
mod tree;

use crate::api::{AppError, GridSpec, count_table_rows, get_grid_spec, get_table_rows};
use crate::components::ErrorNote;
use crate::format::fmt_int;
use crate::i18n::{Key, t, tr};
use cells::{Col, all_cols, display_of, editable, soft_check_failures, stored_violation, value_of};

pub const ROW_H: f64 = 34.0;
const HEAD_H: f64 = 36.0;
const BLOCK: i64 = 100;
/// Browsers cap an element's height near 33 million pixels: past this the scrollbar maps to rows
/// by proportion instead of one row per 34 px.
const MAX_SPACER: f64 = 8_000_000.0;

#[component]
pub fn TableRowsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    // `?row=<id>` (a Reference link, a tree node) opens the grid on that one row; its filter chip
    // takes it away.
    let start = move || {
        query.with(|q| q.get("row")).and_then(|r| r.parse::<uuid::Uuid>().ok()).map(|id| vec![Filter { field: "id".into(), operator: engine::eav::Operator::Eq, value: id.to_string().into() }]).unwrap_or_default()
    };
    // The spec and the first block in one resource: one boundary reads it (leptos#4578).
    let first = Resource::new(move || (name(), start()), |(name, filters)| async move {
        let spec = get_grid_spec(name.clone(), filters.clone()).await?;
        let page = get_table_rows(name, RowQuery { page_size: Some(BLOCK), filters: filters.clone(), ..Default::default() }).await?;
        Ok::<_, AppError>((spec, page.rows, filters))
    });
    view! {
        <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
            {move || Suspend::new(async move {
                match first.await {
                    Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                    Ok((spec, rows, filters)) => view! { <GridView spec rows filters/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One change made from the grid, kept to undo it: the row, the column, the value before.
#[derive(Debug, Clone)]
pub struct Change {
    pub index: i64,
    pub col: Col,
    pub before: serde_json::Value,
}

/// A row someone else changed since it was read, and the write that met it.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub index: i64,
    pub current: RowData,
    pub edits: Vec<(Col, serde_json::Value)>,
}

/// Everything the grid's parts share; every field is a signal or a stored value, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct Grid {
    pub name: StoredValue<String>,
    pub spec: StoredValue<GridSpec>,
    pub cols: StoredValue<Vec<Col>>,
    pub rows: RwSignal<HashMap<i64, RowData>>,
    pub total: RwSignal<i64>,
    pub sorting: RwSignal<Vec<Sort>>,
    pub filters: RwSignal<Vec<Filter>>,
    pub search: RwSignal<String>,
    pub requested: StoredValue<HashSet<i64>>,
    pub scroll: RwSignal<f64>,
    pub height: RwSignal<f64>,
    /// The selected cell (row index, column index) and the other corner of a block selection.
    pub sel: RwSignal<(i64, usize)>,
    pub anchor: RwSignal<Option<(i64, usize)>>,
    pub editing: RwSignal<Option<String>>,
    pub cell_error: RwSignal<Option<(i64, usize, String)>>,
    pub note: RwSignal<Option<String>>,
    pub conflict: RwSignal<Option<Conflict>>,
    pub undo: RwSignal<Vec<Vec<Change>>>,
    pub widths: RwSignal<Vec<f64>>,
    pub container: NodeRef<leptos::html::Div>,
    pub locale: RwSignal<crate::i18n::Locale>,
    /// The selected row's history is open beside the grid.
    pub history: RwSignal<bool>,
    /// Codes of the rows Reference cells point at, by id.
    pub refs: RwSignal<HashMap<uuid::Uuid, String>>,
}

impl Grid {
    /// Rows that fit between the header and the bottom of the scroll area.
    pub fn visible(self) -> i64 {
        (((self.height.get() - HEAD_H) / ROW_H).floor() as i64).max(1)
    }

    fn spacer(self) -> f64 {
        (self.total.get() as f64 * ROW_H + HEAD_H).min(MAX_SPACER)
    }

    /// The first row in view for the scroll position.
    pub fn first(self) -> i64 {
        let max_first = (self.total.get() - self.visible()).max(0);
        let max_scroll = (self.spacer() - self.height.get()).max(1.0);
        ((self.scroll.get() / max_scroll).clamp(0.0, 1.0) * max_first as f64).round() as i64
    }

    /// Scrolls so row `index` is in view.
    pub fn reveal(self, index: i64) {
        let (first, visible) = (self.first(), self.visible());
        let target = if index < first {
            index
        } else if index >= first + visible {
            index - visible + 1
        } else {
            return;
        };
        let max_first = (self.total.get_untracked() - visible).max(1);
        let max_scroll = (self.spacer() - self.height.get_untracked()).max(0.0);
        let top = target.clamp(0, max_first) as f64 / max_first as f64 * max_scroll;
        if let Some(el) = self.container.get_untracked() {
            el.set_scroll_top(top.round() as i32);
        }
        self.scroll.set(top);
    }

    /// Fetches the blocks that hold rows `from..to` and are not there or on their way.
    pub fn load(self, from: i64, to: i64) {
        let total = self.total.get_untracked();
        for block in (from.max(0) / BLOCK)..=((to.min(total) - 1).max(0) / BLOCK) {
            let fresh = self.requested.try_update_value(|r| r.insert(block)).unwrap_or(false);
            if !fresh || block * BLOCK >= total {
                continue;
            }
            let start = block * BLOCK;
            let n = BLOCK.min(total - start);
            // The second half is read from the end of the order: the last row costs what the first does.
            let from_end = start > total / 2;
            let offset = if from_end { total - start - n } else { start };
            let q = RowQuery {
                page_size: Some(n),
                offset: Some(offset),
                from_end,
                sorting: self.sorting.get_untracked(),
                filters: self.filters.get_untracked(),
                search: Some(self.search.get_untracked()).filter(|s| !s.trim().is_empty()),
                ..Default::default()
            };
            let name = self.name.get_value();
            leptos::task::spawn_local(async move {
                match get_table_rows(name, q).await {
                    Ok(page) => {
                        refs::resolve(self, &page.rows);
                        self.rows.update(|rows| {
                            for (k, r) in page.rows.into_iter().enumerate() {
                                rows.insert(start + k as i64, r);
                            }
                        })
                    }
                    Err(e) => {
                        self.requested.update_value(|r| {
                            r.remove(&block);
                        });
                        self.note.set(Some(e.to_string()));
                    }
                }
            });
        }
    }

    /// The field the query API knows column `c` by.
    pub fn field_name(self, c: usize) -> String {
        match self.cols.with_value(|cols| cols[c]) {
            Col::Code => "code".to_string(),
            Col::Display => "display_value".to_string(),
            Col::Active => "is_active".to_string(),
            Col::Field(i) => self.spec.with_value(|s| s.columns[i].name.clone()),
        }
    }

    /// The file of this view (its search, filters and order), in the reader's language.
    pub fn export_href(self, format: &str) -> String {
        let search = Some(self.search.get()).filter(|s| !s.trim().is_empty());
        let view = serde_json::json!({ "sorting": self.sorting.get(), "filters": self.filters.get(), "search": search }).to_string();
        format!("/api/v1/data/{}/export?format={format}&lang={}&view={}", self.name.get_value(), self.locale.get().code(), crate::format::url_encode(&view))
    }

    /// Shows the rows `filters` and `search` keep: counted again, read afresh from the top.
    pub fn refresh(self, filters: Vec<Filter>, search: String) {
        self.filters.set(filters.clone());
        self.search.set(search.clone());
        let name = self.name.get_value();
        let search = Some(search).filter(|s| !s.trim().is_empty());
        leptos::task::spawn_local(async move {
            match count_table_rows(name, filters, search).await {
                Ok(total) => {
                    self.sel.set((0, self.sel.get_untracked().1));
                    self.anchor.set(None);
                    self.note.set(None);
                    if let Some(el) = self.container.get_untracked() {
                        el.set_scroll_top(0);
                    }
                    self.scroll.set(0.0);
                    self.total.set(total);
                    self.reread();
                }
                Err(e) => self.note.set(Some(crate::components::error_text(self.locale.get_untracked(), &e.0))),
            }
        });
    }

    /// Sorts by column `c` (again: the other way); with `add` (Shift+click), after the sorts there
    /// are. The rows are read afresh.
    pub fn sort_by(self, c: usize, add: bool) {
        let field = self.field_name(c);
        let mut sorting = self.sorting.get_untracked();
        let direction = match sorting.iter().find(|s| s.field == field) {
            Some(s) if s.direction == Direction::Asc => Direction::Desc,
            _ => Direction::Asc,
        };
        if add {
            match sorting.iter_mut().find(|s| s.field == field) {
                Some(s) => s.direction = direction,
                None => sorting.push(Sort { field, direction }),
            }
        } else {
            sorting = vec![Sort { field, direction }];
        }
        self.sorting.set(sorting);
        self.reread();
    }

    /// Forgets the rows read (another order or view; undo no longer applies) and reads those in view.
    fn reread(self) {
        self.requested.update_value(HashSet::clear);
        self.rows.set(HashMap::new());
        self.undo.set(Vec::new());
        let (first, visible) = (self.first(), self.visible());
        self.load(first, first + 2 * visible + 1);
    }
}

#[component]
fn GridView(spec: GridSpec, rows: Vec<RowData>, filters: Vec<Filter>) -> impl IntoView {
    let cols = all_cols(&spec.columns);
    let widths = cols.iter().map(|c| if matches!(c, Col::Code | Col::Display) { 180.0 } else { 140.0 }).collect();
    let first_rows = StoredValue::new(rows.clone());
    let first_block: HashMap<i64, RowData> = rows.into_iter().enumerate().map(|(i, r)| (i as i64, r)).collect();
    let total = spec.total;
    let table = spec.table.clone();
    let can_write = spec.can_write;
    let grid = Grid {
        name: StoredValue::new(table.table_name.clone()),
        spec: StoredValue::new(spec),
        cols: StoredValue::new(cols),
        rows: RwSignal::new(first_block),
        total: RwSignal::new(total),
        sorting: RwSignal::new(Vec::new()),
        filters: RwSignal::new(filters),
        search: RwSignal::new(String::new()),
        requested: StoredValue::new(HashSet::from([0])),
        scroll: RwSignal::new(0.0),
        height: RwSignal::new(560.0),
        sel: RwSignal::new((0, 0)),
        anchor: RwSignal::new(None),
        editing: RwSignal::new(None),
        cell_error: RwSignal::new(None),
        note: RwSignal::new(None),
        conflict: RwSignal::new(None),
        undo: RwSignal::new(Vec::new()),
        widths: RwSignal::new(widths),
        container: NodeRef::new(),
        locale: crate::i18n::use_locale(),
        history: RwSignal::new(false),
        refs: RwSignal::new(HashMap::new()),
    };
    // The first block came with the page; the rows it points at are named in the browser.
    Effect::new(move || first_rows.with_value(|rows| refs::resolve(grid, rows)));
    // The rows in view (and the next screenful) are fetched as the view moves.
    Effect::new(move || {
        let (first, visible) = (grid.first(), grid.visible());
        grid.load(first, first + 2 * visible + 1);
    });
    Effect::new(move || {
        if let Some(el) = grid.container.get() {
            grid.height.set(f64::from(el.client_height()).max(HEAD_H + ROW_H));
        }
    });
    let template = move || grid.widths.with(|w| w.iter().map(|w| format!("{w}px")).collect::<Vec<_>>().join(" "));
    let name = table.table_name.clone();
    view! {
        <section class="panel" aria-labelledby="rows-title">
            <div class="title-row">
                <h1 id="rows-title"><code>{name.clone()}</code></h1>
                <div class="actions">
                    <a class="btn" href=format!("/tables/{name}/schema")>{tr(Key::Schema)}</a>
                    {can_write.then(|| view! { <a class="btn" href=format!("/imports/new?table={name}")>{tr(Key::ImportInto)}</a> })}
                </div>
            </div>
            <p class="muted">
                {(!table.description.is_empty()).then(|| format!("{} · ", table.description))}
                <span data-testid="rows-total">{move || fmt_int(grid.total.get())}</span>" "{tr(Key::RowsWord)}
                {can_write.then(|| view! { " · "{tr(Key::GridHint)} })}
            </p>
            {move || grid.note.get().map(|n| view! { <p class="note note-warn" role="alert" data-testid="grid-note">{n}</p> })}
            <edit::ConflictBox grid/>
            {table.is_hierarchical.then(|| view! { <tree::TreePanel grid/> })}
            <filters::FilterBar grid/>
            <div class="actions grid2-tools">
                {can_write.then(|| view! {
                    <button class="btn" data-testid="undo" title="Ctrl+Z" disabled=move || grid.undo.with(Vec::is_empty) on:click=move |_| edit::undo_last(grid)>{tr(Key::Undo)}</button>
                    <button class="btn" data-testid="fill-down" title="Ctrl+D" on:click=move |_| edit::fill_down(grid)>{tr(Key::FillDown)}</button>
                })}
                <button class="btn" data-testid="open-history" title="Alt+H" aria-pressed=move || grid.history.get().to_string()
                    on:click=move |_| grid.history.update(|h| *h = !*h)>{tr(Key::RowHistory)}</button>
                <a class="btn" data-testid="export-csv" href=move || grid.export_href("csv")>{tr(Key::ExportCsv)}</a>
                <a class="btn" data-testid="export-xlsx" href=move || grid.export_href("xlsx")>{tr(Key::ExportXlsx)}</a>
            </div>
            <div class="grid2-layout" class:with-drawer=move || grid.history.get()>
            <div class="grid2" data-testid="grid" tabindex="0" role="grid" aria-rowcount=move || grid.total.get() + 1
                aria-colcount=move || grid.cols.with_value(Vec::len)
                node_ref=grid.container
                on:scroll=move |ev| { let top = event_target::<leptos::web_sys::HtmlElement>(&ev).scroll_top(); grid.scroll.set(f64::from(top)); }
                on:keydown=move |ev| keys::on_key(grid, can_write, ev)
                on:paste=move |ev| if can_write { edit::on_paste(grid, ev) }
                on:copy=move |ev| edit::on_copy(grid, ev)>
                <div class="grid2-spacer" style:height=move || format!("{}px", grid.spacer())>
                    <div class="grid2-window" style:height=move || format!("{}px", grid.height.get())>
                        <div class="grid2-row grid2-head" role="row" style:grid-template-columns=template>
                            {move || grid.cols.with_value(|cols| cols.iter().enumerate().map(|(c, col)| {
                                let label = match col {
                                    Col::Code => tr(Key::Code)().to_string(),
                                    Col::Display => tr(Key::DisplayValue)().to_string(),
                                    Col::Active => tr(Key::Active)().to_string(),
                                    Col::Field(i) => grid.spec.with_value(|s| s.columns[*i].name.clone()),
                                };
                                let field = grid.field_name(c);
                                // The arrow, and the sort's rank when there are several.
                                let arrow = move || grid.sorting.with(|sorts| match sorts.iter().position(|s| s.field == field) {
                                    Some(k) => {
                                        let a = if sorts[k].direction == Direction::Asc { "▲" } else { "▼" };
                                        if sorts.len() > 1 { format!(" {a}{}", k + 1) } else { format!(" {a}") }
                                    }
                                    None => String::new(),
                                });
                                view! {
                                    <div class="grid2-cell grid2-th" role="columnheader" class:grid2-frozen=c == 0>
                                        <button class="th-sort" data-testid="sort" title=move || t(grid.locale.get(), Key::SortHint)
                                            on:click=move |ev: leptos::ev::MouseEvent| grid.sort_by(c, ev.shift_key())>{label}{arrow}</button>
                                        <span class="grid2-resize" aria-hidden="true" on:mousedown=move |ev| edit::start_resize(grid, c, ev)></span>
                                    </div>
                                }
                            }).collect_view())}
                        </div>
                        {move || {
                            let (first, visible) = (grid.first(), grid.visible());
                            let last = (first + visible).min(grid.total.get());
                            (first..last).map(|i| view! { <GridRow grid index=i template/> }).collect_view()
                        }}
                    </div>
                </div>
            </div>
            <history::HistoryDrawer grid/>
            </div>
            <p class="muted" data-testid="grid-position">
                {move || {
                    let (r, _) = grid.sel.get();
                    format!("{} / {}", fmt_int(r + 1), fmt_int(grid.total.get()))
                }}
            </p>
        </section>
    }
}

#[component]
fn GridRow(grid: Grid, index: i64, template: impl Fn() -> String + Send + Sync + Copy + 'static) -> impl IntoView {
    let row = move || grid.rows.with(|rows| rows.get(&index).cloned());
    view! {
        <div class="grid2-row" role="row" aria-rowindex=index + 2 data-testid="grid-row" style:grid-template-columns=template>
            {move || match row() {
                None => grid.cols.with_value(|cols| (0..cols.len()).map(|c| view! {
                    <div class="grid2-cell grid2-loading" class:grid2-frozen=c == 0 role="gridcell">"…"</div>
                }).collect_view()).into_any(),
                Some(r) => grid.cols.with_value(|cols| cols.iter().enumerate().map(|(c, col)| {
                    let text = grid.spec.with_value(|s| display_of(&value_of(&r, *col, &s.columns)));
                    let link = match col {
                        Col::Field(i) => grid.spec.with_value(|s| s.columns[*i].reference.clone()).zip(text.parse::<uuid::Uuid>().ok()),
                        _ => None,
                    };
                    // Old values that break a rule kept soft, and soft checks the row breaks (on its first cell).
                    let soft = grid.spec.with_value(|s| {
                        let mut why: Vec<String> = stored_violation(*col, &s.columns, &value_of(&r, *col, &s.columns)).into_iter().collect();
                        if c == 0 {
                            why.extend(soft_check_failures(&r, &s.columns, &s.checks));
                        }
                        why.join(" · ")
                    });
                    let flagged = !soft.is_empty();
                    let locked = !grid.spec.with_value(|s| editable(*col, &s.columns));
                    let selected = move || grid.sel.get() == (index, c);
                    let in_block = move || {
                        let (r0, c0) = grid.sel.get();
                        grid.anchor.get().is_some_and(|(r1, c1)| (r0.min(r1)..=r0.max(r1)).contains(&index) && (c0.min(c1)..=c0.max(c1)).contains(&c))
                    };
                    let error = move || grid.cell_error.get().filter(|(ri, ci, _)| *ri == index && *ci == c).map(|(_, _, m)| m);
                    view! {
                        <div class="grid2-cell" role="gridcell" data-col=c class:grid2-frozen=c == 0 class:selected=selected class:in-block=in_block
                            class:locked=locked class:invalid=move || error().is_some() class:soft-violation=flagged
                            title=move || error().unwrap_or_else(|| soft.clone())
                            on:mousedown=move |ev: leptos::ev::MouseEvent| {
                                if ev.shift_key() { if grid.anchor.get_untracked().is_none() { grid.anchor.set(Some(grid.sel.get_untracked())); } } else { grid.anchor.set(None); }
                                grid.sel.set((index, c));
                                grid.editing.set(None);
                            }
                            on:dblclick=move |_| edit::begin(grid, None)>
                            {move || match (selected(), grid.editing.get()) {
                                (true, Some(draft)) => view! { <edit::CellEditor grid draft/> }.into_any(),
                                _ => match link.clone() {
                                    Some((table, id)) => view! { <refs::RefLink table id grid/> }.into_any(),
                                    None => view! { <span>{text.clone()}</span> }.into_any(),
                                },
                            }}
                        </div>
                    }
                }).collect_view()).into_any(),
            }}
        </div>
    }
}
