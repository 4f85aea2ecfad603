//! The goose scenarios. Every request is named (the name is the endpoint's row in the table) and
//! counts as failed unless it answers the status the contract gives.

use std::time::Duration;

use goose::goose::GooseResponse;
use goose::prelude::*;
use serde_json::{Value, json};

use crate::fixture::{self, Fixture};

pub const LIST: &str = "GET /data/PRODUCTS?pageSize=20";
pub const GET_ROW: &str = "GET /data/PRODUCTS/{id}";
pub const CREATE: &str = "POST /data/PRODUCTS";
pub const QUERY: &str = "POST /data/PRODUCTS/query (2 filters + sort)";
pub const REPORT: &str = "POST /reports/execute";
pub const STREAM: &str = "GET /runs/{id}/events (stream)";
pub const UPLOAD: &str = "POST /uploads (10 MB CSV)";
pub const DELETE_UPLOAD: &str = "DELETE /uploads/{id}";

/// Which rows are reads and which are writes, for our thresholds.
pub fn is_write(name: &str) -> bool {
    name.starts_with("POST /data/PRODUCTS") && name != QUERY || name.starts_with("DELETE")
}

async fn think(f: &Fixture, secs: f64) {
    if f.think > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(secs * f.think)).await;
    }
}

fn pick(f: &Fixture) -> &str {
    let i = uuid::Uuid::new_v4().as_u128() as usize % f.row_ids.len().max(1);
    f.row_ids.get(i).map(String::as_str).unwrap_or_default()
}

/// One request through goose (so it is timed and counted), authorised by the fixture's token.
async fn call(user: &mut GooseUser, method: GooseMethod, path: &str, name: &str, status: u16, body: Option<&Value>) -> Result<GooseResponse, Box<TransactionError>> {
    let f = fixture::current();
    let mut rb = user.get_request_builder(&method, path)?.bearer_auth(&f.token);
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let req = GooseRequest::builder().method(method).path(path).name(name).expect_status_code(status).set_request_builder(rb).build();
    user.request(req).await
}

/// Seed 004 §14.4.1's k6 function: list, sleep 1, read one, sleep 1, create, sleep 3.
pub async fn seed_iteration(user: &mut GooseUser) -> TransactionResult {
    let f = fixture::current();
    call(user, GooseMethod::Get, "/api/v1/data/PRODUCTS?pageSize=20", LIST, 200, None).await?;
    think(&f, 1.0).await;
    call(user, GooseMethod::Get, &format!("/api/v1/data/PRODUCTS/{}", pick(&f)), GET_ROW, 200, None).await?;
    think(&f, 1.0).await;
    let n = uuid::Uuid::new_v4().as_u128();
    let body = json!({
        "code": format!("PROD-L{}", uuid::Uuid::new_v4().simple()),
        "display_value": format!("Test Product {}", n % 10_000),
        "is_active": true,
        "column_values": { "price": 29.99 + (n % 5_000) as f64 / 100.0, "description": "This is a test product created during load testing", "category": "TEST", "in_stock": n % 5 != 0 }
    });
    call(user, GooseMethod::Post, "/api/v1/data/PRODUCTS", CREATE, 201, Some(&body)).await?;
    think(&f, 3.0).await;
    Ok(())
}

/// The query API as the grid uses it: two filters and a sort.
pub async fn query(user: &mut GooseUser) -> TransactionResult {
    let f = fixture::current();
    let low = (uuid::Uuid::new_v4().as_u128() % 80) as f64;
    let body = json!({ "filters": [{ "field": "price", "operator": "gte", "value": low }, { "field": "in_stock", "operator": "eq", "value": true }],
                       "sorting": [{ "field": "price", "direction": "desc" }], "page_size": 20 });
    call(user, GooseMethod::Post, "/api/v1/data/PRODUCTS/query", QUERY, 200, Some(&body)).await?;
    think(&f, 1.0).await;
    Ok(())
}

pub async fn report(user: &mut GooseUser) -> TransactionResult {
    let f = fixture::current();
    let body = json!({ "report_id": f.report_id, "pagination": { "page_size": 20 } });
    call(user, GooseMethod::Post, "/api/v1/reports/execute", REPORT, 200, Some(&body)).await?;
    think(&f, 2.0).await;
    Ok(())
}

/// A finished run's stream: its one `progress` event, then the end; read to the end.
pub async fn stream(user: &mut GooseUser) -> TransactionResult {
    let f = fixture::current();
    let mut got = call(user, GooseMethod::Get, &format!("/api/v1/runs/{}/events", f.run_id), STREAM, 200, None).await?;
    if let Ok(r) = got.response {
        let body = r.text().await.unwrap_or_default();
        if !body.contains("event: progress") {
            return user.set_failure("no progress event", &mut got.request, None, Some(&body));
        }
    }
    think(&f, 2.0).await;
    Ok(())
}

/// A 10 MB CSV uploaded and read, then deleted so the database does not grow for the whole run.
pub async fn upload(user: &mut GooseUser) -> TransactionResult {
    let f = fixture::current();
    let form = reqwest13::multipart::Form::new().part("file", reqwest13::multipart::Part::bytes(f.big_csv.as_ref().clone()).file_name("ledger-10mb.csv"));
    let rb = user.get_request_builder(&GooseMethod::Post, "/api/v1/uploads")?.bearer_auth(&f.token).multipart(form);
    let req = GooseRequest::builder().method(GooseMethod::Post).path("/api/v1/uploads").name(UPLOAD).expect_status_code(201).set_request_builder(rb).build();
    let got = user.request(req).await?;
    let id = match got.response {
        Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["id"].as_str().map(str::to_string)),
        Err(_) => None,
    };
    if let Some(id) = id {
        call(user, GooseMethod::Delete, &format!("/api/v1/uploads/{id}"), DELETE_UPLOAD, 204, None).await?;
    }
    think(&f, 5.0).await;
    Ok(())
}

/// The mix: the seed's users, and beside them a few doing the other hot paths (weights are per
/// scenario; with 200 users: 170 seed, 14 query, 8 report, 6 stream, 2 upload).
pub fn scenarios(with_upload: bool) -> Result<Vec<Scenario>, GooseError> {
    let mut out = vec![
        scenario!("seed k6").set_weight(85)?.register_transaction(transaction!(seed_iteration)),
        scenario!("query").set_weight(7)?.register_transaction(transaction!(query)),
        scenario!("report").set_weight(4)?.register_transaction(transaction!(report)),
        scenario!("stream").set_weight(3)?.register_transaction(transaction!(stream)),
    ];
    if with_upload {
        out.push(scenario!("upload").set_weight(1)?.register_transaction(transaction!(upload)));
    }
    Ok(out)
}
