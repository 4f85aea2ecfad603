//! Protections every response and every state-changing request get: writes from another site are
//! refused (CSRF), and the browser is told not to frame the app, sniff types or leak full URLs.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::EngineError;

use crate::api::error::ApiError;

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
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
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
}
