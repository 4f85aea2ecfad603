//! A column's settings as a form edits them, shared by the new-column form and a column's change
//! form: its type (with enum values or the table a Reference points at), rule and parameters
//! (read as the server reads them, as they are typed), masking, default, mandatory and unique.

use engine::eav::{ColumnInfo, DataType, MaskingRule, PropertyInfo, RuleType};
use leptos::prelude::*;
use serde_json::Value;

use crate::i18n::{Key, tr};

pub const RULES: [RuleType; 7] = [RuleType::Regex, RuleType::Length, RuleType::Range, RuleType::Enum, RuleType::Email, RuleType::Url, RuleType::DateRange];
pub const MASKS: [MaskingRule; 4] = [MaskingRule::None, MaskingRule::Full, MaskingRule::Last4, MaskingRule::Email];

#[derive(Clone, Copy)]
pub struct Settings {
    pub ty: RwSignal<DataType>,
    pub enum_values: RwSignal<String>,
    pub reference: RwSignal<Option<uuid::Uuid>>,
    pub mandatory: RwSignal<bool>,
    pub unique: RwSignal<bool>,
    pub rule: RwSignal<Option<RuleType>>,
    pub params: RwSignal<String>,
    pub masking: RwSignal<MaskingRule>,
    pub default: RwSignal<String>,
    /// The rule's parameters as the server will read them: `None` without a rule.
    pub verdict: Memo<Option<Result<(), String>>>,
}

impl Settings {
    pub fn blank() -> Settings {
        Settings::with(DataType::String, String::new(), None, false, false, None, String::new(), MaskingRule::None, String::new())
    }

