//! What the wizard shows of each table an upload yielded: counts that reconcile, what was detected,
//! columns with their type and the evidence for it (the type can be changed), the first rows; and the
//! upload's rejected rows with their reasons.

use engine::ingest::{ColumnInfo, ColumnType, FileSummary};
use leptos::prelude::*;
use uuid::Uuid;

use crate::format::fmt_int;
use crate::api::{SetColumnType, preview_table};
use crate::components::ErrorNote;
use crate::i18n::{Key, Locale, t, tr, type_name, use_locale};

#[component]
pub fn TableCard(upload_id: Uuid, table: FileSummary, kept: RwSignal<Vec<Uuid>>) -> impl IntoView {
    let id = table.table_id;
    let columns = RwSignal::new(table.columns.clone());
    let show_preview = RwSignal::new(false);
    let preview = Resource::new(
        move || show_preview.get(),
        move |open| async move { if open { preview_table(upload_id, id).await.map(Some) } else { Ok(None) } },
    );
    let set_type = ServerAction::<SetColumnType>::new();
    Effect::new(move || {
        if let Some(Ok(updated)) = set_type.value().get() {
            columns.set(updated.columns);
        }
    });
    let reconciles = table.rows_read == table.rows + table.rejected;
    let locale = use_locale();
    view! {
        <article class="file-card-lg" data-testid="table-card">
            <header class="file-head">
                <label class="check">
                    <input type="checkbox" data-testid="keep-table" prop:checked=move || kept.get().contains(&id)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            kept.update(|k| { k.retain(|x| *x != id); if on { k.push(id); } });
                        }/>
                    <strong>{table.name.clone()}</strong>
                </label>
                <span class="badge">{table.format.to_uppercase()}</span>
                <span class="counts" title={if reconciles { "read = stored + rejected" } else { "" }}>
                    <span>{fmt_int(table.rows_read)}" "{tr(Key::RowsRead)}</span>" = "
                    <span data-testid="rows-stored">{fmt_int(table.rows)}" "{tr(Key::Stored)}</span>" + "
                    <span class={if table.rejected > 0 { "warn" } else { "muted" }} data-testid="rows-rejected">
                        {fmt_int(table.rejected)}" "{tr(Key::Rejected)}
                    </span>
                </span>
            </header>
            {(!table.details.is_empty()).then(|| view! {
                <p class="chips">{table.details.iter().map(|d| view! { <span class="chip">{crate::components::note(d)}</span> }).collect_view()}</p>
            })}
            {(!table.warnings.is_empty()).then(|| view! {
                <ul class="note note-warn">{table.warnings.iter().map(|w| view! { <li>{crate::components::note(w)}</li> }).collect_view()}</ul>
            })}
            <div class="table-wrap"><table class="table table-compact">
                <thead><tr>
                    <th scope="col">{tr(Key::Columns)}</th>
                    <th scope="col">{tr(Key::TypeOf)}</th>
                    <th scope="col">{tr(Key::Evidence)}</th>
                </tr></thead>
                <tbody>
                    {move || { let loc = locale.get(); columns.get().into_iter().map(move |c| {
                        let name = c.name.clone();
                        let ev = c.clone();
                        view! {
                            <tr>
                                <td><code>{c.name.clone()}</code></td>
                                <td>
                                    <select aria-label=format!("type of {}", c.name) data-testid=format!("type-{}", c.name)
                                        on:change=move |ev| {
                                            if let Ok(kind) = serde_json::from_value::<ColumnType>(serde_json::Value::String(event_target_value(&ev))) {
                                                set_type.dispatch(SetColumnType { upload_id, table_id: id, column: name.clone(), kind });
                                            }
                                        }>
                                        {ColumnType::ALL.iter().filter(|k| **k != ColumnType::Empty || c.kind == ColumnType::Empty).map(|k| view! {
                                            <option value=k.as_str() selected=*k == c.kind>
                                                {type_name(loc, *k)}{(*k == c.detected && c.kind != c.detected).then(|| format!(" ({})", t(loc, Key::Detected)))}
                                            </option>
                                        }).collect_view()}
                                    </select>
                                </td>
                                <td class="muted">{move || evidence_text(&ev, locale.get())}</td>
                            </tr>
                        }
                    }).collect_view() }}
                </tbody>
            </table></div>
            {move || set_type.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            <div>
                <button class="btn btn-link" data-testid="show-preview" aria-expanded=move || show_preview.get().to_string()
                    on:click=move |_| show_preview.update(|o| *o = !*o)>
                    {move || if show_preview.get() { "▾ " } else { "▸ " }}{tr(Key::ShowPreview)}
                </button>
                <Suspense fallback=move || view! { <p class="muted">{tr(Key::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                            Ok(None) => view! { <span/> }.into_any(),
                            Ok(Some(p)) => view! {
                                <div class="table-wrap"><table class="table table-compact" data-testid="preview">
                                    <thead><tr>
                                        <th scope="col" class="num">"#"</th>
                                        {p.columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}
                                    </tr></thead>
                                    <tbody>{p.rows.into_iter().map(|r| view! {
                                        <tr><td class="num muted">{r.line_no}</td>{r.values.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}</tr>
                                    }).collect_view()}</tbody>
                                </table></div>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </article>
    }
}

/// "412 integer · 3 empty · e.g. 12 (line 2)"; for a text column, the first value that was not a
/// number or date, so a user sees why.
fn evidence_text(c: &ColumnInfo, locale: Locale) -> String {
    let counts: Vec<String> = ColumnType::ALL
        .iter()
        .filter(|k| c.evidence.count(**k) > 0)
        .map(|k| format!("{} {}", fmt_int(c.evidence.count(*k) as i64), type_name(locale, *k)))
        .collect();
    let example = c
        .evidence
        .examples
        .iter()
        .find(|e| e.kind == c.detected)
        .map(|e| format!(" · {} “{}” ({} {})", t(locale, Key::ForExample), e.value, t(locale, Key::LineWord), e.line))
        .unwrap_or_default();
    format!("{}{example}", counts.join(" · "))
}
