//! The funnel (seed 002 §6, DESIGN §8): Ads joined to CRM opportunities on (utm_campaign,
//! utm_source, utm_medium), falling back to the campaign alone when a source or medium is unknown
//! (those opportunities counted); each opportunity attributed to one campaign and channel (the one
//! with most clicks for its UTMs), so totals add up across groups; by date, channel or campaign;
//! ratios of sums, null on a zero denominator.
//!
//! The query is written once, over the report views, with `:name` parameters: the metrics API runs
//! it, and the ready-made funnel report is an SQL report of the same text, so both give the same
//! numbers.

use serde_json::{Map, Value, json};
use sqlx::Row;

use super::wire::{Dimension, FunnelPage, FunnelQuery, FunnelRow};
use crate::auth::{CurrentUser, Permission};
use crate::eav::Store;
use crate::error::{EngineError, Result};
use crate::eav::physical::trusted;
use crate::reports::execute::bind_all;
use crate::reports::sql::{self, ContractField, SqlDefinition, SqlParameter};
use crate::reports::{NewReport, ReportSpec, ReportSort, SortDirection, Source};

const PARAMS: [(&str, &str); 6] = [("from", "date"), ("to", "date"), ("campaign_id", "text"), ("utm_campaign", "text"), ("utm_source", "text"), ("utm_medium", "text")];

fn filters(date: &str, with_campaign: bool) -> String {
    let mut f = vec![
        format!("(:from::date IS NULL OR {date} >= :from)"),
        format!("(:to::date IS NULL OR {date} <= :to)"),
        "(:utm_campaign::text IS NULL OR utm_campaign = lower(trim(:utm_campaign)))".to_string(),
        "(:utm_source::text IS NULL OR utm_source = lower(trim(:utm_source)))".to_string(),
        "(:utm_medium::text IS NULL OR utm_medium = lower(trim(:utm_medium)))".to_string(),
    ];
    if with_campaign {
        f.push("(:campaign_id::text IS NULL OR campaign_id = trim(:campaign_id))".to_string());
    }
    f.join(" AND ")
}

/// Everything before the final SELECT: `ads`, `opps` (each opportunity with its attribution), and
/// the groups `a` (ads) and `b` (opportunities) by `dim`.
fn ctes(dim: Dimension) -> String {
    let key = |date: &str| match dim {
        Dimension::Date => format!("{date}::text"),
        Dimension::Channel => "channel".to_string(),
        Dimension::Campaign => "campaign_id".to_string(),
    };
    format!(
        "WITH ads AS (
    SELECT date, campaign_id, channel, coalesce(clicks, 0) AS clicks, coalesce(impressions, 0) AS impressions,
           coalesce(cost, 0) AS cost, coalesce(leads, 0) AS leads, utm_campaign, utm_source, utm_medium
    FROM report_views.\"ads_performance\"
), keys AS (
    SELECT utm_campaign, utm_source, utm_medium, campaign_id, channel, sum(clicks) AS weight
    FROM ads GROUP BY 1, 2, 3, 4, 5
), opps AS (
    SELECT o.opportunity_id, o.created_date::date AS date, o.stage, coalesce(o.amount, 0) AS amount,
           o.utm_campaign, o.utm_source, o.utm_medium,
           coalesce(e.campaign_id, f.campaign_id) AS campaign_id, coalesce(e.channel, f.channel) AS channel,
           (e.campaign_id IS NULL AND f.campaign_id IS NOT NULL) AS fallback
    FROM report_views.\"crm_opportunities\" o
    LEFT JOIN LATERAL (
        SELECT k.campaign_id, k.channel FROM keys k
        WHERE k.utm_campaign = o.utm_campaign AND k.utm_source = o.utm_source AND k.utm_medium = o.utm_medium
        ORDER BY k.weight DESC, k.campaign_id, k.channel LIMIT 1) e ON true
    LEFT JOIN LATERAL (
        SELECT k.campaign_id, k.channel FROM keys k
        WHERE e.campaign_id IS NULL AND k.utm_campaign = o.utm_campaign
          AND (o.utm_source = 'unknown_source' OR o.utm_medium = 'unknown_medium'
               OR k.utm_source = 'unknown_source' OR k.utm_medium = 'unknown_medium')
        ORDER BY k.weight DESC, k.campaign_id, k.channel LIMIT 1) f ON true
), a AS (
    SELECT {ka} AS key, sum(cost) AS cost, sum(clicks) AS clicks, sum(impressions) AS impressions, sum(leads) AS leads
    FROM ads WHERE {fa} GROUP BY 1
), b AS (
    SELECT {kb} AS key, count(*) AS opportunities, count(*) FILTER (WHERE stage = 'closed_won') AS closed_won,
           coalesce(sum(amount) FILTER (WHERE stage = 'closed_won'), 0) AS revenue, count(*) FILTER (WHERE fallback) AS fallback
    FROM opps WHERE campaign_id IS NOT NULL AND {fb} GROUP BY 1
)",
        ka = key("date"),
        kb = key("date"),
        fa = filters("date", true),
        fb = filters("date", true),
    )
}

