//! A report's spec compiled to one parameterised SQL query over its source. Only SQL the engine
//! made reaches the text: the source's own FROM item and field expressions, aggregate and bucket
//! functions from fixed lists, output names checked to `[A-Za-z_][A-Za-z0-9_]*` and quoted. Every
//! value a client sent (filters, parameters, numbers of a formula aside) is a bind.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::error::ReportError;
use super::formula;
use super::wire::{AggregateFn, FilterMode, Operator, ReportSpec, SortDirection};

/// What a source field holds, as reports see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Boolean,
    Date,
    DateTime,
}

impl Kind {
    pub fn parse(s: &str) -> Kind {
        match s {
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "date" => Kind::Date,
            "datetime" => Kind::DateTime,
            _ => Kind::Text,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::DateTime => "datetime",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceField {
    pub name: String,
    /// An expression over the FROM item aliased `src`, made by the engine.
    pub sql: String,
    pub kind: Kind,
    /// Masked for the report's owner: no report may use it.
    pub masked: bool,
}

/// A source as the compiler sees it: its FROM item (aliased `src`), its fields, and the values
/// the FROM item binds first (`$1…`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    pub from: String,
    pub fields: Vec<SourceField>,
    pub binds: Vec<Bind>,
}

/// A value bound to the query, typed as its field is.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Uuid(uuid::Uuid),
    Texts(Vec<String>),
    Numbers(Vec<f64>),
    Dates(Vec<NaiveDate>),
    DateTimes(Vec<DateTime<Utc>>),
    Bools(Vec<bool>),
    NullText,
    NullNumber,
    NullBool,
    NullDate,
    NullDateTime,
}

/// The compiled report: its query (each row one answer row), the answer's fields in order, and
/// the binds in `$n` order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub fields: Vec<(String, Kind)>,
    pub binds: Vec<Bind>,
}

pub const MAX_LIMIT: i64 = 1_000_000;

fn check_name(path: &str, name: &str) -> Result<(), ReportError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok { Ok(()) } else { Err(ReportError::spec(path, format!("'{name}' is not a name: letters, digits and _, starting with a letter"))) }
}

/// A checked name as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{name}\"")
}

struct Builder<'a> {
    source: &'a SourceDef,
    binds: Vec<Bind>,
}

impl<'a> Builder<'a> {
    fn field(&self, path: &str, name: &str) -> Result<&'a SourceField, ReportError> {
        let f = self.source.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)).ok_or_else(|| ReportError::spec(path, format!("no field named '{name}'")))?;
        if f.masked {
            return Err(ReportError::FieldMasked(f.name.clone()));
        }
        Ok(f)
    }

    fn bind(&mut self, b: Bind) -> String {
        let cast = match &b {
            Bind::Text(_) => "text",
            Bind::Number(_) => "float8::numeric",
            Bind::Bool(_) => "boolean",
            Bind::Date(_) => "date",
            Bind::DateTime(_) => "timestamptz",
            Bind::Uuid(_) => "uuid",
            Bind::Texts(_) => "text[]",
            Bind::Numbers(_) => "float8[]::numeric[]",
            Bind::Dates(_) => "date[]",
            Bind::DateTimes(_) => "timestamptz[]",
            Bind::Bools(_) => "boolean[]",
            Bind::NullText => "text",
            Bind::NullNumber => "float8::numeric",
            Bind::NullBool => "boolean",
            Bind::NullDate => "date",
            Bind::NullDateTime => "timestamptz",
        };
        self.binds.push(b);
        format!("${}::{cast}", self.binds.len())
    }
}

