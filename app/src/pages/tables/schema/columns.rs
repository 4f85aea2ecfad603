//! The table's columns in their order, moved by buttons, by keyboard (Alt+↑/↓ on a row) or by
//! dragging; for admins, a column's settings changed in a form that opens under its row.

use engine::eav::{ColumnInfo, ColumnPatch, DataType, PropertyInfo, PropertyPatch};
use leptos::prelude::*;

use super::settings::{Settings, SettingsFields};
use super::{Refusal, params_text};
use crate::api::{EditTableColumn, ReorderTableColumns};
use crate::components::TableHead;
use crate::i18n::{Key, tr};

#[component]
pub fn ColumnsTable(
    props: Vec<PropertyInfo>,
    columns: Vec<ColumnInfo>,
    tables: Vec<(uuid::Uuid, String)>,
    table_id: uuid::Uuid,
    can_define: bool,
    reorder: ServerAction<ReorderTableColumns>,
    edit: ServerAction<EditTableColumn>,
) -> impl IntoView {
    if props.is_empty() {
        return view! { <p class="muted" data-testid="no-columns">{tr(Key::NoColumns)}</p> }.into_any();
    }
    let ids: Vec<uuid::Uuid> = props.iter().map(|p| p.id).collect();
    let n = ids.len();
    let ids = StoredValue::new(ids);
    // Moves the column at `from` to `to` (buttons, keys, or dragged onto another row).
    let move_to = move |from: usize, to: usize| {
        if from == to || to >= n {
            return;
        }
        let mut order = ids.get_value();
        let id = order.remove(from);
        order.insert(to, id);
        reorder.dispatch(ReorderTableColumns { table_id, property_ids: order });
    };
    let dragging = RwSignal::new(None::<usize>);
    let editing = RwSignal::new(None::<usize>);
    let columns = StoredValue::new(columns);
    let table_names = StoredValue::new(tables);
    view! {
        <div class="table-wrap"><table class="table" data-testid="columns">
            <TableHead cols=vec![Key::Name, Key::TypeOf, Key::Mandatory, Key::Unique, Key::Rule, Key::Masking] actions=Key::Order/>
            <tbody>
                {props.into_iter().enumerate().map(|(i, p)| {
                    let soft = !p.soft_rules.is_empty();
                    let column = columns.with_value(|cs| cs.iter().find(|c| c.id == p.column_definition_id).cloned());
                    let masking = column.as_ref().map(|c| c.masking_rule).filter(|m| *m != engine::eav::MaskingRule::None).map(|m| m.as_str()).unwrap_or("");
                    let target = column.as_ref().and_then(|c| c.reference_table_id).and_then(|t| table_names.with_value(|ts| ts.iter().find(|(id, _)| *id == t).map(|(_, n)| n.clone())));
                    let prop = p.clone();
                    view! {
                        <tr data-testid="column-row" draggable=can_define.to_string() tabindex="0"
                            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                if can_define && ev.alt_key() && ev.key() == "ArrowUp" { ev.prevent_default(); move_to(i, i.saturating_sub(1)); }
                                if can_define && ev.alt_key() && ev.key() == "ArrowDown" { ev.prevent_default(); move_to(i, i + 1); }
                            }
                            on:dragstart=move |_| dragging.set(Some(i))
                            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                            on:drop=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); if let Some(from) = dragging.get_untracked() { move_to(from, i); } dragging.set(None); }>
                            <td><code>{p.column_name.clone()}</code></td>
                            <td>{p.data_type.as_str()}{target.map(|t| view! { " → "<a href=format!("/tables/{t}")>{t.clone()}</a> })}</td>
                            <td>{if p.is_mandatory { "✓" } else { "" }}</td>
                            <td>{if p.is_value_unique { "✓" } else { "" }}</td>
                            <td>
                                {p.validation_rule_type.map(|r| view! { <span class="chip">{r.as_str()}</span>" "<code>{params_text(&p.validation_parameters)}</code> })}
                                {soft.then(|| view! { " "<span class="badge badge-warn">{tr(Key::Soft)}</span> })}
                            </td>
                            <td>{masking}</td>
                            <td class="row-actions">
                                {can_define.then(|| view! {
                                    <button class="btn btn-ghost" data-testid="column-up" aria-label=tr(Key::MoveUp) disabled=i == 0 on:click=move |_| move_to(i, i.saturating_sub(1))>"↑"</button>
                                    <button class="btn btn-ghost" data-testid="column-down" aria-label=tr(Key::MoveDown) disabled=i + 1 == n on:click=move |_| move_to(i, i + 1)>"↓"</button>
                                    <button class="btn btn-ghost" data-testid="column-edit" aria-expanded=move || (editing.get() == Some(i)).to_string()
                                        on:click=move |_| editing.update(|e| *e = if *e == Some(i) { None } else { Some(i) })>{tr(Key::EditColumn)}</button>
                                })}
                            </td>
                        </tr>
                        <Show when=move || editing.get() == Some(i)>
                            <tr class="edit-row"><td colspan="7">
                                <EditColumn prop=prop.clone() column=column.clone() tables=table_names.get_value() edit on_done=Callback::new(move |_| editing.set(None))/>
                            </td></tr>
                        </Show>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

/// A bound column's settings changed: only what differs from now is sent. Once it goes through
/// the schema is read again and the form is gone with the old rows.
#[component]
fn EditColumn(prop: PropertyInfo, column: Option<ColumnInfo>, tables: Vec<(uuid::Uuid, String)>, edit: ServerAction<EditTableColumn>, on_done: Callback<()>) -> impl IntoView {
    let s = Settings::of(&prop, column.as_ref());
    let mut types = vec![prop.data_type];
    types.extend_from_slice(prop.data_type.convertible_to());
    let before = StoredValue::new((prop.clone(), column.clone()));
    let send = move |soft: bool| {
        let (p, c) = before.get_value();
        let ty = s.ty.get_untracked();
        let mut column = ColumnPatch::default();
        if ty != p.data_type {
            column.data_type = Some(ty);
        }
        if ty == DataType::Enum && c.as_ref().is_none_or(|c| c.enum_values != s.enum_list()) {
            column.enum_values = Some(s.enum_list());
        }
        if c.as_ref().is_none_or(|c| c.masking_rule != s.masking.get_untracked()) {
            column.masking_rule = Some(s.masking.get_untracked());
        }
        let default = s.default_value();
        if c.as_ref().is_none_or(|c| c.default_value != default) {
            column.default_value = Some(default);
        }
        let property = PropertyPatch {
            is_mandatory: Some(s.mandatory.get_untracked()),
            is_value_unique: Some(s.unique.get_untracked()),
            validation_rule_type: Some(s.rule.get_untracked()),
            validation_parameters: Some(s.params_value()),
            soft: soft.then_some(true),
            ..Default::default()
        };
        edit.dispatch(EditTableColumn { column_id: p.column_definition_id, column, property_id: p.id, property });
    };
    view! {
        <form class="form form-grid" data-testid="edit-column" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send(false); }>
            <SettingsFields s types tables prefix="edit"/>
            <div class="actions">
                <button class="btn btn-primary" type="submit" data-testid="edit-column-submit" disabled=move || edit.pending().get() || s.invalid()>{tr(Key::SaveChanges)}</button>
                <button class="btn" type="button" on:click=move |_| on_done.run(())>{tr(Key::Cancel)}</button>
            </div>
        </form>
        {move || edit.value().get().and_then(|r| r.err()).map(|e| view! { <Refusal error=e keep_soft=Callback::new(move |_| send(true))/> })}
    }
}
