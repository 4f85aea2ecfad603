//! Reading a source page by page (DESIGN §8): next links, cursors or offsets; timeouts, 429 and 5xx
//! retried with exponential backoff and jitter (a `Retry-After` is honoured), other 4xx not. A link
//! or cursor seen twice ends the run with an error rather than a loop. The secret goes in its header
//! only; errors name the URL without its query string, which may carry a token.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use super::mapping::at;
use super::wire::{PaginationKind, SinceFormat, SourceInput};

#[derive(Debug, Clone)]
pub struct FetchPolicy {
    pub timeout: Duration,
    pub max_retries: u32,
    pub base_delay: Duration,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy { timeout: Duration::from_secs(30), max_retries: 3, base_delay: Duration::from_millis(300) }
    }
}

/// One page: its number (from 1) and its records as sent.
#[derive(Debug)]
pub struct Page {
    pub number: i32,
    pub records: Vec<Value>,
}

pub struct Fetcher<'a> {
    http: &'a reqwest::Client,
    policy: &'a FetchPolicy,
    source: &'a SourceInput,
    secret: Option<&'a str>,
    label: &'static str,
    first: Url,
    next: Option<Url>,
    seen: HashSet<String>,
    offset: u64,
    pub pages: i32,
    pub retries: i32,
}

/// The URL as it may be shown: no query string, no credentials.
fn shown(u: &Url) -> String {
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}{}", u.scheme(), u.host_str().unwrap_or_default(), u.path())
}

fn with_param(u: &Url, name: &str, value: &str) -> Url {
    let mut out = u.clone();
    let kept: Vec<(String, String)> = u.query_pairs().filter(|(k, _)| k != name).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    out.query_pairs_mut().clear().extend_pairs(kept).append_pair(name, value);
    out
}

pub fn since_text(t: DateTime<Utc>, f: SinceFormat) -> String {
    match f {
        SinceFormat::Date => t.date_naive().to_string(),
        SinceFormat::DateTime => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        SinceFormat::Unix => t.timestamp().to_string(),
    }
}

impl<'a> Fetcher<'a> {
    pub fn new(http: &'a reqwest::Client, policy: &'a FetchPolicy, source: &'a SourceInput, secret: Option<&'a str>, since: Option<DateTime<Utc>>) -> Result<Self, String> {
        let label = match source.kind {
            super::wire::SourceKind::Ads => "ADS API",
            super::wire::SourceKind::Crm => "CRM API",
        };
        let mut first = Url::parse(&source.url).map_err(|e| format!("{label} address is not a URL: {e}"))?;
        if let (Some(t), false) = (since, source.since_param.is_empty()) {
            first = with_param(&first, &source.since_param, &since_text(t, source.since_format));
        }
        let p = &source.pagination;
        if !p.limit_param.is_empty() {
            first = with_param(&first, &p.limit_param, &p.page_size.to_string());
        }
        if p.kind == PaginationKind::Offset {
            first = with_param(&first, &p.param, "0");
        }
        Ok(Fetcher { http, policy, source, secret, label, next: Some(first.clone()), first, seen: HashSet::new(), offset: 0, pages: 0, retries: 0 })
    }

    /// Goes on from a checkpoint: the next page's URL and the pages read before it.
    pub fn resume_from(&mut self, url: &str, pages: i32) -> Result<(), String> {
        let next = Url::parse(url).map_err(|e| format!("the checkpoint is not a URL: {e}"))?;
        if self.source.pagination.kind == PaginationKind::Offset {
            self.offset = next.query_pairs().find(|(k, _)| *k == self.source.pagination.param).and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        }
        self.next = Some(next);
        self.pages = pages;
        Ok(())
    }

    /// The page a run would read next (its checkpoint), or `None` when the last was read.
    pub fn next_url(&self) -> Option<String> {
        self.next.as_ref().map(|u| u.to_string())
    }

    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Page>, String> {
        let Some(url) = self.next.take() else { return Ok(None) };
        if !self.seen.insert(url.as_str().to_string()) {
            return Err(format!("{} sent a page link or cursor it had sent before ({}); stopped rather than loop", self.label, shown(&url)));
        }
        if self.pages as u32 >= self.source.pagination.max_pages {
            return Err(format!("{} has more than {} pages; raise max_pages", self.label, self.source.pagination.max_pages));
        }
        let body = self.get(&url).await?;
        self.pages += 1;
        let list = if self.source.records_path.is_empty() { Some(&body) } else { at(&body, &self.source.records_path) };
        let records = match list {
            Some(Value::Array(items)) => items.clone(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => return Err(format!("{} page {} has no list of records at '{}'", self.label, self.pages, self.source.records_path)),
        };
        self.next = self.after(&url, &body, records.len())?;
        Ok(Some(Page { number: self.pages, records }))
    }

    fn after(&mut self, url: &Url, body: &Value, got: usize) -> Result<Option<Url>, String> {
        let p = &self.source.pagination;
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Ok(match p.kind {
            PaginationKind::None => None,
            PaginationKind::NextLink => match text(at(body, &p.next_path)) {
                Some(link) => Some(url.join(&link).map_err(|e| format!("{} sent a next link that is not a URL: {e}", self.label))?),
                None => None,
            },
            PaginationKind::Cursor => text(at(body, &p.next_path)).map(|c| with_param(&self.first, &p.param, &c)),
            PaginationKind::Offset if (got as u64) < u64::from(p.page_size) => None,
            PaginationKind::Offset => {
                self.offset += got as u64;
                Some(with_param(&self.first, &p.param, &self.offset.to_string()))
            }
        })
    }

    async fn get(&mut self, url: &Url) -> Result<Value, String> {
        let mut attempt = 0u32;
        loop {
            let mut req = self.http.get(url.clone()).timeout(self.policy.timeout).header(reqwest::header::ACCEPT, "application/json");
            if let (Some(secret), false) = (self.secret, self.source.auth_header.is_empty()) {
                req = req.header(self.source.auth_header.as_str(), secret);
            }
            let (retryable, wait_floor, failure) = match req.send().await {
                Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                    Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                        Ok(v) => return Ok(v),
                        Err(e) => (true, None, format!("page {} is not JSON: {e}", self.pages + 1)),
                    },
                    Err(e) => (true, None, format!("the response broke off: {}", e.without_url())),
                },
                Ok(resp) => {
                    let status = resp.status();
                    let floor = resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(crate::retry::parse_retry_after);
                    let body: String = resp.text().await.unwrap_or_default().chars().take(200).collect();
                    let retry = status.is_server_error() || status.as_u16() == 429;
                    (retry, floor, format!("{} {} at {}: {}", status.as_u16(), status.canonical_reason().unwrap_or(""), shown(url), body.trim()))
                }
                Err(e) if e.is_timeout() => (true, None, format!("no answer within {} s from {}", self.policy.timeout.as_secs_f64(), shown(url))),
                Err(e) => (true, None, format!("cannot reach {}: {}", shown(url), e.without_url())),
            };
            if !retryable {
                return Err(format!("{} refused the request: {failure}", self.label));
            }
            if attempt >= self.policy.max_retries {
                return Err(format!("{} unavailable: {failure} (after {} retries)", self.label, attempt));
            }
            attempt += 1;
            self.retries += 1;
            metrics::counter!("dgs_etl_retries_total", "source" => self.label).increment(1);
            tokio::time::sleep(crate::retry::backoff(self.policy.base_delay, attempt, wait_floor)).await;
        }
    }
}