/// One value of a field's kind, read from JSON as a client would send it.
pub(crate) fn scalar(kind: Kind, v: &Value) -> Result<Bind, String> {
    match (kind, v) {
        (Kind::Text, Value::String(s)) => Ok(Bind::Text(s.clone())),
        (Kind::Text, Value::Number(n)) => Ok(Bind::Text(n.to_string())),
        (Kind::Number, Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()).map(Bind::Number).ok_or_else(|| "not a finite number".to_string()),
        (Kind::Number, Value::String(s)) => s.trim().replace(',', ".").parse::<f64>().ok().filter(|f| f.is_finite()).map(Bind::Number).ok_or_else(|| format!("'{s}' is not a number")),
        (Kind::Boolean, Value::Bool(b)) => Ok(Bind::Bool(*b)),
        (Kind::Boolean, Value::String(s)) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" | "sí" | "si" | "1" => Ok(Bind::Bool(true)),
            "false" | "no" | "0" => Ok(Bind::Bool(false)),
            _ => Err(format!("'{s}' is not yes or no")),
        },
        (Kind::Date, Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map(Bind::Date).map_err(|_| format!("'{s}' is not a date (YYYY-MM-DD)")),
        (Kind::DateTime, Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .map(|d| Bind::DateTime(d.with_timezone(&Utc)))
            .or_else(|_| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map(|d| Bind::DateTime(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())))
            .map_err(|_| format!("'{s}' is not a date and time (RFC 3339)")),
        (k, other) => Err(format!("{other} is not a {} value", k.as_str())),
    }
}

fn list(kind: Kind, v: &Value) -> Result<Bind, String> {
    let items = v.as_array().ok_or("expected a list of values")?;
    if items.is_empty() || items.len() > 1000 {
        return Err("a list has 1 to 1000 values".into());
    }
    let all: Vec<Bind> = items.iter().map(|i| scalar(kind, i)).collect::<Result<_, _>>()?;
    macro_rules! gather {
        ($variant:ident, $out:ident) => {
            Bind::$out(all.into_iter().filter_map(|b| if let Bind::$variant(x) = b { Some(x) } else { None }).collect())
        };
    }
    Ok(match kind {
        Kind::Text => gather!(Text, Texts),
        Kind::Number => gather!(Number, Numbers),
        Kind::Boolean => gather!(Bool, Bools),
        Kind::Date => gather!(Date, Dates),
        Kind::DateTime => gather!(DateTime, DateTimes),
    })
}

/// The SQL condition of one filter with its value (already the parameter's, when it is one).
fn condition(b: &mut Builder, f: &SourceField, op: Operator, v: &Value) -> Result<String, String> {
    let e = &f.sql;
    let text_only = |what: &str| if f.kind == Kind::Text { Ok(()) } else { Err(format!("{what} applies to text fields")) };
    Ok(match op {
        Operator::IsNull => match v {
            Value::Bool(true) | Value::Null => format!("{e} IS NULL"),
            Value::Bool(false) => format!("{e} IS NOT NULL"),
            _ => return Err("is_null takes true or false".into()),
        },
        Operator::In | Operator::NotIn => {
            let p = b.bind(list(f.kind, v)?);
            if op == Operator::In { format!("{e} = ANY({p})") } else { format!("NOT ({e} = ANY({p}))") }
        }
        Operator::Between => {
            let pair = v.as_array().filter(|a| a.len() == 2).ok_or("between takes [low, high]")?;
            let (lo, hi) = (scalar(f.kind, &pair[0])?, scalar(f.kind, &pair[1])?);
            let (lo, hi) = (b.bind(lo), b.bind(hi));
            format!("{e} BETWEEN {lo} AND {hi}")
        }
        Operator::Contains | Operator::StartsWith => {
            text_only(if op == Operator::Contains { "contains" } else { "starts_with" })?;
            let s = v.as_str().ok_or("expected text")?.to_lowercase();
            let p = b.bind(Bind::Text(s));
            if op == Operator::Contains { format!("strpos(lower({e}), {p}) > 0") } else { format!("starts_with(lower({e}), {p})") }
        }
        Operator::Eq | Operator::Ne | Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
            let sym = match op {
                Operator::Eq => "=",
                Operator::Ne => "<>",
                Operator::Gt => ">",
                Operator::Gte => ">=",
                Operator::Lt => "<",
                _ => "<=",
            };
            let p = b.bind(scalar(f.kind, v)?);
            format!("{e} {sym} {p}")
        }
    })
}

fn bucket_sql(f: &SourceField, bucket: super::wire::Bucket) -> String {
    format!("(date_trunc('{}', {}))::date", bucket.as_str(), f.sql)
}

