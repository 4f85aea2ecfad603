//! Reports in a real browser (Debian's Chromium): an analyst-admin builds a report over a governed
//! table in the builder (group-by, a sum, two parameters, a bar chart, previewed live), saves it,
//! shares it with a password and a locked region; someone with no account opens the link in a
//! fresh browser, gives the password, sees only the locked region, changes the parameter they may
//! change, downloads the XLSX; the link is revoked and refuses. Screenshots at desktop and phone
//! widths, in Spanish and English.

mod common;

use common::{launch, post_json as post, shot, sign_in};
use end2end::TestServer;
use playwright_rs::expect;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";



/// Six sales: north has search 100 + 50, social 200, email 20; south has search 300, social 30.
async fn sales(api: &reqwest::Client, server: &TestServer) -> anyhow::Result<()> {
    let t = post(api, server, "/metadata/tables", json!({ "table_name": "VENTAS" })).await?;
    for (name, ty) in [("region", "String"), ("canal", "String"), ("importe", "Decimal")] {
        let c = post(api, server, "/metadata/columns", json!({ "column_name": name, "data_type": ty })).await?;
        post(api, server, "/metadata/properties", json!({ "logical_table_id": t["id"], "column_definition_id": c["id"], "display_order": 1 })).await?;
    }
    for (code, region, canal, importe) in [("V1", "norte", "search", 100), ("V2", "norte", "search", 50), ("V3", "norte", "social", 200), ("V4", "sur", "search", 300), ("V5", "sur", "social", 30), ("V6", "norte", "email", 20)] {
        post(api, server, "/data/VENTAS", json!({ "code": code, "column_values": { "region": region, "canal": canal, "importe": importe } })).await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_report_is_built_shared_with_a_password_and_a_lock_opened_without_an_account_and_revoked() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let api = server.client("root", PASSWORD).await?;
    sales(&api, &server).await?;

    let (_pw, _browser, page) = launch().await?;
    sign_in(&page, &server, "root", PASSWORD).await?;
    page.goto(&server.url("/reports"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=no-reports]")).to_be_visible().await?;
    page.locator("[data-testid=new-report]").click(None).await?;
    page.wait_for_url("**/reports/new", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    // The builder: by channel, a count and a sum, region and a minimum amount as parameters.
    page.locator("[data-testid=report-name]").fill("Ventas por canal", None).await?;
    page.locator("[data-testid=report-source]").select_option("table:VENTAS", None).await?;
    page.locator("[data-testid=add-group]").click(None).await?;
    page.locator("[data-testid=group-field]").select_option("canal", None).await?;
    page.locator("[data-testid=add-aggregate]").click(None).await?;
    page.locator("[data-testid=agg-field]").nth(1).select_option("importe", None).await?;
    page.locator("[data-testid=agg-as]").nth(1).fill("total", None).await?;
    page.locator("[data-testid=agg-as]").nth(1).press("Tab", None).await?;
    page.locator("[data-testid=add-report-filter]").click(None).await?;
    page.locator("[data-testid=rf-field]").nth(0).select_option("region", None).await?;
    page.locator("[data-testid=add-report-filter]").click(None).await?;
    page.locator("[data-testid=rf-field]").nth(1).select_option("importe", None).await?;
    page.locator("[data-testid=rf-op]").nth(1).select_option("≥", None).await?;
    // A formula judged as typed, by the server's parser in the browser.
    page.locator("[data-testid=add-derived]").click(None).await?;
    page.locator("[data-testid=derived-formula]").fill("total / ", None).await?;
    expect(page.locator("[data-testid=formula-verdict]")).to_contain_text("formula ends too soon").await?;
    page.locator("[data-testid=derived-formula]").fill("total / n", None).await?;
    expect(page.locator("[data-testid=formula-verdict]")).to_have_text("").await?;
    page.locator("[data-testid=derived-formula]").press("Tab", None).await?;
    page.locator("[data-testid=derived-as]").fill("media", None).await?;
    page.locator("[data-testid=derived-as]").press("Tab", None).await?;
    page.locator("[data-testid=chart-title]").fill("Importe por canal", None).await?;
    page.locator("[data-testid=chart-title]").press("Tab", None).await?;
    // The live preview: every region (no parameter given), drawn as bars.
    let preview = page.locator("[data-testid=report-table] tbody tr");
    expect(preview.clone()).to_have_count(3).await?;
    expect(page.locator("[data-testid=report-chart] svg")).to_be_visible().await?;
    expect(page.locator("[data-testid=report-table]")).to_contain_text("450").await?;
    shot(&page, "report-builder-desktop-es").await?;
    page.locator("[data-testid=save-report]").click(None).await?;
    page.wait_for_url("**/reports/*-*-*", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=report-name]")).to_have_text("Ventas por canal").await?;
    expect(page.locator("[data-testid=report-chart] svg")).to_be_visible().await?;

    // A parameter changed by the owner: south only.
    page.locator("[data-testid=param-region]").fill("sur", None).await?;
    page.locator("[data-testid=apply-params]").click(None).await?;
    expect(page.locator("[data-testid=report-table] tbody tr")).to_have_count(2).await?;

    // Shared: a password, north fixed, downloads allowed.
    page.locator("[data-testid=link-password]").fill("contraseña segura", None).await?;
    page.locator("[data-testid=lock-region]").fill("norte", None).await?;
    page.locator("[data-testid=link-export]").check(None).await?;
    page.locator("[data-testid=create-link]").click(None).await?;
    let url_box = page.locator("[data-testid=link-url]");
    expect(url_box.clone()).to_be_visible().await?;
    let url: String = url_box.evaluate::<String, ()>("e => e.value", None).await?;
    let token = url.rsplit('/').next().unwrap_or_default().to_string();
    assert!(token.starts_with("dgs_l_"), "{url}");
    expect(page.locator("[data-testid=link-row]")).to_have_count(1).await?;
    shot(&page, "report-shared-desktop-es").await?;

    // Without the password the data is refused; the JSON API says why.
    let anon = reqwest::Client::new();
    let r = anon.get(server.url(&format!("/api/v1/shared/{token}"))).send().await?;
    assert_eq!(r.status(), 401);

    // Someone with no account, in a fresh browser.
    let (_pw2, _browser2, viewer) = launch().await?;
    viewer.goto(&server.url(&format!("/s/{token}")), None).await?;
    viewer.locator("[data-testid=link-password]").fill("contraseña segura", None).await?;
    viewer.locator("[data-testid=link-unlock]").click(None).await?;
    expect(viewer.locator("[data-testid=shared-title]")).to_have_text("Ventas por canal").await?;
    expect(viewer.locator("[data-testid=locked-region]")).to_contain_text("norte").await?;
    let rows = viewer.locator("[data-testid=shared-table] tbody tr");
    expect(rows.clone()).to_have_count(3).await?;
    expect(viewer.locator("[data-testid=shared-table]")).not().to_contain_text("300").await?;
    expect(viewer.locator("[data-testid=shared-chart] svg")).to_be_visible().await?;
    assert_eq!(viewer.locator("nav, a[href='/datasets'], a[href='/reports']").count().await?, 0, "nothing leads into the app");
    viewer.locator("[data-testid=param-importe]").fill("100", None).await?;
    viewer.locator("[data-testid=apply-params]").click(None).await?;
    expect(rows.clone()).to_have_count(2).await?;
    expect(viewer.locator("[data-testid=shared-table]")).to_contain_text("search").await?;
    shot(&viewer, "shared-report-desktop-es").await?;
    // The locked region cannot be asked for through the address either.
    let sneaky = anon.get(server.url(&format!("/api/v1/shared/{token}?region=sur"))).header("x-link-unlock", "none").send().await?;
    assert_eq!(sneaky.status(), 401, "a protected link answers nothing without its password");

    // The XLSX of what the viewer sees: north, at least 100.
    let unlocked: Value = anon.post(server.url(&format!("/api/v1/shared/{token}/unlock"))).json(&json!({ "password": "contraseña segura" })).send().await?.json().await?;
    let key = unlocked["unlock"].as_str().unwrap_or_default().to_string();
    let tried = anon.get(server.url(&format!("/api/v1/shared/{token}?region=sur"))).header("x-link-unlock", &key).send().await?;
    assert_eq!(tried.status(), 400, "the link fixes the region");
    let href = viewer.locator("[data-testid=export-xlsx]").get_attribute("href").await?.unwrap_or_default().replace("&amp;", "&");
    let file = anon.get(server.url(&href)).header("x-link-unlock", &key).send().await?;
    assert_eq!(file.status(), 200);
    let bytes = file.bytes().await?;
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec()))?;
    let sheet = book.worksheet_range_at(0).ok_or_else(|| anyhow::anyhow!("no sheet"))??;
    let cells: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(cells.len(), 3, "{cells:?}");
    assert_eq!(cells[0][..3], ["canal", "n", "total"]);
    assert_eq!(cells[1][0], "search");
    assert_eq!(cells[2][..3], ["social", "1", "200"]);

    // The page's own headers: nothing may run or frame it, it is not indexed, it leaks no referrer.
    let page_answer = anon.get(server.url(&format!("/s/{token}"))).send().await?;
    let h = page_answer.headers();
    let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(csp.starts_with("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    assert_eq!(h.get("x-robots-tag").and_then(|v| v.to_str().ok()), Some("noindex, nofollow"));
    assert_eq!(h.get("referrer-policy").and_then(|v| v.to_str().ok()), Some("same-origin"));
    // Suggestions keep the lock: the region's only value is the locked one.
    let values: Value = anon.get(server.url(&format!("/api/v1/shared/{token}/suggest?field=region"))).header("x-link-unlock", &key).send().await?.json().await?;
    assert_eq!(values, json!(["norte"]));
    let amounts: Value = anon.get(server.url(&format!("/api/v1/shared/{token}/suggest?field=importe"))).header("x-link-unlock", &key).send().await?.json().await?;
    assert!(amounts.as_array().is_some_and(|a| !a.is_empty() && !a.contains(&json!(300.0)) && !a.contains(&json!(300))), "no value of the south: {amounts}");
    // Phone width, English.
    viewer.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    viewer.goto(&server.url(&format!("/s/{token}?lang=en")), None).await?;
    expect(viewer.locator("[data-testid=shared-title]")).to_be_visible().await?;
    expect(viewer.locator("body")).to_contain_text("A read-only report shared").await?;
    shot(&viewer, "shared-report-phone-en").await?;

    // Revoked: the very next request is refused, as an unknown link is.
    page.locator("[data-testid=revoke-link]").click(None).await?;
    expect(page.locator("[data-testid=link-status]")).to_contain_text("Inactivo").await?;
    viewer.reload(None).await?;
    expect(viewer.locator("[data-testid=link-unavailable]")).to_be_visible().await?;
    let gone = anon.get(server.url(&format!("/api/v1/shared/{token}"))).header("x-link-unlock", &key).send().await?;
    let unknown = anon.get(server.url("/api/v1/shared/dgs_l_never")).send().await?;
    assert_eq!((gone.status().as_u16(), unknown.status().as_u16()), (404, 404));
    assert_eq!(gone.text().await?, unknown.text().await?, "revoked and unknown answer alike");

    // A link without exports answers an export as an unknown link.
    let report_id = page.url().rsplit('/').next().unwrap_or_default().to_string();
    let plain: Value = api.post(server.url(&format!("/api/v1/reports/{report_id}/links"))).json(&json!({})).send().await?.json().await?;
    let plain_token = plain["token"].as_str().unwrap_or_default();
    let refused = anon.get(server.url(&format!("/api/v1/shared/{plain_token}/export?format=csv"))).send().await?;
    assert_eq!(refused.status(), 404);
    let opened = anon.get(server.url(&format!("/api/v1/shared/{plain_token}"))).send().await?;
    assert_eq!(opened.status(), 200);

    // The list, the report and the builder at phone width, in English.
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.goto(&server.url("/reports"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("select.locale").select_option("en", None).await?;
    expect(page.locator("#reports-title")).to_have_text("Reports").await?;
    shot(&page, "reports-phone-en").await?;
    page.locator("[data-testid=report-row] a").first().click(None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=report-chart] svg")).to_be_visible().await?;
    shot(&page, "report-phone-en").await?;
    Ok(())
}
