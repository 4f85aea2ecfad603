//! A stand-in for the paid Ads and CRM APIs marketing sources read, serving real-shaped JSON:
//! - `GET /ads/insights?since=&after=&limit=`: Facebook Marketing insights (`data`, `paging.next`);
//! - `GET /crm/deals?since=&after=&limit=`: HubSpot deals (`results`, `paging.next.after`).
//!
//! Records are kept in order; `since` keeps those whose date (`date_start`, or the deal's
//! `updatedAt`, else `createdAt`) is on or after it; `after` is the position to go on from. Faults
//! are scripted per page (the position it starts at): a status, a delay, a malformed body; a page
//! can also be held until released, so a test can stop a run between fetch and commit.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Notify;

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Status(u16),
    /// Answer after this long (longer than the client's timeout: a timeout).
    Delay(Duration),
    /// A 200 whose body is not JSON.
    Malformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Ads,
    Crm,
}

#[derive(Default)]
struct Script {
    ads: Vec<Value>,
    crm: Vec<Value>,
    page_size: usize,
    faults: HashMap<(Api, usize), VecDeque<Fault>>,
    always: Option<Fault>,
    hold: Option<(Api, usize)>,
    required_auth: Option<String>,
    requests: Vec<String>,
    received: Vec<(HashMap<String, String>, Vec<u8>)>,
}

#[derive(Clone, Default)]
struct Shared {
    script: Arc<Mutex<Script>>,
    held: Arc<Notify>,
    reached: Arc<Notify>,
}

pub struct SourceTestServer {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl SourceTestServer {
    pub async fn start() -> anyhow::Result<Self> {
        let shared = Shared::default();
        shared.script.lock().unwrap_or_else(|p| p.into_inner()).page_size = 100;
        let app = axum::Router::new()
            .route("/ads/insights", get(ads))
            .route("/crm/deals", get(crm))
            .route("/sink", axum::routing::post(sink))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    pub fn url(&self, api: Api) -> String {
        match api {
            Api::Ads => format!("http://{}/ads/insights", self.addr),
            Api::Crm => format!("http://{}/crm/deals", self.addr),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
        let mut s = self.shared.script.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    pub fn set_records(&self, api: Api, records: Vec<Value>) {
        self.with(|s| match api {
            Api::Ads => s.ads = records,
            Api::Crm => s.crm = records,
        });
    }

    /// Changes (or adds) the record whose `id`/`campaign_id`+`date_start` matches, in place.
    pub fn update_record(&self, api: Api, index: usize, f: impl FnOnce(&mut Value)) {
        self.with(|s| {
            let list = match api {
                Api::Ads => &mut s.ads,
                Api::Crm => &mut s.crm,
            };
            if let Some(r) = list.get_mut(index) {
                f(r);
            }
        });
    }

    pub fn set_page_size(&self, n: usize) {
        self.with(|s| s.page_size = n.max(1));
    }

    /// The next requests for the page starting at `position` get these faults, in order.
    pub fn script(&self, api: Api, position: usize, faults: Vec<Fault>) {
        self.with(|s| s.faults.insert((api, position), faults.into()));
    }

    pub fn always(&self, fault: Option<Fault>) {
        self.with(|s| s.always = fault);
    }

    /// Requests must carry `Authorization: <value>`; 401 otherwise.
    pub fn require_auth(&self, value: Option<&str>) {
        self.with(|s| s.required_auth = value.map(str::to_string));
    }

    /// The page starting at `position` waits for `release` before it answers; `reached` resolves
    /// when a request for it has come.
    pub fn hold(&self, api: Api, position: usize) {
        self.with(|s| s.hold = Some((api, position)));
    }

    pub async fn reached(&self) {
        self.shared.reached.notified().await;
    }

    pub fn release(&self) {
        self.with(|s| s.hold = None);
        self.shared.held.notify_waiters();
    }

    /// Where a signed export can be sent: every post is kept with its headers.
    pub fn sink_url(&self) -> String {
        format!("http://{}/sink", self.addr)
    }

    /// The posts the sink received: headers (lower-case names) and the exact body.
    pub fn received(&self) -> Vec<(HashMap<String, String>, Vec<u8>)> {
        self.with(|s| s.received.clone())
    }

    /// The paths and queries asked for, in order.
    pub fn requests(&self) -> Vec<String> {
        self.with(|s| s.requests.clone())
    }
}

impl Drop for SourceTestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Deserialize)]
struct Params {
    since: Option<String>,
    after: Option<usize>,
    limit: Option<usize>,
}

fn date_of(api: Api, r: &Value) -> String {
    let pick = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
    match api {
        Api::Ads => pick("date_start").unwrap_or_default(),
        Api::Crm => pick("updatedAt").or_else(|| pick("createdAt")).unwrap_or_default(),
    }
}

async fn serve(api: Api, shared: Shared, headers: HeaderMap, p: Params, query: String) -> Response {
    let position = p.after.unwrap_or(0);
    let (fault, hold, page, next, authorized) = {
        let mut s = shared.script.lock().unwrap_or_else(|e| e.into_inner());
        s.requests.push(format!("{api:?}?{query}"));
        let authorized = s.required_auth.as_deref().is_none_or(|want| headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(want));
        let fault = s.faults.get_mut(&(api, position)).and_then(VecDeque::pop_front).or_else(|| s.always.clone());
        let hold = s.hold == Some((api, position));
        let size = p.limit.unwrap_or(s.page_size).max(1);
        let list = match api {
            Api::Ads => &s.ads,
            Api::Crm => &s.crm,
        };
        // ISO dates and times compare as text.
        let kept: Vec<&Value> = list.iter().filter(|r| p.since.as_deref().is_none_or(|since| date_of(api, r).as_str() >= since)).collect();
        let page: Vec<Value> = kept.iter().skip(position).take(size).map(|v| (*v).clone()).collect();
        let next = (position + page.len() < kept.len()).then_some(position + page.len());
        (fault, hold, page, next, authorized)
    };
    if hold {
        let released = shared.held.notified();
        shared.reached.notify_waiters();
        released.await;
    }
    if !authorized {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "Invalid OAuth access token"}}))).into_response();
    }
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, Json(json!({"error": {"message": format!("scripted {code}")}}))).into_response();
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Malformed) => return (StatusCode::OK, [("content-type", "application/json")], "{\"data\": [ {\"broken").into_response(),
        None => {}
    }
    let body = match (api, next) {
        (Api::Ads, Some(n)) => {
            let mut q: Vec<String> = query.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("after=")).map(str::to_string).collect();
            q.push(format!("after={n}"));
            json!({"data": page, "paging": {"cursors": {"after": n.to_string()}, "next": format!("/ads/insights?{}", q.join("&"))}})
        }
        (Api::Ads, None) => json!({"data": page, "paging": {"cursors": {"after": position.to_string()}}}),
        (Api::Crm, Some(n)) => json!({"results": page, "paging": {"next": {"after": n.to_string()}}}),
        (Api::Crm, None) => json!({"results": page}),
    };
    Json(body).into_response()
}

