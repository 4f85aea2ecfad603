//! Review in a real browser: draw a sample from a finished run, review it with the keyboard (accept,
//! pick a category by number, skip, undo), see the metrics, refine the prompt, re-run it on the
//! sample, compare the iterations, apply the version to everything and export the reviewed dataset.

mod common;

use std::time::Duration;

use common::{launch, shots_dir};
use end2end::{TestServer, upload_and_run, wait_run};
use playwright_rs::protocol::Download;
use playwright_rs::{ScreenshotOptions, expect};

const PASSWORD: &str = "correct horse battery";

fn ledger() -> Vec<u8> {
    let concepts = ["Taxi aeropuerto", "Restaurante La Tagliatella", "Factura Iberdrola luz", "Vuelo Iberia Madrid", "Licencia Microsoft 365", "Notaria escritura"];
    let mut csv = String::from("fecha,concepto,importe\n");
    for i in 0..120 {
        csv.push_str(&format!("2024-05-{:02},{} {},{}.00\n", i % 28 + 1, concepts[i % concepts.len()], i, i));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_sample_is_reviewed_with_the_keyboard_refined_compared_applied_and_exported() -> anyhow::Result<()> {
    let server = TestServer::start(&[("LLM_CHUNK_SIZE", "10")]).await?;
    server.create_user("ana", "admin", PASSWORD)?;
    let client = server.client("ana", PASSWORD).await?;
    let (_, run) = upload_and_run(&server, &client, "mayo.csv", ledger(), "concepto").await?;
    let run_id = run["id"].as_str().unwrap_or_default().to_string();
    wait_run(&server, &client, &run_id, Duration::from_secs(30), |r| r["status"] == "succeeded").await?;

    let (pw, browser, page) = launch().await?;
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("input[name=username]").fill("ana", None).await?;
    page.locator("input[name=password]").fill(PASSWORD, None).await?;
    page.locator("button[type=submit]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;

    // Draw a sample from the finished run: N = 120 at 95 % ± 5 % → 92 lines.
    page.goto(&server.url(&format!("/runs/{run_id}")), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    // No sample is open yet, so "review a sample" offers to draw one (95 % ± 5 % by default).
    page.locator("[data-testid=review-sample]").click(None).await?;
    page.locator("[data-testid=draw-sample]").click(None).await?;
    page.wait_for_url("**/samples/**", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let progress = page.locator("[data-testid=review-progress]");
    expect(progress.clone()).to_have_text("0 / 92").await?;
    expect(page.locator("[data-testid=review-original]")).to_contain_text("2024-05-").await?;

    // The keyboard: three accepts, a category by number, a skip, undo the skip, accept.
    let keys = page.keyboard();
    for _ in 0..3 {
        keys.press("Enter", None).await?;
    }
    expect(progress.clone()).to_have_text("3 / 92").await?;
    // A category other than the predicted one, so there is at least one correction.
    let predicted = page.locator("[data-testid=review-predicted]").text_content().await?.unwrap_or_default();
    keys.press(if predicted.trim() == "Viajes y transporte" { "2" } else { "1" }, None).await?;
    keys.press("s", None).await?;
    expect(progress.clone()).to_have_text("5 / 92").await?;
    keys.press("u", None).await?;
    expect(progress.clone()).to_have_text("4 / 92").await?;
    expect(page.locator("[data-testid=review-item]")).to_have_attribute("data-position", "5").await?;
    keys.press("Enter", None).await?;
    expect(progress.clone()).to_have_text("5 / 92").await?;
    // Type-ahead: "/" focuses the filter, Enter picks the first match.
    keys.press("/", None).await?;
    page.locator("[data-testid=category-filter]").fill("servi", None).await?;
    expect(page.locator("[data-testid=pick-category]")).to_have_count(1).await?;
    page.locator("[data-testid=category-filter]").press("Enter", None).await?;
    expect(progress.clone()).to_have_text("6 / 92").await?;

    // Metrics follow the verdicts; the confusion matrix holds the five judged lines.
    if let Err(e) = expect(page.locator("[data-testid=accuracy]")).not().to_have_text("—").await {
        page.screenshot_to_file(&shots_dir().join("review-failed.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
        anyhow::bail!("{e}");
    }
    expect(page.locator("[data-testid=confusion]")).to_be_visible().await?;
    page.screenshot_to_file(&shots_dir().join("review-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("review-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;
    let sample_url = page.url();

    // The corrections at hand, saved as few-shot examples in the prompt's next version.
    expect(page.locator("[data-testid=corrections] li").first()).to_be_visible().await?;
    page.locator("[data-testid=add-examples]").click(None).await?;
    // It is everyone's default prompt: the screen asks first.
    page.locator("[data-testid=confirm-default-save]").click(None).await?;
    expect(page.locator("[data-testid=examples-saved]")).to_contain_text("2").await?;
    expect(page.locator("[data-testid=iteration-version] option").first()).to_have_text("v2").await?;

    // Refine the prompt by hand too, with the corrections beside the editor.
    page.locator("[data-testid=open-editor]").click(None).await?;
    page.wait_for_url("**/prompts?sample=**", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=editor-corrections] li").first()).to_be_visible().await?;
    expect(page.locator("[data-testid=prompt-name]")).to_have_value("Gastos generales").await?;
    page.screenshot_to_file(&shots_dir().join("prompts-with-corrections-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    let rows = page.locator("[data-testid=category-row]");
    let services = rows.nth(5); // Servicios profesionales
    services.locator("[data-testid=keyword-input]").fill("escritura", None).await?;
    services.locator("[data-testid=keyword-input]").press("Enter", None).await?;
    page.locator("[data-testid=save-prompt]").click(None).await?;
    page.locator("[data-testid=confirm-default-save]").click(None).await?;
    expect(page.locator("[data-testid=saved]")).to_contain_text("3").await?;

    // Re-run version 3 on the sample only, then compare the two iterations.
    page.goto(&sample_url, None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=iteration-version] option").first()).to_have_text("v3").await?;
    page.locator("[data-testid=rerun-sample]").click(None).await?;
    page.locator("[data-testid=confirm-launch]").click(None).await?;
    // The panel follows a queued or running iteration by itself.
    let list = page.locator("[data-testid=iteration-list] li");
    let finished = async {
        expect(list.clone()).with_timeout(Duration::from_secs(60)).to_have_count(2).await?;
        expect(list.nth(1)).with_timeout(Duration::from_secs(60)).to_contain_text("Terminada").await
    };
    if let Err(e) = finished.await {
        let panel = page.locator("[data-testid=iterations]").inner_text().await.unwrap_or_default();
        anyhow::bail!("{e}; the iterations panel shows: {panel}");
    }
    expect(list.clone()).to_have_count(2).await?;
    expect(list.nth(1)).to_contain_text("Terminada").await?;
    expect(list.nth(0).locator("[data-testid=iteration-accuracy]")).not().to_have_text("—").await?;
    expect(page.locator("[data-testid=accuracy-delta]")).to_be_visible().await?;
    page.screenshot_to_file(&shots_dir().join("review-iterations-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;

    // Export the reviewed dataset: the final category, who reviewed, the prompt version.
    let waiter = page.expect_download(Some(30_000.0)).await?;
    page.locator("[data-testid=export-reviewed-csv]").click(None).await?;
    let download: Download = waiter.wait().await?;
    let dir = tempfile::tempdir()?;
    let saved = dir.path().join("reviewed.csv");
    download.save_as(&saved).await?;
    let text = std::fs::read_to_string(&saved)?;
    // For a Spanish spreadsheet: the byte order mark, ';', the added columns in Spanish.
    let text = text.strip_prefix('\u{feff}').ok_or_else(|| anyhow::anyhow!("no byte order mark"))?;
    assert_eq!(text.lines().next(), Some("fecha;concepto;importe;categoría;puntuación;motivo;categoría_del_modelo;veredicto;revisado_por;versión_del_prompt"));
    assert_eq!(text.lines().count(), 121);
    let reviewed = text.lines().filter(|l| l.contains(";ana;Gastos generales v1")).count();
    assert_eq!(reviewed, 6, "six lines carry a verdict (the skip was undone)");

    // Apply version 3 to the whole dataset: a normal run, cached lines cost nothing.
    page.locator("[data-testid=apply-all]").click(None).await?;
    page.locator("[data-testid=confirm-launch]").click(None).await?;
    page.wait_for_url("**/runs/**", None).await?;
    expect(page.locator("[data-testid=run-status]")).with_timeout(Duration::from_secs(30)).to_contain_text("Terminada").await?;
    browser.close().await?;
    pw.shutdown().await?;
    common::assert_no_console_errors();
    Ok(())
}
