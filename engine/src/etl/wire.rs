//! What the marketing API exchanges (seeds 001/002): sources with their mapping and pagination,
//! runs with their counts, records kept aside, funnel rows, cleanup and export reports.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Ad performance per day, campaign and channel; key `(date, campaign_id, channel)`.
    Ads,
    /// CRM opportunities; key `opportunity_id`.
    Crm,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Ads => "ads",
            SourceKind::Crm => "crm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ads" => Some(SourceKind::Ads),
            "crm" => Some(SourceKind::Crm),
            _ => None,
        }
    }

    /// The governed table its records land in.
    pub fn table(self) -> &'static str {
        match self {
            SourceKind::Ads => "ads_performance",
            SourceKind::Crm => "crm_opportunities",
        }
    }

    /// The fields a mapping fills, in the seed's order; the mandatory ones first.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            SourceKind::Ads => &["date", "campaign_id", "channel", "clicks", "impressions", "cost", "leads", "utm_campaign", "utm_source", "utm_medium"],
            SourceKind::Crm => &["opportunity_id", "created_at", "stage", "amount", "utm_campaign", "utm_source", "utm_medium", "updated_at"],
        }
    }

    pub fn required(self) -> &'static [&'static str] {
        match self {
            SourceKind::Ads => &["date", "campaign_id", "channel"],
            SourceKind::Crm => &["opportunity_id", "created_at"],
        }
    }

    /// The field whose newest value becomes the cursor (for CRM, `updated_at` when it is mapped).
    pub fn cursor_fields(self) -> &'static [&'static str] {
        match self {
            SourceKind::Ads => &["date"],
            SourceKind::Crm => &["updated_at", "created_at"],
        }
    }
}

/// How the next page is asked for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaginationKind {
    /// One response holds everything.
    #[default]
    None,
    /// The response names the next page's URL (`next_path`, e.g. `paging.next`); relative URLs are
    /// resolved against the page's.
    NextLink,
    /// The response carries a cursor (`next_path`, e.g. `paging.cursors.after`) sent back as `param`.
    Cursor,
    /// `param` (e.g. `offset`) grows by `page_size`, sent with `limit_param`; a short page ends.
    Offset,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    #[serde(default)]
    pub kind: PaginationKind,
    #[serde(default)]
    pub next_path: String,
    #[serde(default)]
    pub param: String,
    #[serde(default)]
    pub limit_param: String,
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// A run stops after this many pages (a source that never ends its paging cannot loop forever).
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
}

fn default_page_size() -> u32 {
    100
}

fn default_max_pages() -> u32 {
    10_000
}

impl Default for Pagination {
    fn default() -> Self {
        Pagination { kind: PaginationKind::None, next_path: String::new(), param: String::new(), limit_param: String::new(), page_size: default_page_size(), max_pages: default_max_pages() }
    }
}

/// Where one field of a record comes from: a path into the source's JSON (`a.b`, `list.0.x`,
/// `actions[action_type=lead].value`), or a constant; then `map` (value → value, e.g. a CRM's
/// stage names) and `scale` (e.g. `0.000001` for micros).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FieldSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub map: BTreeMap<String, String>,
}

impl FieldSource {
    pub fn path(p: &str) -> Self {
        FieldSource { path: Some(p.to_string()), ..Default::default() }
    }

    pub fn constant(c: &str) -> Self {
        FieldSource { constant: Some(c.to_string()), ..Default::default() }
    }
}

/// How `since` is written in the source's query string.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinceFormat {
    /// `2024-01-31`
    #[default]
    Date,
    /// RFC 3339, `2024-01-31T00:00:00Z`
    DateTime,
    /// Seconds since 1970.
    Unix,
}

