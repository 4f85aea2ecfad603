//! Every CSV the product writes is safe to open in a spreadsheet: cells and headers that start like
//! a formula (`=`, `+`, `-`, `@`, tab, carriage return) come out as text with a leading `'`, their
//! value still visible; numbers stay numbers. Both writers: the results and the reviewed results.

use std::time::Duration;

use end2end::{TestServer, upload_and_run, wait_run};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn results_and_reviewed_exports_neutralise_formulas() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "analyst", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let csv = "concepto;=1+2 total;importe\n\
               =cmd|' /C calc'!A0;a;-12.50\n\
               +SUM(1+1);b;7\n\
               @evil;c;-3\n\
               -2+3 taxi;d;1\n";
    let (_, run) = upload_and_run(&server, &ana, "formulas.csv", csv.as_bytes().to_vec(), "concepto").await?;
    let run_id = run["id"].as_str().unwrap_or_default().to_string();
    wait_run(&server, &ana, &run_id, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;
    let sample: Value = ana.post(server.url("/api/v1/samples")).json(&json!({ "run_id": run_id, "size": 5 })).send().await?.error_for_status()?.json().await?;
    let sample_id = sample["id"].as_str().unwrap_or_default();

    for (what, path) in [
        ("results", format!("/api/v1/runs/{run_id}/results?format=csv&sep=%2C")),
        ("reviewed results", format!("/api/v1/runs/{run_id}/results?format=csv&sep=%2C&sample_id={sample_id}")),
    ] {
        let body = ana.get(server.url(&path)).send().await?.error_for_status()?.text().await?;
        let body = body.trim_start_matches('\u{feff}');
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
        let rows: Vec<Vec<String>> = reader.records().map(|r| r.map(|r| r.iter().map(String::from).collect())).collect::<Result<_, _>>()?;
        assert_eq!(rows[0][1], "'=1+2 total", "{what}: header");
        let cells: Vec<&String> = rows.iter().flatten().collect();
        for c in &cells {
            assert!(!c.starts_with(['=', '+', '@', '\t', '\r']), "{what}: a cell that runs as a formula: {c:?}");
            assert!(!c.starts_with('-') || c.parse::<f64>().is_ok(), "{what}: a minus-led text left as is: {c:?}");
        }
        for expected in ["'=cmd|' /C calc'!A0", "'+SUM(1+1)", "'@evil", "'-2+3 taxi"] {
            assert!(cells.iter().any(|c| *c == expected), "{what}: {expected:?} missing from {cells:?}");
        }
        assert!(cells.iter().any(|c| *c == "-12.50") && cells.iter().any(|c| *c == "-3"), "{what}: numbers are left alone");
    }
    Ok(())
}
