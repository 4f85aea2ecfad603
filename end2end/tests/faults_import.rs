//! PostgreSQL stopped for 10 s in the middle of an import into a governed table (issue 20): the
//! job's status answers a clear 503 while it is down, and the import goes on by itself when it
//! returns — every record stored once, none lost.

use std::time::{Duration, Instant};

use end2end::{PrivatePostgres, TestServer};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";

#[tokio::test]
async fn postgres_down_mid_import_then_every_record_is_stored_once() -> anyhow::Result<()> {
    let pg = PrivatePostgres::start()?;
    let server = TestServer::start_on(&pg.admin_url(), &[("IMPORT_LEASE_SECS", "2"), ("JSON_BODY_MAX_BYTES", "16777216")]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let root = server.client("root", PASSWORD).await?;
    let post = |path: &str, body: Value| root.post(server.url(path)).json(&body).send();
    let table: Value = post("/api/v1/metadata/tables", json!({ "table_name": "ITEMS" })).await?.error_for_status()?.json().await?;
    let column: Value = post("/api/v1/metadata/columns", json!({ "column_name": "price", "data_type": "Decimal" })).await?.error_for_status()?.json().await?;
    post("/api/v1/metadata/properties", json!({ "logical_table_id": table["id"], "column_definition_id": column["id"] })).await?.error_for_status()?;
    let cfg: Value = post(
        "/api/v1/migration/configurations",
        json!({ "name": "items", "source_type": "INLINE", "target_logical_table_id": table["id"], "upsert_key": ["code"],
                "mappings": [{ "source_field": "sku", "target_field": "code" }, { "source_field": "importe", "target_field": "price", "transformation_type": "TO_NUMBER" }] }),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    const N: i64 = 30_000;
    let records: Vec<Value> = (0..N).map(|i| json!({ "sku": format!("SKU-{i:06}"), "importe": format!("{}.{:02}", i % 1000, i % 100) })).collect();
    let started: Value = post("/api/v1/migration/batch", json!({ "configuration_id": cfg["id"], "source_data": records, "batch_size": 250 })).await?.error_for_status()?.json().await?;
    let job = started["job_id"].as_str().unwrap_or_default().to_string();
    let status_url = server.url(&format!("/api/v1/migration/batch/{job}"));
    loop {
        let st: Value = root.get(&status_url).send().await?.json().await?;
        anyhow::ensure!(matches!(st["status"].as_str(), Some("PENDING" | "PROCESSING")), "finished before the outage: {st}");
        if st["processed_records"].as_i64().unwrap_or(0) >= 2_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    pg.down()?;
    let down_at = Instant::now();
    let asked = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(9), root.get(&status_url).send()).await??;
    let (status, body) = (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null));
    assert_eq!((status, body["error"]["code"].clone()), (503, json!("database_unavailable")), "{body}");
    assert!(asked.elapsed() < Duration::from_secs(8), "answered in {:?}", asked.elapsed());
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(down_at.elapsed())).await;
    pg.up()?;

    let deadline = Instant::now() + Duration::from_secs(180);
    let done = loop {
        let r = root.get(&status_url).send().await?;
        if r.status() == 200 {
            let st: Value = r.json().await?;
            if !matches!(st["status"].as_str(), Some("PENDING" | "PROCESSING")) {
                break st;
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "the import did not finish after PostgreSQL came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let n = |k: &str| done[k].as_i64().unwrap_or(-1);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!((n("total_records"), n("processed_records"), n("inserted_records"), n("error_records")), (N, N, N, 0), "{done}");
    let db = server.db().await?;
    let physical = format!("eav.t_{}", uuid::Uuid::parse_str(table["id"].as_str().unwrap_or_default())?.simple());
    let (rows, codes): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*), count(DISTINCT code) FROM {physical}"))).fetch_one(&db).await?;
    assert_eq!((rows, codes), (N, N), "every record once");
    Ok(())
}
