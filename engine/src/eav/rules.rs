//! A property's validation rule (DESIGN §8: `regex length range enum email url date_range`) with its
//! parameters checked once, when the rule is set, and then applied to values. Pure, so the browser
//! can run the same checks as the server.

use chrono::NaiveDate;
use serde_json::Value;

use super::values::Cell;
use super::wire::RuleType;

#[derive(Debug, Clone)]
pub enum Rule {
    Regex(regex_lite::Regex, String),
    Length { min: Option<usize>, max: Option<usize> },
    Range { min: Option<f64>, max: Option<f64> },
    Enum(Vec<String>),
    Email,
    Url,
    DateRange { min: Option<NaiveDate>, max: Option<NaiveDate> },
}

/// The longest pattern accepted; the regex engine runs in linear time, this keeps compiling cheap.
const MAX_PATTERN: usize = 500;

impl Rule {
    /// The rule with its parameters, or what is wrong with them.
    pub fn new(ty: RuleType, params: &Value) -> Result<Rule, String> {
        let num = |k: &str| -> Result<Option<f64>, String> {
            match params.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_f64().filter(|n| n.is_finite()).map(Some).ok_or_else(|| format!("'{k}' must be a number")),
            }
        };
        let date = |k: &str| -> Result<Option<NaiveDate>, String> {
            match params.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => s.parse::<NaiveDate>().map(Some).map_err(|_| format!("'{k}' must be a date YYYY-MM-DD")),
                Some(_) => Err(format!("'{k}' must be a date YYYY-MM-DD")),
            }
        };
        let rule = match ty {
            RuleType::Regex => {
                let pattern = params.get("pattern").and_then(Value::as_str).ok_or("a regex rule needs 'pattern'")?;
                if pattern.len() > MAX_PATTERN {
                    return Err(format!("the pattern is longer than {MAX_PATTERN} characters"));
                }
                let re = regex_lite::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("the pattern is not a valid regular expression: {e}"))?;
                Rule::Regex(re, pattern.to_string())
            }
            RuleType::Length => {
                let (min, max) = (num("min")?, num("max")?);
                if min.is_none() && max.is_none() {
                    return Err("a length rule needs 'min' or 'max'".into());
                }
                let whole = |n: Option<f64>| n.map(|n| n.max(0.0) as usize);
                Rule::Length { min: whole(min), max: whole(max) }
            }
            RuleType::Range => {
                let (min, max) = (num("min")?, num("max")?);
                if min.is_none() && max.is_none() {
                    return Err("a range rule needs 'min' or 'max'".into());
                }
                Rule::Range { min, max }
            }
            RuleType::Enum => {
                let values: Vec<String> = params
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                if values.is_empty() {
                    return Err("an enum rule needs 'values', a list of texts".into());
                }
                Rule::Enum(values)
            }
            RuleType::Email => Rule::Email,
            RuleType::Url => Rule::Url,
            RuleType::DateRange => {
                let (min, max) = (date("min")?, date("max")?);
                if min.is_none() && max.is_none() {
                    return Err("a date_range rule needs 'min' or 'max'".into());
                }
                Rule::DateRange { min, max }
            }
        };
        if let Rule::Length { min: Some(a), max: Some(b) } = &rule
            && a > b
        {
            return Err("'min' is greater than 'max'".into());
        }
        if let Rule::Range { min: Some(a), max: Some(b) } = &rule
            && a > b
        {
            return Err("'min' is greater than 'max'".into());
        }
        Ok(rule)
    }

    /// `Ok` when the value keeps the rule (a null always does: mandatory says whether it may be
    /// null); otherwise the message the client is answered with.
    pub fn check(&self, cell: &Cell) -> Result<(), String> {
        let text = match cell {
            Cell::Null => return Ok(()),
            Cell::Text(s) => Some(s.as_str()),
            _ => None,
        };
        let owned;
        let text = match text {
            Some(t) => t,
            None => {
                owned = cell.sql_text().unwrap_or_default();
                owned.as_str()
            }
        };
        match self {
            Rule::Regex(re, pattern) => re.is_match(text).then_some(()).ok_or_else(|| format!("does not match the pattern {pattern}")),
            Rule::Length { min, max } => {
                let n = text.chars().count();
                match (min, max) {
                    (Some(a), _) if n < *a => Err(format!("needs at least {a} characters (has {n})")),
                    (_, Some(b)) if n > *b => Err(format!("allows at most {b} characters (has {n})")),
                    _ => Ok(()),
                }
            }
            Rule::Range { min, max } => {
                let n = match cell {
                    Cell::Int(i) => *i as f64,
                    Cell::Dec(d) => *d,
                    _ => return Err("is not a number".into()),
                };
                let show = |x: f64| if x.fract() == 0.0 { format!("{x:.0}") } else { x.to_string() };
                match (min, max) {
                    (Some(a), Some(b)) if n < *a || n > *b => Err(format!("must be between {} and {}", show(*a), show(*b))),
                    (Some(a), None) if n < *a => Err(format!("must be at least {}", show(*a))),
                    (None, Some(b)) if n > *b => Err(format!("must be at most {}", show(*b))),
                    _ => Ok(()),
                }
            }
            Rule::Enum(values) => values.iter().any(|v| v == text).then_some(()).ok_or_else(|| format!("must be one of: {}", values.join(", "))),
            Rule::Email => is_email(text).then_some(()).ok_or_else(|| "is not an email address".into()),
            Rule::Url => is_url(text).then_some(()).ok_or_else(|| "is not a web address (http:// or https://)".into()),
            Rule::DateRange { min, max } => {
                let d = match cell {
                    Cell::Date(d) => *d,
                    Cell::Time(t) => t.date_naive(),
                    _ => text.parse::<NaiveDate>().map_err(|_| "is not a date".to_string())?,
                };
                match (min, max) {
                    (Some(a), _) if d < *a => Err(format!("must be on or after {a}")),
                    (_, Some(b)) if d > *b => Err(format!("must be on or before {b}")),
                    _ => Ok(()),
                }
            }
        }
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let ok_chars = |p: &str| !p.is_empty() && p.chars().all(|c| !c.is_whitespace() && c != '@' && c != ',' && c != ';');
    ok_chars(local) && ok_chars(domain) && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && s.len() <= 254
}