/// Compiles `spec` over `source`. `params` are the values of its `parameter` filters by field;
/// a value for any other field is refused.
pub fn compile(spec: &ReportSpec, source: &SourceDef, params: &Map<String, Value>) -> Result<Compiled, ReportError> {
    let mut b = Builder { source, binds: source.binds.clone() };
    // Parameters name parameter filters, and nothing else.
    for name in params.keys() {
        let is_param = spec.filters.iter().any(|f| f.mode == FilterMode::Parameter && f.field.eq_ignore_ascii_case(name));
        if !is_param {
            return Err(ReportError::param(name, "not a parameter of this report"));
        }
    }
    let mut conditions = Vec::new();
    for (i, flt) in spec.filters.iter().enumerate() {
        let path = format!("filters[{i}]");
        let f = b.field(&format!("{path}.field"), &flt.field)?;
        let given = params.iter().find(|(k, _)| k.eq_ignore_ascii_case(&flt.field)).map(|(_, v)| v);
        let value = match (flt.mode, given) {
            (FilterMode::Parameter, Some(v)) => v,
            _ => &flt.value,
        };
        // A parameter left empty filters nothing.
        if value.is_null() && flt.operator != Operator::IsNull {
            if flt.mode == FilterMode::Parameter {
                continue;
            }
            return Err(ReportError::spec(format!("{path}.value"), "a fixed filter needs a value"));
        }
        let c = condition(&mut b, f, flt.operator, value).map_err(|m| match (flt.mode, given) {
            (FilterMode::Parameter, Some(_)) => ReportError::param(&flt.field, m),
            _ => ReportError::spec(format!("{path}.value"), m),
        })?;
        conditions.push(c);
    }
    let filter_sql = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };

    let aggregated = !spec.group_by.is_empty() || !spec.aggregates.is_empty();
    let mut outputs: Vec<(String, String, Kind)> = Vec::new(); // (name, sql, kind)
    let mut group_exprs = Vec::new();
    if aggregated {
        if !spec.columns.is_empty() {
            return Err(ReportError::spec("columns", "columns list rows one by one; with group-by or aggregates, group by the fields instead"));
        }
        for (i, g) in spec.group_by.iter().enumerate() {
            let f = b.field(&format!("group_by[{i}].field"), &g.field)?;
            let (sql, kind) = match g.bucket {
                Some(bucket) if matches!(f.kind, Kind::Date | Kind::DateTime) => (bucket_sql(f, bucket), Kind::Date),
                Some(_) => return Err(ReportError::spec(format!("group_by[{i}].bucket"), format!("{} is not a date", f.name))),
                None => (f.sql.clone(), f.kind),
            };
            group_exprs.push(sql.clone());
            outputs.push((f.name.clone(), sql, kind));
        }
        for (i, a) in spec.aggregates.iter().enumerate() {
            let path = format!("aggregates[{i}]");
            check_name(&format!("{path}.as"), &a.alias)?;
            let field = match &a.field {
                Some(name) => Some(b.field(&format!("{path}.field"), name)?),
                None => None,
            };
            let need = |what: &str| ReportError::spec(format!("{path}.field"), format!("{what} needs a field"));
            let numeric = |f: &SourceField| if f.kind == Kind::Number { Ok(()) } else { Err(ReportError::spec(format!("{path}.field"), format!("{} is not a number", f.name))) };
            let (sql, kind) = match (a.func, field) {
                (AggregateFn::Count, None) => ("count(*)".to_string(), Kind::Number),
                (AggregateFn::Count, Some(f)) => (format!("count({})", f.sql), Kind::Number),
                (AggregateFn::CountDistinct, Some(f)) => (format!("count(DISTINCT {})", f.sql), Kind::Number),
                (AggregateFn::Sum | AggregateFn::Avg, Some(f)) => {
                    numeric(f)?;
                    (format!("{}(({})::numeric)", a.func.as_str(), f.sql), Kind::Number)
                }
                (AggregateFn::Min | AggregateFn::Max, Some(f)) => {
                    if f.kind == Kind::Boolean {
                        return Err(ReportError::spec(format!("{path}.field"), "min and max need numbers, text or dates"));
                    }
                    (format!("{}({})", a.func.as_str(), f.sql), f.kind)
                }
                (AggregateFn::Share, None) => ("(count(*)::numeric / NULLIF(sum(count(*)) OVER (), 0))".to_string(), Kind::Number),
                (AggregateFn::Share, Some(f)) => {
                    numeric(f)?;
                    (format!("(sum(({e})::numeric) / NULLIF(sum(sum(({e})::numeric)) OVER (), 0))", e = f.sql), Kind::Number)
                }
                (func, None) => return Err(need(func.as_str())),
            };
            outputs.push((a.alias.clone(), sql, kind));
        }
        for (i, d) in spec.derived.iter().enumerate() {
            let path = format!("derived[{i}]");
            check_name(&format!("{path}.as"), &d.alias)?;
            let f = formula::parse(&d.formula).map_err(|e| ReportError::spec(format!("{path}.formula"), e.to_string()))?;
            let known = outputs.clone();
            let sql = f
                .to_sql(&|name| known.iter().skip(spec.group_by.len()).find(|(n, _, _)| n.eq_ignore_ascii_case(name)).map(|(_, s, _)| s.clone()))
                .ok_or_else(|| {
                    let mut names = Vec::new();
                    f.names(&mut names);
                    let unknown = names.into_iter().find(|n| !known.iter().skip(spec.group_by.len()).any(|(k, _, _)| k.eq_ignore_ascii_case(n))).unwrap_or_default();
                    ReportError::spec(format!("{path}.formula"), format!("'{unknown}' is no aggregate of this report"))
                })?;
            outputs.push((d.alias.clone(), sql, Kind::Number));
        }
    } else {
        if !spec.derived.is_empty() {
            return Err(ReportError::spec("derived", "derived metrics are over aggregates; add one"));
        }
        let names: Vec<String> = if spec.columns.is_empty() {
            source.fields.iter().filter(|f| !f.masked).map(|f| f.name.clone()).collect()
        } else {
            spec.columns.clone()
        };
        for (i, name) in names.iter().enumerate() {
            let f = b.field(&format!("columns[{i}]"), name)?;
            outputs.push((f.name.clone(), f.sql.clone(), f.kind));
        }
    }
    if outputs.is_empty() {
        return Err(ReportError::spec("columns", "the report shows nothing: pick columns, or aggregates"));
    }
    for (i, (name, _, _)) in outputs.iter().enumerate() {
        if outputs[..i].iter().any(|(n, _, _)| n.eq_ignore_ascii_case(name)) {
            return Err(ReportError::spec("aggregates", format!("'{name}' names two values of the answer")));
        }
    }
    let mut order = Vec::new();
    for (i, s) in spec.sort.iter().enumerate() {
        let (name, _, _) = outputs.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(&s.field)).ok_or_else(|| ReportError::spec(format!("sort[{i}].field"), format!("'{}' is not in the answer", s.field)))?;
        order.push(format!("{} {} NULLS LAST", ident(name), if s.direction == SortDirection::Desc { "DESC" } else { "ASC" }));
    }
    // Without a sort, groups come in their own order, so pages and charts are stable.
    if order.is_empty() && aggregated {
        order = (1..=spec.group_by.len()).map(|i| i.to_string()).collect();
    }
    let limit = match spec.limit {
        Some(l) if !(1..=MAX_LIMIT).contains(&l) => return Err(ReportError::spec("limit", format!("between 1 and {MAX_LIMIT}"))),
        Some(l) => format!(" LIMIT {l}"),
        None => String::new(),
    };
    let select = outputs.iter().map(|(n, s, _)| format!("{s} AS {}", ident(n))).collect::<Vec<_>>().join(", ");
    let group = if aggregated && !group_exprs.is_empty() { format!(" GROUP BY {}", (1..=group_exprs.len()).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")) } else { String::new() };
    let order = if order.is_empty() { String::new() } else { format!(" ORDER BY {}", order.join(", ")) };
    let sql = format!("SELECT {select} FROM {} AS src{filter_sql}{group}{order}{limit}", source.from);
    Ok(Compiled { sql, fields: outputs.into_iter().map(|(n, _, k)| (n, k)).collect(), binds: b.binds })
}
