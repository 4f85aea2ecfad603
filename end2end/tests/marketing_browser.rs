//! Marketing in a real browser (Debian's Chromium): an admin adds an Ads source from the Facebook
//! preset pointed at a local server replaying the corpus fixtures, runs it, watches the run's
//! counts add up, adds a CRM source and sees the funnel join them, with the campaign-only fallback
//! counted; the event pipeline's page. Screenshots at desktop and phone widths, in both languages.

mod common;

use common::{assert_no_console_errors, launch, post_json as post, shot, sign_in};
use end2end::TestServer;
use playwright_rs::expect;
use serde_json::{Value, json};
use source_testserver::{Api, SourceTestServer};

const PASSWORD: &str = "a long enough secret";

fn deal(id: &str, stage: &str, amount: &str, campaign: &str, source: Option<&str>) -> Value {
    json!({"id": id, "createdAt": "2023-06-02T10:00:00Z",
           "properties": {"dealstage": stage, "amount": amount, "utm_campaign": campaign, "utm_source": source, "utm_medium": "paid_social"}})
}

#[tokio::test]
async fn an_admin_adds_a_source_runs_it_and_sees_the_counts_and_the_funnel() -> anyhow::Result<()> {
    let fixtures = SourceTestServer::start().await?;
    let mut ads = source_testserver::facebook_insights()?;
    ads.extend(source_testserver::google_campaign_stats_as_insights()?);
    let n = ads.len() as i64;
    fixtures.set_records(Api::Ads, ads);
    fixtures.set_page_size(5);
    fixtures.require_auth(Some("Bearer fixture-token"));
    fixtures.set_records(
        Api::Crm,
        vec![
            deal("d1", "closedwon", "500", "zzzzzNew - AIA - Advertised Offers", Some("facebook")),
            deal("d2", "appointmentscheduled", "100", "zzzzzNew - AIA - Advertised Offers", Some("facebook")),
            deal("d3", "closedwon", "250", "zzzzzNew - AIA - Advertised Offers", None),
        ],
    );
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let api = server.client("root", PASSWORD).await?;

    let (_pw, _browser, page) = launch().await?;
    sign_in(&page, &server, "root", PASSWORD).await?;
    page.goto(&server.url("/marketing"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=no-sources]")).to_be_visible().await?;
    page.locator("[data-testid=new-source]").click(None).await?;
    page.locator("[data-testid=source-preset]").select_option("facebook_insights", None).await?;
    page.locator("[data-testid=source-name]").fill("Facebook (fixtures)", None).await?;
    // A wrong address is refused as it is typed, by the server's own rules run in the browser.
    page.locator("[data-testid=source-url]").fill("ftp://nowhere", None).await?;
    expect(page.locator("[data-testid=source-problem]")).to_contain_text("url").await?;
    expect(page.locator("[data-testid=save-source]")).to_be_disabled().await?;
    page.locator("[data-testid=source-url]").fill(&format!("{}?limit=5", fixtures.url(Api::Ads)), None).await?;
    page.locator("[data-testid=source-secret]").fill("Bearer fixture-token", None).await?;
    expect(page.locator("[data-testid=source-problem]")).to_have_count(0).await?;
    shot(&page, "marketing-source-form-desktop-es").await?;
    page.locator("[data-testid=save-source]").click(None).await?;
    expect(page.locator("[data-testid=source-row]")).to_have_count(1).await?;
    expect(page.locator("[data-testid=source-row]")).to_contain_text("Facebook (fixtures)").await?;

    // Run it: its page shows the counts live, and they add up.
    page.locator("[data-testid=run-source]").click(None).await?;
    page.wait_for_url("**/marketing/runs/*", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=etl-run-status][data-status=succeeded]")).to_be_visible().await?;
    let count = |id: &'static str| {
        let page = page.clone();
        async move { page.locator(&format!("[data-testid={id}]")).inner_text().await.map(|t| t.replace(['.', ','], "").trim().parse::<i64>().unwrap_or(-1)) }
    };
    let (read, inserted, updated, unchanged, rejected) = (count("etl-read").await?, count("etl-inserted").await?, count("etl-updated").await?, count("etl-unchanged").await?, count("etl-rejected").await?);
    assert_eq!(read, n, "every Facebook and Google row");
    assert_eq!((inserted, updated, unchanged, rejected), (n - 1, 0, 0, 1), "the two Facebook rows share one key: the earlier is set aside");
    expect(page.locator("[data-testid=etl-pages]")).to_have_text(&((n + 4) / 5).to_string()).await?;
    expect(page.locator("table[data-testid=etl-rejections]")).to_contain_text("a later record of the same page has the same key").await?;
    shot(&page, "marketing-run-desktop-es").await?;

    // A CRM source through the API, run and waited for; then the funnel on the page.
    let presets: Vec<Value> = api.get(server.url("/api/v1/etl/presets")).send().await?.error_for_status()?.json().await?;
    let mut crm = presets.iter().find(|p| p["id"] == "hubspot_deals").map(|p| p["input"].clone()).unwrap_or(Value::Null);
    crm["url"] = json!(fixtures.url(Api::Crm));
    crm["name"] = json!("HubSpot (fixtures)");
    crm["auth_secret"] = json!("Bearer fixture-token");
    crm["fields"]["utm_campaign"] = json!({"path": "properties.utm_campaign"});
    crm["fields"]["utm_source"] = json!({"path": "properties.utm_source"});
    crm["fields"]["utm_medium"] = json!({"path": "properties.utm_medium"});
    crm["pagination"] = json!({"kind": "cursor", "next_path": "paging.next.after", "param": "after"});
    let made = post(&api, &server, "/etl/sources", crm).await?;
    let runs: Vec<Value> = api.post(server.url(&format!("/api/v1/etl/run?source_id={}&wait=30", made["id"].as_str().unwrap_or_default()))).send().await?.error_for_status()?.json().await?;
    assert_eq!(runs[0]["inserted"], 3, "{runs:?}");

    page.goto(&server.url("/marketing"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let facebook = page.locator("[data-testid=funnel-row][data-key=facebook]");
    expect(facebook.clone()).to_be_visible().await?;
    expect(facebook.locator("[data-testid=funnel-opps]")).to_have_text("3").await?;
    expect(facebook.locator("[data-testid=funnel-revenue]")).to_contain_text("750").await?;
    expect(page.locator("[data-testid=funnel-note]")).to_contain_text("1").await?;
    page.locator("[data-testid=funnel-by-campaign]").click(None).await?;
    expect(page.locator("[data-testid=funnel-row][data-key='23854404676180548']")).to_be_visible().await?;
    // Zero denominators show as a dash, never NaN or infinity.
    let body = page.locator("[data-testid=funnel-table]").inner_text().await?;
    assert!(!body.contains("NaN") && !body.contains("inf"), "{body}");
    shot(&page, "marketing-desktop-es").await?;
    page.locator("select.locale").select_option("en", None).await?;
    expect(page.locator("#funnel-title")).to_have_text("Funnel").await?;
    shot(&page, "marketing-desktop-en").await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    shot(&page, "marketing-phone-en").await?;
    page.goto(&server.url("/marketing/events"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=ev-workers]")).to_contain_text("/ 10").await?;
    shot(&page, "marketing-events-phone-en").await?;
    assert_no_console_errors();
    Ok(())
}