/// The funnel by `dim`, one row per group, with every metric; the text the report runs.
pub fn rows_sql(dim: Dimension) -> String {
    format!(
        "{}
SELECT coalesce(a.key, b.key) AS key,
       coalesce(a.cost, 0)::float8 AS cost, coalesce(a.clicks, 0)::bigint AS clicks,
       coalesce(a.impressions, 0)::bigint AS impressions, coalesce(a.leads, 0)::bigint AS leads,
       coalesce(b.opportunities, 0)::bigint AS opportunities, coalesce(b.closed_won, 0)::bigint AS closed_won,
       coalesce(b.revenue, 0)::float8 AS revenue,
       (a.cost / NULLIF(a.clicks, 0))::float8 AS cpc,
       (a.cost / NULLIF(a.leads, 0))::float8 AS cpa,
       (b.opportunities::numeric / NULLIF(a.leads, 0))::float8 AS cvr_lead_to_opportunity,
       (b.closed_won::numeric / NULLIF(b.opportunities, 0))::float8 AS cvr_opportunity_to_won,
       (b.revenue / NULLIF(a.cost, 0))::float8 AS roas,
       coalesce(b.fallback, 0)::bigint AS fallback_opportunities
FROM a FULL JOIN b ON a.key = b.key",
        ctes(dim)
    )
}

const METRICS: [(&str, &str); 14] = [
    ("key", "text"),
    ("cost", "number"),
    ("clicks", "number"),
    ("impressions", "number"),
    ("leads", "number"),
    ("opportunities", "number"),
    ("closed_won", "number"),
    ("revenue", "number"),
    ("cpc", "number"),
    ("cpa", "number"),
    ("cvr_lead_to_opportunity", "number"),
    ("cvr_opportunity_to_won", "number"),
    ("roas", "number"),
    ("fallback_opportunities", "number"),
];

/// `sql` with the funnel's parameters and `fields` as its contract: an SQL report's source.
fn definition(sql: String, fields: &[(&str, &str)]) -> SqlDefinition {
    SqlDefinition {
        sql,
        parameters: PARAMS.iter().map(|(name, ty)| SqlParameter { name: (*name).into(), ty: (*ty).into(), required: false, default: None, validation_rule_type: None, validation_parameters: Value::Null }).collect(),
        fields: fields.iter().enumerate().map(|(i, (name, ty))| ContractField { field_name: (*name).into(), ty: (*ty).into(), field_alias: None, is_required: false, display_order: i as i32 }).collect(),
    }
}

/// The funnel by `dim` as a ready-made SQL report (DESIGN §1 step 8): same text, same numbers.
pub fn report(dim: Dimension) -> NewReport {
    let sql = definition(rows_sql(dim), &METRICS);
    NewReport {
        name: format!("Marketing funnel by {}", dim.as_str()),
        description: "Ads joined to CRM opportunities by UTM (campaign alone when source or medium is unknown): cost, clicks, leads, opportunities, won, revenue, CPC, CPA, conversion rates and ROAS.".into(),
        spec: ReportSpec {
            source: Source::Sql(sql),
            columns: METRICS.iter().map(|(n, _)| (*n).to_string()).collect(),
            filters: vec![],
            group_by: vec![],
            aggregates: vec![],
            derived: vec![],
            sort: vec![ReportSort { field: "key".into(), direction: SortDirection::Asc }],
            limit: None,
            chart: None,
        },
        change_description: Some("ready-made from the marketing page".into()),
    }
}

