//! In the browser: last year's labelled ledger imported into a prompt (a label matched, one merged,
//! one created), the plan showing the examples the first call carries and their tokens, a run with
//! the OpenAI-compatible model, and on a result the examples its call carried.

mod common;

use std::time::Duration;

use common::{assert_no_console_errors, launch, post_json, shot, sign_in, watch_console};
use end2end::{TestServer, upload_dataset, wait_run};
use playwright_rs::expect;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

/// Last year's ledger, as a spreadsheet export: merchant, description and the account given by hand.
fn history() -> Vec<u8> {
    let mut csv = String::from("MERCHANT NAME,DESCRIPTION,ACCOUNT\n");
    for i in 0..12 {
        csv.push_str(&format!("RENFE VIAJEROS,billete tren madrid {i},Viajes\n"));
        csv.push_str(&format!("IBERDROLA CLIENTES,factura luz oficina {i},suministros\n"));
        csv.push_str(&format!("ENDESA ENERGIA,factura electricidad {i},Energía\n"));
        csv.push_str(&format!("VIKING DIRECT,papel y toner {i},Material de oficina\n"));
    }
    // One text labelled two ways: counted as a conflict.
    csv.push_str("VIKING DIRECT,papel y toner 0,Viajes\n");
    csv.into_bytes()
}

