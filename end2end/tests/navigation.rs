//! Every screen is reachable by clicking: from the home page a user reaches each of their datasets,
//! each run of a dataset, each sample of a run, and each review from the reviews list, without ever
//! typing an address (the only `goto` is the sign-in page).

mod common;

use std::time::Duration;

use common::{assert_no_console_errors, launch, shots_dir};
use end2end::{TestServer, upload_and_run, wait_run};
use playwright_rs::{ScreenshotOptions, expect};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

fn ledger(words: &[&str]) -> Vec<u8> {
    let mut csv = String::from("fecha,concepto,importe\n");
    for i in 0..30 {
        csv.push_str(&format!("2024-05-{:02},{} {},{}.00\n", i % 28 + 1, words[i % words.len()], i % 7, i));
    }
    csv.into_bytes()
}

async fn finished(server: &TestServer, client: &reqwest::Client, run: &Value) -> anyhow::Result<String> {
    let id = run["id"].as_str().unwrap_or_default().to_string();
    wait_run(server, client, &id, Duration::from_secs(30), |r| r["status"] == "succeeded").await?;
    Ok(id)
}

async fn sample(server: &TestServer, client: &reqwest::Client, run_id: &str) -> anyhow::Result<String> {
    let s: Value = client
        .post(server.url("/api/v1/samples"))
        .json(&json!({ "run_id": run_id, "size": 5 }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(s["id"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn every_dataset_run_sample_and_review_is_reached_by_clicking_from_home() -> anyhow::Result<()> {
    let server = TestServer::start(&[("LLM_PROVIDER", "offline")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;

    // Two datasets; the first classified twice (a sample on each run), the second once, unsampled.
    let (travel, run_a) = upload_and_run(&server, &ana, "viajes.csv", ledger(&["Taxi aeropuerto", "Hotel Madrid", "Tren AVE"]), "concepto").await?;
    let run_a = finished(&server, &ana, &run_a).await?;
    let again: Value = ana.post(server.url("/api/v1/runs")).json(&json!({ "dataset_id": travel["id"] })).send().await?.json().await?;
    let run_b = finished(&server, &ana, &again).await?;
    let (_, run_c) = upload_and_run(&server, &ana, "luz.csv", ledger(&["Factura Iberdrola", "Endesa luz"]), "concepto").await?;
    let run_c = finished(&server, &ana, &run_c).await?;
    let samples = [sample(&server, &ana, &run_a).await?, sample(&server, &ana, &run_b).await?];

    // The same lists over REST: the dataset's runs, the run's samples.
    let runs: Vec<Value> = ana.get(server.url(&format!("/api/v1/runs?dataset_id={}", travel["id"].as_str().unwrap_or_default()))).send().await?.json().await?;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["id"], run_b.as_str(), "newest first");
    assert!(runs.iter().all(|r| r["status"] == "succeeded" && r["done"] == r["total"] && r["samples"] == 1), "{runs:?}");
    let of_a: Vec<Value> = ana.get(server.url(&format!("/api/v1/samples?run_id={run_a}"))).send().await?.json().await?;
    assert_eq!(of_a.len(), 1);
    assert_eq!(of_a[0]["id"], samples[0].as_str());
    let r = ana.get(server.url("/api/v1/runs?dataset_id=not-a-uuid")).send().await?;
    assert_eq!(r.status(), 400);

    let (_pw, _browser, page) = launch().await?;
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("input[name=username]").fill("ana", None).await?;
    page.locator("input[name=password]").fill(PASSWORD, None).await?;
    page.locator("form button[type=submit]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;
    let home = || page.locator("a.brand");

    let mut runs_seen = Vec::new();
    let mut samples_seen = Vec::new();
    let datasets = page.locator("[data-testid=datasets] tbody tr a");
    expect(datasets.clone()).to_have_count(2).await?;
    for d in 0..2 {
        home().click(None).await?;
        page.locator("[data-testid=datasets] tbody tr a").nth(d).click(None).await?;
        page.wait_for_url("**/datasets/*", None).await?;
        let runs = page.locator("[data-testid=dataset-runs] [data-testid=open-run]");
        runs.first().wait_for(None).await?;
        let n = runs.count().await?;
        for r in 0..n {
            if r > 0 {
                // Back to the dataset from the run, by its link.
                page.locator("[data-testid=run-dataset]").click(None).await?;
                page.wait_for_url("**/datasets/*", None).await?;
            }
            page.locator("[data-testid=dataset-runs] [data-testid=open-run]").nth(r as i32).click(None).await?;
            page.wait_for_url("**/runs/*", None).await?;
            expect(page.locator("[data-testid=run-status]")).to_contain_text("Terminada").await?;
            let run_id = page.url().rsplit('/').next().unwrap_or_default().to_string();
            runs_seen.push(run_id.clone());
            let open = page.locator("[data-testid=run-samples] [data-testid=open-review]");
            // The list, or its empty state (not the loading line).
            let in_list = page.locator("[data-testid=run-samples] table, [data-testid=no-run-samples]");
            in_list.first().wait_for(None).await?;
            if open.count().await? > 0 {
                open.first().click(None).await?;
                page.wait_for_url("**/samples/*", None).await?;
                page.locator("[data-testid=review-item]").first().wait_for(None).await?;
                samples_seen.push(page.url().rsplit('/').next().unwrap_or_default().to_string());
                page.locator("[data-testid=sample-run]").click(None).await?;
                page.wait_for_url("**/runs/*", None).await?;
            }
        }
    }
    runs_seen.sort();
    let mut want = vec![run_a.clone(), run_b.clone(), run_c.clone()];
    want.sort();
    assert_eq!(runs_seen, want, "every run was reached from its dataset");
    let mut got = samples_seen.clone();
    got.sort();
    let mut want_samples = samples.to_vec();
    want_samples.sort();
    assert_eq!(got, want_samples, "every sample was reached from its run");

    // The reviews list, from the navigation: each review opens.
    page.locator("nav a[href='/reviews']").click(None).await?;
    page.wait_for_url("**/reviews", None).await?;
    let reviews = page.locator("[data-testid=reviews] [data-testid=open-review]");
    expect(reviews.clone()).to_have_count(2).await?;
    page.screenshot_to_file(&shots_dir().join("reviews-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    let mut opened = Vec::new();
    for i in 0..2 {
        if i > 0 {
            page.locator("nav a[href='/reviews']").click(None).await?;
            page.wait_for_url("**/reviews", None).await?;
        }
        page.locator("[data-testid=reviews] [data-testid=open-review]").nth(i).click(None).await?;
        page.wait_for_url("**/samples/*", None).await?;
        page.locator("[data-testid=review-item]").first().wait_for(None).await?;
        opened.push(page.url().rsplit('/').next().unwrap_or_default().to_string());
    }
    opened.sort();
    assert_eq!(opened, want_samples, "every review opens from the reviews list");

    // Every screen of the navigation exists: none says "soon".
    expect(page.locator("nav a[href='/tables']")).not().to_contain_text("pronto").await?;
    expect(page.locator("nav a[href='/reports']")).not().to_contain_text("pronto").await?;
    page.locator("nav a[href='/datasets']").click(None).await?;
    page.locator("[data-testid=datasets] tbody tr a").first().click(None).await?;
    page.locator("[data-testid=dataset-runs] [data-testid=run-row]").first().wait_for(None).await?;
    page.screenshot_to_file(&shots_dir().join("dataset-runs-desktop.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.screenshot_to_file(&shots_dir().join("dataset-runs-phone.png"), ScreenshotOptions::builder().full_page(true).build()).await?;
    assert_no_console_errors();
    Ok(())
}
