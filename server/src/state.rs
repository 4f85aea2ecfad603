use std::sync::Arc;

use axum::extract::FromRef;
use fred::clients::{Pool as RedisPool, SubscriberClient};
use leptos::prelude::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::identity::AuthLimiter;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: engine::Services,
    pub redis: RedisPool,
    pub subscriber: SubscriberClient,
    pub metrics: PrometheusHandle,
    pub shutdown: tokio_util::sync::CancellationToken,
    pub auth_limiter: Arc<AuthLimiter>,
    /// Requests per address to shared links (`/s/…`, `/api/v1/shared/…`), which need no account.
    #[from_ref(skip)]
    pub shared_limiter: Arc<AuthLimiter>,
    /// Where people open the app: shared links are made absolute with it.
    pub public_url: url::Url,
    pub trust_forwarded_for: bool,
    pub render: crate::render::RenderPool,
    pub beats: Arc<crate::runtimes::Heartbeats>,
    pub metrics_access: Arc<crate::config::MetricsAccess>,
}
