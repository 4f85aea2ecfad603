//! Nothing of one user's data reaches another: not through the offline classifier's reasons (it
//! learns only from verdicts on data the run's owner may read), not through the LLM cache (hits and
//! their count are per owner), not through plans or exports. Two analysts, the first with a
//! confidential reviewed line, the second trying to get it back.

use std::time::Duration;

use end2end::{TestServer, upload_dataset, wait_run};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const SECRET: &str = "PAGO NOMINA CONFIDENCIAL MARIA GARCIA DNI 12345678Z IBAN ES9121000418450200051332";
/// Pieces of the secret line that the second analyst's own lines never contain.
const TELLTALES: [&str; 5] = ["12345678Z", "ES9121", "IBAN", "MARIA", "GARCIA"];

async fn dataset(server: &TestServer, client: &reqwest::Client, name: &str, lines: &[&str]) -> anyhow::Result<String> {
    let csv = format!("concepto\n{}\n", lines.join("\n"));
    Ok(text(&upload_dataset(server, client, name, csv.into_bytes(), "concepto").await?["id"]))
}

async fn run(server: &TestServer, client: &reqwest::Client, body: Value) -> anyhow::Result<String> {
    let r: Value = client.post(server.url("/api/v1/runs")).json(&body).send().await?.error_for_status()?.json().await?;
    let id = text(&r["id"]);
    wait_run(server, client, &id, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;
    Ok(id)
}

async fn plan(server: &TestServer, client: &reqwest::Client, body: Value) -> anyhow::Result<Value> {
    Ok(client.post(server.url("/api/v1/runs/plan")).json(&body).send().await?.error_for_status()?.json().await?)
}

async fn results(server: &TestServer, client: &reqwest::Client, run: &str) -> anyhow::Result<(Value, String)> {
    let page: Value = client.get(server.url(&format!("/api/v1/runs/{run}/results?limit=1000"))).send().await?.error_for_status()?.json().await?;
    let csv = client.get(server.url(&format!("/api/v1/runs/{run}/results?format=csv"))).send().await?.error_for_status()?.text().await?;
    Ok((page, csv))
}

fn assert_nothing_of_the_secret(what: &str, text: &str) {
    for t in TELLTALES {
        assert!(!text.contains(t), "{what} carries «{t}» from the other analyst's data:\n{text}");
    }
}

#[tokio::test]
async fn no_text_of_one_analysts_data_reaches_another() -> anyhow::Result<()> {
    let model = llm_testserver::LlmTestServer::start().await?;
    let base = model.base_url();
    let server = TestServer::start(&[("LLM_PROVIDER", "offline"), ("OPENAI_BASE_URL", base.as_str())]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("bruno", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let bruno = server.client("bruno", PASSWORD).await?;

    // The default prompt's categories: the second analyst copies their names into a prompt of his own.
    let prompts: Vec<Value> = ana.get(server.url("/api/v1/prompts")).send().await?.json().await?;
    let default = prompts.iter().find(|p| p["is_default"] == true).cloned().unwrap_or_default();
    let versions: Vec<Value> = ana.get(server.url(&format!("/api/v1/prompts/{}/versions", text(&default["id"])))).send().await?.json().await?;
    let categories: Vec<String> = versions[0]["categories"].as_array().into_iter().flatten().map(|c| text(&c["name"])).collect();
    assert!(categories.len() >= 2);

    // Ana: her confidential line, classified offline, sampled and corrected by hand.
    let lines = [SECRET, "Taxi aeropuerto", "Factura Iberdrola luz", "Restaurante la plaza", "Licencia software anual"];
    let hers = dataset(&server, &ana, "nominas.csv", &lines).await?;
    let her_run = run(&server, &ana, json!({ "dataset_id": hers })).await?;
    let sample: Value = ana
        .post(server.url("/api/v1/samples"))
        .json(&json!({ "run_id": her_run, "size": 5, "seed": 1 }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let sample_id = text(&sample["id"]);
    let items: Vec<Value> = ana.get(server.url(&format!("/api/v1/samples/{sample_id}/items"))).send().await?.json().await?;
    let secret_item = items.iter().find(|i| i["line"] == SECRET).cloned().unwrap_or_default();
    let truth = categories.iter().find(|c| **c != text(&secret_item["category"])).cloned().unwrap_or_default();
    ana.put(server.url(&format!("/api/v1/samples/{sample_id}/items/{}", text(&secret_item["id"]))))
        .json(&json!({ "verdict": "incorrect", "corrected_category": truth }))
        .send()
        .await?
        .error_for_status()?;
    // And the same line through the model, so the cache holds an answer for it.
    run(&server, &ana, json!({ "dataset_id": hers, "provider": "openai", "model": "gpt-test" })).await?;

    // Bruno: near copies of her line and the one-word lines of the reproduction, with the default
    // prompt and with his own copy of its category names.
    let his_lines = ["pago", "secreta", "PAGO NOMINA CONFIDENCIAL DNI", SECRET];
    let his = dataset(&server, &bruno, "mias.csv", &his_lines).await?;
    let draft = json!({
        "name": "Mis categorías", "label": "copia", "template": "Clasifica cada línea.",
        "categories": categories.iter().map(|c| json!({ "name": c, "description": "", "keywords": [], "priority": 0 })).collect::<Vec<_>>()
    });
    let own: Value = bruno.post(server.url("/api/v1/prompts")).json(&draft).send().await?.error_for_status()?.json().await?;
    let own_prompt = text(&own["prompt_id"]);
    for body in [json!({ "dataset_id": his }), json!({ "dataset_id": his, "prompt_id": own_prompt })] {
        let p = plan(&server, &bruno, body.clone()).await?;
        assert_nothing_of_the_secret("his plan", &p.to_string().replace(SECRET, ""));
        let id = run(&server, &bruno, body).await?;
        let (page, csv) = results(&server, &bruno, &id).await?;
        let reasons: String = page["rows"].as_array().into_iter().flatten().map(|r| format!("{}\n", text(&r["reason"]))).collect();
        assert_nothing_of_the_secret("his reasons", &reasons);
        // His own copy of the line is in his export; nothing else of hers is.
        assert_nothing_of_the_secret("his export", &csv.replace(SECRET, ""));
        assert!(!reasons.contains("validada"), "his run learned from her verdicts:\n{reasons}");
    }

    // The cache: her answer for the very same line is neither counted in his plan nor served to him.
    let via_model = json!({ "dataset_id": his, "provider": "openai", "model": "gpt-test" });
    let his_plan = plan(&server, &bruno, via_model.clone()).await?;
    assert_eq!(his_plan["cached"], 0, "his plan counts her cached answers: {his_plan}");
    let his_model_run = run(&server, &bruno, via_model).await?;
    let db = server.db().await?;
    let served: i64 = sqlx::query_scalar("SELECT count(*) FROM run_results WHERE run_id = $1::uuid AND source = 'cache'")
        .bind(&his_model_run)
        .fetch_one(&db)
        .await?;
    assert_eq!(served, 0, "answers produced for her chunks were served into his run");

    // Her own things stay out of his reach altogether, lists included.
    let his_reviews: Vec<Value> = bruno.get(server.url("/api/v1/samples")).send().await?.error_for_status()?.json().await?;
    assert!(his_reviews.iter().all(|s| s["id"] != sample_id.as_str()), "her sample is in his list of reviews");
    let her_reviews: Vec<Value> = ana.get(server.url("/api/v1/samples")).send().await?.error_for_status()?.json().await?;
    assert!(her_reviews.iter().any(|s| s["id"] == sample_id.as_str() && s["reviewed"] == 1 && s["correct"] == 0), "{her_reviews:?}");
    assert_eq!(bruno.get(server.url(&format!("/api/v1/samples/{sample_id}"))).send().await?.status(), 404);
    assert_eq!(bruno.get(server.url(&format!("/api/v1/runs/{her_run}/results?format=csv"))).send().await?.status(), 404);

    // Control: the same mechanisms do work within one user, so the checks above could fail.
    let again = dataset(&server, &ana, "nominas-mayo.csv", &["PAGO NOMINA CONFIDENCIAL MARIA GARCIA DNI", SECRET]).await?;
    let her_plan = plan(&server, &ana, json!({ "dataset_id": again, "provider": "openai", "model": "gpt-test" })).await?;
    assert_eq!(her_plan["cached"], 1, "her own cached answer counts for her: {her_plan}");
    let learned = run(&server, &ana, json!({ "dataset_id": again })).await?;
    let (page, _) = results(&server, &ana, &learned).await?;
    let near = page["rows"].as_array().into_iter().flatten().find(|r| r["line"] == "PAGO NOMINA CONFIDENCIAL MARIA GARCIA DNI").cloned().unwrap_or_default();
    assert_eq!(text(&near["category"]), truth, "her run learns from her verdict: {near}");
    assert!(text(&near["reason"]).contains("validada"), "{near}");
    assert!(!text(&near["reason"]).contains("12345678Z"), "even her own reason does not quote the line: {near}");
    Ok(())
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
