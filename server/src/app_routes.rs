//! The router: health, metrics, REST API with its OpenAPI page, the Leptos app, static files, and
//! the layers every request goes through (request id, logs, metrics, security headers, same-origin
//! writes, sessions, who is calling with the audit of every write).

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use fred::interfaces::ClientLike;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::{SameSite, time};
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_redis_store::RedisStore;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::EdgeLimits;
use crate::observability::{scope_request_id, track_requests};
use crate::runtimes::STALLED_AFTER;
use crate::security::{same_origin_writes, security_headers};
use crate::state::AppState;

pub fn router(state: AppState, secure_cookies: bool, limits: &EdgeLimits) -> Router {
    let (api, openapi) = crate::api::router(limits.upload_body_max_bytes);
    crate::security::JSON_BODY_LIMIT.store(limits.json_body_max_bytes, std::sync::atomic::Ordering::Relaxed);
    let routes = generate_route_list(app::App);
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    let files = {
        let services = state.services.clone();
        leptos_axum::file_and_error_handler_with_context::<AppState, _>(move || provide_context(services.clone()), app::shell)
    };
    let not_found_page = {
        let (services, state, options) = (state.services.clone(), state.clone(), options.clone());
        leptos_axum::render_app_to_stream_with_context(
            move || {
                provide_context(state.clone());
                provide_context(services.clone());
            },
            move || app::shell(options.clone()),
        )
    };
    let sessions = SessionManagerLayer::new(RedisStore::new(state.redis.clone()))
        .with_name("dgs_session")
        .with_secure(secure_cookies)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)));
    let edge = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<axum::body::Body>| {
                    let rid = req.extensions().get::<RequestId>().and_then(|r| r.header_value().to_str().ok()).unwrap_or("-");
                    tracing::info_span!("http", request_id = %rid, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn(scope_request_id))
        .layer(middleware::from_fn(track_requests))
        .layer(middleware::from_fn(move |req, next| security_headers(secure_cookies, req, next)))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(middleware::from_fn_with_state(limits.clone(), crate::security::limit_bodies));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/s/{token}", get(crate::shared_page::show).post(crate::shared_page::unlock))
        .merge(api)
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", openapi))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(services.clone()),
            move || app::shell(options.clone()),
        )
        // Unknown pages render the whole app (header, signed-in user, its "not found" route with a
        // 404) the way every page is rendered; only paths of files go to the static file handler,
        // whose own rendering of missing pages reads disposed reactive values.
        .fallback(move |uri: axum::http::Uri, state: State<AppState>, req: axum::extract::Request| async move {
            if crate::render::is_page(req.method(), uri.path()) {
                not_found_page(req).await
            } else {
                files(uri, state, req).await
            }
        })
        // Innermost, so the page is rendered apart with the caller already known.
        .layer(middleware::from_fn_with_state(state.render.clone(), crate::render::isolate_pages))
        // Needs the caller: inside `identify`.
        .layer(middleware::from_fn(crate::render::sign_in_first))
        // Inside the session layer, so a cookie's session is loaded before the caller is resolved.
        .layer(middleware::from_fn_with_state(state.clone(), crate::identity::identify))
        .layer(sessions)
        // Answers are compressed for clients that accept it (brotli or gzip): above all the wasm
        // every browser downloads before a page hydrates. Event streams and images are left alone.
        // Level 5: brotli's default (11) spends seconds per megabyte on every download.
        .layer(tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Precise(5)))
        .layer(edge)
        .with_state(state)
}

/// Alive: depends on nothing else, but fails when one of the process's runtimes (page rendering,
/// job workers) has stopped scheduling work, so a supervisor restarts a process that can no longer
/// serve. (When the runtime answering this is itself stuck, the watchdog ends the process.)
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let ages = state.beats.ages();
    let stalled: Vec<&str> = ages.iter().filter(|(_, age)| *age > STALLED_AFTER).map(|(n, _)| n.as_str()).collect();
    let runtimes: serde_json::Map<String, serde_json::Value> =
        ages.iter().map(|(n, age)| (n.clone(), json!({ "last_beat_ms": age.as_millis() as u64 }))).collect();
    if stalled.is_empty() {
        (StatusCode::OK, Json(json!({ "status": "ok", "runtimes": runtimes })))
    } else {
        tracing::error!(?stalled, "healthz: runtimes stalled");
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "stalled", "stalled": stalled, "runtimes": runtimes })))
    }
}

/// Ready: PostgreSQL and Redis both answer; 503 with the failing one named otherwise.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let timeout = std::time::Duration::from_secs(2);
    let pg = tokio::time::timeout(timeout, sqlx::query("SELECT 1").execute(&state.services.pool)).await;
    let pg = match pg {
        Ok(Ok(_)) => json!({ "status": "ok" }),
        Ok(Err(e)) => json!({ "status": "down", "error": e.to_string() }),
        Err(_) => json!({ "status": "down", "error": "timed out" }),
    };
    let redis = tokio::time::timeout(timeout, state.redis.ping::<String>(None)).await;
    let redis = match redis {
        Ok(Ok(_)) => json!({ "status": "ok" }),
        Ok(Err(e)) => json!({ "status": "down", "error": e.to_string() }),
        Err(_) => json!({ "status": "down", "error": "timed out" }),
    };
    let ok = pg["status"] == "ok" && redis["status"] == "ok";
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "status": if ok { "ok" } else { "unavailable" }, "postgres": pg, "redis": redis })))
}

/// Prometheus text, for callers from `METRICS_ALLOW` or bearing `METRICS_TOKEN`: it shows sign-in
/// outcomes, which are nobody else's business.
async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if !crate::security::may_read_metrics(&state.metrics_access, peer.ip(), &headers) {
        return crate::api::error::ApiError(engine::EngineError::Forbidden("read the metrics from this address")).into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
