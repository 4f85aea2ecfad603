//! Who is calling, resolved once per request before any handler runs: a `Bearer` API token or the
//! session cookie. Handlers (REST and server functions alike) read the result from the request's
//! extensions. The same layer writes the audit entry of every state-changing request and limits
//! how often one address may call the sign-in routes.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::EngineError;
use engine::auth::audit::{self, Entry, Outcome};
use engine::auth::sessions::{ClientInfo, Identity, Via};
use engine::auth::tokens;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_sessions::Session;

use engine::auth::signin::Caller;
use crate::api::error::ApiError;
use crate::state::AppState;

pub type AuthLimiter = DefaultKeyedRateLimiter<IpAddr>;

/// The per-address limiter, pruned every minute of addresses that are back to a full allowance (so
/// many addresses passing by do not grow it for ever).
pub fn auth_limiter(per_minute: u32, shutdown: tokio_util::sync::CancellationToken) -> Arc<AuthLimiter> {
    let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let limiter = Arc::new(RateLimiter::keyed(Quota::per_minute(n)));
    let pruned = Arc::clone(&limiter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    pruned.retain_recent();
                    pruned.shrink_to_fit();
                }
            }
        }
    });
    limiter
}

/// The sign-in routes, REST and server functions: limited per address.
fn is_auth_route(path: &str) -> bool {
    path.starts_with("/api/v1/auth/") || path.starts_with("/api/auth/")
}

/// Routes that write their own, richer `sign_in` audit entry (with the name as typed and the
/// method), or start a ceremony that changes nothing: no second, generic entry for them.
fn audits_itself(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/auth/login" | "/api/auth/login" | "/api/v1/auth/enrol" | "/api/auth/enrol"
            | "/api/v1/auth/passkeys/login/start" | "/api/v1/auth/passkeys/login/finish"
    )
}

pub fn client_info(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded_for: bool) -> ClientInfo {
    // The proxy appends the address it saw: the last entry is the one a client cannot forge.
    let forwarded = trust_forwarded_for
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .map(|s| s.trim().to_string())
        .filter(|s| s.parse::<IpAddr>().is_ok());
    ClientInfo {
        ip: forwarded.or_else(|| peer.map(|p| p.ip().to_string())),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

async fn resolve(state: &AppState, bearer_secret: Option<String>, session: Option<Session>) -> Result<Option<Identity>, EngineError> {
    let pool = &state.services.pool;
    if let Some(secret) = bearer_secret.as_deref() {
        // A token that is wrong, expired or revoked is an error, not an anonymous request.
        return match tokens::resolve(pool, secret).await? {
            Some((user, id, scope)) => Ok(Some(Identity { user, via: Via::Token { id, scope } })),
            None => Err(EngineError::Unauthenticated),
        };
    }
    match session {
        Some(session) => engine::auth::signin::identify(&session, pool).await,
        None => Ok(None),
    }
}

/// `POST /api/v1/data/{table}/query` reads (its filters are a body, not a change).
fn is_row_query(path: &str) -> bool {
    path.strip_prefix("/api/v1/data/").is_some_and(|rest| rest.ends_with("/query") && rest.matches('/').count() == 1)
}

pub async fn identify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let client = client_info(req.headers(), peer, state.trust_forwarded_for);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    // Server functions are all POSTs; the ones that only read are mounted under `/api/read/`.
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) && !path.starts_with(app::api::READ_PREFIX) && !is_row_query(&path);

    if writes
        && is_auth_route(&path)
        && let Some(ip) = client.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok())
        && let Err(not_until) = state.auth_limiter.check_key(&ip)
    {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        metrics::counter!("dgs_security_refusals_total", "reason" => "rate_limited").increment(1);
        let res = ApiError(EngineError::RateLimited { retry_after_secs: wait.as_secs().max(1) }).into_response();
        audit_request(&state, None, &method, &path, &client, res.status().as_u16(), serde_json::Value::Null).await;
        return res;
    }

    // Shared links need no account: each address gets its own allowance, so guessing tokens or
    // hammering a public report is slowed for that address only.
    if (path.starts_with("/s/") || path.starts_with("/api/v1/shared/"))
        && let Some(ip) = client.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok())
        && let Err(not_until) = state.shared_limiter.check_key(&ip)
    {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        metrics::counter!("dgs_security_refusals_total", "reason" => "shared_rate_limited").increment(1);
        return ApiError(EngineError::RateLimited { retry_after_secs: wait.as_secs().max(1) }).into_response();
    }

    // Owned copies: the request's body is not Sync, so no borrow of it may live across an await.
    // `/metrics` takes its own bearer secret (`METRICS_TOKEN`), not a user's token.
    let secret = bearer(req.headers()).filter(|_| path != "/metrics").map(str::to_string);
    // Probes never read a session: with Redis down they must still say what is down.
    let session = if matches!(path.as_str(), "/healthz" | "/readyz") { None } else { req.extensions().get::<Session>().cloned() };
    let identity = match resolve(&state, secret, session).await {
        Ok(identity) => identity,
        Err(e) => {
            // A wrong, expired or revoked token on a write is an attempt worth recording.
            let res = ApiError(e).into_response();
            if writes {
                audit_request(&state, None, &method, &path, &client, res.status().as_u16(), serde_json::Value::Null).await;
            }
            return res;
        }
    };
    // A read-only token changes nothing, whatever its owner could.
    if writes && let Some(Identity { via: Via::Token { scope, .. }, .. }) = &identity && !scope.may_write() {
        let res = ApiError(EngineError::Forbidden("change anything with a read-only token")).into_response();
        audit_request(&state, identity.as_ref(), &method, &path, &client, res.status().as_u16(), serde_json::Value::Null).await;
        return res;
    }
    let audited = writes.then(|| identity.clone());
    let (mut req, args) = if writes { body_args(req).await } else { (req, serde_json::Value::Null) };
    req.extensions_mut().insert(Caller { identity, client: client.clone() });
    let res = next.run(req).await;
    // A request refused before its handler ran (malformed: 400/422) never wrote its own entry.
    let self_audited = audits_itself(&path) && !matches!(res.status().as_u16(), 400 | 422);
    if let Some(identity) = audited.filter(|_| !self_audited) {
        audit_request(&state, identity.as_ref(), &method, &path, &client, res.status().as_u16(), args).await;
    }
    res
}

