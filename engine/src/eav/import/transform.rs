//! Mapping one source record to a row: each field mapping's text steps (trim, case, regular
//! expression replace, lookup) and type conversion, then the value placed in a promoted field, a
//! column or `extended_properties`. Pure, so a dry run, a job and the browser map alike.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Map, Number, Value};
use uuid::Uuid;

use super::wire::{FieldMapping, StorageType, TransformationType, ValidationError, ValidationLevel};
use crate::eav::wire::RowInput;

pub const MISSING_REQUIRED_FIELD: &str = "MISSING_REQUIRED_FIELD";
pub const TRANSFORMATION_ERROR: &str = "TRANSFORMATION_ERROR";

/// The promoted fields a mapping may target besides columns.
pub const PROMOTED: [&str; 5] = ["code", "display_value", "is_active", "sort_order", "parent_row_id"];

/// A mapping with its parameters read once (regular expressions compiled).
#[derive(Debug, Clone)]
pub struct Step {
    pub mapping: FieldMapping,
    trim: bool,
    case: Option<Case>,
    replace: Vec<(regex_lite::Regex, String)>,
    lookup: Option<(Map<String, Value>, Option<Value>)>,
    decimal_comma: bool,
    format: Option<String>,
    default: Option<Value>,
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Upper,
    Lower,
    Title,
}

/// The longest replace pattern accepted (linear-time engine; this keeps compiling cheap).
const MAX_PATTERN: usize = 500;

impl Step {
    /// Reads the mapping's parameters; the error says which one is wrong and why.
    pub fn new(mapping: &FieldMapping) -> Result<Step, String> {
        let p = &mapping.transformation_parameters;
        if !p.is_object() && !p.is_null() {
            return Err("transformation_parameters must be an object".into());
        }
        let trim = match p.get("trim") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("'trim' must be true or false".into()),
        };
        let case = match p.get("case").and_then(Value::as_str) {
            None => None,
            Some("upper") => Some(Case::Upper),
            Some("lower") => Some(Case::Lower),
            Some("title") => Some(Case::Title),
            Some(other) => return Err(format!("'case' must be upper, lower or title, not '{other}'")),
        };
        let mut replace = Vec::new();
        if let Some(list) = p.get("replace") {
            let list = list.as_array().ok_or("'replace' must be a list of {pattern, replacement}")?;
            for r in list {
                let pattern = r.get("pattern").and_then(Value::as_str).ok_or("each 'replace' needs a 'pattern'")?;
                if pattern.len() > MAX_PATTERN {
                    return Err(format!("a 'replace' pattern is longer than {MAX_PATTERN} characters"));
                }
                let replacement = r.get("replacement").and_then(Value::as_str).unwrap_or_default().to_string();
                let re = regex_lite::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("the pattern '{pattern}' is not a valid regular expression: {e}"))?;
                replace.push((re, replacement));
            }
        }
        let lookup = match p.get("lookup") {
            None | Some(Value::Null) => None,
            Some(l) => {
                let map = l.get("map").and_then(Value::as_object).ok_or("'lookup' needs a 'map' of from → to")?;
                Some((map.clone(), l.get("default").cloned()))
            }
        };
        let decimal_comma = match p.get("decimal_separator").and_then(Value::as_str) {
            None | Some(".") => false,
            Some(",") => true,
            Some(other) => return Err(format!("'decimal_separator' must be '.' or ',', not '{other}'")),
        };
        let format = p.get("format").and_then(Value::as_str).map(str::to_string);
        if let Some(f) = &format {
            check_format(f)?;
        }
        Ok(Step { mapping: mapping.clone(), trim, case, replace, lookup, decimal_comma, format, default: p.get("default").cloned() })
    }

    /// The mapped value: `Ok(None)` when the source has none (and no default).
    pub fn value(&self, record: &Map<String, Value>) -> Result<Option<Value>, String> {
        let raw = record.get(&self.mapping.source_field).cloned().unwrap_or(Value::Null);
        let v = match raw {
            Value::String(s) => self.text_steps(s),
            other => other,
        };
        let v = match v {
            Value::Null => match &self.default {
                Some(d) => d.clone(),
                None => return Ok(None),
            },
            Value::String(s) if s.is_empty() => match &self.default {
                Some(d) => d.clone(),
                None => return Ok(None),
            },
            other => other,
        };
        self.convert(v).map(Some)
    }

    fn text_steps(&self, mut s: String) -> Value {
        if self.trim {
            s = s.trim().to_string();
        }
        match self.case {
            Some(Case::Upper) => s = s.to_uppercase(),
            Some(Case::Lower) => s = s.to_lowercase(),
            Some(Case::Title) => s = title_case(&s),
            None => {}
        }
        for (re, with) in &self.replace {
            s = re.replace_all(&s, with.as_str()).into_owned();
        }
        if let Some((map, default)) = &self.lookup {
            return match map.get(&s) {
                Some(v) => v.clone(),
                None => default.clone().unwrap_or(Value::String(s)),
            };
        }
        Value::String(s)
    }

    fn convert(&self, v: Value) -> Result<Value, String> {
        match self.mapping.transformation_type {
            TransformationType::None => Ok(v),
            TransformationType::ToString => Ok(Value::String(match v {
                Value::String(s) => s,
                other => other.to_string(),
            })),
            TransformationType::ToNumber => to_number(&v, self.decimal_comma),
            TransformationType::ToBoolean => to_boolean(&v),
            TransformationType::ToDate => to_date(&v, self.format.as_deref()),
        }
    }
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for ch in s.chars() {
        if start {
            out.extend(ch.to_uppercase());
        } else {
            out.extend(ch.to_lowercase());
        }
        start = !ch.is_alphanumeric();
    }
    out
}