/// `POST /etl/sources` and `PUT /etl/sources/{id}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInput {
    pub name: String,
    pub kind: SourceKind,
    /// `http` or `https`; the first page's URL (its own query string is kept).
    pub url: String,
    /// The header the secret is sent in, e.g. `Authorization`; empty: no secret.
    #[serde(default)]
    pub auth_header: String,
    /// The header's value. Kept, never answered again; on update, absent keeps the one stored
    /// and an empty string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_secret: Option<String>,
    /// Where the records are in a page (`data`, `results`, `records`); empty: the page is the list.
    #[serde(default)]
    pub records_path: String,
    #[serde(default)]
    pub pagination: Pagination,
    /// Target field → where it comes from.
    pub fields: BTreeMap<String, FieldSource>,
    /// The query parameter `since` is sent in; empty: the source is read whole every time.
    #[serde(default)]
    pub since_param: String,
    #[serde(default)]
    pub since_format: SinceFormat,
    /// Days before the cursor read again on every run, for late updates (default 3).
    #[serde(default = "default_lookback")]
    pub lookback_days: u32,
    /// A cron expression (`sec min hour day month weekday`, UTC), or none.
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The version read, on update (optimistic concurrency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

fn default_lookback() -> u32 {
    3
}

fn yes() -> bool {
    true
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl RunStatus {
    pub fn parse(s: &str) -> RunStatus {
        match s {
            "pending" => RunStatus::Pending,
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            _ => RunStatus::Failed,
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Failed)
    }
}

/// A run: what it read and what became of it. `read = inserted + updated + unchanged + rejected`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: Uuid,
    pub source_id: Uuid,
    pub source_name: String,
    pub kind: SourceKind,
    /// `manual`, `schedule` or `api`.
    pub trigger: String,
    pub status: RunStatus,
    pub since: Option<DateTime<Utc>>,
    pub window_from: Option<DateTime<Utc>>,
    pub read: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub pages: i32,
    pub retries: i32,
    pub attempts: i32,
    pub cursor_before: Option<DateTime<Utc>>,
    pub cursor_after: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
}

/// A source as answered: everything but its secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub id: Uuid,
    pub name: String,
    pub kind: SourceKind,
    pub url: String,
    pub auth_header: String,
    pub has_secret: bool,
    pub records_path: String,
    pub pagination: Pagination,
    pub fields: BTreeMap<String, FieldSource>,
    pub since_param: String,
    pub since_format: SinceFormat,
    pub lookback_days: u32,
    pub schedule: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub cursor: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_run: Option<RunInfo>,
}

/// A record a run kept aside, with why.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub seq: i32,
    pub page: i32,
    pub reason: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub record: Value,
}

/// A ready-made source for a known API shape.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub id: String,
    pub label: String,
    pub input: SourceInput,
}

/// `GET /etl/metrics/{dimension}` filters (seed 002 §6).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunnelQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub campaign_id: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Date,
    Channel,
    Campaign,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Date => "date",
            Dimension::Channel => "channel",
            Dimension::Campaign => "campaign",
        }
    }
}

/// One group of the funnel. Ratios are ratios of sums; a zero denominator gives null.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    /// The date (`YYYY-MM-DD`), channel or campaign id.
    pub key: String,
    pub cost: f64,
    pub clicks: i64,
    pub impressions: i64,
    pub leads: i64,
    pub opportunities: i64,
    pub closed_won: i64,
    pub revenue: f64,
    pub cpc: Option<f64>,
    pub cpa: Option<f64>,
    pub cvr_lead_to_opportunity: Option<f64>,
    pub cvr_opportunity_to_won: Option<f64>,
    pub roas: Option<f64>,
    /// Opportunities of this group joined on the campaign alone (source or medium unknown).
    pub fallback_opportunities: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelPage {
    pub dimension: Dimension,
    pub rows: Vec<FunnelRow>,
    /// Groups in all, before limit and offset.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// Over every group the filters keep: opportunities joined on the campaign alone, and those
    /// that matched no ads at all (counted, not attributed).
    pub fallback_opportunities: i64,
    pub unmatched_opportunities: i64,
}

/// `POST /etl/cleanup`: what the retention removed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanupReport {
    pub retention_days: u32,
    pub cutoff: NaiveDate,
    pub ads_deleted: u64,
    pub opportunities_deleted: u64,
    pub events_deleted: u64,
    pub runs_deleted: u64,
}

/// `POST /etl/export`: the funnel sent to the sink.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportReport {
    pub webhook_id: String,
    pub status: u16,
    pub bytes: usize,
    pub rows: usize,
    pub signature: String,
}
