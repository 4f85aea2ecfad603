//! Governed tables: the list with row counts and the form that defines a new table (admins); each
//! table's rows (`grid`) and schema (`schema`) are screens of their own.

use engine::eav::{CachePolicy, NewLogicalTable};
use leptos::prelude::*;

mod grid;
mod schema;

pub use grid::TableRowsPage;
pub use schema::TableSchemaPage;

use crate::api::{CreateLogicalTable, get_logical_tables};
use crate::components::{ErrorNote, browser};
use crate::format::{fmt_int, fmt_time};
use crate::i18n::{Key, tr};

#[component]
pub fn TablesPage() -> impl IntoView {
    let create = ServerAction::<CreateLogicalTable>::new();
    let overview = Resource::new(move || create.version().get(), |_| get_logical_tables());
    Effect::new(move || {
        if let Some(Ok(t)) = create.value().get() {
            browser::go(&format!("/tables/{}/schema", t.table_name));
        }
    });
    view! {
        <div class="stack">
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok(o) => view! {
                            <section class="panel" aria-labelledby="tables-title">
                                <div class="title-row">
                                    <h1 id="tables-title">{tr(Key::NavTables)}</h1>
                                    {o.can_write.then(|| view! { <a class="btn" href="/imports" data-testid="imports-link">{tr(Key::Imports)}</a> })}
                                </div>
                                <p class="muted">{tr(Key::TablesHint)}</p>
                                {if o.tables.is_empty() {
                                    view! { <div class="empty" data-testid="no-tables"><p>{tr(Key::NoTables)}</p></div> }.into_any()
                                } else {
                                    view! { <TablesList tables=o.tables/> }.into_any()
                                }}
                            </section>
                            {o.can_define.then(|| view! { <NewTableForm create/> })}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn TablesList(tables: Vec<engine::eav::LogicalTableInfo>) -> impl IntoView {
    view! {
        <div class="table-wrap"><table class="table" data-testid="tables">
            <thead><tr>
                <th scope="col">{tr(Key::Name)}</th>
                <th scope="col">{tr(Key::Description)}</th>
                <th scope="col" class="num">{tr(Key::Rows)}</th>
                <th scope="col" class="num">{tr(Key::SchemaVersion)}</th>
                <th scope="col">{tr(Key::Updated)}</th>
                <th scope="col"><span class="visually-hidden">{tr(Key::Schema)}</span></th>
            </tr></thead>
            <tbody>
                {tables.into_iter().map(|t| view! {
                    <tr data-testid="table-row">
                        <td><a href=format!("/tables/{}", t.table_name)><code>{t.table_name.clone()}</code></a></td>
                        <td>{t.description.clone()}</td>
                        <td class="num">{fmt_int(t.row_count)}</td>
                        <td class="num">{format!("v{}", t.version)}</td>
                        <td>{fmt_time(&t.updated_at)}{t.updated_by.map(|u| format!(" · {u}"))}</td>
                        <td><a class="btn" href=format!("/tables/{}/schema", t.table_name)>{tr(Key::Schema)}</a></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

/// A new table: its name (a letter, then letters, digits or `_`), a description, whether its rows
/// form a tree. Columns and rules are added on its schema screen, where this leads.
#[component]
fn NewTableForm(create: ServerAction<CreateLogicalTable>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let tree = RwSignal::new(false);
    let valid = move || {
        let n = name.get();
        let mut chars = n.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && n.len() <= 63 && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !valid() {
            return;
        }
        create.dispatch(CreateLogicalTable {
            req: NewLogicalTable { table_name: name.get(), description: description.get(), is_hierarchical: tree.get(), cache_policy: CachePolicy::None },
        });
    };
    view! {
        <section class="panel" aria-labelledby="new-table-title">
            <h2 id="new-table-title">{tr(Key::NewTable)}</h2>
            <form class="form form-grid" on:submit=submit data-testid="new-table">
                <label class="field">
                    <span>{tr(Key::Name)}</span>
                    <input type="text" name="table_name" required maxlength="63" autocomplete="off" data-testid="new-table-name"
                        pattern="[A-Za-z][A-Za-z0-9_]*" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                    <small class="hint">{tr(Key::TableNameHint)}</small>
                </label>
                <label class="field">
                    <span>{tr(Key::Description)}</span>
                    <input type="text" name="description" prop:value=description on:input=move |ev| description.set(event_target_value(&ev))/>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=tree on:change=move |ev| tree.set(event_target_checked(&ev))/>
                    <span>{tr(Key::Hierarchical)}</span>
                </label>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" data-testid="create-table" disabled=move || !valid() || create.pending().get()>{tr(Key::CreateTable)}</button>
                </div>
            </form>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        </section>
    }
}