    /// The settings a bound column has now.
    pub fn of(p: &PropertyInfo, c: Option<&ColumnInfo>) -> Settings {
        let params = if p.validation_rule_type.is_some() { super::params_text(&p.validation_parameters) } else { String::new() };
        Settings::with(
            p.data_type,
            c.map(|c| c.enum_values.join(", ")).unwrap_or_default(),
            c.and_then(|c| c.reference_table_id),
            p.is_mandatory,
            p.is_value_unique,
            p.validation_rule_type,
            params,
            c.map(|c| c.masking_rule).unwrap_or_default(),
            c.and_then(|c| c.default_value.as_ref()).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).unwrap_or_default(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn with(
        ty: DataType,
        enum_values: String,
        reference: Option<uuid::Uuid>,
        mandatory: bool,
        unique: bool,
        rule: Option<RuleType>,
        params: String,
        masking: MaskingRule,
        default: String,
    ) -> Settings {
        let rule = RwSignal::new(rule);
        let params = RwSignal::new(params);
        let verdict = Memo::new(move |_| {
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
        Settings {
            ty: RwSignal::new(ty),
            enum_values: RwSignal::new(enum_values),
            reference: RwSignal::new(reference),
            mandatory: RwSignal::new(mandatory),
            unique: RwSignal::new(unique),
            rule,
            params,
            masking: RwSignal::new(masking),
            default: RwSignal::new(default),
            verdict,
        }
    }

    pub fn invalid(self) -> bool {
        matches!(self.verdict.get(), Some(Err(_)))
    }

    pub fn enum_list(self) -> Vec<String> {
        self.enum_values.get_untracked().split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }

    pub fn params_value(self) -> Value {
        if self.rule.get_untracked().is_none() {
            return Value::Null;
        }
        serde_json::from_str(&self.params.get_untracked()).unwrap_or(Value::Object(Default::default()))
    }

    /// The default as the column's type holds it (the server checks it again).
    pub fn default_value(self) -> Option<Value> {
        let text = self.default.get_untracked();
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        Some(match self.ty.get_untracked() {
            DataType::Int if t.parse::<i64>().is_ok() => t.parse::<i64>().map_or(Value::Null, Value::from),
            DataType::Int | DataType::Decimal => t.replace(',', ".").parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::String(t.into()), Value::Number),
            DataType::Boolean => Value::Bool(matches!(t.to_lowercase().as_str(), "true" | "sí" | "si" | "yes" | "1")),
            _ => Value::String(t.into()),
        })
    }
}

/// The inputs of `s`. `types` are the types offered (all for a new column; for a change, the
/// column's own and those its values may take); `tables` the tables a Reference may point at.
#[component]
pub fn SettingsFields(s: Settings, types: Vec<DataType>, tables: Vec<(uuid::Uuid, String)>, #[prop(into)] prefix: String) -> impl IntoView {
    let prefix = StoredValue::new(prefix);
    let id = move |what: &str| format!("{}-{what}", prefix.get_value());
    let single = types.len() < 2;
    view! {
        <label class="field">
            <span>{tr(Key::TypeOf)}</span>
            <select data-testid=id("type") disabled=single on:change=move |ev| {
                if let Some(t) = DataType::parse(&event_target_value(&ev)) { s.ty.set(t); }
            }>
                {types.into_iter().map(|t| view! { <option value=t.as_str() selected=move || s.ty.get() == t>{t.as_str()}</option> }).collect_view()}
            </select>
        </label>
        <Show when=move || s.ty.get() == DataType::Enum>
            <label class="field">
                <span>{tr(Key::EnumValues)}</span>
                <input type="text" placeholder="A, B, C" data-testid=id("enum") prop:value=s.enum_values on:input=move |ev| s.enum_values.set(event_target_value(&ev))/>
            </label>
        </Show>
        <Show when=move || s.ty.get() == DataType::Reference>
            <label class="field">
                <span>{tr(Key::ReferencedTable)}</span>
                <select data-testid=id("reference") on:change=move |ev| s.reference.set(event_target_value(&ev).parse().ok())>
                    <option value="">"—"</option>
                    {tables.clone().into_iter().map(|(tid, name)| view! { <option value=tid.to_string() selected=move || s.reference.get() == Some(tid)>{name}</option> }).collect_view()}
                </select>
            </label>
        </Show>
        <label class="field">
            <span>{tr(Key::Rule)}</span>
            <select data-testid=id("rule") on:change=move |ev| {
                let v = event_target_value(&ev);
                s.rule.set(RULES.into_iter().find(|r| r.as_str() == v));
            }>
                <option value="" selected=move || s.rule.get().is_none()>{tr(Key::NoRule)}</option>
                {RULES.into_iter().map(|r| view! { <option value=r.as_str() selected=move || s.rule.get() == Some(r)>{r.as_str()}</option> }).collect_view()}
            </select>
        </label>
        <Show when=move || s.rule.get().is_some_and(|r| !matches!(r, RuleType::Email | RuleType::Url))>
            <label class="field">
                <span>{tr(Key::RuleParameters)}</span>
                <input type="text" class="code" data-testid=id("rule-params") prop:value=s.params on:input=move |ev| s.params.set(event_target_value(&ev))
                    placeholder=move || match s.rule.get() {
                        Some(RuleType::Regex) => r#"{"pattern": "^[A-Z]{3}-\d+$"}"#,
                        Some(RuleType::Length) => r#"{"min": 1, "max": 40}"#,
                        Some(RuleType::Range) => r#"{"min": 0, "max": 1000}"#,
                        Some(RuleType::Enum) => r#"{"values": ["a", "b"]}"#,
                        Some(RuleType::DateRange) => r#"{"min": "2020-01-01"}"#,
                        _ => "",
                    }
                    aria-invalid=move || s.invalid().to_string()/>
                <small class="hint" data-testid=id("rule-verdict")>{move || match s.verdict.get() { Some(Err(e)) => e, _ => String::new() }}</small>
            </label>
        </Show>
        <label class="field">
            <span>{tr(Key::Masking)}</span>
            <select data-testid=id("masking") on:change=move |ev| {
                let v = event_target_value(&ev);
                s.masking.set(MASKS.into_iter().find(|m| m.as_str() == v).unwrap_or_default());
            }>
                {MASKS.into_iter().map(|m| view! { <option value=m.as_str() selected=move || s.masking.get() == m>{m.as_str()}</option> }).collect_view()}
            </select>
        </label>
        <label class="field">
            <span>{tr(Key::DefaultValue)}</span>
            <input type="text" data-testid=id("default") prop:value=s.default on:input=move |ev| s.default.set(event_target_value(&ev))/>
        </label>
        <label class="check">
            <input type="checkbox" data-testid=id("mandatory") prop:checked=s.mandatory on:change=move |ev| s.mandatory.set(event_target_checked(&ev))/>
            <span>{tr(Key::Mandatory)}</span>
        </label>
        <label class="check">
            <input type="checkbox" data-testid=id("unique") prop:checked=s.unique on:change=move |ev| s.unique.set(event_target_checked(&ev))/>
            <span>{tr(Key::Unique)}</span>
        </label>
    }
}
