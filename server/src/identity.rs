//! Who is calling, resolved once per request before any handler runs: a `Bearer` API token or the
//! session cookie. Handlers (REST and server functions alike) read the result from the request's
//! extensions. The same layer writes the audit entry of every state-changing request and limits
//! how often one address may call the sign-in routes.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

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

use app::session::Caller;
use crate::api::error::ApiError;
use crate::state::AppState;

pub type AuthLimiter = DefaultKeyedRateLimiter<IpAddr>;

pub fn auth_limiter(per_minute: u32) -> AuthLimiter {
    let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_minute(n))
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
    let forwarded = trust_forwarded_for
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
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
            Some((user, id)) => Ok(Some(Identity { user, via: Via::Token { id } })),
            None => Err(EngineError::Unauthenticated),
        };
    }
    match session {
        Some(session) => app::session::identify(&session, pool).await,
        None => Ok(None),
    }
}

pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let client = client_info(req.headers(), peer, state.trust_forwarded_for);
    let method = req.method().clone();
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path().to_string();

    if writes
        && is_auth_route(&path)
        && let Some(ip) = client.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok())
        && let Err(not_until) = state.auth_limiter.check_key(&ip)
    {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        let res = ApiError(EngineError::RateLimited { retry_after_secs: wait.as_secs().max(1) }).into_response();
        audit_request(&state, None, &method, &path, &client, res.status().as_u16()).await;
        return res;
    }

    // Owned copies: the request's body is not Sync, so no borrow of it may live across an await.
    let secret = bearer(req.headers()).map(str::to_string);
    let session = req.extensions().get::<Session>().cloned();
    let identity = match resolve(&state, secret, session).await {
        Ok(identity) => identity,
        Err(e) => {
            // A wrong, expired or revoked token on a write is an attempt worth recording.
            let res = ApiError(e).into_response();
            if writes {
                audit_request(&state, None, &method, &path, &client, res.status().as_u16()).await;
            }
            return res;
        }
    };
    let audited = writes.then(|| identity.clone());
    req.extensions_mut().insert(Caller { identity, client: client.clone() });
    let res = next.run(req).await;
    // A request refused before its handler ran (malformed: 400/422) never wrote its own entry.
    let self_audited = audits_itself(&path) && !matches!(res.status().as_u16(), 400 | 422);
    if let Some(identity) = audited.filter(|_| !self_audited) {
        audit_request(&state, identity.as_ref(), &method, &path, &client, res.status().as_u16()).await;
    }
    res
}

/// One audit entry for a state-changing request: who (if known), method and path, the answer.
async fn audit_request(state: &AppState, identity: Option<&Identity>, method: &Method, path: &str, client: &ClientInfo, status: u16) {
    let action = format!("{method} {path}");
    let e = Entry {
        actor_id: identity.map(|i| i.user.id),
        actor_name: identity.map(|i| i.user.username.as_str()),
        action: &action,
        target: None,
        outcome: Outcome::of_status(status),
        status: Some(status),
        client,
        details: serde_json::json!({}),
    };
    if let Err(err) = audit::record(&state.services.pool, e).await {
        tracing::error!(error = %err, "audit entry not written");
    }
}