#[tokio::test]
async fn a_labelled_history_is_imported_shown_in_the_plan_and_explains_a_result() -> anyhow::Result<()> {
    let model = llm_testserver::LlmTestServer::start().await?;
    let base = model.base_url();
    let server = TestServer::start(&[("LLM_PROVIDER", "openai"), ("OPENAI_BASE_URL", base.as_str()), ("LLM_MODEL", "gpt-test")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    post_json(&ana, &server, "/prompts", json!({
        "name": "Gastos 2026", "template": "Clasifica cada línea de gasto.",
        "categories": [{ "name": "Viajes" }, { "name": "Suministros" }]
    }))
    .await?;
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(history()).file_name("libro-2025.csv"));
    let upload: Value = ana.post(server.url("/api/v1/uploads")).multipart(form).send().await?.error_for_status()?.json().await?;
    let lines = "concepto\nRENFE billete tren sevilla\nIBERDROLA factura luz marzo\nVIKING DIRECT toner impresora\nENDESA factura electricidad abril\n";
    let dataset = upload_dataset(&server, &ana, "gastos-2026.csv", lines.as_bytes().to_vec(), "concepto").await?;
    let dataset_id = dataset["id"].as_str().unwrap_or_default().to_string();

    let (_pw, _browser, page) = launch().await?;
    watch_console(&page).await?;
    sign_in(&page, &server, "ana", PASSWORD).await?;
    page.goto(&server.url("/prompts"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=prompt-list] button:has-text('Gastos 2026')").click(None).await?;
    expect(page.locator("[data-testid=no-examples]")).to_be_visible().await?;

    // Import: the upload, its only table, two text columns and the category column.
    let import = page.locator("[data-testid=import-examples]");
    import.locator("summary").click(None).await?;
    let upload_id = upload["id"].as_str().unwrap_or_default().to_string();
    import.locator("[data-testid=labelled-upload]").select_option(upload_id.as_str(), None).await?;
    import.locator("[data-testid=text-column][value='MERCHANT NAME']").check(None).await?;
    import.locator("[data-testid=text-column][value=DESCRIPTION]").check(None).await?;
    import.locator("[data-testid=label-column]").select_option("ACCOUNT", None).await?;
    import.locator("[data-testid=preview-labelled]").click(None).await?;
    expect(import.locator("[data-testid=labelled-distinct]")).to_have_text("48").await?;
    expect(import.locator("[data-testid=labelled-duplicates]")).to_have_text("0").await?;
    expect(import.locator("[data-testid=labelled-conflicts]")).to_have_text("1").await?;
    // The suggestions: "suministros" is the prompt's Suministros; the others are new.
    let action = |label: &str| import.locator(&format!("[data-testid=label-row][data-label='{label}'] [data-testid=label-action]"));
    expect(action("suministros")).to_have_value("map:Suministros").await?;
    expect(action("Material de oficina")).to_have_value("create").await?;
    // Energía is merged into Suministros; Material de oficina is created.
    action("Energía").select_option("map:Suministros", None).await?;
    shot(&page, "examples-import-desktop").await?;
    import.locator("[data-testid=import-labelled]").click(None).await?;
    expect(import.locator("[data-testid=imported]")).to_contain_text("48").await?;
    expect(import.locator("[data-testid=imported]")).to_contain_text("Material de oficina").await?;
    expect(page.locator("[data-testid=examples-summary]")).to_contain_text("48").await?;
    expect(page.locator("[data-testid=examples-by-category]")).to_contain_text("Suministros · 24").await?;
    // The editor now holds the created category (a new prompt version).
    expect(page.locator("[data-testid=category-name]").nth(2)).to_have_value("Material de oficina").await?;
    // Another category for one example: a new set.
    page.locator("[data-testid=examples] tr:has-text('RENFE VIAJEROS billete tren madrid 11') [data-testid=example-recategorise]")
        .select_option("Suministros", None)
        .await?;
    expect(page.locator("[data-testid=examples-summary]")).to_contain_text("v2").await?;
    expect(page.locator("[data-testid=examples-by-category]")).to_contain_text("Suministros · 25").await?;
    shot(&page, "examples-desktop").await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    shot(&page, "examples-phone").await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 1280, height: 900 }).await?;

    // The plan: the examples the first call carries, and their tokens in the estimate.
    page.goto(&server.url(&format!("/datasets/{dataset_id}/classify")), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let mine = page.locator("[data-testid=run-prompt] option:has-text('Gastos 2026')").get_attribute("value").await?.unwrap_or_default();
    page.locator("[data-testid=run-prompt]").select_option(mine.as_str(), None).await?;
    page.locator("[data-testid=provider-openai]").check(None).await?;
    let first = page.locator("[data-testid=plan-first-examples]");
    expect(first.locator("[data-testid=example-list] li")).to_have_count(8).await?;
    expect(first).to_contain_text("RENFE VIAJEROS").await?;
    expect(page.locator("[data-testid=plan-examples]")).to_contain_text("48").await?;
    shot(&page, "examples-plan-desktop").await?;
    page.locator("[data-testid=start-run]").click(None).await?;
    page.wait_for_url("**/runs/**", None).await?;
    let run_id = page.url().rsplit('/').next().unwrap_or_default().to_string();
    let run = wait_run(&server, &ana, &run_id, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;
    assert_eq!((run["examples_count"].as_i64(), run["examples_version"].as_i64()), (Some(48), Some(2)), "{run}");

    // A result says which examples its call carried.
    page.reload(None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(page.locator("[data-testid=stat-examples]")).to_contain_text("48").await?;
    let shown = page.locator("[data-testid=results] [data-testid=shown-examples]").first();
    expect(shown.clone()).to_contain_text("8").await?;
    let list = page.locator("[data-testid=results] .shown-examples [data-testid=example-list]").first();
    // The results table may be drawn again once the run's live progress arrives, closing what was
    // opened before: open it until it stays open.
    let mut opened = false;
    for _ in 0..5 {
        if shown.get_attribute("aria-expanded").await?.as_deref() != Some("true") {
            shown.click(None).await?;
        }
        if expect(list.locator("li")).with_timeout(Duration::from_secs(2)).to_have_count(8).await.is_ok() {
            opened = true;
            break;
        }
    }
    assert!(opened, "a result's examples open and stay open");
    expect(list).to_contain_text("RENFE VIAJEROS").await?;
    shot(&page, "examples-result-desktop").await?;
    let sent = model.calls().into_iter().filter_map(|c| c.examples).collect::<Vec<_>>();
    assert_eq!(sent.len(), 1, "one chunk, one call, with its examples");
    assert!(sent[0].contains("RENFE VIAJEROS billete tren madrid"), "{}", sent[0]);
    assert_no_console_errors();
    Ok(())
}
