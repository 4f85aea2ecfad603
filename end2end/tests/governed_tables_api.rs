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
