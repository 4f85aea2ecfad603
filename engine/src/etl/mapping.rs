//! A source's record mapped to the seed's record and normalised (DESIGN §8): text trimmed then
//! lower-cased, ISO dates, negative numbers to 0, missing UTMs to `unknown_*`. A record that cannot
//! be mapped is rejected with its reason, never skipped. Pure, so the screens can preview a mapping.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use super::wire::{FieldSource, SourceKind};

/// The value at `path` in `v`: `a.b`, `list.0`, `actions[action_type=lead].value`.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let (name, select) = match seg.find('[') {
            Some(i) if seg.ends_with(']') => (&seg[..i], Some(&seg[i + 1..seg.len() - 1])),
            _ => (seg, None),
        };
        if !name.is_empty() {
            cur = match cur {
                Value::Object(m) => m.get(name)?,
                Value::Array(a) => a.get(name.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        if let Some(sel) = select {
            let (k, want) = sel.split_once('=')?;
            cur = cur.as_array()?.iter().find(|item| item.get(k.trim()).is_some_and(|x| text_of(x).as_deref() == Some(want.trim())))?;
        }
    }
    Some(cur)
}

/// Checks a path's syntax (`[k=v]` selectors closed and well formed).
pub fn path_ok(path: &str) -> bool {
    !path.trim().is_empty()
        && path.split('.').all(|seg| match seg.find('[') {
            Some(i) => seg.ends_with(']') && seg[i + 1..seg.len() - 1].contains('='),
            None => !seg.contains(']'),
        })
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// The raw value of `src` in `record`, mapped; `None` when absent, null or empty.
fn raw(src: &FieldSource, record: &Value) -> Option<Value> {
    let v = match (&src.constant, &src.path) {
        (Some(c), _) => Value::String(c.clone()),
        (None, Some(p)) => at(record, p)?.clone(),
        (None, None) => return None,
    };
    if v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) {
        return None;
    }
    if src.map.is_empty() {
        return Some(v);
    }
    let key = text_of(&v)?;
    let found = src.map.iter().find(|(from, _)| from.trim().eq_ignore_ascii_case(key.trim())).map(|(_, to)| to.clone());
    Some(Value::String(found.unwrap_or(key)))
}

/// Trimmed and lower-cased (seed 002 §5).
pub fn text(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A stage name as one word: `Closed Won`, `closed-won` and `closedwon` mapped by the source's
/// map all end as `closed_won`.
fn stage(s: &str) -> String {
    text(s).split(|c: char| c.is_whitespace() || c == '-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_")
}

fn number(v: &Value, scale: Option<f64>) -> Result<f64, String> {
    let n = match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number"))?,
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| format!("'{s}' is not a number"))?,
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => return Err(format!("{v} is not a number")),
        Value::Null => 0.0,
    };
    let n = n * scale.unwrap_or(1.0);
    if !n.is_finite() {
        return Err(format!("{v} is not a finite number"));
    }
    // Seed 002 §5: negative numbers become 0.
    Ok(n.max(0.0))
}

/// An instant from an ISO date, an RFC 3339 time, `YYYY-MM-DD HH:MM:SS`, or epoch milliseconds.
pub fn instant(v: &Value) -> Result<DateTime<Utc>, String> {
    match v {
        Value::Number(n) => {
            let ms = n.as_i64().ok_or_else(|| format!("{n} is not a time"))?;
            Utc.timestamp_millis_opt(ms).single().ok_or_else(|| format!("{n} is not a time"))
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Ok(t.with_timezone(&Utc));
            }
            for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
                if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
                    return Ok(t.and_utc());
                }
            }
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default());
            }
            if s.chars().all(|c| c.is_ascii_digit()) && s.len() >= 12 {
                return instant(&Value::Number(s.parse::<i64>().map_err(|_| format!("'{s}' is not a time"))?.into()));
            }
            Err(format!("'{s}' is not an ISO date or time"))
        }
        other => Err(format!("{other} is not a date")),
    }
}

/// One record mapped: the governed table's values, and the instant that counts for the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub values: Map<String, Value>,
    pub cursor: DateTime<Utc>,
}

