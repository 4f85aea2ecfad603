//! Many people clicking around at once must never freeze the server: 32 clients load every kind of
//! page several hundred times together while `/healthz` is probed; every page answers and health
//! answers within a second throughout and afterwards (the SSR deadlock of leptos#4673 once stopped
//! the whole process under exactly this load).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use end2end::{TestServer, upload_and_run, wait_run};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const CLIENTS: usize = 32;
const LOADS_PER_CLIENT: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_page_loads_never_freeze_the_server() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("ana", "admin", PASSWORD)?;
    let ana = server.client("ana", PASSWORD).await?;
    let mut csv = String::from("concepto;importe\n");
    for i in 0..200 {
        csv.push_str(&format!("{} {};{}\n", ["Taxi aeropuerto", "Factura Iberdrola luz", "Restaurante", "Licencia software"][i % 4], i % 37, i));
    }
    let (dataset, run) = upload_and_run(&server, &ana, "lineas.csv", csv.into_bytes(), "concepto").await?;
    let (dataset, run) = (text(&dataset["id"]), text(&run["id"]));
    wait_run(&server, &ana, &run, Duration::from_secs(60), |r| r["status"] == "succeeded").await?;
    let sample: Value = ana.post(server.url("/api/v1/samples")).json(&json!({"run_id": run, "seed": 1})).send().await?.error_for_status()?.json().await?;
    let sample = text(&sample["id"]);
    let upload: Value = ana.get(server.url(&format!("/api/v1/datasets/{dataset}"))).send().await?.json().await?;
    let upload = text(&upload["upload_id"]);
    // A governed table with rows, and an import into it (the screens of the other half).
    let table: Value = ana.post(server.url("/api/v1/metadata/tables")).json(&json!({"table_name": "LOAD"})).send().await?.error_for_status()?.json().await?;
    let config: Value = ana
        .post(server.url("/api/v1/migration/configurations"))
        .json(&json!({"name": "load", "source_type": "DATASET", "source_id": dataset, "target_logical_table_id": table["id"], "upsert_key": ["code"],
                      "mappings": [{"source_field": "concepto", "target_field": "code"}, {"source_field": "importe", "target_field": "amount", "storage_type": "JSONB"}]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let job: Value =
        ana.post(server.url("/api/v1/migration/batch")).json(&json!({"configuration_id": config["id"]})).send().await?.error_for_status()?.json().await?;
    let job = text(&job["job_id"]);
    // A report over the run, with a link (the third kind of user's screen).
    let report: Value = ana
        .post(server.url("/api/v1/reports"))
        .json(&json!({"name": "load", "spec": {"source": {"run_id": run}, "group_by": [{"field": "category"}], "aggregates": [{"fn": "count", "as": "n"}], "chart": {"type": "bar"}}}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let report = text(&report["id"]);
    let link: Value = ana.post(server.url(&format!("/api/v1/reports/{report}/links"))).json(&json!({})).send().await?.error_for_status()?.json().await?;
    let token = text(&link["token"]);
    // A marketing source with a run (against nowhere: it fails, and the page says why).
    let source: Value = ana
        .post(server.url("/api/v1/etl/sources"))
        .json(&json!({"name": "load ads", "kind": "ads", "url": "http://127.0.0.1:9/ads", "fields": {"date": {"path": "d"}, "campaign_id": {"path": "c"}, "channel": {"constant": "x"}}}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let eruns: Vec<Value> = ana.post(server.url(&format!("/api/v1/etl/run?source_id={}", text(&source["id"])))).send().await?.error_for_status()?.json().await?;
    let erun = eruns.first().map(|r| text(&r["id"])).unwrap_or_default();

    let pages: Arc<Vec<(String, u16)>> = Arc::new(
        [
            ("/".to_string(), 200),
            ("/datasets".into(), 200),
            (format!("/datasets/{dataset}"), 200),
            (format!("/datasets/{dataset}/classify"), 200),
            (format!("/uploads/{upload}"), 200),
            (format!("/runs/{run}"), 200),
            (format!("/samples/{sample}"), 200),
            ("/prompts".into(), 200),
            (format!("/prompts?sample={sample}"), 200),
            ("/reviews".into(), 200),
            ("/tables".into(), 200),
            ("/tables/LOAD".into(), 200),
            ("/tables/LOAD/schema".into(), 200),
            ("/imports".into(), 200),
            ("/imports/new?table=LOAD".into(), 200),
            (format!("/imports/jobs/{job}"), 200),
            ("/reports".into(), 200),
            ("/reports/new".into(), 200),
            (format!("/reports/new?run={run}"), 200),
            (format!("/reports/new?sample={sample}&template=accuracy"), 200),
            (format!("/reports/new?sample={sample}&template=confusions"), 200),
            (format!("/reports/{report}"), 200),
            (format!("/reports/{report}/edit"), 200),
            ("/reports/links".into(), 200),
            ("/marketing".into(), 200),
            (format!("/marketing/runs/{erun}"), 200),
            ("/marketing/events".into(), 200),
            (format!("/s/{token}"), 200),
            ("/s/dgs_l_unknown".into(), 404),
            ("/account".into(), 200),
            ("/admin/users".into(), 200),
            ("/admin/roles".into(), 200),
            ("/admin/audit".into(), 200),
            ("/login".into(), 200),
            ("/no/such/page".into(), 404),
        ]
        .into_iter()
        .collect(),
    );

    // Health, probed throughout: every answer within a second.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let prober = {
        let (url, stop) = (server.url("/healthz"), stop.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(1)).build()?;
            let (mut probes, mut slowest) = (0usize, Duration::ZERO);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let r = client.get(&url).send().await;
                let took = started.elapsed();
                anyhow::ensure!(matches!(&r, Ok(r) if r.status() == 200), "healthz failed after {took:?} during the load: {r:?}");
                slowest = slowest.max(took);
                probes += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            anyhow::Ok((probes, slowest))
        })
    };

    let loaded = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (ana, pages, loaded, base) = (ana.clone(), pages.clone(), loaded.clone(), server.base.clone());
        clients.push(tokio::spawn(async move {
            for n in 0..LOADS_PER_CLIENT {
                let (path, expected) = &pages[(c * 7 + n) % pages.len()];
                let r = tokio::time::timeout(Duration::from_secs(30), ana.get(format!("{base}{path}")).send())
                    .await
                    .map_err(|_| anyhow::anyhow!("{path} gave no answer in 30 s"))??;
                let status = r.status().as_u16();
                let body = r.text().await?;
                anyhow::ensure!(status == *expected, "{path} answered {status}, not {expected}");
                anyhow::ensure!(body.contains("</html>"), "{path} answered an unfinished page");
                loaded.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for c in clients {
        c.await??;
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (probes, slowest) = prober.await??;
    let loads = loaded.load(Ordering::Relaxed);
    assert_eq!(loads, CLIENTS * LOADS_PER_CLIENT);
    assert!(probes > 0, "health was never probed");
    println!("{loads} page loads by {CLIENTS} clients in {elapsed:?}; {probes} health probes, slowest {slowest:?}");

    // And afterwards.
    let after = Instant::now();
    let r = reqwest::Client::builder().timeout(Duration::from_secs(1)).build()?.get(server.url("/healthz")).send().await?;
    assert_eq!(r.status(), 200);
    let health: Value = r.json().await?;
    assert!(after.elapsed() < Duration::from_secs(1));
    let runtimes = health["runtimes"].as_object().cloned().unwrap_or_default();
    assert!(runtimes.keys().any(|k| k.starts_with("render-")), "render threads report to health: {health}");
    assert!(runtimes.contains_key("jobs") && runtimes.contains_key("main"), "{health}");
    Ok(())
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The wasm every browser downloads first is sent compressed to clients that accept it, and as is
/// to those that do not.
#[tokio::test]
async fn assets_are_compressed_for_clients_that_accept_it() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    let client = reqwest::Client::new();
    let plain = client.get(server.url("/pkg/dgs.wasm")).send().await?;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let raw = plain.bytes().await?.len();
    for encoding in ["br", "gzip"] {
        let r = client.get(server.url("/pkg/dgs.wasm")).header("accept-encoding", encoding).send().await?;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some(encoding));
        let sent = r.bytes().await?.len();
        assert!(sent * 2 < raw, "{encoding}: {sent} bytes sent for {raw}");
    }
    Ok(())
}