fn is_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    !host.is_empty() && !s.chars().any(char::is_whitespace) && host.chars().all(|c| c.is_alphanumeric() || ".-:[]".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(ty: RuleType, p: Value) -> Rule {
        match Rule::new(ty, &p) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn each_rule_keeps_and_refuses() {
        let t = |s: &str| Cell::Text(s.into());
        let re = rule(RuleType::Regex, json!({"pattern": "^PROD-\\d{3}$"}));
        assert!(re.check(&t("PROD-001")).is_ok() && re.check(&t("prod-1")).is_err());
        let len = rule(RuleType::Length, json!({"min": 2, "max": 4}));
        assert!(len.check(&t("ab")).is_ok() && len.check(&t("a")).is_err() && len.check(&t("abcde")).is_err());
        let range = rule(RuleType::Range, json!({"min": 0, "max": 100}));
        assert!(range.check(&Cell::Dec(29.99)).is_ok() && range.check(&Cell::Int(-1)).is_err());
        let en = rule(RuleType::Enum, json!({"values": ["a", "b"]}));
        assert!(en.check(&t("a")).is_ok() && en.check(&t("c")).is_err());
        assert!(Rule::Email.check(&t("jane@example.com")).is_ok() && Rule::Email.check(&t("jane@")).is_err());
        assert!(Rule::Url.check(&t("https://example.com/x")).is_ok() && Rule::Url.check(&t("ftp://x")).is_err());
        let dr = rule(RuleType::DateRange, json!({"min": "2020-01-01"}));
        let d = |s: &str| Cell::Date(s.parse().unwrap_or_default());
        assert!(dr.check(&d("2021-05-01")).is_ok() && dr.check(&d("2019-12-31")).is_err());
        assert!(re.check(&Cell::Null).is_ok());
    }

    #[test]
    fn bad_parameters_are_refused_when_the_rule_is_set() {
        assert!(Rule::new(RuleType::Regex, &json!({"pattern": "("})).is_err());
        assert!(Rule::new(RuleType::Regex, &json!({})).is_err());
        assert!(Rule::new(RuleType::Length, &json!({"min": 5, "max": 1})).is_err());
        assert!(Rule::new(RuleType::Range, &json!({"min": "x"})).is_err());
        assert!(Rule::new(RuleType::Enum, &json!({"values": []})).is_err());
        assert!(Rule::new(RuleType::DateRange, &json!({"max": "tomorrow"})).is_err());
    }
}

/// One value as a cell editor checks it before sending: typed as its column, present when
/// mandatory, within its rule. Pure, so the browser runs the same checks the server will.
pub fn check_value(ty: super::wire::DataType, enum_values: &[String], mandatory: bool, rule: Option<&Rule>, v: &Value) -> Result<Cell, String> {
    let cell = super::values::typed(ty, enum_values, v)?;
    if mandatory && cell.is_null() {
        return Err("is mandatory".into());
    }
    if let Some(r) = rule {
        r.check(&cell)?;
    }
    Ok(cell)
}
