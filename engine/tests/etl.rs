//! Marketing sources against a real HTTP server that replays the corpus fixtures with pagination
//! and faults, into real PostgreSQL: counts reconcile, runs are idempotent and incremental, a
//! lookback picks up late updates, a crash leaves the cursor, a source that stays down loses nothing
//! committed, and the funnel matches numbers worked out by hand (also through its report, and
//! signed to a sink).

mod support;

use std::time::Duration;

use engine::auth::CurrentUser;
use engine::etl::fetch::FetchPolicy;
use engine::etl::runs::{self, EtlContext};
use engine::etl::wire::{Dimension, FieldSource, FunnelQuery, Pagination, PaginationKind, RunInfo, RunStatus, SourceInput, SourceKind};
use engine::etl::{funnel, presets, sources};
use serde_json::{Value, json};
use source_testserver::{Api, Fault, SourceTestServer};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use support::{admin, eav_store};

fn policy() -> FetchPolicy {
    FetchPolicy { timeout: Duration::from_millis(400), max_retries: 3, base_delay: Duration::from_millis(10) }
}

async fn context(pool: &PgPool) -> anyhow::Result<EtlContext> {
    Ok(EtlContext::new(eav_store(pool).await?.with_report_reader(support::report_reader(pool).await?), policy())?)
}

fn preset(id: &str) -> SourceInput {
    presets::all().into_iter().find(|p| p.id == id).map(|p| p.input).expect("a preset of that id")
}

/// The Facebook preset against the test server, 5 records a page.
fn ads_source(server: &SourceTestServer) -> SourceInput {
    let mut s = preset("facebook_insights");
    s.url = server.url(Api::Ads);
    s.pagination.limit_param = "limit".into();
    s.pagination.page_size = 5;
    s.auth_secret = Some("Bearer test-token".into());
    s
}

/// The HubSpot preset against the test server, with the deal's UTMs where the test puts them.
fn crm_source(server: &SourceTestServer) -> SourceInput {
    let mut s = preset("hubspot_deals");
    s.url = server.url(Api::Crm);
    s.pagination = Pagination { kind: PaginationKind::Cursor, next_path: "paging.next.after".into(), param: "after".into(), limit_param: "limit".into(), page_size: 100, max_pages: 1000 };
    s.fields.insert("updated_at".into(), FieldSource::path("updatedAt"));
    s.fields.insert("utm_campaign".into(), FieldSource::path("properties.utm_campaign"));
    s.fields.insert("utm_source".into(), FieldSource::path("properties.utm_source"));
    s.fields.insert("utm_medium".into(), FieldSource::path("properties.utm_medium"));
    s
}

/// Starts a run and executes it here, as a worker would.
async fn run_now(ctx: &EtlContext, u: &CurrentUser, source: Uuid, since: Option<chrono::DateTime<chrono::Utc>>) -> anyhow::Result<RunInfo> {
    let run = runs::start_run(&ctx.store, Some(u), source, since, "manual").await?;
    let (id, attempt) = runs::claim(&ctx.store.pool, Duration::from_secs(30)).await?.expect("the run just asked for");
    assert_eq!(id, run.id);
    runs::execute(ctx, id, attempt, &CancellationToken::new()).await?;
    Ok(runs::get_run(&ctx.store, u, id).await?)
}

fn reconciles(r: &RunInfo) {
    assert_eq!(r.read, r.inserted + r.updated + r.unchanged + r.rejected, "{r:?}");
}