fn to_number(v: &Value, decimal_comma: bool) -> Result<Value, String> {
    let s = match v {
        Value::Number(_) => return Ok(v.clone()),
        Value::String(s) => s,
        _ => return Err(format!("{v} is not a number")),
    };
    let (thousands, decimal) = if decimal_comma { ('.', ',') } else { (',', '.') };
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| *c != thousands && !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| if c == decimal { '.' } else { c })
        .collect();
    if let Ok(i) = cleaned.parse::<i64>() {
        return Ok(Value::Number(i.into()));
    }
    match cleaned.parse::<f64>() {
        Ok(f) if f.is_finite() => Number::from_f64(f).map(Value::Number).ok_or_else(|| format!("'{s}' is not a number")),
        _ => Err(format!("'{s}' is not a number")),
    }
}

fn to_boolean(v: &Value) -> Result<Value, String> {
    match v {
        Value::Bool(_) => Ok(v.clone()),
        Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Value::Bool(true)),
        Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Value::Bool(false)),
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "sí" | "si" | "s" | "1" | "x" | "verdadero" | "v" => Ok(Value::Bool(true)),
            "false" | "f" | "no" | "n" | "0" | "falso" => Ok(Value::Bool(false)),
            _ => Err(format!("'{s}' is not yes or no")),
        },
        _ => Err(format!("{v} is not yes or no")),
    }
}

/// Formats with a time of day give a date-time (UTC); the others a date.
fn to_date(v: &Value, format: Option<&str>) -> Result<Value, String> {
    let Value::String(s) = v else { return Err(format!("{v} is not a date")) };
    let s = s.trim();
    match format {
        Some(f) if has_time(f) => NaiveDateTime::parse_from_str(s, f)
            .map(|t| Value::String(t.and_utc().to_rfc3339()))
            .map_err(|_| format!("'{s}' does not match the format {f}")),
        Some(f) => NaiveDate::parse_from_str(s, f).map(|d| Value::String(d.to_string())).map_err(|_| format!("'{s}' does not match the format {f}")),
        None => ["%Y-%m-%d", "%d/%m/%Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
            .map(|d| Value::String(d.to_string()))
            .ok_or_else(|| format!("'{s}' is not a date (YYYY-MM-DD or DD/MM/YYYY; give a format)")),
    }
}

fn has_time(format: &str) -> bool {
    ["%H", "%I", "%M", "%S", "%T", "%R", "%s"].iter().any(|t| format.contains(t))
}

/// A format chrono cannot read is refused when the mapping is saved, not at every record.
fn check_format(f: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if f.is_empty() || f.len() > 100 {
        return Err("'format' must be 1 to 100 characters".into());
    }
    if StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) {
        return Err(format!("'{f}' is not a date format (use strftime codes such as %d/%m/%Y)"));
    }
    Ok(())
}

/// One record mapped: the row input, and what went wrong field by field.
#[derive(Debug, Clone, Default)]
pub struct Mapped {
    pub input: RowInput,
    /// With STRICT these reject the record; with LENIENT they are warnings (the field left out).
    pub errors: Vec<ValidationError>,
    /// Required fields missing: they reject the record at either level.
    pub missing: Vec<ValidationError>,
}

impl Mapped {
    /// Whether the record is refused before the table's own rules see it.
    pub fn rejected(&self, level: ValidationLevel) -> bool {
        !self.missing.is_empty() || (level == ValidationLevel::Strict && !self.errors.is_empty())
    }
}

/// Maps `record` through `steps`. A record that is not a JSON object maps to nothing but an error.
pub fn map_record(steps: &[Step], record: &Value) -> Mapped {
    let mut out = Mapped::default();
    let Some(obj) = record.as_object() else {
        out.missing.push(ValidationError { field: String::new(), error_type: TRANSFORMATION_ERROR.into(), message: "the record is not an object".into() });
        return out;
    };
    for step in steps {
        let m = &step.mapping;
        let value = match step.value(obj) {
            Ok(Some(v)) => v,
            Ok(None) => {
                if m.is_required {
                    out.missing.push(ValidationError {
                        field: m.target_field.clone(),
                        error_type: MISSING_REQUIRED_FIELD.into(),
                        message: format!("'{}' has no value in the source", m.source_field),
                    });
                }
                continue;
            }
            Err(message) => {
                out.errors.push(ValidationError { field: m.target_field.clone(), error_type: TRANSFORMATION_ERROR.into(), message });
                continue;
            }
        };
        if let Err(message) = place(&mut out.input, m, value) {
            out.errors.push(ValidationError { field: m.target_field.clone(), error_type: TRANSFORMATION_ERROR.into(), message });
        }
    }
    out
}

fn place(input: &mut RowInput, m: &FieldMapping, v: Value) -> Result<(), String> {
    if m.storage_type == StorageType::Jsonb {
        input.extended_properties.insert(m.target_field.clone(), v);
        return Ok(());
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match m.target_field.as_str() {
        "code" => input.code = Some(text(&v)),
        "display_value" => input.display_value = Some(text(&v)),
        "is_active" => input.is_active = Some(to_boolean(&v)?.as_bool().unwrap_or(true)),
        "sort_order" => {
            let n = to_number(&v, false)?;
            let n = n.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(|| format!("{n} is not a whole number for sort_order"))?;
            input.sort_order = Some(n);
        }
        "parent_row_id" => {
            let id = text(&v).parse::<Uuid>().map_err(|_| format!("'{}' is not a row id", text(&v)))?;
            input.parent_row_id = Some(Some(id));
        }
        column => {
            input.column_values.insert(column.to_string(), v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
