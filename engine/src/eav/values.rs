//! Typed values: a JSON value read as a column's type, written to SQL as text with a cast, read by
//! check expressions, and masked for readers without `table:unmask`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::expr::Val;
use super::wire::{DataType, MaskingRule};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Dec(f64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Ref(Uuid),
}

/// Reads `v` as a value of `ty`; the error says what was expected, in words for the client.
pub fn typed(ty: DataType, enum_values: &[String], v: &Value) -> Result<Cell, String> {
    if v.is_null() {
        return Ok(Cell::Null);
    }
    match ty {
        DataType::String => match v {
            Value::String(s) => Ok(Cell::Text(s.clone())),
            _ => Err("expected a text".into()),
        },
        DataType::Enum => match v {
            Value::String(s) if enum_values.iter().any(|e| e == s) => Ok(Cell::Text(s.clone())),
            _ => Err(format!("expected one of: {}", enum_values.join(", "))),
        },
        DataType::Int => match v {
            Value::Number(n) => n.as_i64().map(Cell::Int).ok_or_else(|| "expected a whole number".into()),
            Value::String(s) => s.trim().parse::<i64>().map(Cell::Int).map_err(|_| "expected a whole number".into()),
            _ => Err("expected a whole number".into()),
        },
        DataType::Decimal => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if n.is_finite() && n.abs() < 1e15 => Ok(Cell::Dec(n)),
                _ => Err("expected a number (at most 15 digits before the point)".into()),
            }
        }
        DataType::Boolean => match v {
            Value::Bool(b) => Ok(Cell::Bool(*b)),
            Value::String(s) if s == "true" || s == "false" => Ok(Cell::Bool(s == "true")),
            _ => Err("expected true or false".into()),
        },
        DataType::Date => match v {
            Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map(Cell::Date).map_err(|_| "expected a date YYYY-MM-DD".into()),
            _ => Err("expected a date YYYY-MM-DD".into()),
        },
        DataType::DateTime => match v {
            Value::String(s) => parse_datetime(s.trim()).map(Cell::Time).ok_or_else(|| "expected a date and time (RFC 3339)".into()),
            _ => Err("expected a date and time (RFC 3339)".into()),
        },
        DataType::Reference => match v {
            Value::String(s) => Uuid::parse_str(s.trim()).map(Cell::Ref).map_err(|_| "expected the id (UUID) of a row".into()),
            _ => Err("expected the id (UUID) of a row".into()),
        },
    }
}

fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok().map(|n| n.and_utc()))
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok().map(|n| n.and_utc()))
}

impl Cell {
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The text PostgreSQL reads with the column's cast (ISO dates, RFC 3339 times, `.` decimals).
    pub fn sql_text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Text(s) => Some(s.clone()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Dec(d) => Some(d.to_string()),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
            Cell::Time(t) => Some(t.to_rfc3339()),
            Cell::Ref(u) => Some(u.to_string()),
        }
    }

    /// As the expression language and the rules see it.
    pub fn val(&self) -> Val {
        match self {
            Cell::Null => Val::Null,
            Cell::Text(s) => Val::Text(s.clone()),
            Cell::Int(i) => Val::Num(*i as f64),
            Cell::Dec(d) => Val::Num(*d),
            Cell::Bool(b) => Val::Bool(*b),
            Cell::Date(d) => Val::Date(*d),
            Cell::Time(t) => Val::Date(t.date_naive()),
            Cell::Ref(u) => Val::Text(u.to_string()),
        }
    }

    /// As a JSON value (the examples of a refused rule show it).
    pub fn json(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(i) => Value::from(*i),
            Cell::Dec(d) => serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Date(_) | Cell::Time(_) | Cell::Ref(_) => Value::String(self.sql_text().unwrap_or_default()),
        }
    }
}

/// A JSON value (of `extended_properties`) as the expression language sees it.
pub fn json_val(v: &Value) -> Val {
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => n.as_f64().map_or(Val::Null, Val::Num),
        Value::String(s) => Val::Text(s.clone()),
        other => Val::Text(other.to_string()),
    }
}

/// What a reader without `table:unmask` sees. Full masks hide the length too.
pub fn mask(rule: MaskingRule, v: &Value) -> Value {
    if v.is_null() || rule == MaskingRule::None {
        return v.clone();
    }
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let masked = match rule {
        MaskingRule::None => text,
        MaskingRule::Full => "********".to_string(),
        MaskingRule::Last4 => {
            let chars: Vec<char> = text.chars().collect();
            let keep = chars.len().saturating_sub(4);
            let tail: String = chars[keep..].iter().collect();
            // Short values show nothing: their last four would be all of them.
            if chars.len() <= 4 { "****".to_string() } else { format!("****{tail}") }
        }
        MaskingRule::Email => match text.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "********".to_string(),
        },
    };
    Value::String(masked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_values_by_type_and_refuses_the_wrong_kind() {
        assert_eq!(typed(DataType::Decimal, &[], &json!(29.99)), Ok(Cell::Dec(29.99)));
        assert_eq!(typed(DataType::Int, &[], &json!("42")), Ok(Cell::Int(42)));
        assert!(typed(DataType::Int, &[], &json!(4.5)).is_err());
        assert!(typed(DataType::Decimal, &[], &json!("NaN")).is_err());
        assert!(typed(DataType::Date, &[], &json!("2024-02-30")).is_err());
        assert!(typed(DataType::String, &[], &json!(3)).is_err());
        let colours = vec!["red".to_string()];
        assert!(typed(DataType::Enum, &colours, &json!("blue")).is_err());
        assert_eq!(typed(DataType::Boolean, &[], &Value::Null), Ok(Cell::Null));
        assert_eq!(Cell::Dec(29.99).sql_text().as_deref(), Some("29.99"));
    }

    #[test]
    fn masks_as_the_rule_says() {
        assert_eq!(mask(MaskingRule::Last4, &json!("4111111111111111")), json!("****1111"));
        assert_eq!(mask(MaskingRule::Email, &json!("jane@example.com")), json!("j***@example.com"));
        assert_eq!(mask(MaskingRule::Full, &json!("secret")), json!("********"));
        assert_eq!(mask(MaskingRule::Full, &Value::Null), Value::Null);
        assert_eq!(mask(MaskingRule::Last4, &json!("123")), json!("****"));
    }
}
