//! Governed tables and imports in a real browser (Debian's Chromium): an admin creates a table in
//! the editor, adds columns, a check whose expression is judged as it is typed, and a unique; then
//! imports a dataset into it — a dry run first that lists the rejected rows, the import with its live
//! progress and counts, the rejected rows, the rollback — and opens the rows. Screenshots at desktop
//! and phone widths, in Spanish and English, land in `$CARGO_TARGET_DIR/screenshots/`.

mod common;

use common::{assert_no_console_errors, launch, shot, sign_in};
use end2end::{TestServer, upload_dataset};
use playwright_rs::expect;

const PASSWORD: &str = "a long enough secret";

/// Eleven products: two with a negative price (the check refuses them), one repeating an EAN of
/// the file, one with the EAN of a discontinued product already in the table (the unique refuses both).
fn products_csv() -> Vec<u8> {
    let mut csv = String::from("sku,nombre,precio,ean\n");
    for i in 0..11 {
        let price = if i == 3 || i == 7 { "-5.00".to_string() } else { format!("{}.50", 10 + i) };
        let ean = match i {
            9 => "8400000000001".to_string(),
            10 => "8400000000099".to_string(),
            _ => format!("84000000000{:02}", i + 1),
        };
        csv.push_str(&format!("P-{i:03},Producto número {i},{price},{ean}\n"));
    }
    csv.into_bytes()
}