const UNKNOWN: [(&str, &str); 3] = [("utm_campaign", "unknown_campaign"), ("utm_source", "unknown_source"), ("utm_medium", "unknown_medium")];

/// `record` mapped with `fields` into a `kind` record, or why not.
pub fn map_record(kind: SourceKind, fields: &BTreeMap<String, FieldSource>, record: &Value) -> Result<Mapped, String> {
    if !record.is_object() {
        return Err("the record is not a JSON object".into());
    }
    let get = |name: &str| fields.get(name).and_then(|src| raw(src, record));
    let scale = |name: &str| fields.get(name).and_then(|s| s.scale);
    for req in kind.required() {
        if get(req).is_none() {
            return Err(format!("{req} is missing"));
        }
    }
    let mut out = Map::new();
    let mut cursor = None;
    for name in kind.fields() {
        let Some(v) = get(name) else { continue };
        let value = match *name {
            "date" => {
                let t = instant(&v).map_err(|e| format!("date: {e}"))?;
                cursor = Some(t);
                Value::String(t.date_naive().to_string())
            }
            "created_at" | "updated_at" => {
                let t = instant(&v).map_err(|e| format!("{name}: {e}"))?;
                cursor = cursor.max(Some(t));
                Value::String(t.to_rfc3339())
            }
            "clicks" | "impressions" | "leads" => Value::from(number(&v, scale(name)).map_err(|e| format!("{name}: {e}"))?.round() as i64),
            "cost" | "amount" => serde_json::Number::from_f64(round6(number(&v, scale(name)).map_err(|e| format!("{name}: {e}"))?)).map_or(Value::Null, Value::Number),
            // Ids keep their case: Salesforce's 15-character ids differ by case alone.
            "campaign_id" | "opportunity_id" => Value::String(text_of(&v).unwrap_or_default().trim().to_string()),
            "stage" => Value::String(stage(&text_of(&v).unwrap_or_default())),
            _ => Value::String(text(&text_of(&v).unwrap_or_default())),
        };
        out.insert(name.to_string(), value);
    }
    for (field, unknown) in UNKNOWN {
        let missing = out.get(field).and_then(Value::as_str).is_none_or(str::is_empty);
        if missing {
            out.insert(field.to_string(), Value::String(unknown.to_string()));
        }
    }
    for (name, zero) in [("clicks", 0), ("impressions", 0), ("leads", 0)] {
        if kind == SourceKind::Ads && !out.contains_key(name) {
            out.insert(name.to_string(), Value::from(zero));
        }
    }
    let money = if kind == SourceKind::Ads { "cost" } else { "amount" };
    out.entry(money.to_string()).or_insert(Value::from(0));
    if kind == SourceKind::Crm {
        out.entry("stage".to_string()).or_insert(Value::String("unknown".into()));
    }
    let cursor = cursor.ok_or("no date to place the record in time")?;
    Ok(Mapped { values: out, cursor })
}

fn round6(n: f64) -> f64 {
    (n * 1_000_000.0).round() / 1_000_000.0
}

