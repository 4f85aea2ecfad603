//! A governed table's rows: every column, masked where the reader may not see it in clear, a
//! keyset page at a time; the first column and the header stay in view while scrolling.

use engine::eav::{LogicalTableDetail, RowPage, RowQuery};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api::{get_table_rows, get_table_schema};
use crate::components::ErrorNote;
use crate::format::fmt_int;
use crate::i18n::{Key, tr};

const PAGE: i64 = 200;

#[component]
pub fn TableRowsPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    // The schema and the first page in one resource: one boundary reads it (leptos#4578).
    let first = Resource::new(name, |name| async move {
        let (detail, _) = get_table_schema(name.clone()).await?;
        let page = get_table_rows(name, RowQuery { page_size: Some(PAGE), ..Default::default() }).await?;
        Ok::<_, crate::api::AppError>((detail, page))
    });
    view! {
        <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
            {move || Suspend::new(async move {
                match first.await {
                    Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                    Ok((detail, page)) => view! { <RowsView detail page/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RowsView(detail: LogicalTableDetail, page: RowPage) -> impl IntoView {
    let name = detail.table.table_name.clone();
    let mut props = detail.properties.clone();
    props.sort_by_key(|p| p.display_order);
    let columns: Vec<String> = props.iter().map(|p| p.column_name.clone()).collect();
    let rows = RwSignal::new(page.rows);
    let next = RwSignal::new(page.next_key_set);
    let load = {
        let name = name.clone();
        Action::new(move |cursor: &Option<String>| {
            let (name, cursor) = (name.clone(), cursor.clone());
            async move {
                let q = RowQuery { page_size: Some(PAGE), next_key_set: cursor, ..Default::default() };
                get_table_rows(name, q).await
            }
        })
    };
    Effect::new(move || {
        if let Some(Ok(page)) = load.value().get() {
            rows.update(|r| r.extend(page.rows));
            next.set(page.next_key_set);
        }
    });
    let head = columns.clone();
    view! {
        <section class="panel" aria-labelledby="rows-title">
            <div class="title-row">
                <h1 id="rows-title"><code>{name.clone()}</code></h1>
                <div class="actions">
                    <a class="btn" href=format!("/tables/{name}/schema")>{tr(Key::Schema)}</a>
                    <a class="btn" href=format!("/imports/new?table={name}")>{tr(Key::ImportInto)}</a>
                </div>
            </div>
            <p class="muted">{(!detail.table.description.is_empty()).then(|| format!("{} · ", detail.table.description))}{format!("{} ", fmt_int(detail.table.row_count))}{tr(Key::RowsWord)}</p>
            <div class="grid-wrap" data-testid="grid">
                <table class="table grid">
                    <thead><tr>
                        <th scope="col" class="grid-frozen">{tr(Key::Code)}</th>
                        <th scope="col">{tr(Key::DisplayValue)}</th>
                        {head.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}
                        <th scope="col">{tr(Key::Active)}</th>
                        <th scope="col" class="num">{tr(Key::Version)}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || rows.get() key=|r| (r.id, r.version) let:r>
                            <tr data-testid="grid-row">
                                <th scope="row" class="grid-frozen">{r.code.clone()}</th>
                                <td>{r.display_value.clone().unwrap_or_default()}</td>
                                {columns.iter().map(|c| view! { <td>{cell_text(r.column_values.get(c))}</td> }).collect_view()}
                                <td>{if r.is_active { "✓" } else { "—" }}</td>
                                <td class="num">{r.version}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            {move || load.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            <div class="actions">
                {move || next.get().map(|cursor| view! {
                    <button class="btn" data-testid="more-rows" disabled=move || load.pending().get()
                        on:click=move |_| { load.dispatch(Some(cursor.clone())); }>{tr(Key::LoadMore)}</button>
                })}
                <span class="muted" data-testid="rows-shown">{move || format!("{} / {}", fmt_int(rows.with(Vec::len) as i64), fmt_int(detail.table.row_count))}</span>
            </div>
        </section>
    }
}

fn cell_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "✓".into() } else { "—".into() },
        Some(other) => other.to_string(),
    }
}