#[tokio::test]
async fn an_admin_defines_a_table_and_imports_a_dataset_with_a_dry_run_first() -> anyhow::Result<()> {
    let server = TestServer::start(&[("IMPORT_LEASE_SECS", "5")]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let api = server.client("root", PASSWORD).await?;
    let dataset = upload_dataset(&server, &api, "productos.csv", products_csv(), "nombre").await?;
    assert_eq!(dataset["rows"], 11, "{dataset}");

    let (_pw, _browser, page) = launch().await?;
    sign_in(&page, &server, "root", PASSWORD).await?;

    // The table, from the list's form; its schema screen opens.
    page.goto(&server.url("/tables"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=no-tables]")).to_be_visible().await?;
    page.locator("[data-testid=new-table-name]").fill("PRODUCTOS", None).await?;
    page.locator("[data-testid=create-table]").click(None).await?;
    page.wait_for_url("**/tables/PRODUCTOS/schema", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    for (name, ty, mandatory) in [("precio", "Decimal", true), ("ean", "String", false)] {
        page.locator("[data-testid=column-name]").fill(name, None).await?;
        page.locator("[data-testid=column-type]").select_option(ty, None).await?;
        if mandatory {
            page.locator("[data-testid=column-mandatory]").check(None).await?;
        }
        if name == "ean" {
            // A rule whose parameters are read as they are typed.
            page.locator("[data-testid=column-rule]").select_option("length", None).await?;
            page.locator("[data-testid=column-rule-params]").fill("{\"min\": ", None).await?;
            expect(page.locator("[data-testid=column-rule-verdict]")).to_contain_text("JSON").await?;
            expect(page.locator("[data-testid=add-column-submit]")).to_be_disabled().await?;
            page.locator("[data-testid=column-rule-params]").fill("{\"min\": 13, \"max\": 13}", None).await?;
            expect(page.locator("[data-testid=add-column-submit]")).to_be_enabled().await?;
        }
        page.locator("[data-testid=add-column-submit]").click(None).await?;
        expect(page.locator(&format!("[data-testid=column-row]:has-text('{name}')"))).to_be_visible().await?;
        page.locator("body[data-hydrated=true]").wait_for(None).await?;
    }

    // Columns reorder: ean first now (a button; dragging a row does the same).
    page.locator("[data-testid=column-row]:has-text('ean') [data-testid=column-up]").click(None).await?;
    expect(page.locator("[data-testid=column-row]").first()).to_contain_text("ean").await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    // The check is judged while it is typed, by the same parser the server runs.
    page.locator("[data-testid=constraint-name]").fill("precio_positivo", None).await?;
    let expression = page.locator("[data-testid=check-expression]");
    let verdict = page.locator("[data-testid=expression-verdict]");
    expression.fill("precio >=", None).await?;
    expect(verdict.clone()).not().to_contain_text("válida").await?;
    expect(page.locator("[data-testid=add-constraint-submit]")).to_be_disabled().await?;
    expression.fill("precio >= 0 and colour = 'x'", None).await?;
    expect(verdict.clone()).to_contain_text("colour").await?;
    expression.fill("precio >= 0", None).await?;
    expect(verdict.clone()).to_contain_text("válida").await?;
    page.locator("[data-testid=check-message]").fill("El precio no puede ser negativo", None).await?;
    page.locator("[data-testid=add-constraint-submit]").click(None).await?;
    expect(page.locator("[data-testid=constraint-row]:has-text('precio_positivo')")).to_be_visible().await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=kind-unique]").check(None).await?;
    page.locator("[data-testid=constraint-name]").fill("ean_unico", None).await?;
    page.locator("[data-testid=unique-ean]").check(None).await?;
    page.locator("[data-testid=add-constraint-submit]").click(None).await?;
    expect(page.locator("[data-testid=constraint-row]:has-text('ean_unico')")).to_be_visible().await?;
    expect(page.locator("[data-testid=schema-history] li:has-text('constraint')").first()).to_be_visible().await?;
    // Between two versions: the two constraints added after the reordering.
    page.locator("[data-testid=history-from]").select_option("5", None).await?;
    expect(page.locator("[data-testid=schema-history] li")).to_have_count(2).await?;
    page.locator("[data-testid=history-from]").select_option("0", None).await?;
    shot(&page, "table-schema-desktop").await?;

    // A discontinued product holds the EAN a new one will bring.
    let old = api
        .post(server.url("/api/v1/data/PRODUCTOS"))
        .json(&serde_json::json!({ "code": "Z-1", "display_value": "Descatalogado", "column_values": { "precio": 1, "ean": "8400000000099" } }))
        .send()
        .await?;
    assert_eq!(old.status(), 201);

    // The import: table and dataset chosen, mapping matched by name, a dry run first.
    page.goto(&server.url("/imports/new?table=PRODUCTOS"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let dataset_id = dataset["id"].as_str().unwrap_or_default().to_string();
    page.locator("[data-testid=import-source]").select_option(dataset_id.as_str(), None).await?;
    expect(page.locator("[data-testid=mapping-row]")).to_have_count(4).await?;
    page.locator("[data-testid=map-code]").select_option("sku", None).await?;
    page.locator("[data-testid=dry-run]").click(None).await?;
    let report = page.locator("[data-testid=dry-run-report]");
    expect(report.clone()).to_be_visible().await?;
    expect(page.locator("[data-testid=dry-inserted]")).to_have_text("7").await?;
    expect(page.locator("[data-testid=dry-rejected]")).to_have_text("4").await?;
    expect(page.locator("[data-testid=record-error]")).to_have_count(4).await?;
    expect(page.locator("[data-testid=record-error]").first()).to_contain_text("El precio no puede ser negativo").await?;
    expect(page.locator("[data-testid=record-error]").last()).to_contain_text("ean").await?;
    shot(&page, "import-dry-run-desktop").await?;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM migration_jobs WHERE status <> 'PROCESSING'").fetch_one(&server.db().await?).await?;
    assert_eq!(rows, 0, "a dry run leaves no job behind");

    // The import itself: its page follows it to the end.
    page.locator("[data-testid=start-import]").click(None).await?;
    page.wait_for_url("**/imports/jobs/*", None).await?;
    expect(page.locator("[data-testid=job-status][data-status=PARTIALLY_SUCCEEDED]")).with_timeout(std::time::Duration::from_secs(20)).to_be_visible().await?;
    expect(page.locator("[data-testid=job-inserted]")).to_have_text("7").await?;
    expect(page.locator("[data-testid=job-rejected]")).to_have_text("4").await?;
    expect(page.locator("[data-testid=record-error]")).to_have_count(4).await?;
    expect(page.locator("[data-testid=download-rejected]")).to_be_visible().await?;
    shot(&page, "import-job-desktop").await?;

    // In the grid: the discontinued product's EAN cleared (the last row; EAN is the first column
    // after the name), then the same import again — the record refused for it goes in.
    page.goto(&server.url("/tables/PRODUCTOS"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=grid-row]")).to_have_count(8).await?;
    let ean_of_z1 = "[data-testid=grid-row][aria-rowindex='9'] .grid2-cell[data-col='2']";
    expect(page.locator(ean_of_z1)).to_have_text("8400000000099").await?;
    page.locator(ean_of_z1).click(None).await?;
    page.keyboard().press("Delete", None).await?;
    page.keyboard().press("Enter", None).await?;
    expect(page.locator(ean_of_z1)).to_have_text("").await?;
    shot(&page, "table-rows-desktop").await?;
    page.goto(&server.url("/imports"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=import-configs] a.btn").first().click(None).await?;
    page.wait_for_url("**/imports/new?config=*", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=mapping-row]")).to_have_count(4).await?;
    page.locator("[data-testid=start-import]").click(None).await?;
    page.wait_for_url("**/imports/jobs/*", None).await?;
    expect(page.locator("[data-testid=job-status][data-status=PARTIALLY_SUCCEEDED]")).with_timeout(std::time::Duration::from_secs(20)).to_be_visible().await?;
    expect(page.locator("[data-testid=job-inserted]")).to_have_text("1").await?;
    expect(page.locator("[data-testid=job-unchanged]")).to_have_text("7").await?;
    expect(page.locator("[data-testid=job-rejected]")).to_have_text("3").await?;
    page.goto(&server.url("/tables"), None).await?;
    expect(page.locator("[data-testid=table-row]")).to_contain_text("9").await?;
    shot(&page, "tables-desktop").await?;
    page.goto(&server.url("/imports"), None).await?;
    expect(page.locator("[data-testid=import-job-row]")).to_have_count(2).await?;
    shot(&page, "imports-desktop").await?;

    // Phone width, and English.
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    for path in ["/tables", "/tables/PRODUCTOS", "/tables/PRODUCTOS/schema", "/imports", "/imports/new"] {
        page.goto(&server.url(path), None).await?;
        page.locator("body[data-hydrated=true]").wait_for(None).await?;
        shot(&page, &format!("{}-phone", path.trim_start_matches('/').replace('/', "-").to_lowercase())).await?;
    }
    page.locator("select.locale").select_option("en", None).await?;
    page.goto(&server.url("/imports"), None).await?;
    page.locator("[data-testid=import-job-row] a").first().click(None).await?;
    page.wait_for_url("**/imports/jobs/*", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=job-status]")).to_contain_text("Partial").await?;
    shot(&page, "import-job-phone-en").await?;

    // Rollback of the second import: the row it inserted goes, the job says so.
    page.locator("[data-testid=rollback]").click(None).await?;
    page.locator("[data-testid=confirm-rollback]").click(None).await?;
    expect(page.locator("[data-testid=job-status][data-status=ROLLED_BACK]")).to_be_visible().await?;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM migration_changes c JOIN migration_jobs j ON j.id = c.job_id WHERE j.status = 'ROLLED_BACK'")
        .fetch_one(&server.db().await?)
        .await?;
    assert_eq!(left, 1, "the job keeps what it did, for the record");
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
    page.goto(&server.url("/tables/PRODUCTOS"), None).await?;
    expect(page.locator("[data-testid=grid-row]")).to_have_count(8).await?;
    page.goto(&server.url("/tables/PRODUCTOS/schema"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    shot(&page, "table-schema-desktop-en").await?;
    // Every new screen in English, at desktop and phone widths, to look at.
    for (width, height, tag) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        page.set_viewport_size(playwright_rs::protocol::Viewport { width, height }).await?;
        for path in ["/tables", "/tables/PRODUCTOS", "/imports", "/imports/new?table=PRODUCTOS"] {
            page.goto(&server.url(path), None).await?;
            page.locator("body[data-hydrated=true]").wait_for(None).await?;
            let name = path.trim_start_matches('/').replace(['/', '?', '='], "-").to_lowercase();
            shot(&page, &format!("en-{name}-{tag}")).await?;
        }
    }
    assert_no_console_errors();
    Ok(())
}
