//! Seed 003's validation and transform stages for one record: the mandatory fields checked
//! (`id`, `timestamp` in RFC 3339, `user_id`, `event`), then normalised (names trimmed, the event
//! lower-cased, the time in UTC, `value` 0 and `metadata` `{}` when absent). Pure.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: String,
    pub event: String,
    pub value: f64,
    /// As sent (a JSON object), stored as it is: never parsed into a tree here.
    pub metadata: String,
}

#[derive(Deserialize)]
struct Raw<'a> {
    id: Option<Value>,
    timestamp: Option<Value>,
    user_id: Option<Value>,
    event: Option<Value>,
    value: Option<Value>,
    #[serde(borrow)]
    metadata: Option<&'a serde_json::value::RawValue>,
}

const MAX_NAME: usize = 200;

fn name(field: &str, v: Option<Value>) -> Result<String, String> {
    let s = match v {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) => return Err(format!("{field} is missing")),
        Some(other) => return Err(format!("{field} is not text: {other}")),
    };
    if s.is_empty() {
        return Err(format!("{field} is empty"));
    }
    if s.chars().count() > MAX_NAME || s.contains('\0') {
        return Err(format!("{field} is longer than {MAX_NAME} characters or holds a NUL"));
    }
    Ok(s)
}

/// One record of a body, validated and normalised, or why it was refused.
pub fn validate(raw: &[u8]) -> Result<EventRecord, String> {
    let r: Raw = serde_json::from_slice(raw).map_err(|e| format!("not a JSON object: {e}"))?;
    let id = match r.id {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| format!("id {n} is not a whole number"))?,
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| format!("id '{s}' is not a whole number"))?,
        None | Some(Value::Null) => return Err("id is missing".into()),
        Some(other) => return Err(format!("id is not a number: {other}")),
    };
    let at = match r.timestamp {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim()).map_err(|_| format!("timestamp '{s}' is not RFC 3339"))?.with_timezone(&Utc),
        None | Some(Value::Null) => return Err("timestamp is missing".into()),
        Some(other) => return Err(format!("timestamp is not text: {other}")),
    };
    let user_id = name("user_id", r.user_id)?;
    let event = name("event", r.event)?.to_lowercase();
    let value = match r.value {
        None | Some(Value::Null) => 0.0,
        Some(Value::Number(n)) => n.as_f64().filter(|v| v.is_finite()).ok_or_else(|| format!("value {n} is not a finite number"))?,
        Some(other) => return Err(format!("value is not a number: {other}")),
    };
    let metadata = match r.metadata.map(|m| m.get().trim()) {
        None | Some("null") => "{}".to_string(),
        // PostgreSQL's jsonb cannot hold a NUL character.
        Some(m) if m.contains("\\u0000") => return Err("metadata holds a NUL character (\\u0000)".into()),
        Some(m) if m.starts_with('{') => m.to_string(),
        Some(other) => return Err(format!("metadata is not an object: {other}")),
    };
    Ok(EventRecord { id, at, user_id, event, value, metadata })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_records_pass_and_are_normalised() {
        let r = validate(br#"{"id": 1, "timestamp": "2025-01-15T10:00:00Z", "user_id": " user_001 ", "event": "Login", "value": 1.0, "metadata": {"ip": "192.168.1.1"}}"#).unwrap();
        assert_eq!((r.id, r.user_id.as_str(), r.event.as_str(), r.value), (1, "user_001", "login", 1.0));
        assert_eq!(r.at.to_rfc3339(), "2025-01-15T10:00:00+00:00");
        let r = validate(br#"{"id": "2", "timestamp": "2025-01-15T12:00:05+02:00", "user_id": "u", "event": "x"}"#).unwrap();
        assert_eq!((r.id, r.value, r.at.to_rfc3339()), (2, 0.0, "2025-01-15T10:00:05+00:00".to_string()));
    }

    #[test]
    fn each_refusal_says_why() {
        let cases: [(&[u8], &str); 8] = [
            (b"{\"timestamp\": \"2025-01-15T10:00:00Z\", \"user_id\": \"u\", \"event\": \"e\"}", "id is missing"),
            (b"{\"id\": 1, \"user_id\": \"u\", \"event\": \"e\"}", "timestamp is missing"),
            (b"{\"id\": 1, \"timestamp\": \"yesterday\", \"user_id\": \"u\", \"event\": \"e\"}", "timestamp 'yesterday' is not RFC 3339"),
            (b"{\"id\": 1, \"timestamp\": \"2025-01-15T10:00:00Z\", \"event\": \"e\"}", "user_id is missing"),
            (b"{\"id\": 1, \"timestamp\": \"2025-01-15T10:00:00Z\", \"user_id\": \" \", \"event\": \"e\"}", "user_id is empty"),
            (b"{\"id\": 1.5, \"timestamp\": \"2025-01-15T10:00:00Z\", \"user_id\": \"u\", \"event\": \"e\"}", "id 1.5 is not a whole number"),
            (b"{\"id\": 1, \"timestamp\": \"2025-01-15T10:00:00Z\", \"user_id\": \"u\", \"event\": \"e\", \"value\": \"a\"}", "value is not a number: \"a\""),
            (b"{\"id\": 1, \"timestamp\": \"2025-01-15T10:00:00Z\", \"user_id\": \"u\", \"event\": \"e\", \"metadata\": []}", "metadata is not an object: []"),
        ];
        for (raw, why) in cases {
            assert_eq!(validate(raw).unwrap_err(), why);
        }
        assert!(validate(b"{not json").unwrap_err().starts_with("not a JSON object"));
        let nul = br#"{"id": 1, "timestamp": "2025-01-15T10:00:00Z", "user_id": "u", "event": "e", "metadata": {"a": "x\u0000y"}}"#;
        assert_eq!(validate(nul).unwrap_err(), "metadata holds a NUL character (\\u0000)");
    }
}
