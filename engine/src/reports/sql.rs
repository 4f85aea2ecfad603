//! Reports an admin writes as SQL (seed §18.2: a query, named parameters with types and
//! validation, a response contract with field types and aliases). The query reads only the
//! read-only views of the governed tables (`report_views.<table>`, masked columns left out), and
//! runs on a connection that logs in as `dgs_report_reader`, a role that may read those views and
//! nothing else — not accounts, sessions, the physical tables, nor any other table. Its `:name`
//! placeholders become typed binds, so a viewer's value is never SQL text; the admin's text is
//! checked once, when it is saved, by planning it as that role.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::compile::{Bind, Kind, SourceDef, SourceField};
use super::error::ReportError;

/// A named parameter of an SQL report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlParameter {
    pub name: String,
    /// `text`, `number`, `boolean`, `date` or `datetime`.
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default: Option<Value>,
    /// A rule of the governed tables' kind (`range`, `length`, `regex`, `enum`…) the value must keep.
    #[serde(default)]
    pub validation_rule_type: Option<crate::eav::wire::RuleType>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub validation_parameters: Value,
}

/// A field of the response contract: the query's column, its type, the name it is answered by.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractField {
    pub field_name: String,
    #[serde(rename = "field_type")]
    pub ty: String,
    #[serde(default)]
    pub field_alias: Option<String>,
    #[serde(default)]
    pub is_required: bool,
    #[serde(default)]
    pub display_order: i32,
}

/// An SQL report's definition, the `sql` source of a spec.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlDefinition {
    pub sql: String,
    #[serde(default)]
    pub parameters: Vec<SqlParameter>,
    pub fields: Vec<ContractField>,
}

fn kind_of(path: &str, ty: &str) -> Result<Kind, ReportError> {
    match ty {
        "text" | "number" | "boolean" | "date" | "datetime" => Ok(Kind::parse(ty)),
        other => Err(ReportError::spec(path, format!("'{other}' is no type: text, number, boolean, date or datetime"))),
    }
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 63 && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The query with each `:name` replaced by `$n` (numbered from `first`), and the names in bind
/// order. Quoted text, quoted names, comments and `::` casts are left alone.
pub fn placeholders(sql: &str, first: usize) -> Result<(String, Vec<String>), ReportError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                // To the closing quote (a doubled quote is part of the text).
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            ':' if chars.get(i + 1) == Some(&':') => {
                out.push_str("::");
                i += 2;
            }
            ':' if chars.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect::<String>().to_ascii_lowercase();
                let n = match names.iter().position(|x| *x == name) {
                    Some(k) => k,
                    None => {
                        names.push(name);
                        names.len() - 1
                    }
                };
                out.push_str(&format!("${}", first + n));
                i = j;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok((out, names))
}

/// The SQL report as a source: its query (one statement, a `SELECT` or `WITH`) as the FROM item,
/// its contract as the fields, its parameters bound from `params` (or their defaults), each
/// checked against its type and rule. Returns the parameter names it used.
pub fn source(def: &SqlDefinition, params: &Map<String, Value>) -> Result<(SourceDef, Vec<String>), ReportError> {
    let text = def.sql.trim().trim_end_matches(';').trim();
    let head = text.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
    if head != "select" && head != "with" {
        return Err(ReportError::spec("source.sql", "an SQL report is one SELECT (or WITH … SELECT)"));
    }
    if text.contains(';') {
        return Err(ReportError::spec("source.sql", "an SQL report is one statement: no ';' inside"));
    }
    if text.chars().count() > 20_000 {
        return Err(ReportError::spec("source.sql", "at most 20,000 characters"));
    }
    let (sql, names) = placeholders(text, 1)?;
    let mut binds = Vec::new();
    for name in &names {
        let p = def.parameters.iter().find(|p| p.name.eq_ignore_ascii_case(name)).ok_or_else(|| ReportError::spec("source.sql", format!(":{name} is not among the parameters")))?;
        let kind = kind_of(&format!("source.parameters.{}", p.name), &p.ty)?;
        let given = params.iter().find(|(k, _)| k.eq_ignore_ascii_case(&p.name)).map(|(_, v)| v.clone());
        let value = given.clone().or_else(|| p.default.clone()).unwrap_or(Value::Null);
        if value.is_null() {
            if p.required {
                return Err(ReportError::param(&p.name, "is required"));
            }
            binds.push(null_of(kind));
            continue;
        }
        if let Some(rule) = p.validation_rule_type {
            let r = crate::eav::rules::Rule::new(rule, &p.validation_parameters).map_err(|m| ReportError::spec(format!("source.parameters.{}", p.name), m))?;
            let typed = match (kind, &value) {
                (Kind::Number, Value::String(s)) => s.trim().replace(',', ".").parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(value.clone(), Value::Number),
                _ => value.clone(),
            };
            let ty = match kind {
                Kind::Text => crate::eav::wire::DataType::String,
                Kind::Number => crate::eav::wire::DataType::Decimal,
                Kind::Boolean => crate::eav::wire::DataType::Boolean,
                Kind::Date => crate::eav::wire::DataType::Date,
                Kind::DateTime => crate::eav::wire::DataType::DateTime,
            };
            let cell = crate::eav::values::typed(ty, &[], &typed).map_err(|m| ReportError::param(&p.name, m))?;
            r.check(&cell).map_err(|m| ReportError::param(&p.name, m))?;
        }
        binds.push(super::compile::scalar(kind, &value).map_err(|m| ReportError::param(&p.name, m))?);
    }
    for p in &def.parameters {
        if !ident_ok(&p.name) {
            return Err(ReportError::spec("source.parameters", format!("'{}' is not a name", p.name)));
        }
    }
    if def.fields.is_empty() {
        return Err(ReportError::spec("source.fields", "the response contract names at least one field"));
    }
    let mut fields = Vec::new();
    for (i, f) in def.fields.iter().enumerate() {
        let path = format!("source.fields[{i}]");
        if !ident_ok(&f.field_name) {
            return Err(ReportError::spec(&path, format!("'{}' is not a column name", f.field_name)));
        }
        let name = f.field_alias.clone().filter(|a| !a.trim().is_empty()).unwrap_or_else(|| f.field_name.clone());
        if !ident_ok(&name) {
            return Err(ReportError::spec(&path, format!("'{name}' is not a name")));
        }
        let kind = kind_of(&format!("{path}.field_type"), &f.ty)?;
        fields.push(SourceField { name, sql: format!("src.\"{}\"", f.field_name.to_ascii_lowercase()), kind, masked: false });
    }
    let used: Vec<String> = def.parameters.iter().map(|p| p.name.clone()).collect();
    Ok((SourceDef { from: format!("({sql})"), fields, binds }, used))
}

/// A typed null, so the placeholder keeps its type in the plan.
fn null_of(kind: Kind) -> Bind {
    match kind {
        Kind::Text => Bind::NullText,
        Kind::Number => Bind::NullNumber,
        Kind::Boolean => Bind::NullBool,
        Kind::Date => Bind::NullDate,
        Kind::DateTime => Bind::NullDateTime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_skip_quotes_comments_and_casts() {
        let (sql, names) = placeholders("SELECT ':no', \":no\", x::text FROM v WHERE a = :Region AND b > :min -- :ignored\n AND c = :region", 3).unwrap_or_default();
        assert_eq!(sql, "SELECT ':no', \":no\", x::text FROM v WHERE a = $3 AND b > $4 -- :ignored\n AND c = $3");
        assert_eq!(names, ["region", "min"]);
    }
}
