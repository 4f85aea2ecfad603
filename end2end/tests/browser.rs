//! The thin slice in a real browser (Debian's Chromium, driven by playwright): create the first
//! administrator, upload a CSV, pick the column, watch the run progress live without a reload, see
//! the results and download them. Screenshots land in `$CARGO_TARGET_DIR/screenshots/`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{launch, shots_dir};
use end2end::TestServer;
use playwright_rs::protocol::Download;
use playwright_rs::{ScreenshotOptions, expect};

fn ledger_csv(dir: &tempfile::TempDir) -> anyhow::Result<PathBuf> {
    let mut csv = String::from("fecha,concepto,importe\n");
    let concepts = ["Taxi aeropuerto", "Restaurante La Tagliatella", "Factura Iberdrola luz", "Toner impresora oficina", "Licencia Microsoft 365", "Asesoría fiscal trimestre"];
    for i in 0..60 {
        csv.push_str(&format!("2024-04-{:02},{} {},{}.50\n", i % 28 + 1, concepts[i % concepts.len()], i / 2, i));
    }
    let path = dir.path().join("gastos-abril.csv");
    std::fs::write(&path, csv)?;
    Ok(path)
}

#[tokio::test]
async fn first_admin_uploads_classifies_watches_live_and_downloads() -> anyhow::Result<()> {
    // The model server is real HTTP speaking the OpenAI protocol; the default provider stays offline.
    let model = llm_testserver::LlmTestServer::start().await?;
    model.set_latency(Duration::from_millis(200));
    let base = model.base_url();
    let env = [("OFFLINE_CHUNK_DELAY_MS", "250"), ("LLM_CHUNK_SIZE", "3"), ("LLM_PROVIDER", "offline"), ("OPENAI_BASE_URL", base.as_str()), ("LLM_CONCURRENCY_LIMIT", "2")];
    let server = TestServer::start(&env).await?;
    let (pw, browser, page) = launch().await?;

    // First run: no user exists, so the setup page creates the administrator.
    page.goto(&server.url("/setup"), None).await?;
    let password = page.locator("input[name=password]");
    let hint = page.locator("[data-testid=password-hint]");
    // The hint is computed in the browser as you type: it only changes once the wasm has hydrated.
    let mut hydrated = false;
    for attempt in 0..60 {
        password.fill(if attempt % 2 == 0 { "abc" } else { "abcd" }, None).await?;
        let text = hint.text_content().await?.unwrap_or_default();
        if text.contains(if attempt % 2 == 0 { "7" } else { "6" }) {
            hydrated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(hydrated, "the password hint never reacted: the page did not hydrate");
    page.locator("input[name=username]").fill("admin", None).await?;
    password.fill("a long admin password", None).await?;
    expect(hint.clone()).to_contain_text("correcta").await?;
    page.locator("button[type=submit]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;
    expect(page.locator("[data-testid=who]")).to_contain_text("admin").await?;
    // A full navigation: the file input's handler exists only once this page has hydrated too.
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    // Upload, from the wizard's own page: progress, then the table's counts, detected columns and first rows.
    page.locator("[data-testid=upload-link]").click(None).await?;
    page.wait_for_url("**/upload", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let dir = tempfile::tempdir()?;
    let csv = ledger_csv(&dir)?;
    page.locator("[data-testid=file-input]").set_input_files(&csv, None).await?;
    // The review step is a page of its own (a full load): its buttons work once it has hydrated.
    page.wait_for_url("**/uploads/*?step=review", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=rows-stored]")).with_timeout(Duration::from_secs(20)).to_contain_text("60").await?;
    expect(page.locator("[data-testid=rows-rejected]")).to_contain_text("0").await?;
    page.locator("[data-testid=show-preview]").click(None).await?;
    expect(page.locator("[data-testid=preview] tbody tr").first()).to_contain_text("Taxi aeropuerto").await?;
    page.screenshot_to_file(&shots_dir().join("upload-review-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("upload-review-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;

    // Cleaning: the description column is guessed, and the preview follows the options as they change.
    page.locator("[data-testid=to-clean]").click(None).await?;
    expect(page.locator("[data-testid=desc-concepto]")).to_be_checked().await?;
    expect(page.locator("[data-testid=sample-unique]")).to_contain_text("12").await?;
    page.screenshot_to_file(&shots_dir().join("upload-clean-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.locator("[data-testid=opt-noise]").check(None).await?;
    // Without the numbers, the twelve sample lines are six suppliers.
    expect(page.locator("[data-testid=sample-unique]")).to_contain_text("6 ").await?;
    page.locator("[data-testid=opt-noise]").uncheck(None).await?;
    page.locator("[data-testid=to-confirm]").click(None).await?;
    expect(page.locator("[data-testid=confirm-rows]")).to_contain_text("60").await?;
    page.locator("[data-testid=create-dataset]").click(None).await?;
    page.wait_for_url("**/datasets/**", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    // The dataset: statistics, and rows that page, sort and search.
    page.locator("[data-testid=classify][data-ready=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=stat-rows]")).to_contain_text("60").await?;
    expect(page.locator("[data-testid=stat-unique]")).to_contain_text("60").await?;
    expect(page.locator("[data-testid=rows-range]")).to_contain_text("1–50").await?;
    page.locator("[data-testid=rows-search]").fill("Iberdrola", None).await?;
    page.locator("[data-testid=rows-search]").press("Enter", None).await?;
    if let Err(e) = expect(page.locator("[data-testid=rows-range]")).to_contain_text("1–10").await {
        page.screenshot_to_file(&shots_dir().join("search-failed.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
        let value = page.locator("[data-testid=rows-search]").input_value(None).await.unwrap_or_default();
        anyhow::bail!("{e}; url {} input {value:?}", page.url());
    }
    expect(page.locator("[data-testid=rows-table] tbody tr").first()).to_contain_text("factura iberdrola luz").await?;
    page.screenshot_to_file(&shots_dir().join("dataset-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("dataset-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
    page.locator("[data-testid=classify][data-ready=true]").click(None).await?;
    page.wait_for_url("**/classify", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    // The plan before anything starts: 60 unique lines in chunks of 3.
    if let Err(e) = expect(page.locator("[data-testid=plan-calls]")).to_contain_text("20").await {
        page.screenshot_to_file(&shots_dir().join("classify-failed.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
        anyhow::bail!("{e}; url {}", page.url());
    }
    page.screenshot_to_file(&shots_dir().join("classify-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.locator("[data-testid=start-run]").click(None).await?;
    page.wait_for_url("**/runs/**", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    // Live progress: the counter moves while we watch, and the page is never reloaded.
    page.evaluate_expression("window.__still_here = true").await?;
    let counts = page.locator("[data-testid=run-counts]");
    let mut seen = Vec::new();
    for _ in 0..200 {
        let text = counts.text_content().await?.unwrap_or_default();
        if seen.last() != Some(&text) {
            seen.push(text.clone());
        }
        let status = page.locator("[data-testid=run-status]").text_content().await?.unwrap_or_default();
        if status.contains("Terminada") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.len() >= 3, "progress should have moved at least twice while watching: {seen:?}");
    expect(page.locator("[data-testid=run-status]")).with_timeout(Duration::from_secs(30)).to_contain_text("Terminada").await?;
    let still_here: bool = page.evaluate("() => window.__still_here === true", None::<&()>).await?;
    assert!(still_here, "the run page was reloaded");
    expect(counts.clone()).to_contain_text("60").await?;

    // Results: one row per original row, with category, score and reason.
    expect(page.locator("[data-testid=results] tbody tr").first()).to_contain_text("Viajes y transporte").await?;
    let rows = page.locator("[data-testid=results] tbody tr").count().await?;
    assert_eq!(rows, 50, "the first page holds 50 of the 60 rows");
    page.screenshot_to_file(&shots_dir().join("run-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;

    let waiter = page.expect_download(Some(30_000.0)).await?;
    page.locator("[data-testid=download-csv]").click(None).await?;
    let download: Download = waiter.wait().await?;
    let saved = dir.path().join("results.csv");
    download.save_as(&saved).await?;
    let text = std::fs::read_to_string(&saved)?;
    // What a spreadsheet set to Spanish opens as it should: byte order mark, ';', Spanish headers.
    let text = text.strip_prefix('\u{feff}').ok_or_else(|| anyhow::anyhow!("no byte order mark"))?;
    assert_eq!(text.lines().next(), Some("fecha;concepto;importe;categoría;puntuación;motivo"));
    assert_eq!(text.lines().count(), 61);
    assert!(text.contains("Factura Iberdrola luz 1;2.50;Suministros"), "{text}");

    // The same pages at phone width, for a person to look at.
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("run-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.goto(&server.url("/datasets"), None).await?;
    page.screenshot_to_file(&shots_dir().join("datasets-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    // An earlier upload opens again in the wizard, at its review step.
    page.locator("[data-testid=uploads] a").first().click(None).await?;
    page.wait_for_url("**/uploads/**", None).await?;
    expect(page.locator("[data-testid=rows-stored]")).to_contain_text("60").await?;

    // Prompts: write one, see what the model will read, save two versions.
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
    page.goto(&server.url("/prompts"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=prompt-list]")).to_contain_text("Gastos generales").await?;
    page.locator("[data-testid=new-prompt]").click(None).await?;
    page.locator("[data-testid=prompt-name]").fill("Mis gastos", None).await?;
    page.locator("[data-testid=category-name]").first().fill("Viajes", None).await?;
    page.locator("[data-testid=keyword-input]").first().fill("taxi", None).await?;
    page.locator("[data-testid=keyword-input]").first().press("Enter", None).await?;
    page.evaluate_expression("document.querySelector('[data-testid=compiled]').closest('details').open = true").await?;
    expect(page.locator("[data-testid=compiled]")).to_contain_text("1. Viajes").await?;
    expect(page.locator("[data-testid=compiled]")).to_contain_text("Keywords: taxi").await?;
    page.locator("[data-testid=save-prompt]").click(None).await?;
    expect(page.locator("[data-testid=saved]")).to_contain_text("1").await?;
    page.locator("[data-testid=add-category]").click(None).await?;
    page.locator("[data-testid=category-name]").nth(1).fill("Suministros", None).await?;
    page.locator("[data-testid=keyword-input]").nth(1).fill("iberdrola", None).await?;
    page.locator("[data-testid=keyword-input]").nth(1).press("Enter", None).await?;
    page.locator("[data-testid=save-prompt]").click(None).await?;
    expect(page.locator("[data-testid=saved]")).to_contain_text("2").await?;
    expect(page.locator("[data-testid=history] li")).to_have_count(2).await?;
    // Any two versions compared: v1 → v2 added a category.
    expect(page.locator("[data-testid=diff-lines]")).to_contain_text("+ 2. Suministros").await?;
    expect(page.locator("[data-testid=version-diff]")).to_contain_text("Suministros").await?;
    page.screenshot_to_file(&shots_dir().join("prompts-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("prompts-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;

    // Run the new prompt with the OpenAI-compatible model: choose it, watch it, export XLSX.
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
    page.goto(&server.url("/datasets"), None).await?;
    page.locator("[data-testid=datasets] a").first().click(None).await?;
    page.locator("[data-testid=classify][data-ready=true]").click(None).await?;
    page.wait_for_url("**/classify", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let mine = page.locator("[data-testid=run-prompt] option:has-text('Mis gastos · v2')").get_attribute("value").await?.unwrap_or_default();
    if let Err(e) = page.locator("[data-testid=run-prompt]").select_option(mine.as_str(), None).await {
        page.screenshot_to_file(&shots_dir().join("classify-failed.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
        let options = page.locator("[data-testid=run-prompt]").inner_html().await.unwrap_or_default();
        anyhow::bail!("{e}; url {} options {options}", page.url());
    }
    page.locator("[data-testid=provider-openai]").check(None).await?;
    expect(page.locator("[data-testid=plan-cost]")).not().to_have_text("0").await?;
    page.screenshot_to_file(&shots_dir().join("classify-openai-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("classify-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
    // The model answers slowly until the page has shown calls in flight (a state waited for, not a
    // race between the run and the page's hydration), then quickly so the run ends.
    model.set_latency(Duration::from_millis(1500));
    page.locator("[data-testid=start-run]").click(None).await?;
    page.wait_for_url("**/runs/**", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let mut in_flight_seen = false;
    for _ in 0..200 {
        let flight = page.locator("[data-testid=stat-in-flight]").text_content().await?.unwrap_or_default();
        if !in_flight_seen && flight.trim() != "0" {
            in_flight_seen = true;
            model.set_latency(Duration::from_millis(50));
        }
        if page.locator("[data-testid=run-status]").text_content().await?.unwrap_or_default().contains("Terminada") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect(page.locator("[data-testid=run-status]")).with_timeout(Duration::from_secs(30)).to_contain_text("Terminada").await?;
    assert!(in_flight_seen, "calls in flight were shown while the run went on");
    expect(page.locator("[data-testid=stat-tokens]")).not().to_have_text("0 / 0").await?;
    expect(page.locator("[data-testid=distribution]")).to_contain_text("Suministros").await?;
    page.screenshot_to_file(&shots_dir().join("run-openai-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    let waiter = page.expect_download(Some(30_000.0)).await?;
    page.locator("[data-testid=download-xlsx]").click(None).await?;
    let download: Download = waiter.wait().await?;
    let saved = dir.path().join("results.xlsx");
    download.save_as(&saved).await?;
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&saved)?;
    let sheet = book.worksheet_range("Results 1")?;
    let header: Vec<String> = sheet.rows().next().map(|r| r.iter().map(|c| c.to_string()).collect()).unwrap_or_default();
    assert_eq!(header, ["fecha", "concepto", "importe", "categoría", "puntuación", "motivo"]);
    assert_eq!(sheet.height(), 61, "a header and one row per original row");
    let iberdrola = sheet.rows().find(|r| r[1].to_string().contains("Iberdrola")).map(|r| r[3].to_string());
    assert_eq!(iberdrola.as_deref(), Some("Suministros"));
    assert!(model.calls().len() >= 20, "the model was called: {}", model.calls().len());

    // First-run is closed for good once an administrator exists.
    page.goto(&server.url("/setup"), None).await?;
    expect(page.locator("[data-testid=setup-closed]")).to_be_visible().await?;
    assert_eq!(page.locator("input[name=password]").count().await?, 0, "no form once setup is closed");
    page.screenshot_to_file(&shots_dir().join("setup-closed-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;

    browser.close().await?;
    pw.shutdown().await?;
    common::assert_no_console_errors();
    Ok(())
}
