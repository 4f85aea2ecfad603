//! The mapping editor of a new import: one line per field of the target table, each fed by a
//! source field (matched by name to start with), converted to the field's type with the format a
//! person picks; source fields left over can be kept as extended properties.

use engine::eav::import::{FieldMapping, StorageType, TransformationType};
use engine::eav::{DataType, PropertyInfo};
use leptos::prelude::*;
use serde_json::{Value, json};

use crate::i18n::{Key, tr};

/// One target field and what feeds it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRow {
    pub target: String,
    pub ty: Option<DataType>,
    /// The source field, or empty: not filled.
    pub source: String,
    pub decimal_comma: bool,
    pub date_format: String,
}

pub const DATE_FORMATS: [&str; 4] = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y"];

fn norm(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Names people give the fields a table's promoted fields usually come from.
fn aliases(target: &str) -> &'static [&'static str] {
    match target {
        "code" => &["code", "codigo", "id", "sku", "ref", "referencia", "key", "clave"],
        "display_value" => &["displayvalue", "name", "nombre", "descripcion", "description", "concepto", "title", "titulo"],
        _ => &[],
    }
}

/// The lines for `props`, each fed by the source field of the same name (or a usual alias).
pub fn initial_rows(props: &[PropertyInfo], fields: &[String]) -> Vec<MapRow> {
    let find = |target: &str| -> String {
        let wanted = norm(target);
        fields
            .iter()
            .find(|f| norm(f) == wanted)
            .or_else(|| aliases(target).iter().find_map(|a| fields.iter().find(|f| norm(f) == *a)))
            .cloned()
            .unwrap_or_default()
    };
    let mut rows = vec![
        MapRow { target: "code".into(), ty: None, source: find("code"), decimal_comma: false, date_format: DATE_FORMATS[0].into() },
        MapRow { target: "display_value".into(), ty: None, source: find("display_value"), decimal_comma: false, date_format: DATE_FORMATS[0].into() },
    ];
    for p in props {
        rows.push(MapRow { target: p.column_name.clone(), ty: Some(p.data_type), source: find(&p.column_name), decimal_comma: false, date_format: DATE_FORMATS[0].into() });
    }
    rows
}

/// The configuration's mappings: every line with a source, converted to its type; with `keep_rest`,
/// the unused source fields as extended properties.
pub fn mappings(rows: &[MapRow], fields: &[String], keep_rest: bool) -> Vec<FieldMapping> {
    let mut out: Vec<FieldMapping> = rows
        .iter()
        .filter(|r| !r.source.is_empty())
        .map(|r| {
            let (ty, params) = match r.ty {
                Some(DataType::Int | DataType::Decimal) => {
                    (TransformationType::ToNumber, json!({ "decimal_separator": if r.decimal_comma { "," } else { "." } }))
                }
                Some(DataType::Boolean) => (TransformationType::ToBoolean, json!({})),
                Some(DataType::Date) => (TransformationType::ToDate, json!({ "format": r.date_format })),
                Some(DataType::DateTime) => (TransformationType::None, json!({ "trim": true })),
                _ => (TransformationType::ToString, json!({ "trim": true })),
            };
            FieldMapping {
                source_field: r.source.clone(),
                target_field: r.target.clone(),
                transformation_type: ty,
                transformation_parameters: params,
                storage_type: StorageType::Column,
                is_required: r.target == "code",
            }
        })
        .collect();
    if keep_rest {
        for f in fields {
            let used = rows.iter().any(|r| r.source == *f);
            let key: String = f.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(63).collect();
            let taken = out.iter().any(|m| m.target_field.eq_ignore_ascii_case(&key));
            if !used && !key.is_empty() && !taken {
                out.push(FieldMapping {
                    source_field: f.clone(),
                    target_field: key,
                    transformation_type: TransformationType::None,
                    transformation_parameters: Value::Object(Default::default()),
                    storage_type: StorageType::Jsonb,
                    is_required: false,
                });
            }
        }
    }
    out
}

#[component]
pub fn MappingEditor(rows: RwSignal<Vec<MapRow>>, fields: Vec<String>) -> impl IntoView {
    let count = rows.with_untracked(Vec::len);
    view! {
        <div class="table-wrap"><table class="table table-compact" data-testid="mapping">
            <thead><tr>
                <th scope="col">{tr(Key::TargetField)}</th>
                <th scope="col">{tr(Key::SourceField)}</th>
                <th scope="col">{tr(Key::Format)}</th>
            </tr></thead>
            <tbody>
                {(0..count).map(|i| {
                    let row = move || rows.with(|r| r[i].clone());
                    let fields = fields.clone();
                    view! {
                        <tr data-testid="mapping-row">
                            <td><code>{move || row().target}</code><span class="muted">{move || row().ty.map(|t| format!(" · {t:?}"))}</span></td>
                            <td>
                                <select data-testid=move || format!("map-{}", row().target) on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    rows.update(|r| r[i].source = v);
                                }>
                                    <option value="" selected=move || row().source.is_empty()>{tr(Key::NotFilled)}</option>
                                    {fields.iter().map(|f| {
                                        let (value, g) = (f.clone(), f.clone());
                                        view! { <option value=value selected=move || row().source == g>{f.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </td>
                            <td>
                                {move || match row().ty {
                                    Some(DataType::Int | DataType::Decimal) => view! {
                                        <select aria-label=tr(Key::DecimalSeparator) on:change=move |ev| { let comma = event_target_value(&ev) == ","; rows.update(|r| r[i].decimal_comma = comma); }>
                                            <option value="." selected=move || !row().decimal_comma>"1234.50"</option>
                                            <option value="," selected=move || row().decimal_comma>"1234,50"</option>
                                        </select>
                                    }.into_any(),
                                    Some(DataType::Date) => view! {
                                        <select aria-label=tr(Key::DateFormat) on:change=move |ev| { let f = event_target_value(&ev); rows.update(|r| r[i].date_format = f); }>
                                            {DATE_FORMATS.iter().map(|f| view! { <option value=*f selected=move || row().date_format == *f>{*f}</option> }).collect_view()}
                                        </select>
                                    }.into_any(),
                                    _ => view! { <span class="muted">"—"</span> }.into_any(),
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
