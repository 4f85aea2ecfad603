//! A governed table's schema: its columns with their rules, its constraints and its history; for
//! admins, a column or a constraint added in place and a column's settings changed (its type where
//! every stored value survives). A check expression is parsed as it is typed, by the same code the
//! server runs (compiled to wasm). When existing rows break a new rule the answer shows how many
//! and which, and offers to keep the rule soft and fix them in the grid.

mod add_column;
mod columns;
mod constraints;
mod history;
mod settings;

use engine::ErrorCode;
use engine::eav::ViolatingRow;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api::{AddTableColumn, AddTableConstraint, AppError, EditTableColumn, ReorderTableColumns, TableSchema, get_table_schema};
use crate::components::ErrorNote;
use crate::format::fmt_int;
use crate::i18n::{Key, tr};

/// The actions of the screen; any of them done re-reads the schema.
#[derive(Clone, Copy)]
struct Actions {
    add_column: ServerAction<AddTableColumn>,
    add_constraint: ServerAction<AddTableConstraint>,
    reorder: ServerAction<ReorderTableColumns>,
    edit: ServerAction<EditTableColumn>,
}

#[component]
pub fn TableSchemaPage() -> impl IntoView {
    let params = use_params_map();
    let actions = Actions {
        add_column: ServerAction::new(),
        add_constraint: ServerAction::new(),
        reorder: ServerAction::new(),
        edit: ServerAction::new(),
    };
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    // A column's change read again only once it went through: a refusal stays open under its row.
    let edited = Memo::new(move |prev: Option<&usize>| {
        let v = actions.edit.version().get();
        if actions.edit.value().with_untracked(|x| matches!(x, Some(Ok(_)))) { v } else { prev.copied().unwrap_or(0) }
    });
    let done = move || (actions.add_column.version().get(), actions.add_constraint.version().get(), actions.reorder.version().get(), edited.get());
    let schema = Resource::new(move || (name(), done()), |(n, _)| get_table_schema(n));
    view! {
        <div class="stack">
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match schema.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(schema) => view! { <SchemaView schema actions/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn SchemaView(schema: TableSchema, actions: Actions) -> impl IntoView {
    let TableSchema { detail, history, columns, tables, can_define } = schema;
    let table = detail.table.clone();
    let mut props = detail.properties.clone();
    props.sort_by_key(|p| p.display_order);
    let fields: Vec<(String, engine::eav::DataType)> = props.iter().map(|p| (p.column_name.clone(), p.data_type)).collect();
    let order = props.len() as i32;
    view! {
        <section class="panel" aria-labelledby="schema-title">
            <div class="title-row">
                <h1 id="schema-title"><code>{table.table_name.clone()}</code></h1>
                <div class="actions">
                    <a class="btn" href=format!("/tables/{}", table.table_name) data-testid="open-rows">{tr(Key::OpenRows)}</a>
                    <a class="btn" href=format!("/imports/new?table={}", table.table_name)>{tr(Key::ImportInto)}</a>
                </div>
            </div>
            <p class="muted">
                {(!table.description.is_empty()).then(|| format!("{} · ", table.description))}{format!("v{} · {} ", table.version, fmt_int(table.row_count))}{tr(Key::RowsWord)}
            </p>
            <h2>{tr(Key::Columns)}</h2>
            <columns::ColumnsTable props columns tables=tables.clone() table_id=table.id can_define reorder=actions.reorder edit=actions.edit/>
            {move || actions.reorder.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            <h2>{tr(Key::Constraints)}</h2>
            <constraints::ConstraintsTable constraints=detail.constraints.clone()/>
        </section>
        {can_define.then(|| view! {
            <section class="panel" aria-labelledby="add-column-title">
                <h2 id="add-column-title">{tr(Key::AddColumn)}</h2>
                <add_column::AddColumnForm table_id=table.id order tables action=actions.add_column/>
            </section>
            <section class="panel" aria-labelledby="add-constraint-title">
                <h2 id="add-constraint-title">{tr(Key::AddConstraint)}</h2>
                <constraints::AddConstraintForm table_id=table.id fields action=actions.add_constraint/>
            </section>
        })}
        <section class="panel" aria-labelledby="history-title">
            <h2 id="history-title">{tr(Key::SchemaHistory)}</h2>
            <history::HistoryList history/>
        </section>
    }
}

fn params_text(v: &Value) -> String {
    if v.is_null() || v.as_object().is_some_and(|m| m.is_empty()) { String::new() } else { v.to_string() }
}

/// Why a schema change was refused. When existing rows break the new rule or would not survive
/// a new type: how many, the first of them, and for a rule the choice to keep it soft.
#[component]
fn Refusal(error: AppError, keep_soft: Callback<()>) -> impl IntoView {
    let code = error.code();
    if !matches!(code, ErrorCode::RowsViolateRule | ErrorCode::ColumnValuesNotConvertible) {
        return view! { <ErrorNote error/> }.into_any();
    }
    let count = error.0.details.get("count").and_then(Value::as_i64).unwrap_or(0);
    let examples: Vec<ViolatingRow> = error.0.details.get("examples").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let rule = code == ErrorCode::RowsViolateRule;
    view! {
        <div class="note note-warn" role="alert" data-testid="rows-violate">
            <p><strong>{fmt_int(count)}</strong>" "{tr(if rule { Key::RowsBreakRule } else { Key::ValuesNotConvertible })}</p>
            <ul>
                {examples.into_iter().map(|r| view! { <li><code>{r.code}</code>" · "<code>{params_text(&r.value)}</code></li> }).collect_view()}
            </ul>
            {rule.then(|| view! {
                <div class="actions">
                    <button class="btn" type="button" data-testid="keep-soft" on:click=move |_| keep_soft.run(())>{tr(Key::KeepSoft)}</button>
                </div>
                <p class="hint">{tr(Key::KeepSoftHint)}</p>
            })}
        </div>
    }
    .into_any()
}
