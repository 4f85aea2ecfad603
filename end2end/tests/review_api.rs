//! The review REST contract: draw a sample (201 with id and size), list items, give verdicts (and be
//! refused clearly), read metrics with their interval, re-run an iteration and compare it.

use std::time::Duration;

use end2end::{TestServer, upload_and_run, wait_run};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn samples_verdicts_metrics_and_iterations_over_rest() -> anyhow::Result<()> {
    let server = TestServer::start(&[("LLM_CHUNK_SIZE", "25")]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    server.create_user("vera", "viewer", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let mut csv = String::from("concepto\n");
    for i in 0..300 {
        csv.push_str(&format!("{} {i}\n", ["Taxi aeropuerto", "Factura Iberdrola luz", "Restaurante"][i % 3]));
    }
    let (_, run) = upload_and_run(&server, &ana, "lineas.csv", csv.into_bytes(), "concepto").await?;
    let run_id = run["id"].as_str().unwrap_or_default().to_string();
    wait_run(&server, &ana, &run_id, Duration::from_secs(30), |r| r["status"] == "succeeded").await?;

    let r = ana.post(server.url("/api/v1/samples")).json(&json!({"run_id": run_id, "seed": 7})).send().await?;
    assert_eq!(r.status(), 201);
    let sample: Value = r.json().await?;
    // N = 300 at 95 % ± 5 % → 169.
    assert_eq!(sample["size"], 169);
    let id = sample["id"].as_str().unwrap_or_default().to_string();
    let r = ana.post(server.url("/api/v1/samples")).json(&json!({"run_id": run_id, "margin": 0.7})).send().await?;
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await?["error"]["message"].as_str().unwrap_or_default().contains("margin"));

    let items: Vec<Value> = ana.get(server.url(&format!("/api/v1/samples/{id}/items"))).send().await?.json().await?;
    assert_eq!(items.len(), 169);
    for key in ["id", "line", "category", "score", "reason", "verdict"] {
        assert!(items[0].get(key).is_some(), "{key} missing from an item");
    }
    let put = |item: &Value, body: Value| {
        let url = server.url(&format!("/api/v1/samples/{id}/items/{}", item["id"].as_str().unwrap_or_default()));
        ana.put(url).json(&body).send()
    };
    let r = put(&items[0], json!({"verdict": "incorrect"})).await?;
    assert_eq!(r.status(), 422, "an incorrect verdict needs the right category");
    let r = put(&items[0], json!({"verdict": "maybe"})).await?;
    assert!(r.status() == 400 || r.status() == 422, "{}", r.status());
    let vera = server.client("vera", PASSWORD).await?;
    let url = server.url(&format!("/api/v1/samples/{id}/items/{}", items[0]["id"].as_str().unwrap_or_default()));
    assert_eq!(vera.put(url).json(&json!({"verdict": "correct"})).send().await?.status(), 403);

    for item in &items[..20] {
        let saved: Value = put(item, json!({"verdict": "correct"})).await?.error_for_status()?.json().await?;
        assert_eq!((saved["verdict"].as_str(), saved["reviewer"].as_str()), (Some("correct"), Some("ana")));
    }
    let other = if items[20]["category"] == "Otros gastos" { "Suministros" } else { "Otros gastos" };
    put(&items[20], json!({"verdict": "incorrect", "corrected_category": other, "note": "revisar"})).await?.error_for_status()?;

    let m: Value = ana.get(server.url(&format!("/api/v1/samples/{id}/metrics"))).send().await?.json().await?;
    assert_eq!((m["reviewed"].as_i64(), m["correct"].as_i64()), (Some(21), Some(20)));
    assert_eq!(m["confidence"].as_f64(), Some(0.95), "the interval says at which level it was computed");
    let accuracy = m["accuracy"].as_f64().unwrap_or(-1.0);
    assert!((accuracy - 20.0 / 21.0).abs() < 1e-9);
    let ci: Vec<f64> = m["accuracy_ci"].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
    assert!(ci.len() == 2 && ci[0] < accuracy && accuracy <= ci[1], "{ci:?}");
    assert!(m["per_category"].is_array() && m["confusion"].is_array());

    // An iteration with the same prompt version on the sample only, then the comparison.
    let version = ana.get(server.url(&format!("/api/v1/runs/{run_id}"))).send().await?.json::<Value>().await?["prompt_version_id"].clone();
    let r = ana.post(server.url(&format!("/api/v1/samples/{id}/iterations"))).json(&json!({"prompt_version_id": version})).send().await?;
    assert_eq!(r.status(), 202);
    let second = r.json::<Value>().await?["run_id"].as_str().unwrap_or_default().to_string();
    let done = wait_run(&server, &ana, &second, Duration::from_secs(30), |r| r["status"] == "succeeded").await?;
    assert_eq!(done["total"], 169, "an iteration classifies the sample's lines only");
    let its: Vec<Value> = ana.get(server.url(&format!("/api/v1/samples/{id}/iterations"))).send().await?.json().await?;
    assert_eq!(its.len(), 2);
    let cmp: Value = ana
        .get(server.url(&format!("/api/v1/samples/{id}/compare?before={run_id}&after={second}")))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(cmp["before"]["accuracy"], cmp["after"]["accuracy"], "the same version scores the same");
    assert_eq!(cmp["fixed"].as_array().map(Vec::len), Some(0));
    Ok(())
}
