//! Start-up and shutdown. On SIGTERM the web server stops accepting, event streams end, and workers
//! stop between chunks, re-queueing what they held; everything is done well within 10 seconds.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fred::interfaces::{ClientLike, PubsubInterface};
use fred::prelude::{Builder, ReconnectPolicy};
use fred::types::config::Config as RedisConfig;
use leptos::prelude::LeptosOptions;
use tokio_util::sync::CancellationToken;

use crate::cli::Role;
use crate::config::Config;
use crate::render::RenderPool;
use crate::runtimes::{self, Heartbeats};
use crate::state::AppState;

/// The runtime `main` built: REST, server functions, event streams and health are served on it.
pub const MAIN_RUNTIME: &str = "main";

pub async fn serve(config: Config, role: Role) -> anyhow::Result<()> {
    let metrics = crate::observability::metrics_handle()?;
    let beats = Arc::new(Heartbeats::default());
    tokio::spawn(beats.beat(MAIN_RUNTIME));
    runtimes::start_watchdog(beats.clone(), MAIN_RUNTIME, config.isolation.watchdog);
    let pool = engine::store::connect_postgres(&config.database_url, 20).await.map_err(startup)?;
    engine::store::migrate(&pool).await.map_err(startup)?;
    engine::classify::prompts::ensure_default_prompt(&pool).await.map_err(startup)?;

    let redis_config = RedisConfig::from_url(&config.redis_url).context("REDIS_URL")?;
    // Every command gives up after 2 s: with Redis down, sessions, caches and progress fail fast
    // (and fall back where they can) instead of holding every request until it returns.
    let redis = Builder::from_config(redis_config.clone())
        .with_connection_config(|c| c.connection_timeout = Duration::from_secs(5))
        .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(2))
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
        .build_pool(4)?;
    redis.init().await.context("cannot connect to Redis")?;
    let subscriber = Builder::from_config(redis_config).build_subscriber_client()?;
    subscriber.init().await.context("cannot connect to Redis")?;
    let _resubscribe = subscriber.manage_subscriptions();
    subscriber.psubscribe("dgs:run:*").await?;

    let queue = engine::jobs::JobQueue::connect(&config.redis_url, &config.job_queue).await?;
    let runs = engine::classify::runs::RunContext {
        pool: pool.clone(),
        redis: redis.next().clone(),
        defaults: config.llm.clone(),
        openai: config.openai.clone(),
        offline_chunk_delay: config.offline_chunk_delay,
    };
    let tables = engine::eav::Store::new(pool.clone(), Some(redis.next().clone()))
        .with_report_reader(engine::store::connect_report_reader(config.report_reader_url.as_deref(), &config.database_url).map_err(startup)?);
    let services = engine::Services {
        pool: pool.clone(),
        queue: queue.clone(),
        runs: runs.clone(),
        data_dir: config.data_dir.clone(),
        upload_max_bytes: config.upload_max_bytes,
        ingest_limits: config.ingest_limits.clone(),
        ingest_writers: config.ingest_writers,
        workbook_sandbox: std::env::current_exe().ok().map(|program| {
            std::sync::Arc::new(engine::ingest::isolate::WorkbookSandbox {
                program,
                args: vec![engine::ingest::isolate::CHILD_COMMAND.to_string()],
                memory_limit_bytes: config.workbook_memory_limit_mb << 20,
            })
        }),
        passkeys: engine::auth::passkeys::Passkeys::new(&config.public_url)?,
        etl: engine::etl::runs::EtlContext::new(tables.clone(), config.marketing.fetch.clone()).map_err(startup)?,
        tables,
        sink: config.marketing.sink.clone(),
        retention_days: config.marketing.retention_days,
        events: engine::events::pipeline::Pipeline::start(pool.clone(), config.marketing.pipeline.clone()),
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    {
        let (pool, data_dir, after) = (services.pool.clone(), services.data_dir.clone(), config.upload_sweep_after);
        tokio::spawn(async move {
            match engine::ingest::sweep_abandoned_uploads(&pool, after, &data_dir).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(uploads = n, "removed uploads left half-read by a stopped process"),
                Err(e) => tracing::error!(error = %e, "could not sweep abandoned uploads"),
            }
        });
        // SQL reports read the governed tables through views: tables made before views existed
        // get theirs now (every schema change keeps them since).
        let pool = services.pool.clone();
        tokio::spawn(async move {
            if let Err(e) = engine::reports::views::refresh_all(&pool).await {
                tracing::error!(error = %e, "could not make the report views");
            }
        });
    }

    // Workers have a runtime of their own: a busy or stuck run never delays a request, and the
    // reverse.
    let workers = if role != Role::Web {
        tokio::spawn(engine::events::outbox::run(services.pool.clone(), services.tables.redis.clone(), shutdown.clone()));
        let runs_work = engine::jobs::run_workers(runs, queue, shutdown.clone(), 4, config.shutdown_timeout);
        let imports = engine::eav::import::execute::run_worker(services.tables.clone(), shutdown.clone(), config.import_lease);
        let marketing = engine::etl::runs::run_worker(services.etl.clone(), shutdown.clone(), config.marketing.lease);
        let schedules = engine::etl::runs::run_scheduler(services.pool.clone(), shutdown.clone(), config.marketing.scheduler_every);
        let retention = engine::etl::retention::run_daily(services.tables.clone(), config.marketing.retention_days, shutdown.clone());
        let work = async move { tokio::join!(runs_work, imports, marketing, schedules, retention).0 };
        Some(runtimes::spawn_on_own_runtime("jobs", config.isolation.job_threads, &beats, work)?)
    } else {
        None
    };

    let services_events = services.events.clone();
    if role != Role::Worker {
        let leptos_options = leptos_options(&config);
        let state = AppState {
            leptos_options,
            services,
            redis,
            subscriber,
            metrics,
            shutdown: shutdown.clone(),
            auth_limiter: crate::identity::auth_limiter(config.auth_rate_per_minute, shutdown.clone()),
            shared_limiter: crate::identity::auth_limiter(config.shared_rate_per_minute, shutdown.clone()),
            public_url: config.public_url.clone(),
            trust_forwarded_for: config.trust_forwarded_for,
            render: RenderPool::start(config.isolation.render_threads, config.isolation.render_timeout, &beats),
            beats: beats.clone(),
            metrics_access: Arc::new(config.metrics_access.clone()),
        };
        let app = crate::app_routes::router(state, config.secure_cookies, &config.edge);
        let listener = tokio::net::TcpListener::bind(config.site_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.site_addr))?;
        tracing::info!(addr = %config.site_addr, open = %config.public_url, role = ?role, "serving: open the `open` address (passkeys are bound to its host)");
        crate::connections::serve(listener, app, &config.edge, shutdown.clone(), config.shutdown_timeout).await;
    } else {
        tracing::info!("worker only");
        shutdown.cancelled().await;
    }
    // Seed 003: what the event pipeline accepted is stored, or counted as rejected, within 5 s.
    let lost = services_events.shutdown(Duration::from_secs(5)).await;
    if lost > 0 {
        tracing::warn!(records = lost, "events not stored at shutdown were counted as rejected");
    }
    if let Some(workers) = workers {
        match tokio::time::timeout(config.shutdown_timeout + Duration::from_secs(1), workers).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "workers stopped with an error"),
            Ok(Err(_)) => tracing::error!("workers panicked"),
            Err(_) => tracing::warn!("workers did not stop in time; their runs will be recovered"),
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// At start-up the operator reads the error: give the cause, not the outer "internal error".
fn startup(e: engine::EngineError) -> anyhow::Error {
    match e {
        engine::EngineError::Internal(cause) => anyhow::anyhow!(cause),
        other => other.into(),
    }
}

fn leptos_options(config: &Config) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let pkg_dir = std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into());
    LeptosOptions::builder()
        .output_name("dgs")
        .site_root(site_root)
        .site_pkg_dir(pkg_dir)
        .site_addr(config.site_addr)
        .build()
}

async fn wait_for_signal(shutdown: CancellationToken) {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        _ = term => tracing::info!("SIGTERM: shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt: shutting down"),
    }
    shutdown.cancel();
}
