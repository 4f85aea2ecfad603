//! Ready-made sources for the API shapes of `corpus/06_ads_crm`: Facebook Marketing insights,
//! Google Ads campaign stats, HubSpot deals and Salesforce opportunities. An admin picks one, sets
//! the URL and the secret, and adjusts what differs.

use std::collections::BTreeMap;

use super::wire::{FieldSource, Pagination, PaginationKind, Preset, SinceFormat, SourceInput, SourceKind};

fn fields(pairs: Vec<(&str, FieldSource)>) -> BTreeMap<String, FieldSource> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn mapped(path: &str, pairs: &[(&str, &str)]) -> FieldSource {
    FieldSource { path: Some(path.into()), map: pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(), ..Default::default() }
}

fn scaled(path: &str, scale: f64) -> FieldSource {
    FieldSource { path: Some(path.into()), scale: Some(scale), ..Default::default() }
}

fn input(name: &str, kind: SourceKind, url: &str, records: &str, pagination: Pagination, since: &str, fields: BTreeMap<String, FieldSource>) -> SourceInput {
    SourceInput {
        name: name.into(),
        kind,
        url: url.into(),
        auth_header: "Authorization".into(),
        auth_secret: None,
        records_path: records.into(),
        pagination,
        fields,
        since_param: since.into(),
        since_format: SinceFormat::Date,
        lookback_days: 3,
        schedule: Some("0 0 3 * * *".into()),
        enabled: true,
        version: None,
    }
}

pub fn all() -> Vec<Preset> {
    use FieldSource as F;
    vec![
        Preset {
            id: "facebook_insights".into(),
            label: "Facebook Marketing · insights".into(),
            input: input(
                "Facebook Ads",
                SourceKind::Ads,
                "https://graph.facebook.com/v19.0/act_ACCOUNT/insights?level=campaign&time_increment=1&fields=campaign_id,campaign_name,date_start,clicks,impressions,spend,actions",
                "data",
                Pagination { kind: PaginationKind::NextLink, next_path: "paging.next".into(), ..Default::default() },
                "since",
                fields(vec![
                    ("date", F::path("date_start")),
                    ("campaign_id", F::path("campaign_id")),
                    ("channel", F::constant("facebook")),
                    ("clicks", F::path("clicks")),
                    ("impressions", F::path("impressions")),
                    ("cost", F::path("spend")),
                    ("leads", F::path("actions[action_type=lead].value")),
                    ("utm_campaign", F::path("campaign_name")),
                    ("utm_source", F::constant("facebook")),
                    ("utm_medium", F::constant("paid_social")),
                ]),
            ),
        },
        Preset {
            id: "google_ads_campaign_stats".into(),
            label: "Google Ads · campaign stats".into(),
            input: input(
                "Google Ads",
                SourceKind::Ads,
                "https://ads.example.com/campaign_stats",
                "results",
                Pagination { kind: PaginationKind::Cursor, next_path: "nextPageToken".into(), param: "pageToken".into(), ..Default::default() },
                "since",
                fields(vec![
                    ("date", F::path("date")),
                    ("campaign_id", F::path("id")),
                    ("channel", F::constant("google_ads")),
                    ("clicks", F::path("clicks")),
                    ("impressions", F::path("impressions")),
                    ("cost", scaled("cost_micros", 0.000_001)),
                    ("leads", F::path("conversions")),
                    ("utm_campaign", F::path("id")),
                    ("utm_source", F::constant("google")),
                    ("utm_medium", F::constant("cpc")),
                ]),
            ),
        },
        Preset {
            id: "hubspot_deals".into(),
            label: "HubSpot · deals".into(),
            input: input(
                "HubSpot deals",
                SourceKind::Crm,
                "https://api.hubapi.com/crm/v3/objects/deals?properties=amount,dealstage,createdate,hs_analytics_source,hs_analytics_source_data_1",
                "results",
                Pagination { kind: PaginationKind::Cursor, next_path: "paging.next.after".into(), param: "after".into(), limit_param: "limit".into(), page_size: 100, ..Default::default() },
                "since",
                fields(vec![
                    ("opportunity_id", F::path("id")),
                    ("created_at", F::path("createdAt")),
                    ("stage", mapped("properties.dealstage", &[("closedwon", "closed_won"), ("closedlost", "closed_lost")])),
                    ("amount", F::path("properties.amount")),
                    ("utm_campaign", F::path("properties.hs_analytics_source_data_1")),
                    ("utm_source", F::path("properties.hs_analytics_source")),
                ]),
            ),
        },
        Preset {
            id: "salesforce_opportunities".into(),
            label: "Salesforce · opportunities".into(),
            input: input(
                "Salesforce opportunities",
                SourceKind::Crm,
                "https://example.my.salesforce.com/services/data/v60.0/query?q=SELECT+id,created_date,stage_name,amount,campaign_id,lead_source+FROM+Opportunity",
                "records",
                Pagination { kind: PaginationKind::NextLink, next_path: "nextRecordsUrl".into(), ..Default::default() },
                "since",
                fields(vec![
                    ("opportunity_id", F::path("id")),
                    ("created_at", F::path("created_date")),
                    ("stage", F::path("stage_name")),
                    ("amount", F::path("amount")),
                    ("utm_campaign", F::path("campaign_id")),
                    ("utm_source", F::path("lead_source")),
                ]),
            ),
        },
    ]
}