use axum::Json;

async fn ads(State(shared): State<Shared>, headers: HeaderMap, Query(p): Query<Params>, uri: axum::http::Uri) -> Response {
    serve(Api::Ads, shared, headers, p, uri.query().unwrap_or_default().to_string()).await
}

async fn crm(State(shared): State<Shared>, headers: HeaderMap, Query(p): Query<Params>, uri: axum::http::Uri) -> Response {
    serve(Api::Crm, shared, headers, p, uri.query().unwrap_or_default().to_string()).await
}

async fn sink(State(shared): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    let h = headers.iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string())).collect();
    shared.script.lock().unwrap_or_else(|e| e.into_inner()).received.push((h, body.to_vec()));
    StatusCode::NO_CONTENT
}

/// `DGS_CORPUS`, else `shared/corpus` beside the checkout (or any folder above it).
pub fn corpus() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("DGS_CORPUS") {
        return Ok(PathBuf::from(dir));
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().map(|a| a.join("shared/corpus")).find(|p| p.is_dir()).ok_or_else(|| anyhow::anyhow!("the shared corpus was not found; set DGS_CORPUS"))
}

/// The Facebook insights records of `corpus/06_ads_crm/airbyte-facebook-marketing`, as sent.
pub fn facebook_insights() -> anyhow::Result<Vec<Value>> {
    let path = corpus()?.join("06_ads_crm/airbyte-facebook-marketing/ads_insights_action_product_id.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    Ok(v.get("data").and_then(Value::as_array).cloned().unwrap_or_default())
}

/// Google Ads campaign stats of `fivetran_dbt_google_ads/campaign_stats_data.csv` as insights
/// records (date, campaign id, clicks, impressions, spend from micros), so one source shape can
/// replay both.
pub fn google_campaign_stats_as_insights() -> anyhow::Result<Vec<Value>> {
    let path = corpus()?.join("06_ads_crm/fivetran_dbt_google_ads/campaign_stats_data.csv");
    let mut out = Vec::new();
    let mut r = csv::Reader::from_path(path)?;
    let headers = r.headers()?.clone();
    for row in r.records() {
        let row = row?;
        let get = |k: &str| headers.iter().position(|h| h == k).and_then(|i| row.get(i)).unwrap_or_default().to_string();
        let micros: f64 = get("cost_micros").parse().unwrap_or(0.0);
        out.push(json!({
            "date_start": get("date"),
            "campaign_id": get("id"),
            "campaign_name": format!("gads {}", get("id")),
            "clicks": get("clicks"),
            "impressions": get("impressions"),
            "spend": format!("{:.6}", micros / 1_000_000.0),
            "actions": [{"action_type": "lead", "value": get("conversions")}],
        }));
    }
    Ok(out)
}

/// The HubSpot deals of the Estuary capture (`source-hubspot__capture.json`), as HubSpot sends them.
pub fn hubspot_deals() -> anyhow::Result<Vec<Value>> {
    let path = corpus()?.join("06_ads_crm/estuary_connectors_snapshots/source-hubspot__capture.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    Ok(v.as_array()
        .map(|docs| {
            docs.iter()
                .filter(|d| d.get(0).and_then(Value::as_str).is_some_and(|n| n.ends_with("/deals")))
                .filter_map(|d| d.get(1).cloned())
                .collect()
        })
        .unwrap_or_default())
}
