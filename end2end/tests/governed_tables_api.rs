//! Seed 004 §14.3 over HTTP with an API token, as an outside client would run it: create PRODUCTS,
//! a Decimal `price`, bind it mandatory, create PROD-001 at 29.99 and read it back equal. Then the
//! seed's error contract (§10.1): 400 for an id that is not a UUID, 404 for an unknown table or row,
//! 422 with the column and the rule's message, 409 with the current row on a stale version, 409
//! for a duplicate name; and a batch, a keyset query and the OpenAPI document.

use end2end::TestServer;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

#[tokio::test]
async fn the_seeds_end_to_end_test_passes_over_http_with_an_api_token() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let session = server.client("root", PASSWORD).await?;
    let token: Value = session.post(server.url("/api/v1/tokens")).json(&json!({ "name": "seed e2e", "scope": "admin" })).send().await?.error_for_status()?.json().await?;
    let secret = token["token"].as_str().unwrap_or_default().to_string();
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = client.request(method, server.url(path)).bearer_auth(&secret);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    use reqwest::Method as M;

    let table = call(M::POST, "/api/v1/metadata/tables", Some(json!({ "table_name": "PRODUCTS", "description": "Test Products Table", "is_hierarchical": false }))).await?;
    assert_eq!(table.status(), 201);
    let table: Value = table.json().await?;
    let table_id = table["id"].as_str().unwrap_or_default().to_string();
    let column = call(M::POST, "/api/v1/metadata/columns", Some(json!({ "column_name": "price", "data_type": "Decimal", "description": "Product price" }))).await?;
    assert_eq!(column.status(), 201);
    let column: Value = column.json().await?;
    let column_id = column["id"].as_str().unwrap_or_default().to_string();
    let prop = call(
        M::POST,
        "/api/v1/metadata/properties",
        Some(json!({ "logical_table_id": table_id, "column_definition_id": column_id, "display_order": 1, "is_mandatory": true })),
    )
    .await?;
    assert_eq!(prop.status(), 201);
    let row = call(
        M::POST,
        "/api/v1/data/PRODUCTS",
        Some(json!({ "code": "PROD-001", "display_value": "Test Product", "is_active": true, "column_values": { "price": 29.99 } })),
    )
    .await?;
    assert_eq!(row.status(), 201);
    let row: Value = row.json().await?;
    let row_id = row["id"].as_str().unwrap_or_default().to_string();
    let got = call(M::GET, &format!("/api/v1/data/PRODUCTS/{row_id}"), None).await?;
    assert_eq!(got.status(), 200);
    let got: Value = got.json().await?;
    assert_eq!(got["code"], "PROD-001");
    assert_eq!(got["display_value"], "Test Product");
    assert_eq!(got["is_active"], true);
    assert_eq!(got["column_values"]["price"], json!(29.99), "a Decimal comes back as the JSON number");
    assert_eq!(got["version"], 1);

    // The error contract.
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(call(M::GET, "/api/v1/data/PRODUCTS/not-a-uuid", None).await?), 400);
    assert_eq!(status(call(M::GET, "/api/v1/data/NOPE/0190f3c2-0000-7000-8000-000000000000", None).await?), 404);
    assert_eq!(status(call(M::GET, "/api/v1/data/PRODUCTS/0190f3c2-0000-7000-8000-000000000000", None).await?), 404);
    let broken = call(M::POST, "/api/v1/data/PRODUCTS", Some(json!({ "code": "PROD-002", "column_values": {} }))).await?;
    assert_eq!(broken.status(), 422);
    let body: Value = broken.json().await?;
    assert_eq!(body["error"]["code"], "value_required");
    assert_eq!(body["error"]["details"]["column"], "price");
    let dup = call(M::POST, "/api/v1/metadata/tables", Some(json!({ "table_name": "products" }))).await?;
    assert_eq!(dup.status(), 409);
    let stale = call(M::PATCH, &format!("/api/v1/data/PRODUCTS/{row_id}"), Some(json!({ "version": 1, "column_values": { "price": 31.5 } }))).await?;
    assert_eq!(stale.status(), 200);
    let stale = call(M::PATCH, &format!("/api/v1/data/PRODUCTS/{row_id}"), Some(json!({ "version": 1, "column_values": { "price": 1 } }))).await?;
    assert_eq!(stale.status(), 409);
    let body: Value = stale.json().await?;
    assert_eq!(body["error"]["code"], "row_version_conflict");
    assert_eq!(body["error"]["details"]["current"]["column_values"]["price"], json!(31.5));

    // A batch in one transaction, then the seed's list and a keyset query.
    let ops: Vec<Value> = (0..45).map(|i| json!({ "type": "create", "fields": { "code": format!("B-{i:03}"), "column_values": { "price": i } } })).collect();
    let batch: Value = call(M::POST, "/api/v1/data/PRODUCTS/batch", Some(json!({ "operations": ops, "on_error": "abort" }))).await?.json().await?;
    assert_eq!((batch["processed_count"].as_u64(), batch["success_count"].as_u64(), batch["error_count"].as_u64()), (Some(45), Some(45), Some(0)));
    let list: Value = call(M::GET, "/api/v1/data/PRODUCTS?pageSize=20", None).await?.json().await?;
    assert_eq!(list["rows"].as_array().map(Vec::len), Some(20));
    assert!(list["next_key_set"].is_string(), "a full page names the next");
    let mut seen = 0;
    let mut q = json!({ "filters": [{ "field": "price", "operator": "lt", "value": 30 }], "sorting": [{ "field": "price", "direction": "desc" }], "page_size": 10 });
    loop {
        let page: Value = call(M::POST, "/api/v1/data/PRODUCTS/query", Some(q.clone())).await?.json().await?;
        seen += page["rows"].as_array().map(Vec::len).unwrap_or_default();
        match page["next_key_set"].as_str() {
            Some(k) => q["next_key_set"] = json!(k),
            None => break,
        }
    }
    assert_eq!(seen, 30, "B-000..B-029 (PROD-001 is at 31.5)");

    let doc: Value = reqwest::get(server.url("/api/v1/openapi.json")).await?.json().await?;
    for path in ["/api/v1/metadata/tables", "/api/v1/metadata/columns", "/api/v1/metadata/properties", "/api/v1/metadata/constraints", "/api/v1/data/{table}/query", "/api/v1/data/{table}/batch"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    Ok(())
}

