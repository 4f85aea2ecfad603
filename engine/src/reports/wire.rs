//! What the reports API exchanges: a report's spec (source, columns, filters, group-by,
//! aggregates, derived formulas, sort, limit, chart), saved reports with their versions, the
//! seed's execute request and response (§18.3), and shared links.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use crate::eav::wire::Operator;

/// Where a report's rows come from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Source {
    /// A governed table, by name.
    Table { table: String },
    /// A classification run's results, one row per original line.
    Run { run_id: Uuid },
    /// A reviewed sample: one row per reviewed line and iteration (the sampled run and each run of
    /// another prompt version on it), with the model's category, the reviewer's, and whether they
    /// agree (`correct`, 1 or 0).
    Sample { sample_id: Uuid },
    /// An admin's SQL over the read-only views of the governed tables (`report_views.<table>`),
    /// with its named parameters and its response contract.
    Sql(super::sql::SqlDefinition),
}

/// How a filter's value is set: by the report (`fixed`), by whoever runs it (`parameter`, the
/// value here is its default), or never by anyone but the report's owner (`locked`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterMode {
    #[default]
    Fixed,
    Parameter,
    Locked,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFilter {
    pub field: String,
    pub operator: Operator,
    /// As in the query API: a list for `in`/`not_in`, `[low, high]` for `between`, a boolean for
    /// `is_null`. A parameter without a value (`null`) filters nothing until it is given one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
    #[serde(default)]
    pub mode: FilterMode,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [Bucket::Day, Bucket::Week, Bucket::Month, Bucket::Quarter, Bucket::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
            Bucket::Quarter => "quarter",
            Bucket::Year => "year",
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupBy {
    pub field: String,
    /// For a date or time field: the period its values are grouped into.
    #[serde(default)]
    pub bucket: Option<Bucket>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregateFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    CountDistinct,
    /// The group's share of the whole: of the count without a field, of the field's sum with one.
    Share,
}

impl AggregateFn {
    pub const ALL: [AggregateFn; 7] = [AggregateFn::Count, AggregateFn::Sum, AggregateFn::Avg, AggregateFn::Min, AggregateFn::Max, AggregateFn::CountDistinct, AggregateFn::Share];

    pub fn as_str(self) -> &'static str {
        match self {
            AggregateFn::Count => "count",
            AggregateFn::Sum => "sum",
            AggregateFn::Avg => "avg",
            AggregateFn::Min => "min",
            AggregateFn::Max => "max",
            AggregateFn::CountDistinct => "count_distinct",
            AggregateFn::Share => "share",
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    #[serde(rename = "fn")]
    pub func: AggregateFn,
    #[serde(default)]
    pub field: Option<String>,
    /// The name the value has in each row of the answer.
    #[serde(rename = "as")]
    pub alias: String,
}

/// A metric computed from the aggregates of its row: `+ - * /`, parentheses and numbers over
/// aggregate names (`revenue / cost`). A zero denominator gives null.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derived {
    #[serde(rename = "as")]
    pub alias: String,
    pub formula: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortDirection {
    #[default]
    #[serde(rename = "ASC", alias = "asc")]
    Asc,
    #[serde(rename = "DESC", alias = "desc")]
    Desc,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSort {
    pub field: String,
    #[serde(default)]
    pub direction: SortDirection,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    #[default]
    Table,
    Bar,
    Line,
    StackedBar,
    Pie,
    Kpi,
}

impl ChartKind {
    pub const ALL: [ChartKind; 6] = [ChartKind::Table, ChartKind::Bar, ChartKind::Line, ChartKind::StackedBar, ChartKind::Pie, ChartKind::Kpi];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Table => "table",
            ChartKind::Bar => "bar",
            ChartKind::Line => "line",
            ChartKind::StackedBar => "stacked_bar",
            ChartKind::Pie => "pie",
            ChartKind::Kpi => "kpi",
        }
    }
}

/// How the answer is drawn: the kind, the field along the x axis (a group-by), the values drawn
/// (aggregates or derived metrics) and, for stacked bars, the group-by that splits each bar.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Chart {
    #[serde(rename = "type", default)]
    pub kind: ChartKind,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Vec<String>,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// A report as it is built: compiled to parameterised SQL, never to SQL text from a client.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportSpec {
    pub source: Source,
    /// Without group-by or aggregates: the fields listed, one row per source row.
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub filters: Vec<ReportFilter>,
    #[serde(default)]
    pub group_by: Vec<GroupBy>,
    #[serde(default)]
    pub aggregates: Vec<Aggregate>,
    #[serde(default)]
    pub derived: Vec<Derived>,
    #[serde(default)]
    pub sort: Vec<ReportSort>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub chart: Option<Chart>,
}

/// `POST /reports`, and `PUT /reports/{id}` (a new version).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReport {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub spec: ReportSpec,
    /// What changed, for the version history.
    #[serde(default)]
    pub change_description: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportCreated {
    pub id: Uuid,
    pub version: i32,
}

/// Who may run or change a report besides its owner and admins: a role, with `edit` or not.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportGrant {
    pub role: String,
    #[serde(default)]
    pub can_edit: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportVersionInfo {
    pub version: i32,
    pub change_description: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub owner: String,
    /// The version shown and run unless another is asked for: the newest.
    pub version: i32,
    pub spec: ReportSpec,
    pub versions: Vec<ReportVersionInfo>,
    pub grants: Vec<ReportGrant>,
    /// The reader may change it (a new version), share it and make links.
    pub can_edit: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A line of the reports list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub id: Uuid,
    pub name: String,
    pub owner: String,
    pub version: i32,
    pub source: String,
    pub chart: ChartKind,
    pub can_edit: bool,
    pub updated_at: DateTime<Utc>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    pub page_size: i64,
    #[serde(default)]
    pub page_number: Option<i64>,
    #[serde(default)]
    pub cursor: Option<String>,
}

impl Default for Pagination {
    fn default() -> Self {
        Pagination { page_size: 100, page_number: None, cursor: None }
    }
}

/// `POST /reports/execute` (seed §18.3).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecuteRequest {
    pub report_id: Uuid,
    #[serde(default)]
    pub version: Option<i32>,
    /// Values of the report's `parameter` filters, by field.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: Map<String, Value>,
    /// The answer's fields to return (all when empty).
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub pagination: Pagination,
    #[serde(default)]
    pub sorting: Vec<ReportSort>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMeta {
    pub name: String,
    /// `text`, `number`, `boolean`, `date` or `datetime`.
    #[serde(rename = "type")]
    pub ty: String,
    pub alias: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecuteMetadata {
    pub version: i32,
    pub executed_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub total_rows: i64,
    pub fields: Vec<FieldMeta>,
    /// Served from the cache (the sources had not changed since).
    pub cached: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageResult {
    pub page_size: i64,
    pub page_number: i64,
    pub total_pages: i64,
    pub has_more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecuteResponse {
    pub report_id: Uuid,
    pub report_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub data: Vec<Map<String, Value>>,
    pub metadata: ExecuteMetadata,
    pub pagination: PageResult,
}

/// `POST /reports/{id}/links`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewLink {
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// At least 8 characters; the viewer gives it once per browser (argon2, with lockout).
    #[serde(default)]
    pub password: Option<String>,
    /// Values fixed for this link's viewers, by parameter field; they cannot change them.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub locked: Map<String, Value>,
    #[serde(default)]
    pub allow_export: bool,
}

/// The link's token: shown here only, stored as a hash.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCreated {
    pub id: Uuid,
    pub token: String,
    pub url: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkToken {
    pub token: String,
    pub url: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkInfo {
    pub id: Uuid,
    pub report_id: Uuid,
    pub report_name: String,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub protected: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub locked: Map<String, Value>,
    pub allow_export: bool,
    pub opens: i64,
    pub last_open_at: Option<DateTime<Utc>>,
    /// Live: not revoked and not expired.
    pub active: bool,
}

/// `POST /shared/{token}/unlock`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockRequest {
    pub password: String,
}

/// What a protected link's viewer sends back (header `X-Link-Unlock`, or the cookie it is set in).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unlocked {
    pub unlock: String,
    pub expires_at: DateTime<Utc>,
}

/// A filter of a shared report as its viewer sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedParameter {
    pub field: String,
    pub operator: Operator,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
    /// The viewer may change it.
    pub editable: bool,
}

/// `GET /shared/{token}`: the report's face and one page of its answer; nothing else of it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedReport {
    pub name: String,
    pub description: String,
    pub chart: Option<Chart>,
    pub parameters: Vec<SharedParameter>,
    pub allow_export: bool,
    pub result: ExecuteResponse,
}