/// The natural key of a mapped record, as one string (for counting duplicates within a run).
pub fn natural_key(kind: SourceKind, values: &Map<String, Value>) -> String {
    let part = |k: &str| values.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    match kind {
        SourceKind::Ads => format!("{}|{}|{}", part("date"), part("campaign_id"), part("channel")),
        SourceKind::Crm => part("opportunity_id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(pairs: &[(&str, FieldSource)]) -> BTreeMap<String, FieldSource> {
        pairs.iter().cloned().map(|(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn paths_select_inside_lists() {
        let v = json!({"actions": [{"action_type": "link_click", "value": "9"}, {"action_type": "lead", "value": "3"}], "paging": {"next": "u"}});
        assert_eq!(at(&v, "actions[action_type=lead].value"), Some(&json!("3")));
        assert_eq!(at(&v, "actions.0.value"), Some(&json!("9")));
        assert_eq!(at(&v, "paging.next"), Some(&json!("u")));
        assert_eq!(at(&v, "actions[action_type=purchase].value"), None);
        assert!(path_ok("actions[action_type=lead].value") && !path_ok("a[b].c") && !path_ok(" "));
    }

    #[test]
    fn ads_are_normalised_as_the_seed_says() {
        let f = fields(&[
            ("date", FieldSource::path("date_start")),
            ("campaign_id", FieldSource::path("campaign_id")),
            ("channel", FieldSource::constant(" Facebook ")),
            ("clicks", FieldSource::path("clicks")),
            ("cost", FieldSource { path: Some("spend".into()), scale: Some(0.000001), ..Default::default() }),
            ("utm_campaign", FieldSource::path("campaign_name")),
            ("utm_source", FieldSource::path("src")),
        ]);
        let r = map_record(SourceKind::Ads, &f, &json!({"date_start": "2024-01-02T10:00:00Z", "campaign_id": " C1 ", "clicks": "-5", "spend": 14350000, "campaign_name": " Spring SALE ", "src": ""})).unwrap();
        assert_eq!(r.values["date"], json!("2024-01-02"));
        assert_eq!(r.values["campaign_id"], json!("C1"));
        assert_eq!(r.values["channel"], json!("facebook"));
        assert_eq!(r.values["clicks"], json!(0));
        assert_eq!(r.values["cost"], json!(14.35));
        assert_eq!(r.values["utm_campaign"], json!("spring sale"));
        assert_eq!(r.values["utm_source"], json!("unknown_source"));
        assert_eq!(r.values["utm_medium"], json!("unknown_medium"));
        assert_eq!(r.values["leads"], json!(0));
        assert_eq!(r.cursor.to_rfc3339(), "2024-01-02T10:00:00+00:00");
    }

    #[test]
    fn bad_records_say_why() {
        let f = fields(&[("date", FieldSource::path("d")), ("campaign_id", FieldSource::path("c")), ("channel", FieldSource::constant("x")), ("clicks", FieldSource::path("k"))]);
        assert_eq!(map_record(SourceKind::Ads, &f, &json!({"c": "1"})).unwrap_err(), "date is missing");
        assert!(map_record(SourceKind::Ads, &f, &json!({"d": "31/01/2024", "c": "1"})).unwrap_err().starts_with("date:"));
        assert!(map_record(SourceKind::Ads, &f, &json!({"d": "2024-01-31", "c": "1", "k": "many"})).unwrap_err().starts_with("clicks:"));
        assert_eq!(map_record(SourceKind::Ads, &f, &json!([1])).unwrap_err(), "the record is not a JSON object");
    }

    #[test]
    fn crm_stages_become_one_word_and_updates_move_the_cursor() {
        let mut map = BTreeMap::new();
        map.insert("closedwon".to_string(), "closed_won".to_string());
        let f = fields(&[
            ("opportunity_id", FieldSource::path("id")),
            ("created_at", FieldSource::path("createdAt")),
            ("updated_at", FieldSource::path("updatedAt")),
            ("stage", FieldSource { path: Some("properties.dealstage".into()), map, ..Default::default() }),
            ("amount", FieldSource::path("properties.amount")),
        ]);
        let r = map_record(SourceKind::Crm, &f, &json!({"id": 42, "createdAt": "2025-04-03T12:59:10.726Z", "updatedAt": 1743771550726_i64, "properties": {"dealstage": "closedwon", "amount": "43"}})).unwrap();
        assert_eq!(r.values["opportunity_id"], json!("42"));
        assert_eq!(r.values["stage"], json!("closed_won"));
        assert_eq!(r.values["amount"], json!(43.0));
        assert!(r.cursor > instant(&json!("2025-04-04T00:00:00Z")).unwrap());
        let sf = fields(&[("opportunity_id", FieldSource::path("id")), ("created_at", FieldSource::path("created_date")), ("stage", FieldSource::path("stage_name"))]);
        let r = map_record(SourceKind::Crm, &sf, &json!({"id": "006q000000HddohAAB", "created_date": "2018-12-19 19:51:13", "stage_name": "Closed Won"})).unwrap();
        assert_eq!(r.values["stage"], json!("closed_won"));
        assert_eq!(r.values["opportunity_id"], json!("006q000000HddohAAB"));
        assert_eq!(r.values["amount"], json!(0));
    }
}