/// Small JSON and form bodies are what a write was about (which role, until when, which user): they
/// go into the audit entry with secrets blanked. The body is read once and handed on unchanged.
const AUDITED_BODY_LIMIT: u64 = 64 * 1024;

async fn body_args(req: Request) -> (Request, serde_json::Value) {
    let (json, form, small) = body_kind(req.headers());
    if !(json || form) || !small {
        return (req, serde_json::Value::Null);
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, AUDITED_BODY_LIMIT as usize).await {
        Ok(b) => b,
        // An unreadable body: the handler gets an empty one and refuses it.
        Err(_) => return (Request::from_parts(parts, axum::body::Body::empty()), serde_json::Value::Null),
    };
    let mut args = if json {
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
    } else {
        serde_json::Value::Object(url::form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned().into())).collect())
    };
    redact(&mut args);
    (Request::from_parts(parts, axum::body::Body::from(bytes)), args)
}

/// (JSON, form, small enough) from the headers; a plain function so no borrow of the request
/// (whose body is not Sync) lives across an await.
fn body_kind(headers: &HeaderMap) -> (bool, bool, bool) {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let kind = text(header::CONTENT_TYPE);
    let small = text(header::CONTENT_LENGTH).parse::<u64>().is_ok_and(|n| n <= AUDITED_BODY_LIMIT);
    (kind.starts_with("application/json"), kind.starts_with("application/x-www-form-urlencoded"), small)
}

/// Blanks anything that looks like a secret, at any depth.
fn redact(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                let k = k.to_ascii_lowercase();
                if k.contains("password") || k.contains("token") || k.contains("secret") || k == "current" || k == "new" || k == "temporary" {
                    *val = serde_json::Value::String("***".into());
                } else {
                    redact(val);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// One audit entry for a state-changing request: who (if known), method and path, the answer.
async fn audit_request(
    state: &AppState,
    identity: Option<&Identity>,
    method: &Method,
    path: &str,
    client: &ClientInfo,
    status: u16,
    args: serde_json::Value,
) {
    let action = format!("{method} {path}");
    let e = Entry {
        actor_id: identity.map(|i| i.user.id),
        actor_name: identity.map(|i| i.user.username.as_str()),
        action: &action,
        target: None,
        outcome: Outcome::of_status(status),
        status: Some(status),
        client,
        details: if args.is_null() { serde_json::json!({}) } else { serde_json::json!({ "args": args }) },
    };
    if let Err(err) = audit::record(&state.services.pool, e).await {
        tracing::error!(error = %err, "audit entry not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_blanked_at_any_depth() {
        let mut v = serde_json::json!({ "username": "ana", "password": "s3cret", "draft": { "new": "x", "name": "keep" },
                                        "list": [{ "temporary": "t", "role": "viewer" }], "token": "dgs_abc" });
        redact(&mut v);
        assert_eq!(v, serde_json::json!({ "username": "ana", "password": "***", "draft": { "new": "***", "name": "keep" },
                                          "list": [{ "temporary": "***", "role": "viewer" }], "token": "***" }));
    }

    #[test]
    fn the_address_is_the_proxys_last_entry_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", axum::http::HeaderValue::from_static("6.6.6.6, 10.0.0.7"));
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 4000)));
        assert_eq!(client_info(&h, peer, true).ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(client_info(&h, peer, false).ip.as_deref(), Some("127.0.0.1"));
    }
}
