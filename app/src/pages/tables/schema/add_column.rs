//! A new column, defined (or reused by name) and bound to the table in one step.

use engine::eav::{DataType, NewColumn, NewProperty};
use leptos::prelude::*;

use super::Refusal;
use super::settings::{Settings, SettingsFields};
use crate::api::AddTableColumn;
use crate::i18n::{Key, tr};

#[component]
pub fn AddColumnForm(table_id: uuid::Uuid, order: i32, tables: Vec<(uuid::Uuid, String)>, action: ServerAction<AddTableColumn>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let s = Settings::blank();
    let send = move |soft: bool| {
        let ty = s.ty.get();
        action.dispatch(AddTableColumn {
            column: NewColumn {
                column_name: name.get().trim().to_string(),
                data_type: ty,
                description: String::new(),
                enum_values: if ty == DataType::Enum { s.enum_list() } else { vec![] },
                reference_table_id: if ty == DataType::Reference { s.reference.get() } else { None },
                default_value: s.default_value(),
                masking_rule: s.masking.get(),
            },
            property: NewProperty {
                logical_table_id: table_id,
                column_definition_id: uuid::Uuid::nil(),
                display_order: order + 1,
                is_mandatory: s.mandatory.get(),
                is_value_unique: s.unique.get(),
                is_indexed: false,
                validation_rule_type: s.rule.get(),
                validation_parameters: s.params_value(),
                soft,
            },
        });
    };
    view! {
        <form class="form form-grid" data-testid="add-column" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send(false); }>
            <label class="field">
                <span>{tr(Key::Name)}</span>
                <input type="text" required maxlength="63" pattern="[A-Za-z][A-Za-z0-9_]*" data-testid="column-name"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <SettingsFields s types=DataType::ALL.to_vec() tables prefix="column"/>
            <div class="actions">
                <button class="btn btn-primary" type="submit" data-testid="add-column-submit" disabled=move || action.pending().get() || s.invalid()>{tr(Key::AddColumn)}</button>
            </div>
        </form>
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <Refusal error=e keep_soft=Callback::new(move |_| send(true))/> })}
    }
}