/// A field of a report's source, for the builder.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFieldInfo {
    pub name: String,
    /// `text`, `number`, `boolean`, `date` or `datetime`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Masked: a report cannot use it.
    pub masked: bool,
}

/// An answer as the screens draw it: a page of rows with the total, and the chart as SVG (none
/// for a table or a KPI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drawn {
    pub result: ExecuteResponse,
    pub svg: Option<String>,
}

impl ReportSpec {
    /// What whoever runs it may set: an SQL report's named parameters (starting at their
    /// defaults), then the spec's parameter filters.
    pub fn parameters(&self) -> Vec<ReportFilter> {
        let mut out: Vec<ReportFilter> = match &self.source {
            Source::Sql(def) => def
                .parameters
                .iter()
                .map(|p| ReportFilter { field: p.name.clone(), operator: Operator::Eq, value: p.default.clone().unwrap_or(Value::Null), mode: FilterMode::Parameter })
                .collect(),
            _ => Vec::new(),
        };
        out.extend(self.filters.iter().filter(|f| f.mode == FilterMode::Parameter).cloned());
        out
    }
}

/// A cell of an answer as a screen shows it, and whether it is a number (right-aligned): whole
/// numbers without decimals, others to four places, the decimal mark of `lang`.
pub fn display_cell(v: Option<&Value>, lang: crate::lang::Lang) -> (String, bool) {
    match v {
        None | Some(Value::Null) => (String::new(), false),
        Some(Value::Number(n)) => {
            let f = n.as_f64().unwrap_or_default();
            let text = if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f:.4}").trim_end_matches('0').to_string() };
            (if lang == crate::lang::Lang::Es { text.replace('.', ",") } else { text }, true)
        }
        Some(Value::Bool(b)) => (lang.pick(if *b { "sí" } else { "no" }, if *b { "yes" } else { "no" }).to_string(), false),
        Some(Value::String(s)) => (s.clone(), false),
        Some(other) => (other.to_string(), false),
    }
}
