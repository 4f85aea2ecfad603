//! The rows grid in a real browser (Debian's Chromium): a cell edited in place and refused as it
//! is typed by the same rules the server runs, a 3×5 block pasted from the clipboard (and a bad
//! block refused whole), the paste undone, a conflict when two sessions edit the same row, fill
//! down, a block edit, the row's history, search, a filter and a saved view; then a
//! table of 1,000,000 rows, whose first rows and last rows are timed and printed.

mod common;

use std::time::{Duration, Instant};

use common::{assert_no_console_errors, launch, shots_dir, sign_in};
use end2end::TestServer;
use playwright_rs::{ScreenshotOptions, expect};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

struct Api {
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn new(server: &TestServer) -> anyhow::Result<Api> {
        let session = server.client("root", PASSWORD).await?;
        let token: Value = session.post(server.url("/api/v1/tokens")).json(&json!({ "name": "grid", "scope": "admin" })).send().await?.error_for_status()?.json().await?;
        Ok(Api { http: reqwest::Client::new(), token: token["token"].as_str().unwrap_or_default().to_string() })
    }

    async fn post(&self, server: &TestServer, path: &str, body: Value) -> anyhow::Result<Value> {
        let res = self.http.post(server.url(path)).bearer_auth(&self.token).json(&body).send().await?;
        let status = res.status();
        let body: Value = res.json().await?;
        anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
        Ok(body)
    }

    /// A table with a mandatory Decimal `price` (≥ 0) and an Int `qty`, and a check on both.
    async fn table(&self, server: &TestServer, name: &str) -> anyhow::Result<(String, String)> {
        let t = self.post(server, "/api/v1/metadata/tables", json!({ "table_name": name })).await?;
        let tid = t["id"].as_str().unwrap_or_default().to_string();
        let mut price_id = String::new();
        for (i, (col, ty)) in [("price", "Decimal"), ("qty", "Int")].into_iter().enumerate() {
            let c = self.post(server, "/api/v1/metadata/columns", json!({ "column_name": format!("{}_{col}", name.to_lowercase()), "data_type": ty })).await?;
            let mut prop = json!({ "logical_table_id": tid, "column_definition_id": c["id"], "display_order": i + 1 });
            if col == "price" {
                price_id = c["id"].as_str().unwrap_or_default().to_string();
                prop["is_mandatory"] = json!(true);
                prop["validation_rule_type"] = json!("range");
                prop["validation_parameters"] = json!({ "min": 0 });
            }
            self.post(server, "/api/v1/metadata/properties", prop).await?;
        }
        let lower = name.to_lowercase();
        let check = json!({ "logical_table_id": tid, "constraint_name": "qty_sane", "constraint_type": "CHECK",
                            "check_expression": format!("{lower}_qty is null or {lower}_qty < 1000"), "error_message": "la cantidad debe ser menor que 1000" });
        self.post(server, "/api/v1/metadata/constraints", check).await?;
        Ok((tid, price_id))
    }
}


fn cell(row: i64, col: usize) -> String {
    format!("[data-testid=grid-row][aria-rowindex='{}'] .grid2-cell[data-col='{col}']", row + 2)
}

async fn paste(page: &playwright_rs::Page, tsv: &str) -> anyhow::Result<()> {
    let js = "(el, text) => { const dt = new DataTransfer(); dt.setData('text/plain', text); \
              el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true })); }";
    page.locator("[data-testid=grid]").evaluate::<(), String>(js, Some(tsv.to_string())).await?;
    Ok(())
}

async fn prices(db: &sqlx::PgPool, table_id: &str, price_id: &str) -> anyhow::Result<Vec<(String, Option<f64>, i32)>> {
    let t = uuid::Uuid::parse_str(table_id)?.simple().to_string();
    let c = uuid::Uuid::parse_str(price_id)?.simple().to_string();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT code, c_{c}::float8, version FROM eav.t_{t} ORDER BY code"))).fetch_all(db).await?)
}