/// The filters as the report's parameters (blank text is no filter).
fn parameters(q: &FunnelQuery) -> Map<String, Value> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| json!(s));
    let date = |d: &Option<chrono::NaiveDate>| d.map(|d| json!(d.to_string()));
    [("from", date(&q.from)), ("to", date(&q.to)), ("campaign_id", text(&q.campaign_id)), ("utm_campaign", text(&q.utm_campaign)), ("utm_source", text(&q.utm_source)), ("utm_medium", text(&q.utm_medium))]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
}

/// Whether both tables exist (none does before the first source) and can be read by the funnel.
async fn tables_ready(store: &Store) -> Result<bool> {
    for kind in [super::wire::SourceKind::Ads, super::wire::SourceKind::Crm] {
        match super::tables::existing(store, kind).await {
            Ok(_) => {}
            Err(EngineError::NotFound(crate::error::Resource::LogicalTable)) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// `GET /etl/metrics/{dimension}`.
pub async fn metrics(store: &Store, user: &CurrentUser, dim: Dimension, q: &FunnelQuery) -> Result<FunnelPage> {
    user.require(Permission::EtlRead)?;
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(EngineError::invalid("from is after to"));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let offset = q.offset.unwrap_or(0).max(0);
    if !tables_ready(store).await? {
        // No source yet: nothing to show, which is not an error.
        return Ok(FunnelPage { dimension: dim, rows: vec![], total: 0, limit, offset, fallback_opportunities: 0, unmatched_opportunities: 0 });
    }
    // Bound the way the report binds them: one typing of the parameters for both.
    let params = parameters(q);
    let (rows, _) = sql::source(&definition(rows_sql(dim), &METRICS), &params)?;
    let page_sql = format!("SELECT *, count(*) OVER () AS total FROM {} g ORDER BY key LIMIT {limit} OFFSET {offset}", rows.from);
    let mut conn = store.pool.acquire().await?;
    let found = bind_all(sqlx::query(trusted(&page_sql)), &rows.binds).fetch_all(&mut *conn).await?;
    let mut total = 0;
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        total = r.try_get("total")?;
        out.push(FunnelRow {
            key: r.try_get::<Option<String>, _>("key")?.unwrap_or_default(),
            cost: r.try_get("cost")?,
            clicks: r.try_get("clicks")?,
            impressions: r.try_get("impressions")?,
            leads: r.try_get("leads")?,
            opportunities: r.try_get("opportunities")?,
            closed_won: r.try_get("closed_won")?,
            revenue: r.try_get("revenue")?,
            cpc: r.try_get("cpc")?,
            cpa: r.try_get("cpa")?,
            cvr_lead_to_opportunity: r.try_get("cvr_lead_to_opportunity")?,
            cvr_opportunity_to_won: r.try_get("cvr_opportunity_to_won")?,
            roas: r.try_get("roas")?,
            fallback_opportunities: r.try_get("fallback_opportunities")?,
        });
    }
    let counts_sql = format!(
        "{}\nSELECT count(*) FILTER (WHERE fallback AND campaign_id IS NOT NULL) AS fallback, count(*) FILTER (WHERE campaign_id IS NULL) AS unmatched FROM opps WHERE {}",
        ctes(dim),
        filters("date", false)
    );
    let (counts, _) = sql::source(&definition(counts_sql, &[("fallback", "number"), ("unmatched", "number")]), &params)?;
    let row = bind_all(sqlx::query(trusted(&format!("SELECT * FROM {} c", counts.from))), &counts.binds).fetch_one(&mut *conn).await?;
    Ok(FunnelPage { dimension: dim, rows: out, total, limit, offset, fallback_opportunities: row.try_get("fallback")?, unmatched_opportunities: row.try_get("unmatched")? })
}

/// Saves the funnel by `dim` as a report of `user`'s (an SQL report: `report:admin`).
pub async fn create_report(store: &Store, user: &CurrentUser, dim: Dimension) -> Result<crate::reports::ReportCreated> {
    user.require(Permission::EtlRead)?;
    if !tables_ready(store).await? {
        return Err(EngineError::NotFound(crate::error::Resource::LogicalTable));
    }
    crate::reports::store::create(store, user, &report(dim)).await
}
