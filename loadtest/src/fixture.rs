//! The data every virtual user works on, made through the public API as an outside client would:
//! an admin's API token, PRODUCTS with the seed's four columns and `ROWS` rows, a report over it,
//! and a finished classification run whose progress stream users open.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context;
use end2end::TestServer;
use serde_json::{Value, json};

pub const ROWS: usize = 2_000;
const PASSWORD: &str = "load test password 2026";

#[derive(Debug, Clone)]
pub struct Fixture {
    pub base: String,
    pub token: String,
    pub row_ids: Vec<String>,
    pub report_id: String,
    pub run_id: String,
    /// A CSV of about 10 MB, uploaded (then deleted) by the upload users.
    pub big_csv: std::sync::Arc<Vec<u8>>,
    /// Think times are multiplied by this (1 = the seed's; 0 = none, for stress).
    pub think: f64,
}

static CURRENT: OnceLock<std::sync::RwLock<Option<Fixture>>> = OnceLock::new();

fn slot() -> &'static std::sync::RwLock<Option<Fixture>> {
    CURRENT.get_or_init(Default::default)
}

/// What goose users read (goose transactions are plain functions: they find it here).
pub fn current() -> Fixture {
    slot().read().ok().and_then(|f| f.clone()).expect("the fixture is installed before users start")
}

pub fn install(f: Fixture) {
    if let Ok(mut s) = slot().write() {
        *s = Some(f);
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// About `bytes` of a ledger CSV with varied lines.
pub fn big_csv(bytes: usize) -> Vec<u8> {
    let mut out = b"fecha;concepto;importe;cuenta\n".to_vec();
    let merchants = ["MERCADONA", "REPSOL", "AMAZON EU", "IBERDROLA", "RENFE", "VODAFONE", "EL CORTE INGLES", "CORREOS"];
    let mut i = 0usize;
    while out.len() < bytes {
        let m = merchants[i % merchants.len()];
        out.extend_from_slice(format!("2026-{:02}-{:02};{m} OPERACION {i:08};{}.{:02};ES{:022}\n", i % 12 + 1, i % 28 + 1, i % 9_000, i % 100, i).as_bytes());
        i += 1;
    }
    out
}

impl Fixture {
    /// Starts nothing: prepares `server` (an admin, a token, the data) and returns what users need.
    pub async fn prepare(server: &TestServer) -> anyhow::Result<Fixture> {
        server.create_user("load", "admin", PASSWORD)?;
        let session = server.client("load", PASSWORD).await?;
        let token: Value = session.post(server.url("/api/v1/tokens")).json(&json!({ "name": "load", "scope": "admin" })).send().await?.error_for_status()?.json().await?;
        let token = text(&token["token"]);
        anyhow::ensure!(!token.is_empty(), "no token");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
        let http = reqwest::Client::builder().default_headers(headers).build()?;
        let post = |path: &str, body: Value| http.post(server.url(path)).json(&body).send();

        let table: Value = post("/api/v1/metadata/tables", json!({ "table_name": "PRODUCTS", "description": "Seed 004 §14.4" })).await?.error_for_status()?.json().await?;
        for (i, (name, ty)) in [("price", "Decimal"), ("description", "String"), ("category", "String"), ("in_stock", "Boolean")].into_iter().enumerate() {
            let c: Value = post("/api/v1/metadata/columns", json!({ "column_name": name, "data_type": ty })).await?.error_for_status()?.json().await?;
            post("/api/v1/metadata/properties", json!({ "logical_table_id": table["id"], "column_definition_id": c["id"], "display_order": i + 1 }))
                .await?
                .error_for_status()?;
        }
        let mut row_ids = Vec::with_capacity(ROWS);
        for chunk in (0..ROWS).collect::<Vec<_>>().chunks(500) {
            let ops: Vec<Value> = chunk
                .iter()
                .map(|i| {
                    let category = ["A", "B", "C", "TEST"][i % 4];
                    json!({ "type": "create", "fields": { "code": format!("PROD-{i:05}"), "display_value": format!("Product {i}"), "is_active": true,
                        "column_values": { "price": 1.0 + (*i % 200) as f64 * 0.5, "description": "seeded for the load test", "category": category, "in_stock": i % 5 != 0 } } })
                })
                .collect();
            let batch: Value = post("/api/v1/data/PRODUCTS/batch", json!({ "operations": ops, "on_error": "abort" })).await?.error_for_status()?.json().await?;
            anyhow::ensure!(batch["success_count"].as_u64() == Some(chunk.len() as u64), "batch: {batch}");
        }
        let mut cursor: Option<String> = None;
        loop {
            let mut q = json!({ "page_size": 1000, "fields": [] });
            if let Some(c) = &cursor {
                q["next_key_set"] = json!(c);
            }
            let page: Value = post("/api/v1/data/PRODUCTS/query", q).await?.error_for_status()?.json().await?;
            row_ids.extend(page["rows"].as_array().into_iter().flatten().map(|r| text(&r["id"])));
            match page["next_key_set"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        anyhow::ensure!(row_ids.len() == ROWS, "{} rows listed", row_ids.len());

        let report: Value = post(
            "/api/v1/reports",
            json!({ "name": "products by category", "spec": { "source": { "table": "PRODUCTS" }, "group_by": [{ "field": "category" }],
                    "aggregates": [{ "fn": "count", "as": "n" }, { "fn": "avg", "field": "price", "as": "avg_price" }] } }),
        )
        .await?
        .error_for_status()?
        .json()
        .await?;

        let (_, run) = end2end::upload_and_run(server, &http, "ledger.csv", big_csv(20_000), "concepto").await?;
        let run_id = text(&run["id"]);
        end2end::wait_run(server, &http, &run_id, Duration::from_secs(120), |r| r["status"] == "succeeded").await.context("the stream's run")?;

        Ok(Fixture {
            base: server.base.clone(),
            token,
            row_ids,
            report_id: text(&report["id"]),
            run_id,
            big_csv: std::sync::Arc::new(big_csv(10 * 1024 * 1024)),
            think: 1.0,
        })
    }
}