async fn count(pool: &PgPool, table: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM report_views.\"{table}\""))).fetch_one(pool).await?)
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn corpus_replayed_with_faults_reconciles_and_running_again_changes_nothing(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let ctx = context(&pool).await?;
    let server = SourceTestServer::start().await?;
    server.require_auth(Some("Bearer test-token"));
    let mut records = source_testserver::facebook_insights()?;
    records.extend(source_testserver::google_campaign_stats_as_insights()?);
    // Two of Facebook's rows are two ads of one campaign on one day: one natural key, so the
    // later one is kept and the earlier one set aside with why.
    let mut last: std::collections::BTreeMap<(String, String), (i64, f64)> = Default::default();
    for r in &records {
        let k = (r["date_start"].as_str().unwrap_or("").to_string(), r["campaign_id"].as_str().unwrap_or("").to_string());
        last.insert(k, (r["clicks"].as_str().unwrap_or("0").parse().unwrap_or(0), r["spend"].as_str().unwrap_or("0").parse().unwrap_or(0.0)));
    }
    let good = last.len();
    let same_key = records.len() - good;
    records.push(json!({"campaign_id": "no-date", "clicks": "3"}));
    records.push(json!({"date_start": "2021-02-09", "campaign_id": "bad-clicks", "clicks": "many"}));
    records.sort_by_key(|r| r.get("date_start").and_then(Value::as_str).unwrap_or("").to_string());
    server.set_records(Api::Ads, records.clone());
    // The second page fails twice and then answers; the third times out once; the fourth is
    // malformed once: each is retried and nothing is lost.
    server.script(Api::Ads, 5, vec![Fault::Status(500), Fault::Status(502)]);
    server.script(Api::Ads, 10, vec![Fault::Delay(Duration::from_secs(2))]);
    server.script(Api::Ads, 15, vec![Fault::Malformed]);
    let src = sources::create_source(&ctx.store, &u, ads_source(&server)).await?;
    assert!(src.has_secret);

    let first = run_now(&ctx, &u, src.id, None).await?;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:?}");
    reconciles(&first);
    assert_eq!((first.read, first.inserted, first.updated, first.rejected), (records.len() as i64, good as i64, 0, 2 + same_key as i64));
    assert_eq!(first.pages, records.len().div_ceil(5) as i32);
    assert_eq!(first.retries, 4);
    assert_eq!(count(&pool, "ads_performance").await?, good as i64);
    let reasons: Vec<String> = runs::rejections(&ctx.store, &u, first.id, 0, 10).await?.into_iter().map(|r| r.reason).collect();
    assert!(reasons.contains(&"date is missing".to_string()), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("clicks: 'many' is not a number")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("a later record of the same page has the same key (2023-06-01|23854404676180548|facebook)")), "{reasons:?}");
    // Clicks and cost stored are the fixtures' own, summed by hand here.
    let want_clicks: i64 = last.values().map(|v| v.0).sum();
    let (clicks, cost): (i64, f64) = sqlx::query_as("SELECT sum(clicks)::bigint, sum(cost)::float8 FROM report_views.ads_performance").fetch_one(&pool).await?;
    let want_cost: f64 = last.values().map(|v| v.1).sum();
    assert_eq!(clicks, want_clicks);
    assert!((cost - want_cost).abs() < 1e-6, "{cost} vs {want_cost}");
    let cursor = sources::get_source(&ctx.store, &u, src.id).await?.cursor.expect("a cursor after a run");

    // Again: the window is the cursor less the lookback; nothing is new, nothing changes.
    let second = run_now(&ctx, &u, src.id, None).await?;
    reconciles(&second);
    assert_eq!((second.inserted, second.updated), (0, 0), "{second:?}");
    assert!(second.window_from.is_some_and(|w| w < cursor));
    assert!(second.read < first.read, "an incremental run reads only its window");
    // An overlapping window from the very start: every record read again, none doubled.
    let since = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    let third = run_now(&ctx, &u, src.id, since).await?;
    reconciles(&third);
    // (The record with no date is not in any window the source is asked for.)
    assert_eq!((third.read, third.inserted, third.updated, third.unchanged), (records.len() as i64 - 1, 0, 0, good as i64));
    assert_eq!(count(&pool, "ads_performance").await?, good as i64);
    assert_eq!(sources::get_source(&ctx.store, &u, src.id).await?.cursor, Some(cursor), "the cursor never moves back");
    // The secret went in its header only: never in a URL asked for.
    assert!(server.requests().iter().all(|r| !r.contains("test-token")));
    Ok(())
}

