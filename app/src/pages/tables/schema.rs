//! A governed table's schema: its columns with their rules, its constraints and its history; for
//! admins, a column or a constraint added in place. A check expression is parsed as it is typed,
//! by the same code the server runs (compiled to wasm). When existing rows break a new rule the
//! answer shows how many and which, and offers to keep the rule soft and fix them in the grid.

use engine::ErrorCode;
use engine::eav::{
    ConstraintInfo, ConstraintType, DataType, LogicalTableDetail, MaskingRule, NewColumn, NewConstraint, NewProperty, OnDelete, PropertyInfo, RuleType,
    SchemaChange, ViolatingRow,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api::{AddTableColumn, AddTableConstraint, AppError, ReorderTableColumns, get_table_schema};
use crate::components::{ErrorNote, TableHead};
use crate::format::{fmt_int, fmt_time};
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn TableSchemaPage() -> impl IntoView {
    let params = use_params_map();
    let add_column = ServerAction::<AddTableColumn>::new();
    let add_constraint = ServerAction::<AddTableConstraint>::new();
    let reorder = ServerAction::<ReorderTableColumns>::new();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let schema = Resource::new(
        move || (name(), add_column.version().get(), add_constraint.version().get(), reorder.version().get()),
        |(n, _, _, _)| get_table_schema(n),
    );
    view! {
        <div class="stack">
            <Suspense fallback=move || view! { <section class="panel"><p class="muted">{tr(Key::Loading)}</p></section> }>
                {move || Suspend::new(async move {
                    match schema.await {
                        Err(e) => view! { <section class="panel"><ErrorNote error=e/></section> }.into_any(),
                        Ok((detail, history)) => view! { <SchemaView detail history add_column add_constraint reorder/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn SchemaView(
    detail: LogicalTableDetail,
    history: Vec<SchemaChange>,
    add_column: ServerAction<AddTableColumn>,
    add_constraint: ServerAction<AddTableConstraint>,
    reorder: ServerAction<ReorderTableColumns>,
) -> impl IntoView {
    let table = detail.table.clone();
    let mut props = detail.properties.clone();
    props.sort_by_key(|p| p.display_order);
    let fields: Vec<String> = props.iter().map(|p| p.column_name.clone()).collect();
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
            <ColumnsTable props table_id=table.id reorder/>
            {move || reorder.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
            <h2>{tr(Key::Constraints)}</h2>
            <ConstraintsTable constraints=detail.constraints.clone()/>
        </section>
        <section class="panel" aria-labelledby="add-column-title">
            <h2 id="add-column-title">{tr(Key::AddColumn)}</h2>
            <AddColumnForm table_id=table.id order=detail.properties.len() as i32 action=add_column/>
        </section>
        <section class="panel" aria-labelledby="add-constraint-title">
            <h2 id="add-constraint-title">{tr(Key::AddConstraint)}</h2>
            <AddConstraintForm table_id=table.id fields action=add_constraint/>
        </section>
        <section class="panel" aria-labelledby="history-title">
            <h2 id="history-title">{tr(Key::SchemaHistory)}</h2>
            <HistoryList history/>
        </section>
    }
}


#[component]
fn ColumnsTable(props: Vec<PropertyInfo>, table_id: uuid::Uuid, reorder: ServerAction<ReorderTableColumns>) -> impl IntoView {
    if props.is_empty() {
        return view! { <p class="muted" data-testid="no-columns">{tr(Key::NoColumns)}</p> }.into_any();
    }
    let ids: Vec<uuid::Uuid> = props.iter().map(|p| p.id).collect();
    let n = ids.len();
    let ids = StoredValue::new(ids);
    // Moves the column at `from` to `to` (buttons, or dragged onto another row).
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
    view! {
        <div class="table-wrap"><table class="table" data-testid="columns">
            <TableHead cols=vec![Key::Name, Key::TypeOf, Key::Mandatory, Key::Unique, Key::Rule] actions=Key::Order/>
            <tbody>
                {props.into_iter().enumerate().map(|(i, p)| {
                    let soft = !p.soft_rules.is_empty();
                    view! {
                        <tr data-testid="column-row" draggable="true"
                            on:dragstart=move |_| dragging.set(Some(i))
                            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                            on:drop=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); if let Some(from) = dragging.get_untracked() { move_to(from, i); } dragging.set(None); }>
                            <td><code>{p.column_name.clone()}</code></td>
                            <td>{p.data_type.as_str()}</td>
                            <td>{if p.is_mandatory { "✓" } else { "" }}</td>
                            <td>{if p.is_value_unique { "✓" } else { "" }}</td>
                            <td>
                                {p.validation_rule_type.map(|r| view! { <span class="chip">{r.as_str()}</span>" "<code>{params_text(&p.validation_parameters)}</code> })}
                                {soft.then(|| view! { " "<span class="badge badge-warn">{tr(Key::Soft)}</span> })}
                            </td>
                            <td class="row-actions">
                                <button class="btn btn-ghost" data-testid="column-up" aria-label=tr(Key::MoveUp) disabled=i == 0 on:click=move |_| move_to(i, i.saturating_sub(1))>"↑"</button>
                                <button class="btn btn-ghost" data-testid="column-down" aria-label=tr(Key::MoveDown) disabled=i + 1 == n on:click=move |_| move_to(i, i + 1)>"↓"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}


fn params_text(v: &Value) -> String {
    if v.is_null() || v.as_object().is_some_and(|m| m.is_empty()) { String::new() } else { v.to_string() }
}

#[component]
fn ConstraintsTable(constraints: Vec<ConstraintInfo>) -> impl IntoView {
    if constraints.is_empty() {
        return view! { <p class="muted" data-testid="no-constraints">{tr(Key::NoConstraints)}</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="constraints">
            <TableHead cols=vec![Key::Name, Key::TypeOf, Key::Definition, Key::Message, Key::Status]/>
            <tbody>
                {constraints.into_iter().map(|c| {
                    let definition = match c.constraint_type {
                        ConstraintType::Check => c.check_expression.clone().unwrap_or_default(),
                        _ => c.columns.iter().chain(c.json_paths.iter()).cloned().collect::<Vec<_>>().join(" + "),
                    };
                    view! {
                        <tr data-testid="constraint-row">
                            <td><code>{c.constraint_name.clone()}</code></td>
                            <td>{c.constraint_type.as_str()}</td>
                            <td><code>{definition}</code></td>
                            <td>{c.error_message.clone().unwrap_or_default()}</td>
                            <td>
                                <span class="chip">{tr(if c.is_active { Key::Active } else { Key::Inactive })}</span>
                                {c.is_soft.then(|| view! { " "<span class="badge badge-warn">{tr(Key::Soft)}</span> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}


#[component]
fn AddColumnForm(table_id: uuid::Uuid, order: i32, action: ServerAction<AddTableColumn>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let ty = RwSignal::new(DataType::String);
    let enum_values = RwSignal::new(String::new());
    let mandatory = RwSignal::new(false);
    let unique = RwSignal::new(false);
    let rule = RwSignal::new(None::<RuleType>);
    let params = RwSignal::new(String::new());
    let masking = RwSignal::new(MaskingRule::None);
    let default = RwSignal::new(String::new());
    // The rule's parameters read as the server will read them, as they are typed.
    let rule_verdict = Memo::new(move |_| {
        let ty = rule.get()?;
        let text = params.get();
        let value: Value = if text.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => return Some(Err(format!("JSON: {e}"))),
            }
        };
        Some(engine::eav::rules::Rule::new(ty, &value).map(|_| ()))
    });
    let params_value = move || -> Value { serde_json::from_str(&params.get_untracked()).unwrap_or(Value::Object(Default::default())) };
    let default_value = move || -> Option<Value> {
        let text = default.get_untracked();
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        Some(match ty.get_untracked() {
            DataType::Int | DataType::Decimal => t.replace(',', ".").parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::String(t.into()), Value::Number),
            DataType::Boolean => Value::Bool(matches!(t.to_lowercase().as_str(), "true" | "sí" | "si" | "yes" | "1")),
            _ => Value::String(t.into()),
        })
    };
    let send = move |soft: bool| {
        let values: Vec<String> = enum_values.get().split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        action.dispatch(AddTableColumn {
            column: NewColumn {
                column_name: name.get().trim().to_string(),
                data_type: ty.get(),
                description: String::new(),
                enum_values: values,
                reference_table_id: None,
                default_value: default_value(),
                masking_rule: masking.get(),
            },
            property: NewProperty {
                logical_table_id: table_id,
                column_definition_id: uuid::Uuid::nil(),
                display_order: order + 1,
                is_mandatory: mandatory.get(),
                is_value_unique: unique.get(),
                is_indexed: false,
                validation_rule_type: rule.get(),
                validation_parameters: if rule.get().is_some() { params_value() } else { Value::Null },
                soft,
            },
        });
    };
    const RULES: [RuleType; 7] = [RuleType::Regex, RuleType::Length, RuleType::Range, RuleType::Enum, RuleType::Email, RuleType::Url, RuleType::DateRange];
    const MASKS: [MaskingRule; 4] = [MaskingRule::None, MaskingRule::Full, MaskingRule::Last4, MaskingRule::Email];
    view! {
        <form class="form form-grid" data-testid="add-column" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send(false); }>
            <label class="field">
                <span>{tr(Key::Name)}</span>
                <input type="text" required maxlength="63" pattern="[A-Za-z][A-Za-z0-9_]*" data-testid="column-name"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <label class="field">
                <span>{tr(Key::TypeOf)}</span>
                <select data-testid="column-type" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some(t) = DataType::parse(&v) { ty.set(t); }
                }>
                    {DataType::ALL.into_iter().map(|t| view! { <option value=t.as_str() selected=move || ty.get() == t>{t.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || ty.get() == DataType::Enum>
                <label class="field">
                    <span>{tr(Key::EnumValues)}</span>
                    <input type="text" placeholder="A, B, C" prop:value=enum_values on:input=move |ev| enum_values.set(event_target_value(&ev))/>
                </label>
            </Show>
            <label class="field">
                <span>{tr(Key::Rule)}</span>
                <select data-testid="column-rule" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    rule.set(RULES.into_iter().find(|r| r.as_str() == v));
                }>
                    <option value="">{tr(Key::NoRule)}</option>
                    {RULES.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || rule.get().is_some_and(|r| !matches!(r, RuleType::Email | RuleType::Url))>
                <label class="field">
                    <span>{tr(Key::RuleParameters)}</span>
                    <input type="text" class="code" data-testid="column-rule-params" prop:value=params on:input=move |ev| params.set(event_target_value(&ev))
                        placeholder=move || match rule.get() {
                            Some(RuleType::Regex) => r#"{"pattern": "^[A-Z]{3}-\d+$"}"#,
                            Some(RuleType::Length) => r#"{"min": 1, "max": 40}"#,
                            Some(RuleType::Range) => r#"{"min": 0, "max": 1000}"#,
                            Some(RuleType::Enum) => r#"{"values": ["a", "b"]}"#,
                            Some(RuleType::DateRange) => r#"{"min": "2020-01-01"}"#,
                            _ => "",
                        }
                        aria-invalid=move || matches!(rule_verdict.get(), Some(Err(_))).to_string()/>
                    <small class="hint" data-testid="rule-verdict">{move || match rule_verdict.get() { Some(Err(e)) => e, _ => String::new() }}</small>
                </label>
            </Show>
            <label class="field">
                <span>{tr(Key::Masking)}</span>
                <select data-testid="column-masking" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    masking.set(MASKS.into_iter().find(|m| m.as_str() == v).unwrap_or_default());
                }>
                    {MASKS.into_iter().map(|m| view! { <option value=m.as_str()>{m.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span>{tr(Key::DefaultValue)}</span>
                <input type="text" data-testid="column-default" prop:value=default on:input=move |ev| default.set(event_target_value(&ev))/>
            </label>
            <label class="check">
                <input type="checkbox" data-testid="column-mandatory" prop:checked=mandatory on:change=move |ev| mandatory.set(event_target_checked(&ev))/>
                <span>{tr(Key::Mandatory)}</span>
            </label>
            <label class="check">
                <input type="checkbox" data-testid="column-unique" prop:checked=unique on:change=move |ev| unique.set(event_target_checked(&ev))/>
                <span>{tr(Key::Unique)}</span>
            </label>
            <div class="actions">
                <button class="btn btn-primary" type="submit" data-testid="add-column-submit" disabled=move || action.pending().get() || matches!(rule_verdict.get(), Some(Err(_)))>{tr(Key::AddColumn)}</button>
            </div>
        </form>
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <Refusal error=e keep_soft=Callback::new(move |_| send(true))/> })}
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Unique,
    Check,
}

#[component]
fn AddConstraintForm(table_id: uuid::Uuid, fields: Vec<String>, action: ServerAction<AddTableConstraint>) -> impl IntoView {
    let locale = use_locale();
    let kind = RwSignal::new(Kind::Check);
    let name = RwSignal::new(String::new());
    let expression = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let known = fields.clone();
    // Parsed as typed, by the server's own parser; names that are no field of the table are refused too.
    let verdict = Memo::new(move |_| {
        let src = expression.get();
        if src.trim().is_empty() {
            return None;
        }
        Some(match engine::eav::expr::parse(&src) {
            Err(e) => Err(e.to_string()),
            Ok(expr) => {
                let mut used = Vec::new();
                expr.fields(&mut used);
                let promoted = ["code", "display_value", "is_active", "sort_order"];
                match used.into_iter().find(|f| !promoted.contains(&f.as_str()) && !f.starts_with("ext.") && !known.iter().any(|k| k.eq_ignore_ascii_case(f))) {
                    Some(unknown) => Err(format!("{}: {unknown}", t(locale.get(), Key::UnknownField))),
                    None => Ok(()),
                }
            }
        })
    });
    let send = move |soft: bool| {
        let k = kind.get();
        action.dispatch(AddTableConstraint {
            req: NewConstraint {
                logical_table_id: table_id,
                constraint_name: name.get().trim().to_string(),
                constraint_type: if k == Kind::Check { ConstraintType::Check } else { ConstraintType::Unique },
                columns: if k == Kind::Unique { chosen.get() } else { vec![] },
                json_paths: vec![],
                is_case_sensitive: true,
                on_delete: OnDelete::Restrict,
                check_expression: (k == Kind::Check).then(|| expression.get()),
                error_message: Some(message.get()).filter(|m| !m.trim().is_empty()),
                is_active: true,
                soft,
            },
        });
    };
    let ready = move || !name.get().trim().is_empty() && if kind.get() == Kind::Check { matches!(verdict.get(), Some(Ok(()))) } else { !chosen.with(Vec::is_empty) };
    view! {
        <form class="form form-grid" data-testid="add-constraint" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); if ready() { send(false); } }>
            <fieldset class="field">
                <legend>{tr(Key::TypeOf)}</legend>
                <label class="check"><input type="radio" name="kind" data-testid="kind-check" prop:checked=move || kind.get() == Kind::Check on:change=move |_| kind.set(Kind::Check)/><span>"CHECK"</span></label>
                <label class="check"><input type="radio" name="kind" data-testid="kind-unique" prop:checked=move || kind.get() == Kind::Unique on:change=move |_| kind.set(Kind::Unique)/><span>"UNIQUE"</span></label>
            </fieldset>
            <label class="field">
                <span>{tr(Key::Name)}</span>
                <input type="text" required maxlength="63" data-testid="constraint-name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <Show when=move || kind.get() == Kind::Check fallback=move || view! {
                <fieldset class="field field-wide">
                    <legend>{tr(Key::Columns)}</legend>
                    <div class="checks">
                        {fields.iter().map(|f| {
                            let f = f.clone();
                            let g = f.clone();
                            view! {
                                <label class="check">
                                    <input type="checkbox" data-testid=format!("unique-{f}") on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| if on { c.push(g.clone()) } else { c.retain(|x| *x != g) });
                                    }/>
                                    <span><code>{f}</code></span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            }>
                <label class="field field-wide">
                    <span>{tr(Key::Expression)}</span>
                    <input type="text" class="code" data-testid="check-expression" placeholder="price >= 0 and (discount is null or discount < price)"
                        prop:value=expression on:input=move |ev| expression.set(event_target_value(&ev))
                        aria-invalid=move || matches!(verdict.get(), Some(Err(_))).to_string()/>
                    <small class="hint" data-testid="expression-verdict" role="status">
                        {move || match verdict.get() {
                            None => t(locale.get(), Key::ExpressionHint).to_string(),
                            Some(Ok(())) => t(locale.get(), Key::ExpressionOk).to_string(),
                            Some(Err(e)) => e,
                        }}
                    </small>
                </label>
                <label class="field field-wide">
                    <span>{tr(Key::Message)}</span>
                    <input type="text" data-testid="check-message" prop:value=message on:input=move |ev| message.set(event_target_value(&ev))/>
                </label>
            </Show>
            <div class="actions">
                <button class="btn btn-primary" type="submit" data-testid="add-constraint-submit" disabled=move || !ready() || action.pending().get()>{tr(Key::AddConstraint)}</button>
            </div>
        </form>
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <Refusal error=e keep_soft=Callback::new(move |_| send(true))/> })}
    }
}

/// Why a schema change was refused; when existing rows break the new rule: how many, the first
/// of them (each opens in the grid), and the choice to keep the rule soft.
#[component]
fn Refusal(error: AppError, keep_soft: Callback<()>) -> impl IntoView {
    if error.code() != ErrorCode::RowsViolateRule {
        return view! { <ErrorNote error/> }.into_any();
    }
    let count = error.0.details.get("count").and_then(Value::as_i64).unwrap_or(0);
    let examples: Vec<ViolatingRow> = error.0.details.get("examples").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    view! {
        <div class="note note-warn" role="alert" data-testid="rows-violate">
            <p><strong>{fmt_int(count)}</strong>" "{tr(Key::RowsBreakRule)}</p>
            <ul>
                {examples.into_iter().map(|r| view! { <li><code>{r.code}</code>" · "<code>{params_text(&r.value)}</code></li> }).collect_view()}
            </ul>
            <div class="actions">
                <button class="btn" type="button" data-testid="keep-soft" on:click=move |_| keep_soft.run(())>{tr(Key::KeepSoft)}</button>
            </div>
            <p class="hint">{tr(Key::KeepSoftHint)}</p>
        </div>
    }
    .into_any()
}

/// The changes between two versions of the schema (from the first, exclusive, to the second).
#[component]
fn HistoryList(history: Vec<SchemaChange>) -> impl IntoView {
    if history.is_empty() {
        return view! { <p class="muted">{tr(Key::NoHistory)}</p> }.into_any();
    }
    let newest = history.iter().filter_map(|h| h.table_version).max().unwrap_or(1);
    let from = RwSignal::new(0);
    let to = RwSignal::new(newest);
    let versions: Vec<i32> = (0..=newest).collect();
    let all = StoredValue::new(history);
    let shown = move || all.with_value(|h| h.iter().filter(|c| c.table_version.is_none_or(|v| v > from.get() && v <= to.get())).cloned().collect::<Vec<_>>());
    let pick = |sig: RwSignal<i32>, testid: &'static str, label: Key, versions: Vec<i32>| view! {
        <label class="field-inline">
            <span>{tr(label)}</span>
            <select data-testid=testid on:change=move |ev| sig.set(event_target_value(&ev).parse().unwrap_or(0))>
                {versions.into_iter().map(|v| view! { <option value=v.to_string() selected=move || sig.get() == v>{format!("v{v}")}</option> }).collect_view()}
            </select>
        </label>
    };
    view! {
        <div class="filters">
            {pick(from, "history-from", Key::FromVersion, versions.clone())}
            {pick(to, "history-to", Key::ToVersion, versions)}
        </div>
        <ol class="history" data-testid="schema-history">
            {move || shown().into_iter().map(|h| view! {
                <li>
                    <details>
                        <summary>
                            {h.table_version.map(|v| format!("v{v} · ")).unwrap_or_default()}
                            {fmt_time(&h.at)}" · "{h.actor.clone().unwrap_or_default()}" · "<code>{format!("{} {}", h.action, h.entity)}</code>
                        </summary>
                        <div class="compare-grid">
                            <pre class="raw">{h.before.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).unwrap_or_default()}</pre>
                            <pre class="raw">{h.after.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).unwrap_or_default()}</pre>
                        </div>
                    </details>
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}