#[tokio::test]
async fn cells_are_edited_pasted_undone_and_a_conflict_is_offered_to_resolve() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let api = Api::new(&server).await?;
    let (table_id, price_id) = api.table(&server, "ITEMS").await?;
    let ops: Vec<Value> = (0..20)
        .map(|i| json!({ "type": "create", "fields": { "code": format!("I-{i:02}"), "display_value": format!("Item {i}"), "column_values": { "items_price": 10 + i, "items_qty": i } } }))
        .collect();
    api.post(&server, "/api/v1/data/ITEMS/batch", json!({ "operations": ops })).await?;
    // A check added soft: the rows from I-15 on break it and stay, marked in the grid.
    let soft = json!({ "logical_table_id": table_id, "constraint_name": "early_codes", "constraint_type": "CHECK", "check_expression": "code < 'I-15'",
                       "error_message": "códigos antiguos", "soft": true });
    api.post(&server, "/api/v1/metadata/constraints", soft).await?;
    let db = server.db().await?;

    let (_pw, browser, page) = launch().await?;
    sign_in(&page, &server, "root", PASSWORD).await?;
    page.goto(&server.url("/tables/ITEMS"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=rows-total]")).to_have_text("20").await?;
    page.locator(&cell(0, 0)).click(None).await?;
    page.keyboard().press("Control+End", None).await?;
    expect(page.locator(&format!("{}.soft-violation", cell(19, 0)))).to_have_attribute("title", "códigos antiguos").await?;
    expect(page.locator(&format!("{}.soft-violation", cell(14, 0)))).to_have_count(0).await?;
    page.keyboard().press("Control+Home", None).await?;

    // A price typed below zero is refused on the cell as it is typed; Esc leaves it as it was.
    page.locator(&cell(0, 2)).click(None).await?;
    page.keyboard().type_text("-3", None).await?;
    expect(page.locator(&format!("{}.invalid", cell(0, 2)))).to_be_visible().await?;
    page.keyboard().press("Escape", None).await?;
    expect(page.locator(&cell(0, 2))).to_have_text("10").await?;
    // A good one is saved with Enter, and the selection moves down.
    page.keyboard().type_text("11,25", None).await?;
    page.keyboard().press("Enter", None).await?;
    expect(page.locator(&format!("{}.selected", cell(1, 2)))).to_be_visible().await?;
    expect(page.locator(&cell(0, 2))).to_have_text("11.25").await?;
    let stored = prices(&db, &table_id, &price_id).await?;
    assert_eq!((stored[0].1, stored[0].2), (Some(11.25), 2), "{stored:?}");
    // The table's check, evaluated in the browser: nothing is sent.
    page.locator(&cell(1, 3)).click(None).await?;
    page.keyboard().type_text("5000", None).await?;
    page.keyboard().press("Enter", None).await?;
    expect(page.locator("[data-testid=grid-note]")).to_contain_text("la cantidad debe ser menor que 1000").await?;
    page.keyboard().press("Escape", None).await?;

    // A 3×5 block pasted from a spreadsheet at row 3: codes, names, prices, quantities, active.
    page.locator(&cell(3, 0)).click(None).await?;
    let block = "I-03\tTres\t3,5\t30\tsí\nI-04\tCuatro\t4.5\t40\tno\nI-05\tCinco\t5\t50\tsí\n";
    paste(&page, block).await?;
    expect(page.locator(&cell(4, 1))).to_have_text("Cuatro").await?;
    expect(page.locator(&cell(4, 4))).to_have_text("—").await?;
    let stored = prices(&db, &table_id, &price_id).await?;
    assert_eq!(stored[3..6].iter().map(|r| r.1).collect::<Vec<_>>(), vec![Some(3.5), Some(4.5), Some(5.0)]);
    page.screenshot_to_file(&shots_dir().join("grid-pasted-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;

    // A block with one bad cell is refused whole: nothing changes.
    paste(&page, "I-03\tOtro\t-1\t1\tsí\nI-04\tOtro\t1\t1\tsí\n").await?;
    expect(page.locator("[data-testid=grid-note]")).to_contain_text("items_price").await?;
    assert_eq!(prices(&db, &table_id, &price_id).await?, stored, "a refused paste writes nothing");

    // Undo: the pasted block goes back to what it was.
    page.locator("[data-testid=grid]").focus().await?;
    page.keyboard().press("Control+z", None).await?;
    expect(page.locator(&cell(4, 1))).to_have_text("Item 4").await?;
    let undone = prices(&db, &table_id, &price_id).await?;
    assert_eq!(undone[3..6].iter().map(|r| r.1).collect::<Vec<_>>(), vec![Some(13.0), Some(14.0), Some(15.0)]);

    // Two sessions on the same row: the second to save meets the first's change, and chooses.
    let other_ctx = browser.new_context().await?;
    let other = other_ctx.new_page().await?;
    sign_in(&other, &server, "root", PASSWORD).await?;
    other.goto(&server.url("/tables/ITEMS"), None).await?;
    other.locator("body[data-hydrated=true]").wait_for(None).await?;
    other.locator(&cell(7, 2)).click(None).await?;
    other.keyboard().type_text("70", None).await?;
    other.keyboard().press("Enter", None).await?;
    expect(other.locator(&cell(7, 2))).to_have_text("70").await?;
    page.locator(&cell(7, 2)).click(None).await?;
    page.keyboard().type_text("77", None).await?;
    page.keyboard().press("Enter", None).await?;
    expect(page.locator("[data-testid=conflict]")).to_be_visible().await?;
    expect(page.locator("[data-testid=conflict-values] tbody tr")).to_contain_text("70").await?;
    page.screenshot_to_file(&shots_dir().join("grid-conflict-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.locator("[data-testid=conflict-overwrite]").click(None).await?;
    expect(page.locator(&cell(7, 2))).to_have_text("77").await?;
    let row7 = prices(&db, &table_id, &price_id).await?[7].clone();
    assert_eq!((row7.1, row7.2), (Some(77.0), 3), "overwritten on top of the other session's version");

    // Fill down (Ctrl+D) over a block, and one value typed into a whole block (Ctrl+Enter).
    page.locator(&cell(10, 3)).click(None).await?;
    page.locator(&cell(12, 3)).click(Some(playwright_rs::protocol::ClickOptions::builder().modifiers(vec![playwright_rs::protocol::KeyboardModifier::Shift]).build())).await?;
    page.keyboard().press("Control+d", None).await?;
    expect(page.locator(&cell(12, 3))).to_have_text("10").await?;
    expect(page.locator(&cell(11, 3))).to_have_text("10").await?;
    page.locator(&cell(8, 1)).click(None).await?;
    page.keyboard().press("Shift+ArrowDown", None).await?;
    page.keyboard().type_text("Igual", None).await?;
    page.keyboard().press("Control+Enter", None).await?;
    expect(page.locator(&cell(9, 1))).to_have_text("Igual").await?;
    expect(page.locator(&cell(8, 1))).to_have_text("Igual").await?;

    // The history of the conflicted row: the other session's change and mine, who and what.
    page.locator(&cell(7, 2)).click(None).await?;
    page.locator("[data-testid=open-history]").click(None).await?;
    expect(page.locator("[data-testid=row-change]")).to_have_count(2).await?;
    expect(page.locator("[data-testid=row-change]").first()).to_contain_text("77").await?;
    page.screenshot_to_file(&shots_dir().join("grid-history-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;

    // Sorted by quantity descending, then (Shift+click) by code: I-12, I-11, I-10 share 10 and stay in code order.
    let sort = page.locator("[data-testid=sort]");
    sort.nth(3).click(None).await?;
    sort.nth(3).click(None).await?;
    sort.nth(0).click(Some(playwright_rs::protocol::ClickOptions::builder().modifiers(vec![playwright_rs::protocol::KeyboardModifier::Shift]).build())).await?;
    expect(sort.nth(3)).to_contain_text("▼1").await?;
    expect(page.locator(&cell(0, 0))).to_have_text("I-19").await?;
    expect(page.locator(&cell(7, 0))).to_have_text("I-10").await?;
    expect(page.locator(&cell(8, 0))).to_have_text("I-11").await?;
    // A plain click sorts by that column alone (code was ascending: now descending, then back).
    sort.nth(0).click(None).await?;
    expect(page.locator(&cell(0, 0))).to_have_text("I-19").await?;
    sort.nth(0).click(None).await?;
    expect(page.locator(&cell(0, 0))).to_have_text("I-00").await?;

    // Search, a filter on top of it, a view saved and brought back.
    page.locator("[data-testid=grid-search]").fill("item 1", None).await?;
    page.locator("[data-testid=grid-search]").press("Enter", None).await?;
    expect(page.locator("[data-testid=rows-total]")).to_have_text("11").await?;
    page.locator("[data-testid=filter-field]").select_option("items_price", None).await?;
    page.locator("[data-testid=filter-op]").select_option(">", None).await?;
    page.locator("[data-testid=filter-value]").fill("15", None).await?;
    page.locator("[data-testid=add-filter]").click(None).await?;
    expect(page.locator("[data-testid=rows-total]")).to_have_text("10").await?;
    expect(page.locator(&cell(0, 0))).to_have_text("I-10").await?;
    page.locator("[data-testid=view-name]").fill("caros", None).await?;
    page.locator("[data-testid=save-view]").click(None).await?;
    page.locator("[data-testid=active-filters] .chip-x").click(None).await?;
    expect(page.locator("[data-testid=rows-total]")).to_have_text("11").await?;
    page.locator("[data-testid=saved-views]").select_option("caros", None).await?;
    expect(page.locator("[data-testid=rows-total]")).to_have_text("10").await?;
    page.screenshot_to_file(&shots_dir().join("grid-filtered-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;

    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("grid-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    assert_no_console_errors();
    Ok(())
}

#[tokio::test]
async fn a_grid_over_a_million_rows_paints_its_first_and_its_last_rows_quickly() -> anyhow::Result<()> {
    const N: i64 = 1_000_000;
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let api = Api::new(&server).await?;
    let (table_id, price_id) = api.table(&server, "BIG").await?;
    // The rows are generated in the database (the import path is measured by its own benchmark).
    let db = server.db().await?;
    let t = uuid::Uuid::parse_str(&table_id)?.simple().to_string();
    let c = uuid::Uuid::parse_str(&price_id)?.simple().to_string();
    let started = Instant::now();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO eav.t_{t} (id, code, display_value, c_{c}) SELECT gen_random_uuid(), 'R' || lpad(g::text, 7, '0'), 'Row ' || g, g * 1.5
         FROM generate_series(1, {N}) AS g"
    )))
    .execute(&db)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE eav.t_{t}"))).execute(&db).await?;
    println!("generated {N} rows in {:.1} s", started.elapsed().as_secs_f64());

    let (_pw, _browser, page) = launch().await?;
    sign_in(&page, &server, "root", PASSWORD).await?;
    let start = Instant::now();
    page.goto(&server.url("/tables/BIG"), None).await?;
    expect(page.locator(&cell(0, 0))).to_have_text("R0000001").await?;
    let first_paint = start.elapsed();
    let total = page.locator("[data-testid=rows-total]").text_content().await?.unwrap_or_default();
    assert_eq!(total.chars().filter(char::is_ascii_digit).collect::<String>(), N.to_string(), "{total}");
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator(&cell(0, 0)).click(None).await?;
    let start = Instant::now();
    page.keyboard().press("Control+End", None).await?;
    expect(page.locator(&cell(N - 1, 0))).to_have_text("R1000000").await?;
    let to_end = start.elapsed();
    let start = Instant::now();
    page.keyboard().press("Control+Home", None).await?;
    expect(page.locator(&cell(0, 0))).to_have_text("R0000001").await?;
    let back = start.elapsed();
    // The middle, by dragging the scrollbar to half-way.
    let start = Instant::now();
    page.locator("[data-testid=grid]").evaluate::<(), ()>("el => { el.scrollTop = (el.scrollHeight - el.clientHeight) / 2; }", None).await?;
    expect(page.locator("[data-testid=grid-row] .grid2-cell[data-col='0']:has-text('R05')").first()).to_be_visible().await?;
    let middle = start.elapsed();
    println!(
        "grid over {N} rows: first rows painted {:.0} ms after navigation; Ctrl+End to the last row {:.0} ms; back to the first {:.0} ms; scrollbar to the middle {:.0} ms",
        first_paint.as_secs_f64() * 1000.0,
        to_end.as_secs_f64() * 1000.0,
        back.as_secs_f64() * 1000.0,
        middle.as_secs_f64() * 1000.0
    );
    page.screenshot_to_file(&shots_dir().join("grid-million-desktop.png"), ScreenshotOptions::builder().full_page(false).build()).await?;
    assert!(to_end < Duration::from_secs(30) && first_paint < Duration::from_secs(30), "the grid answered at all");
    assert_no_console_errors();
    Ok(())
}
