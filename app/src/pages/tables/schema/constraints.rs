//! A table's constraints, and a new one: unique over columns, a foreign key from a Reference
//! column with its on-delete action, or a check whose expression is parsed as it is typed.

use engine::eav::{ConstraintInfo, ConstraintType, DataType, NewConstraint, OnDelete};
use leptos::prelude::*;

use super::Refusal;
use crate::api::AddTableConstraint;
use crate::components::TableHead;
use crate::i18n::{Key, t, tr, use_locale};

#[component]
pub fn ConstraintsTable(constraints: Vec<ConstraintInfo>) -> impl IntoView {
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
                        ConstraintType::ForeignKey => format!("{} · ON DELETE {}", c.columns.join(" + "), c.on_delete.map_or("RESTRICT", on_delete_text)),
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


#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Unique,
    Check,
    ForeignKey,
}

const ON_DELETE: [OnDelete; 4] = [OnDelete::Restrict, OnDelete::Cascade, OnDelete::SetNull, OnDelete::SetDefault];

fn on_delete_text(o: OnDelete) -> &'static str {
    match o {
        OnDelete::Restrict => "RESTRICT",
        OnDelete::Cascade => "CASCADE",
        OnDelete::SetNull => "SET NULL",
        OnDelete::SetDefault => "SET DEFAULT",
        OnDelete::NoAction => "NO ACTION",
    }
}

#[component]
pub fn AddConstraintForm(table_id: uuid::Uuid, fields: Vec<(String, DataType)>, action: ServerAction<AddTableConstraint>) -> impl IntoView {
    let locale = use_locale();
    let kind = RwSignal::new(Kind::Check);
    let references: Vec<String> = fields.iter().filter(|(_, ty)| *ty == DataType::Reference).map(|(n, _)| n.clone()).collect();
    let reference = RwSignal::new(references.first().cloned());
    let on_delete = RwSignal::new(OnDelete::Restrict);
    let fields: Vec<String> = fields.into_iter().map(|(n, _)| n).collect();
    let name = RwSignal::new(String::new());
    let expression = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let known = fields.clone();
    let fields = StoredValue::new(fields);
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
                constraint_type: match k {
                    Kind::Check => ConstraintType::Check,
                    Kind::Unique => ConstraintType::Unique,
                    Kind::ForeignKey => ConstraintType::ForeignKey,
                },
                columns: match k {
                    Kind::Unique => chosen.get(),
                    Kind::ForeignKey => reference.get().into_iter().collect(),
                    Kind::Check => vec![],
                },
                json_paths: vec![],
                is_case_sensitive: true,
                on_delete: on_delete.get(),
                check_expression: (k == Kind::Check).then(|| expression.get()),
                error_message: Some(message.get()).filter(|m| !m.trim().is_empty()),
                is_active: true,
                soft,
            },
        });
    };
    let ready = move || {
        !name.get().trim().is_empty()
            && match kind.get() {
                Kind::Check => matches!(verdict.get(), Some(Ok(()))),
                Kind::Unique => !chosen.with(Vec::is_empty),
                Kind::ForeignKey => reference.with(Option::is_some),
            }
    };
    view! {
        <form class="form form-grid" data-testid="add-constraint" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); if ready() { send(false); } }>
            <fieldset class="field">
                <legend>{tr(Key::TypeOf)}</legend>
                <label class="check"><input type="radio" name="kind" data-testid="kind-check" prop:checked=move || kind.get() == Kind::Check on:change=move |_| kind.set(Kind::Check)/><span>"CHECK"</span></label>
                <label class="check"><input type="radio" name="kind" data-testid="kind-unique" prop:checked=move || kind.get() == Kind::Unique on:change=move |_| kind.set(Kind::Unique)/><span>"UNIQUE"</span></label>
                <label class="check"><input type="radio" name="kind" data-testid="kind-foreign-key" prop:checked=move || kind.get() == Kind::ForeignKey on:change=move |_| kind.set(Kind::ForeignKey)/><span>"FOREIGN KEY"</span></label>
            </fieldset>
            <label class="field">
                <span>{tr(Key::Name)}</span>
                <input type="text" required maxlength="63" data-testid="constraint-name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <Show when=move || kind.get() == Kind::ForeignKey>
                {if references.is_empty() {
                    view! { <p class="muted field-wide" data-testid="no-reference-columns">{tr(Key::NoReferenceColumns)}</p> }.into_any()
                } else {
                    let references = references.clone();
                    view! {
                        <label class="field">
                            <span>{tr(Key::Columns)}</span>
                            <select data-testid="fk-column" on:change=move |ev| reference.set(Some(event_target_value(&ev)))>
                                {references.into_iter().map(|r| { let (v, label) = (r.clone(), r.clone()); view! { <option value=r selected=move || reference.get().as_deref() == Some(v.as_str())>{label}</option> } }).collect_view()}
                            </select>
                        </label>
                        <label class="field">
                            <span>{tr(Key::OnDeleteLabel)}</span>
                            <select data-testid="fk-on-delete" on:change=move |ev| {
                                let v = event_target_value(&ev);
                                on_delete.set(ON_DELETE.into_iter().find(|o| on_delete_text(*o) == v).unwrap_or_default());
                            }>
                                {ON_DELETE.into_iter().map(|o| view! { <option value=on_delete_text(o) selected=move || on_delete.get() == o>{on_delete_text(o)}</option> }).collect_view()}
                            </select>
                        </label>
                    }.into_any()
                }}
            </Show>
            <Show when=move || kind.get() != Kind::ForeignKey>
            <Show when=move || kind.get() == Kind::Check fallback=move || view! {
                <fieldset class="field field-wide">
                    <legend>{tr(Key::Columns)}</legend>
                    <div class="checks">
                        {fields.get_value().into_iter().map(|f| {
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
            </Show>
            <div class="actions">
                <button class="btn btn-primary" type="submit" data-testid="add-constraint-submit" disabled=move || !ready() || action.pending().get()>{tr(Key::AddConstraint)}</button>
            </div>
        </form>
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <Refusal error=e keep_soft=Callback::new(move |_| send(true))/> })}
    }
}

