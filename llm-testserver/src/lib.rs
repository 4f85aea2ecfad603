//! An OpenAI-compatible chat-completions server that tests start on a free port. It answers the
//! classification protocol of DESIGN §5 correctly unless scripted otherwise: the category is the
//! first category whose name or one of whose keywords (from the compiled prompt) is in the line's
//! text, else the first category; the score 0.9.
//! Faults are scripted per chunk (keyed by the chunk's first `row_index`, so concurrency does not
//! change which call gets which fault) or for every call, and every call is recorded.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// What one call does instead of answering correctly.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer correctly, but only after this long (past the client's timeout, usually).
    Late(Duration),
    /// 429 with `Retry-After: secs` (fractions allowed).
    RateLimited { retry_after: Option<f64> },
    /// 5xx with an error body.
    ServerError(u16),
    /// Any other status (e.g. 401 for a bad key): not worth retrying.
    Status(u16),
    /// A 200 whose message content is prose, not JSON.
    MalformedContent,
    /// A 200 whose HTTP body is not JSON at all.
    MalformedBody,
    /// Leave out the results of the last `n` lines.
    Drop(usize),
    /// Answer in reverse order.
    Reorder,
    /// Send every result twice, the second with another category.
    Duplicate,
    /// Add results for row indexes that were never sent.
    Invent(usize),
    /// Give the first line's result a wrong row_index but echo its text, so it can be repaired.
    WrongIndexWithText,
    /// Answer a category the prompt does not define for the first line.
    UnknownCategory,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub row_indexes: Vec<i64>,
    /// The second system message (the few-shot examples), if the call had one.
    pub examples: Option<String>,
    pub fault: Option<Fault>,
    pub structured: bool,
    pub at: Instant,
}

#[derive(Default)]
struct Script {
    latency: Duration,
    per_chunk: HashMap<i64, VecDeque<Fault>>,
    always: Option<Fault>,
    /// Any call with a line containing this text answers prose instead of JSON, every time.
    poison: Option<String>,
    refuse_json_schema: bool,
    calls: Vec<Call>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Script>>);

pub struct LlmTestServer {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl LlmTestServer {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on("127.0.0.1:0").await
    }