fn deal(i: usize, updated: &str, stage: &str, amount: f64) -> Value {
    json!({"id": format!("{}", 9000 + i), "createdAt": "2025-04-01T09:00:00Z", "updatedAt": updated,
           "properties": {"dealstage": stage, "amount": amount.to_string(), "utm_campaign": "Spring", "utm_source": "facebook", "utm_medium": "paid_social"}})
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn pages_sharing_one_timestamp_neither_loop_nor_drop_and_late_updates_are_picked_up(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let ctx = context(&pool).await?;
    let server = SourceTestServer::start().await?;
    // 250 deals changed in the same second: three pages with the same cursor time.
    server.set_records(Api::Crm, (0..250).map(|i| deal(i, "2025-04-03T12:00:00Z", "appointmentscheduled", 10.0)).collect());
    let src = sources::create_source(&ctx.store, &u, crm_source(&server)).await?;
    let first = run_now(&ctx, &u, src.id, None).await?;
    reconciles(&first);
    assert_eq!((first.status, first.read, first.inserted, first.pages), (RunStatus::Succeeded, 250, 250, 3));
    assert_eq!(count(&pool, "crm_opportunities").await?, 250);
    let asked = server.requests().len();
    let again = run_now(&ctx, &u, src.id, None).await?;
    assert_eq!((again.read, again.unchanged, again.pages), (250, 250, 3), "{again:?}");
    assert_eq!(server.requests().len() - asked, 3, "no page asked twice");

    // A deal won a day later: inside the lookback, picked up; the others unchanged.
    server.update_record(Api::Crm, 7, |d| {
        d["updatedAt"] = json!("2025-04-04T08:00:00Z");
        d["properties"]["dealstage"] = json!("closedwon");
        d["properties"]["amount"] = json!("1234.5");
    });
    let late = run_now(&ctx, &u, src.id, None).await?;
    reconciles(&late);
    assert_eq!((late.updated, late.unchanged, late.inserted), (1, 249, 0), "{late:?}");
    let (stage, amount): (String, f64) = sqlx::query_as("SELECT stage, amount::float8 FROM report_views.crm_opportunities WHERE opportunity_id = '9007'").fetch_one(&pool).await?;
    assert_eq!((stage.as_str(), amount), ("closed_won", 1234.5));
    let cursor = sources::get_source(&ctx.store, &u, src.id).await?.cursor.expect("cursor");
    assert_eq!(cursor.to_rfc3339(), "2025-04-04T08:00:00+00:00");

    // A source with nothing new deletes nothing.
    server.set_records(Api::Crm, vec![]);
    let empty = run_now(&ctx, &u, src.id, None).await?;
    assert_eq!((empty.status, empty.read), (RunStatus::Succeeded, 0));
    assert_eq!(count(&pool, "crm_opportunities").await?, 250);
    assert_eq!(sources::get_source(&ctx.store, &u, src.id).await?.cursor, Some(cursor));
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn a_crash_between_fetch_and_commit_leaves_the_cursor_and_the_run_goes_on(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let ctx = context(&pool).await?;
    let server = SourceTestServer::start().await?;
    let records: Vec<Value> = (0..12).map(|i| json!({"date_start": format!("2024-05-{:02}", i + 1), "campaign_id": "c1", "campaign_name": "Spring", "clicks": "10", "spend": "2.5"})).collect();
    server.set_records(Api::Ads, records);
    let src = sources::create_source(&ctx.store, &u, ads_source(&server)).await?;
    server.hold(Api::Ads, 5);
    let run = runs::start_run(&ctx.store, Some(&u), src.id, None, "manual").await?;
    let (id, attempt) = runs::claim(&pool, Duration::from_secs(30)).await?.expect("claimed");
    let worker = {
        let ctx = ctx.clone();
        tokio::spawn(async move { runs::execute(&ctx, id, attempt, &CancellationToken::new()).await })
    };
    server.reached().await;
    // The worker dies while the second page is on its way: the first page is committed, the
    // cursor has not moved.
    worker.abort();
    let _ = worker.await;
    server.release();
    assert_eq!(count(&pool, "ads_performance").await?, 5);
    assert_eq!(sources::get_source(&ctx.store, &u, src.id).await?.cursor, None);
    let mid = runs::get_run(&ctx.store, &u, run.id).await?;
    assert_eq!((mid.status, mid.pages, mid.read), (RunStatus::Running, 1, 5));
    // Another worker takes it over once the lease is out, and goes on from the second page.
    let (again, attempt2) = runs::claim(&pool, Duration::ZERO).await?.expect("taken over");
    assert_eq!((again, attempt2), (run.id, attempt + 1));
    runs::execute(&ctx, again, attempt2, &CancellationToken::new()).await?;
    let done = runs::get_run(&ctx.store, &u, run.id).await?;
    reconciles(&done);
    assert_eq!((done.status, done.read, done.inserted, done.pages), (RunStatus::Succeeded, 12, 12, 3));
    assert_eq!(count(&pool, "ads_performance").await?, 12);
    assert!(sources::get_source(&ctx.store, &u, src.id).await?.cursor.is_some());

    // A source that stays down fails the run and loses nothing committed; the cursor stays.
    let cursor = sources::get_source(&ctx.store, &u, src.id).await?.cursor;
    server.always(Some(Fault::Status(503)));
    let down = run_now(&ctx, &u, src.id, None).await?;
    assert_eq!(down.status, RunStatus::Failed);
    let error = down.error.clone().unwrap_or_default();
    assert!(error.starts_with("ADS API unavailable: 503"), "{error}");
    assert_eq!(down.retries, 3);
    assert_eq!(count(&pool, "ads_performance").await?, 12);
    assert_eq!(sources::get_source(&ctx.store, &u, src.id).await?.cursor, cursor);
    // A 4xx other than 429 is not retried.
    server.always(Some(Fault::Status(404)));
    let refused = run_now(&ctx, &u, src.id, None).await?;
    assert_eq!((refused.status, refused.retries), (RunStatus::Failed, 0));
    assert!(refused.error.unwrap_or_default().starts_with("ADS API refused the request: 404"));
    Ok(())
}

fn insight(date: &str, campaign: &str, name: &str, clicks: i64, spend: f64, leads: i64) -> Value {
    json!({"date_start": date, "campaign_id": campaign, "campaign_name": name, "clicks": clicks.to_string(), "impressions": (clicks * 10).to_string(),
           "spend": spend.to_string(), "actions": [{"action_type": "lead", "value": leads.to_string()}]})
}

fn opp(id: &str, day: &str, stage: &str, amount: f64, campaign: &str, source: Option<&str>, medium: Option<&str>) -> Value {
    json!({"id": id, "createdAt": format!("{day}T10:00:00Z"),
           "properties": {"dealstage": stage, "amount": amount.to_string(), "utm_campaign": campaign, "utm_source": source, "utm_medium": medium}})
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn the_funnel_matches_a_hand_computed_fixture(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let ctx = context(&pool).await?;
    let server = SourceTestServer::start().await?;
    // Spring (c1): 150 clicks, 75 spent, 10 leads over two days. Summer (c2): nothing spent.
    server.set_records(Api::Ads, vec![insight("2024-03-01", "c1", " Spring ", 100, 50.0, 10), insight("2024-03-02", "c1", "SPRING", 50, 25.0, 0), insight("2024-03-02", "c2", "Summer", 0, 0.0, 0)]);
    server.set_records(
        Api::Crm,
        vec![
            opp("o1", "2024-03-01", "closedwon", 300.0, "spring", Some("Facebook "), Some("paid_social")),
            opp("o2", "2024-03-02", "appointmentscheduled", 100.0, "Spring", Some("facebook"), Some("PAID_SOCIAL")),
            // No source: joined on the campaign alone, and counted as such.
            opp("o3", "2024-03-02", "closedwon", 200.0, "spring", None, Some("paid_social")),
            // No ads for this campaign at all: counted as unmatched, attributed to nothing.
            opp("o4", "2024-03-02", "closedwon", 999.0, "winter", Some("facebook"), Some("paid_social")),
            opp("o5", "2024-03-02", "qualifiedtobuy", 50.0, "summer", Some("facebook"), Some("paid_social")),
        ],
    );
    let ads = sources::create_source(&ctx.store, &u, ads_source(&server)).await?;
    let crm = sources::create_source(&ctx.store, &u, crm_source(&server)).await?;
    assert_eq!(run_now(&ctx, &u, ads.id, None).await?.inserted, 3);
    assert_eq!(run_now(&ctx, &u, crm.id, None).await?.inserted, 5);

    let by_channel = funnel::metrics(&ctx.store, &u, Dimension::Channel, &FunnelQuery::default()).await?;
    assert_eq!((by_channel.total, by_channel.fallback_opportunities, by_channel.unmatched_opportunities), (1, 1, 1));
    let f = &by_channel.rows[0];
    assert_eq!(f.key, "facebook");
    assert_eq!((f.cost, f.clicks, f.impressions, f.leads, f.opportunities, f.closed_won, f.revenue), (75.0, 150, 1500, 10, 4, 2, 500.0));
    assert!(close(f.cpc, 0.5) && close(f.cpa, 7.5) && close(f.cvr_lead_to_opportunity, 0.4) && close(f.cvr_opportunity_to_won, 0.5) && close(f.roas, 500.0 / 75.0), "{f:?}");
    assert_eq!(f.fallback_opportunities, 1);

    let by_campaign = funnel::metrics(&ctx.store, &u, Dimension::Campaign, &FunnelQuery::default()).await?;
    let c1 = by_campaign.rows.iter().find(|r| r.key == "c1").expect("c1");
    assert_eq!((c1.opportunities, c1.closed_won, c1.revenue, c1.fallback_opportunities), (3, 2, 500.0, 1));
    assert!(close(c1.cvr_lead_to_opportunity, 0.3) && close(c1.cvr_opportunity_to_won, 2.0 / 3.0));
    // Zero clicks, leads and cost: every ratio over them is null, never NaN or infinity.
    let c2 = by_campaign.rows.iter().find(|r| r.key == "c2").expect("c2");
    assert_eq!((c2.cost, c2.clicks, c2.leads, c2.opportunities, c2.closed_won), (0.0, 0, 0, 1, 0));
    assert_eq!((c2.cpc, c2.cpa, c2.cvr_lead_to_opportunity, c2.roas), (None, None, None, None));
    assert!(close(c2.cvr_opportunity_to_won, 0.0));

    // Filters: one day, one campaign, a UTM written differently.
    let day = FunnelQuery { from: chrono::NaiveDate::from_ymd_opt(2024, 3, 1), to: chrono::NaiveDate::from_ymd_opt(2024, 3, 1), ..Default::default() };
    let d = funnel::metrics(&ctx.store, &u, Dimension::Date, &day).await?;
    assert_eq!(d.rows.len(), 1);
    assert_eq!((d.rows[0].key.as_str(), d.rows[0].cost, d.rows[0].opportunities, d.rows[0].revenue), ("2024-03-01", 50.0, 1, 300.0));
    let spring = FunnelQuery { utm_campaign: Some(" SPRING".into()), ..Default::default() };
    let s = funnel::metrics(&ctx.store, &u, Dimension::Campaign, &spring).await?;
    assert_eq!(s.rows.iter().map(|r| (r.key.as_str(), r.opportunities)).collect::<Vec<_>>(), vec![("c1", 3)]);
    let paged = funnel::metrics(&ctx.store, &u, Dimension::Campaign, &FunnelQuery { limit: Some(1), offset: Some(1), ..Default::default() }).await?;
    assert_eq!((paged.total, paged.rows.len(), paged.rows[0].key.as_str()), (2, 1, "c2"));

    // The ready-made report runs the same query: the same numbers.
    let report = funnel::create_report(&ctx.store, &u, Dimension::Campaign).await?;
    let answer = engine::reports::execute::execute(
        &ctx.store,
        &engine::reports::execute::Runner::User(u.clone()),
        &engine::reports::ExecuteRequest { report_id: report.id, version: None, parameters: Default::default(), fields: vec![], pagination: Default::default(), sorting: vec![] },
    )
    .await?;
    let row = answer.data.iter().find(|r| r["key"] == json!("c1")).expect("c1 in the report");
    assert_eq!((row["opportunities"].as_f64(), row["revenue"].as_f64(), row["cpa"].as_f64()), (Some(3.0), Some(500.0), Some(7.5)));

    // Sent to a sink, signed: the receiver verifies with the secret, and not with another one.
    let sink = engine::etl::sink::SinkConfig { url: server.sink_url(), secrets: vec!["new-secret".to_string().into(), "old-secret".to_string().into()] };
    let sent = engine::etl::sink::export(&ctx.store, &ctx.http, Some(&sink), &u, Dimension::Channel, &FunnelQuery::default()).await?;
    let received = server.received();
    assert_eq!((received.len(), sent.rows, sent.status), (1, 1, 204));
    let (headers, body) = &received[0];
    let sig = &headers["x-signature"];
    assert!(engine::etl::sink::verify_x_signature("new-secret", body, sig));
    assert!(!engine::etl::sink::verify_x_signature("wrong-secret", body, sig), "a wrong secret fails the check");
    let ts: i64 = headers["webhook-timestamp"].parse()?;
    let now = chrono::Utc::now().timestamp();
    for secret in ["new-secret", "old-secret"] {
        assert!(engine::etl::sink::verify_webhook(secret, &headers["webhook-id"], ts, body, &headers["webhook-signature"], now, 300), "{secret}");
    }
    assert!(!engine::etl::sink::verify_webhook("wrong-secret", &headers["webhook-id"], ts, body, &headers["webhook-signature"], now, 300));
    let payload: Value = serde_json::from_slice(body)?;
    assert_eq!(payload["rows"][0]["revenue"], json!(500.0));
    let none = engine::etl::sink::export(&ctx.store, &ctx.http, None, &u, Dimension::Channel, &FunnelQuery::default()).await.expect_err("no sink");
    assert_eq!(none.code(), engine::ErrorCode::EtlSinkNotConfigured);
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn offsets_page_and_a_due_schedule_starts_one_run(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let ctx = context(&pool).await?;
    let server = SourceTestServer::start().await?;
    server.set_records(Api::Crm, (0..23).map(|i| deal(i, "2025-04-03T12:00:00Z", "appointmentscheduled", 1.0)).collect());
    let mut s = crm_source(&server);
    // The fixture's `after` is a position: as an offset, 10 at a time.
    s.pagination = Pagination { kind: PaginationKind::Offset, next_path: String::new(), param: "after".into(), limit_param: "limit".into(), page_size: 10, max_pages: 100 };
    s.schedule = Some("0 0 3 * * *".into());
    let src = sources::create_source(&ctx.store, &u, s).await?;
    // Its time has come: however many schedulers look, one run starts.
    sqlx::query("UPDATE etl_sources SET next_run_at = now() - interval '1 second' WHERE id = $1").bind(src.id).execute(&pool).await?;
    let (a, b) = tokio::join!(runs::schedule_due(&pool), runs::schedule_due(&pool));
    assert_eq!(a? + b?, 1);
    assert_eq!(runs::schedule_due(&pool).await?, 0, "the next time is tomorrow");
    assert!(sources::get_source(&ctx.store, &u, src.id).await?.next_run_at.is_some_and(|t| t > chrono::Utc::now()));
    let (id, attempt) = runs::claim(&pool, Duration::from_secs(30)).await?.expect("the scheduled run");
    runs::execute(&ctx, id, attempt, &CancellationToken::new()).await?;
    let run = runs::get_run(&ctx.store, &u, id).await?;
    assert_eq!((run.trigger.as_str(), run.status, run.read, run.inserted, run.pages), ("schedule", RunStatus::Succeeded, 23, 23, 3));
    assert!(server.requests().iter().any(|r| r.contains("after=20")), "{:?}", server.requests());
    Ok(())
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn sources_refuse_bad_settings_and_keep_their_secret(pool: PgPool) -> anyhow::Result<()> {
    let u = admin(&pool).await?;
    let analyst = support::analyst(&pool).await?;
    let ctx = context(&pool).await?;
    let server = SourceTestServer::start().await?;
    let mut bad = ads_source(&server);
    bad.schedule = Some("every day".into());
    let e = sources::create_source(&ctx.store, &u, bad).await.expect_err("not a cron expression");
    assert_eq!(e.code(), engine::ErrorCode::EtlSourceInvalid);
    let e = sources::create_source(&ctx.store, &analyst, ads_source(&server)).await.expect_err("analysts read, admins configure");
    assert_eq!(e.code(), engine::ErrorCode::Forbidden);
    let src = sources::create_source(&ctx.store, &u, ads_source(&server)).await?;
    assert!(src.next_run_at.is_some(), "the preset's daily schedule");
    // Saved again without the secret: it is kept; with an empty one: removed.
    let mut again = ads_source(&server);
    again.auth_secret = None;
    again.version = Some(src.version);
    let kept = sources::update_source(&ctx.store, &u, src.id, again.clone()).await?;
    assert!(kept.has_secret);
    let e = sources::update_source(&ctx.store, &u, src.id, again.clone()).await.expect_err("stale version");
    assert_eq!(e.code(), engine::ErrorCode::EtlSourceVersionConflict);
    again.auth_secret = Some(String::new());
    again.version = Some(kept.version);
    assert!(!sources::update_source(&ctx.store, &u, src.id, again).await?.has_secret);
    let secret: Option<String> = sqlx::query_scalar("SELECT auth_secret FROM etl_sources WHERE id = $1").bind(src.id).fetch_one(&pool).await?;
    assert_eq!(secret, None);
    // One run at a time per source.
    runs::start_run(&ctx.store, Some(&u), src.id, None, "manual").await?;
    let e = runs::start_run(&ctx.store, Some(&u), src.id, None, "manual").await.expect_err("one at a time");
    assert_eq!(e.code(), engine::ErrorCode::EtlRunActive);
    assert_eq!(sources::list_sources(&ctx.store, &analyst).await?.len(), 1);
    // A governed table changed so runs cannot write it is named before anything is read.
    let def = ctx.store.table(SourceKind::Ads.table()).await?;
    assert!(def.column("cost").is_some());
    Ok(())
}