#[tokio::test]
async fn a_view_exports_as_streamed_csv_and_as_xlsx_with_its_order_and_columns() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let client = server.client("root", PASSWORD).await?;
    let post = |path: &str, body: Value| client.post(server.url(path)).json(&body).send();
    let t: Value = post("/api/v1/metadata/tables", json!({ "table_name": "EXPORTED" })).await?.error_for_status()?.json().await?;
    for (name, ty) in [("exp_price", "Decimal"), ("exp_note", "String")] {
        let c: Value = post("/api/v1/metadata/columns", json!({ "column_name": name, "data_type": ty })).await?.error_for_status()?.json().await?;
        post("/api/v1/metadata/properties", json!({ "logical_table_id": t["id"], "column_definition_id": c["id"] })).await?.error_for_status()?;
    }
    // 2,500 rows: the CSV comes in three pages of the stream. Columns come in display order, then by name.
    let ops: Vec<Value> = (0..2500)
        .map(|i| json!({ "type": "create", "fields": { "code": format!("E{i:04}"), "column_values": { "exp_price": -(i as f64) - 0.5, "exp_note": if i == 7 { "=HYPERLINK(1)" } else { "ok" } } } }))
        .collect();
    post("/api/v1/data/EXPORTED/batch", json!({ "operations": ops })).await?.error_for_status()?;
    let view = json!({ "sorting": [{ "field": "code", "direction": "desc" }], "fields": ["exp_price"] }).to_string();
    let csv = client.get(server.url("/api/v1/data/EXPORTED/export")).query(&[("format", "csv"), ("view", view.as_str()), ("lang", "es")]).send().await?;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str()?.starts_with("text/csv"));
    let text = csv.text().await?;
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2501, "a header and every row");
    assert_eq!(lines[0], "código;nombre;exp_price;activa");
    assert_eq!(lines[1], "E2499;;-2499,5;sí", "descending, Spanish decimals, only the chosen column");
    assert_eq!(lines[2500], "E0000;;-0,5;sí");
    let all = client.get(server.url("/api/v1/data/EXPORTED/export?format=csv&sep=,&lang=en")).send().await?.text().await?;
    assert!(all.contains("E0007,,'=HYPERLINK(1),-7.5,yes"), "a formula is written as text: {}", all.lines().find(|l| l.starts_with("E0007")).unwrap_or_default());
    let xlsx = client.get(server.url("/api/v1/data/EXPORTED/export")).query(&[("format", "xlsx"), ("view", view.as_str())]).send().await?;
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await?;
    assert!(bytes.starts_with(b"PK") && bytes.len() > 10_000, "an XLSX (zip) of every row: {} bytes", bytes.len());
    let bad = client.get(server.url("/api/v1/data/EXPORTED/export")).query(&[("view", "{\"filters\":[{\"field\":\"nope\",\"operator\":\"eq\",\"value\":1}]}")]).send().await?;
    assert_eq!(bad.status(), 422);
    Ok(())
}
