//! Server-side rendering of pages, isolated from everything else the process does.
//!
//! Leptos renders a page as several tasks that share reactive nodes guarded by locks; when those
//! tasks run on different threads of one runtime, a lock-order inversion inside `reactive_graph`
//! can deadlock them (leptos-rs/leptos#4673, #4578) and, with them, every thread of the runtime.
//! Here each render runs on one thread of a small pool, each thread its own single-threaded
//! runtime: the render's spawned tasks stay on that thread, so two of them never hold those locks
//! at once. A render has a deadline; REST, server functions, event streams, health and the job
//! workers never wait on a render.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio_util::task::LocalPoolHandle;

use crate::runtimes::Heartbeats;

#[derive(Clone)]
pub struct RenderPool {
    pool: LocalPoolHandle,
    timeout: Duration,
}

impl RenderPool {
    /// `threads` rendering threads, each beating as `render-<n>`.
    pub fn start(threads: usize, timeout: Duration, beats: &Arc<Heartbeats>) -> Self {
        let pool = LocalPoolHandle::new(threads.max(1));
        for idx in 0..pool.num_threads() {
            let beat = beats.beat(&format!("render-{idx}"));
            drop(pool.spawn_pinned_by_idx(move || beat, idx));
        }
        RenderPool { pool, timeout }
    }

    /// Runs the rest of the stack for `req` on a rendering thread and brings the whole body back:
    /// the streamed page is read to its end there, so no reactive code runs anywhere else.
    async fn render(&self, req: Request, next: Next) -> Response {
        let request_id = crate::observability::current_request_id().unwrap_or_else(|| "-".into());
        let task = self.pool.spawn_pinned(move || {
            crate::observability::REQUEST_ID.scope(request_id, async move {
                let (parts, body) = next.run(req).await.into_parts();
                match axum::body::to_bytes(body, usize::MAX).await {
                    Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
                    Err(e) => {
                        tracing::error!(error = %e, "page body failed while rendering");
                        unavailable(StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered.")
                    }
                }
            })
        });
        let abort = task.abort_handle();
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "page render panicked");
                unavailable(StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered.")
            }
            Err(_) => {
                abort.abort();
                metrics::counter!("dgs_page_render_timeouts_total").increment(1);
                tracing::error!(timeout_secs = self.timeout.as_secs(), "page render exceeded its deadline");
                let mut res = unavailable(StatusCode::SERVICE_UNAVAILABLE, "The page took too long to render; try again.");
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
                res
            }
        }
    }
}

/// Pages go to the rendering threads; the API, server functions, health, metrics and static files
/// are served where they arrive.
pub(crate) fn is_page(method: &Method, path: &str) -> bool {
    // `/s/…` is a shared report: its own page, rendered without the app (and without an account).
    let api = path.starts_with("/api/") || path.starts_with("/pkg/") || path.starts_with("/s/");
    let service = matches!(path, "/healthz" | "/readyz" | "/metrics");
    let file = path.rsplit('/').next().is_some_and(|last| last.contains('.'));
    (method == Method::GET || method == Method::HEAD) && !api && !service && !file
}

pub async fn isolate_pages(State(pool): State<RenderPool>, req: Request, next: Next) -> Response {
    if !is_page(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    pool.render(req, next).await
}

fn unavailable(status: StatusCode, message: &'static str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Data Governance Service</title></head>\
         <body><main><h1>{}</h1><p>{message}</p><p><a href=\"\">Reload</a></p></main></body></html>",
        status.canonical_reason().unwrap_or("Error")
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    fn app(pool: RenderPool) -> Router {
        Router::new()
            .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(5)).await; "late" }))
            // A page whose work is spread over spawned tasks, as Leptos spreads a render: report
            // the threads they ran on.
            .route("/spread", get(|| async {
                let tasks: Vec<_> = (0..16)
                    .map(|_| tokio::spawn(async { tokio::task::yield_now().await; format!("{:?}", std::thread::current().id()) }))
                    .collect();
                let mut threads = Vec::new();
                for t in tasks {
                    threads.push(t.await.unwrap_or_default());
                }
                threads.sort();
                threads.dedup();
                threads.join(",")
            }))
            .layer(axum::middleware::from_fn_with_state(pool, isolate_pages))
    }

    async fn get_page(app: Router, path: &str) -> (StatusCode, String) {
        let req = axum::http::Request::get(path).body(Body::empty()).expect("request");
        let res = app.oneshot(req).await.expect("infallible");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_render_and_everything_it_spawns_stay_on_one_thread() {
        let beats = Arc::new(Heartbeats::default());
        let app = app(RenderPool::start(2, Duration::from_secs(5), &beats));
        let (status, threads) = get_page(app, "/spread").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(threads.split(',').count(), 1, "tasks of one render ran on threads {threads}");
    }

    #[tokio::test]
    async fn a_render_past_its_deadline_answers_503_and_the_thread_beats_on() {
        let beats = Arc::new(Heartbeats::default());
        let app = app(RenderPool::start(1, Duration::from_millis(300), &beats));
        let started = std::time::Instant::now();
        let (status, _) = get_page(app, "/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_secs(2), "answered after {:?}", started.elapsed());
        tokio::time::sleep(Duration::from_millis(600)).await;
        let age = beats.age_of("render-0").expect("render thread registered");
        assert!(age < Duration::from_millis(500), "the render thread stopped beating: {age:?}");
    }

    #[test]
    fn pages_are_rendered_apart_and_everything_else_is_not() {
        for page in ["/", "/datasets", "/datasets/4f1c/classify", "/runs/x", "/admin/users", "/nowhere"] {
            assert!(is_page(&Method::GET, page), "{page}");
        }
        for other in ["/api/v1/runs", "/api/read/whoami", "/pkg/dgs.js", "/favicon.ico", "/healthz", "/readyz", "/metrics"] {
            assert!(!is_page(&Method::GET, other), "{other}");
        }
        assert!(!is_page(&Method::POST, "/login"));
    }
}

/// Pages a visitor may open without signing in: signing in, the first administrator's set-up and
/// the enrolment links people are sent.
fn is_public_page(path: &str) -> bool {
    matches!(path, "/login" | "/setup") || path.starts_with("/enrol/")
}

/// A visitor who is not signed in is sent to the sign-in page (and back here afterwards) instead of
/// seeing a screen whose every call would answer "your session has ended".
pub async fn sign_in_first(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let anonymous = req.extensions().get::<engine::auth::signin::Caller>().is_none_or(|c| c.identity.is_none());
    if anonymous && is_page(req.method(), path) && !is_public_page(path) {
        let target = req.uri().path_and_query().map_or(path, |pq| pq.as_str());
        let next_param: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        return axum::response::Redirect::to(&format!("/login?next={next_param}")).into_response();
    }
    next.run(req).await
}
