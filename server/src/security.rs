//! Protections every response and every state-changing request get: writes from another site are
//! refused (CSRF), and the browser is told not to frame the app, sniff types or leak full URLs.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::EngineError;

use crate::api::error::ApiError;
use crate::config::{EdgeLimits, MetricsAccess};
use tower_http::timeout::TimeoutBody;

/// A POST, PUT, PATCH or DELETE whose `Origin` (or, without one, `Referer`) names another site than
/// the one it was sent to is refused with 403. Requests with neither come from programs, not from a
/// page on another site (browsers always send `Origin` on cross-site writes), and go on.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return next.run(req).await;
    }
    match foreign_origin(req.headers()) {
        Some(origin) => {
            metrics::counter!("dgs_security_refusals_total", "reason" => "foreign_origin").increment(1);
            tracing::warn!(origin = %origin, method = %req.method(), path = %req.uri().path(), "write from another site refused");
            ApiError(EngineError::ForeignOrigin(origin)).into_response()
        }
        None => next.run(req).await,
    }
}

/// The sending site when it is not this one (by host and port, as the request addressed them).
fn foreign_origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("unreadable").to_string())?;
    // "null" is what sandboxed frames and privacy redirects send: it cannot be this site.
    let authority = claimed.split_once("://").map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match authority {
        Some(a) if !host.is_empty() && a.eq_ignore_ascii_case(&host) => None,
        _ => Some(claimed),
    }
}

/// Headers for every response: no framing by other sites, no MIME sniffing, only the origin in
/// `Referer` to other sites, and a Content-Security-Policy under which scripts run only from this
/// site or with this response's nonce (the hydration bootstrap), plus WebAssembly compilation.
/// Behind HTTPS (secure cookies) browsers are also told to use nothing else for a year.
pub async fn security_headers(https: bool, mut req: Request, next: Next) -> Response {
    let nonce = new_nonce();
    let docs = req.uri().path().starts_with("/api/v1/docs");
    req.extensions_mut().insert(app::CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A page that set its own (a shared link's page: no referrer at all) keeps it.
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    }
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // The Swagger page is a third-party bundle with inline scripts; it only gets the framing rules.
        let policy = if docs {
            "frame-ancestors 'none'; base-uri 'self'; object-src 'none'".to_string()
        } else {
            format!(
                "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
            )
        };
        if let Ok(v) = HeaderValue::from_str(&policy) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res
}

/// 128 random bits, base64url: unguessable per response.
fn new_nonce() -> String {
    use base64::Engine as _;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The JSON body limit in force, for rejections raised where the configuration is not at hand.
pub static JSON_BODY_LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Request bodies are read only up to their route's limit: an upload's (`UPLOAD_MAX_BYTES`), or
/// `JSON_BODY_MAX_BYTES` for everything else, so a 50 MB "login" is refused before it is buffered.
/// A declared length over the limit is answered at once; an undeclared one is cut where it passes.

pub async fn limit_bodies(State(limits): State<EdgeLimits>, req: Request, next: Next) -> Response {
    // Uploads and event streams are read as they arrive, up to the upload limit.
    let upload = req.method() == Method::POST && matches!(req.uri().path(), "/api/v1/uploads" | "/api/v1/events");
    let limit = if upload { limits.upload_body_max_bytes } else { limits.json_body_max_bytes };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        metrics::counter!("dgs_security_refusals_total", "reason" => "body_too_large").increment(1);
        let mut res = ApiError(EngineError::BodyTooLarge { limit }).into_response();
        // The rest of the body is not read: the connection cannot be reused.
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return res;
    }
    // A body that pauses longer than the read timeout between two pieces is cut (slowloris).
    let (parts, body) = req.into_parts();
    let body = TimeoutBody::new(limits.body_read_timeout, http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, axum::body::Body::new(body))).await
}

/// `/metrics` is for the monitoring system: a caller from `METRICS_ALLOW`, or one bearing
/// `METRICS_TOKEN` (compared in constant time).
pub fn may_read_metrics(access: &MetricsAccess, peer: IpAddr, headers: &HeaderMap) -> bool {
    use secrecy::ExposeSecret;
    if let Some(token) = &access.token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if constant_time_eq(sent.as_bytes(), token.expose_secret().as_bytes()) {
            return true;
        }
    }
    access.allow.iter().any(|net| net.contains(&peer))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).expect("valid header"));
        }
        h
    }

    #[test]
    fn only_other_sites_are_foreign() {
        let host = (header::HOST, "app.example:3000");
        assert_eq!(foreign_origin(&headers(&[host.clone(), (header::ORIGIN, "http://app.example:3000")])), None);
        assert_eq!(foreign_origin(&headers(&[host.clone(), (header::REFERER, "https://APP.example:3000/datasets?x=1")])), None);
        assert_eq!(foreign_origin(&headers(&[host.clone()])), None, "programs send neither");
        assert!(foreign_origin(&headers(&[host.clone(), (header::ORIGIN, "https://evil.example")])).is_some());
        assert!(foreign_origin(&headers(&[host.clone(), (header::ORIGIN, "http://app.example:3001")])).is_some());
        assert!(foreign_origin(&headers(&[host.clone(), (header::ORIGIN, "null")])).is_some());
        assert!(foreign_origin(&headers(&[host, (header::ORIGIN, "http://app.example:3000.evil.example")])).is_some());
    }

    #[test]
    fn metrics_need_an_allowed_network_or_the_token() {
        let access = MetricsAccess {
            token: Some(secrecy::SecretString::from("s3cret-token")),
            allow: vec!["127.0.0.0/8".parse().expect("net")],
        };
        let outside: IpAddr = "10.1.2.3".parse().expect("ip");
        assert!(may_read_metrics(&access, "127.0.0.1".parse().expect("ip"), &HeaderMap::new()));
        assert!(!may_read_metrics(&access, outside, &HeaderMap::new()));
        assert!(!may_read_metrics(&access, outside, &headers(&[(header::AUTHORIZATION, "Bearer wrong")])));
        assert!(may_read_metrics(&access, outside, &headers(&[(header::AUTHORIZATION, "Bearer s3cret-token")])));
        let closed = MetricsAccess { token: None, allow: vec![] };
        assert!(!may_read_metrics(&closed, "127.0.0.1".parse().expect("ip"), &headers(&[(header::AUTHORIZATION, "Bearer ")])));
    }
}