    pub async fn start_on(addr: &str) -> anyhow::Result<Self> {
        let shared = Shared::default();
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// The value for `OPENAI_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
        let mut s = self.shared.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    /// Every call waits this long before answering.
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// The next calls for the chunk whose first row_index is `first_row_index` get these faults, in
    /// order; later calls answer correctly.
    pub fn script(&self, first_row_index: i64, faults: Vec<Fault>) {
        self.with(|s| s.per_chunk.insert(first_row_index, faults.into()));
    }

    /// Every call (not scripted per chunk) gets this fault.
    pub fn always(&self, fault: Option<Fault>) {
        self.with(|s| s.always = fault);
    }

    /// Every call carrying a line that contains `text` answers malformed content, however often it
    /// is asked: one poisoned line among many.
    pub fn poison(&self, text: &str) {
        self.with(|s| s.poison = Some(text.to_string()));
    }

    /// Answer 400 to requests that ask for a JSON schema, as servers without structured output do.
    pub fn refuse_json_schema(&self, refuse: bool) {
        self.with(|s| s.refuse_json_schema = refuse);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    pub fn reset(&self) {
        self.with(|s| *s = Script::default());
    }
}

impl Drop for LlmTestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn chat(State(shared): State<Shared>, body: Json<Value>) -> Response {
    let Json(body) = body;
    let system = message(&body, "system");
    let lines: Vec<(i64, String)> = serde_json::from_str::<Vec<Value>>(&message(&body, "user"))
        .unwrap_or_default()
        .iter()
        .map(|l| (l["row_index"].as_i64().unwrap_or(-1), l["text"].as_str().unwrap_or_default().to_string()))
        .collect();
    let schema_names = body
        .pointer("/response_format/json_schema/schema/properties/results/items/properties/category/enum")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect::<Vec<_>>());
    let structured = schema_names.is_some();
    let keywords = keywords_from_prompt(&system);
    let categories = schema_names.unwrap_or_else(|| keywords.iter().map(|(n, _)| n.clone()).collect());
    let first = lines.first().map(|l| l.0).unwrap_or(-1);

    let (latency, fault, refuse) = {
        let mut s = shared.0.lock().unwrap_or_else(|p| p.into_inner());
        let scripted = s.per_chunk.get_mut(&first).and_then(VecDeque::pop_front);
        let poisoned = s.poison.as_ref().is_some_and(|p| lines.iter().any(|l| l.1.contains(p.as_str())));
        let fault = if poisoned { Some(Fault::MalformedContent) } else { scripted.or_else(|| s.always.clone()) };
        let examples = body["messages"].as_array().and_then(|m| m.iter().filter(|m| m["role"] == "system").nth(1)).and_then(|m| m["content"].as_str()).map(String::from);
        s.calls.push(Call { row_indexes: lines.iter().map(|l| l.0).collect(), examples, fault: fault.clone(), structured, at: Instant::now() });
        (s.latency, fault, s.refuse_json_schema && structured)
    };
    tokio::time::sleep(latency).await;
    if refuse {
        return error(StatusCode::BAD_REQUEST, "response_format json_schema is not supported by this server", None);
    }
    let mut results: Vec<Value> = lines
        .iter()
        .map(|(i, text)| json!({"row_index": i, "category": pick(&categories, &keywords, text), "score": 0.9, "reason": "name found in the line"}))
        .collect();
    match &fault {
        Some(Fault::Late(d)) => tokio::time::sleep(*d).await,
        Some(Fault::RateLimited { retry_after }) => {
            return error(StatusCode::TOO_MANY_REQUESTS, "rate limit reached", retry_after.map(|s| s.to_string()));
        }
        Some(Fault::ServerError(code)) => {
            return error(StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "the server had an error", None);
        }
        Some(Fault::Status(code)) => {
            return error(StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_REQUEST), "refused", None);
        }
        Some(Fault::MalformedBody) => return (StatusCode::OK, "{\"choices\": [ oops").into_response(),
        Some(Fault::Drop(n)) => results.truncate(results.len().saturating_sub(*n)),
        Some(Fault::Reorder) => results.reverse(),
        Some(Fault::Duplicate) => {
            let copies: Vec<Value> = results
                .iter()
                .map(|r| {
                    let mut c = r.clone();
                    c["category"] = json!(categories.last().cloned().unwrap_or_default());
                    c
                })
                .collect();
            results.extend(copies);
        }
        Some(Fault::Invent(n)) => {
            for k in 0..*n {
                results.push(json!({"row_index": 1_000_000_000 + k as i64, "category": pick(&categories, &keywords, ""), "score": 0.5, "reason": "invented"}));
            }
        }
        Some(Fault::WrongIndexWithText) => {
            if let (Some(r), Some((_, text))) = (results.first_mut(), lines.first()) {
                r["row_index"] = json!(-7);
                r["description"] = json!(text);
            }
        }
        Some(Fault::UnknownCategory) => {
            if let Some(r) = results.first_mut() {
                r["category"] = json!("Astrología");
            }
        }
        Some(Fault::MalformedContent) | None => {}
    }
    let content = if fault == Some(Fault::MalformedContent) {
        "Sure! Here are your classifications: the first one is travel...".to_string()
    } else {
        json!({ "results": results }).to_string()
    };
    let prompt_tokens = (system.len() + message(&body, "user").len()) / 4;
    let completion_tokens = content.len() / 4;
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"].as_str().unwrap_or("test-model"),
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}
    }))
    .into_response()
}

fn message(body: &Value, role: &str) -> String {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == role))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Categories with their keywords, from the compiled prompt's `N. Name - description` lines and the
/// `Keywords: a, b` line under each.
fn keywords_from_prompt(system: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in system.lines() {
        if let Some(list) = line.trim().strip_prefix("Keywords:") {
            if let Some(last) = out.last_mut() {
                last.1 = list.split(',').map(|k| k.trim().to_lowercase()).filter(|k| !k.is_empty()).collect();
            }
            continue;
        }
        let Some((num, rest)) = line.split_once(". ") else { continue };
        if num.trim().parse::<u32>().is_ok()
            && let Some(name) = rest.split(" - ").next()
        {
            out.push((name.trim().to_string(), Vec::new()));
        }
    }
    out
}

/// The first category whose name or keyword appears in the text (ignoring case), else the first.
fn pick(categories: &[String], keywords: &[(String, Vec<String>)], text: &str) -> String {
    let lower = text.to_lowercase();
    let hit = |c: &String| {
        lower.contains(&c.to_lowercase())
            || keywords.iter().any(|(n, ks)| n == c && ks.iter().any(|k| lower.contains(k.as_str())))
    };
    categories.iter().find(|c| hit(c)).or(categories.first()).cloned().unwrap_or_default()
}

fn error(status: StatusCode, message: &str, retry_after: Option<String>) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert("retry-after", v);
    }
    let body = json!({"error": {"message": message, "type": "test_error", "param": null, "code": null}});
    (status, headers, Json(body)).into_response()
}
