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
    pub trust_forwarded_for: bool,
    pub render: crate::render::RenderPool,
    pub beats: Arc<crate::runtimes::Heartbeats>,
    pub metrics_access: Arc<crate::config::MetricsAccess>,
}
