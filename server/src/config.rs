//! Configuration from the environment (and an optional `.env`), each value with a default that works
//! on a developer machine with local PostgreSQL and Redis.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// SQL reports' connections, as `dgs_report_reader` (`REPORT_READER_URL`; by default
    /// `DATABASE_URL` with that user).
    pub report_reader_url: Option<String>,
    pub redis_url: String,
    pub job_queue: String,
    pub site_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub upload_max_bytes: u64,
    /// Uploads left half-read by a process that died are removed at start-up once this old
    /// (`UPLOAD_SWEEP_AFTER_SECS`, 6 h: an ingest still running on another server is younger).
    pub upload_sweep_after: Duration,
    pub ingest_limits: engine::ingest::IngestLimits,
    pub ingest_writers: usize,
    pub workbook_memory_limit_mb: u64,
    /// What a run starts from: provider, model, chunk size, concurrency... (each overridable per run).
    pub llm: engine::classify::RunSettings,
    pub openai: Option<engine::classify::provider::OpenAiConfig>,
    pub offline_chunk_delay: Duration,
    /// Session cookies get `Secure` (and responses HSTS) when browsers use HTTPS: a `PUBLIC_URL` of
    /// `https://`, or any address but loopback, unless `COOKIE_SECURE=false`.
    pub secure_cookies: bool,
    pub shutdown_timeout: Duration,
    /// How long an import job's worker may go quiet before another takes the job over
    /// (`IMPORT_LEASE_SECS`, 30): longer than any one batch takes.
    pub import_lease: Duration,
    /// Requests per minute one address may make to the sign-in routes (a burst of as many).
    pub auth_rate_per_minute: u32,
    /// Requests per minute one address may make to shared links (`SHARED_RATE_PER_MINUTE`, 120).
    pub shared_rate_per_minute: u32,
    /// Take the client's address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Where browsers reach the app: passkeys are bound to its host (`PUBLIC_URL`; by default
    /// `http://localhost:<port>` for a loopback address).
    pub public_url: url::Url,
    pub edge: EdgeLimits,
    pub isolation: Isolation,
    pub metrics_access: MetricsAccess,
    pub marketing: Marketing,
}

/// Marketing sources, retention, the signed export and the event pipeline (seeds 001–003).
#[derive(Clone)]
pub struct Marketing {
    /// Per request to a source (`ETL_TIMEOUT_SECS`, 30), retries of a timeout, 429 or 5xx
    /// (`ETL_MAX_RETRIES`, 3) and the first backoff step (`ETL_RETRY_BASE_MS`, 300).
    pub fetch: engine::etl::fetch::FetchPolicy,
    /// How long a run's worker may go quiet before another goes on from its checkpoint
    /// (`ETL_LEASE_SECS`, 30).
    pub lease: Duration,
    /// How often due schedules are looked at (`ETL_SCHEDULER_SECS`, 15).
    pub scheduler_every: Duration,
    /// `DATA_RETENTION_DAYS` (90): marketing rows and events older than this are deleted daily.
    pub retention_days: u32,
    /// `SINK_URL`, `SINK_SECRET` and, while rotating, `SINK_SECRET_PREVIOUS`.
    pub sink: Option<engine::etl::sink::SinkConfig>,
    /// `EVENT_VALIDATORS` (10) and `EVENT_STORERS` (5).
    pub pipeline: engine::events::pipeline::PipelineConfig,
}

impl std::fmt::Debug for Marketing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Marketing").field("fetch", &self.fetch).field("retention_days", &self.retention_days).field("sink", &self.sink.as_ref().map(|s| &s.url)).finish_non_exhaustive()
    }
}

/// What one client may hold of the server: body sizes, how slowly it may send, how many
/// connections one address may keep open (a slowloris must not starve anyone else).
#[derive(Debug, Clone)]
pub struct EdgeLimits {
    /// Every request body but an upload's (`JSON_BODY_MAX_BYTES`, 1 MiB).
    pub json_body_max_bytes: usize,
    pub upload_body_max_bytes: usize,
    /// Time to send a request's headers (`HEADER_READ_TIMEOUT_SECS`).
    pub header_read_timeout: Duration,
    /// Longest pause between two pieces of a request body (`BODY_READ_TIMEOUT_SECS`).
    pub body_read_timeout: Duration,
    /// Open connections per client address; 0 = no cap (`MAX_CONNECTIONS_PER_ADDRESS`).
    pub max_connections_per_address: usize,
}

/// Where work runs, so one kind cannot stop the others: page rendering on its own threads with a
/// deadline, job workers on their own runtime, and a watchdog for the runtime that serves the rest.
#[derive(Debug, Clone)]
pub struct Isolation {
    pub render_threads: usize,
    pub render_timeout: Duration,
    pub job_threads: usize,
    /// The main runtime stuck this long ends the process so a supervisor restarts it; 0 = never.
    pub watchdog: Duration,
}

/// Who may read `/metrics`: a bearer secret, or callers from the listed networks.
#[derive(Debug, Clone)]
pub struct MetricsAccess {
    pub token: Option<secrecy::SecretString>,
    pub allow: Vec<ipnet::IpNet>,
}

/// Every setting, read by clap from the environment (an empty value counts as unset), with a
/// default that works on a developer machine. `dgs --help` does not list them; this struct does.
#[derive(clap::Parser, Debug)]
#[command(name = "dgs-settings", no_binary_name = true)]
struct Settings {
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    site_addr: SocketAddr,
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/dgs")]
    database_url: String,
    #[arg(long, env = "REPORT_READER_URL")]
    report_reader_url: Option<String>,
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    #[arg(long, env = "JOB_QUEUE", default_value = "dgs-runs")]
    job_queue: String,
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    #[arg(long, env = "UPLOAD_MAX_BYTES", default_value_t = 512 << 20)]
    upload_max_bytes: u64,
    #[arg(long, env = "UPLOAD_SWEEP_AFTER_SECS", default_value_t = 6 * 3600)]
    upload_sweep_after_secs: u64,
    #[arg(long, env = "ZIP_MAX_ENTRIES", default_value_t = 10_000)]
    zip_max_entries: usize,
    #[arg(long, env = "ZIP_MAX_ENTRY_BYTES", default_value_t = 4 << 30)]
    zip_max_entry_bytes: u64,
    #[arg(long, env = "ZIP_MAX_TOTAL_BYTES", default_value_t = 16 << 30)]
    zip_max_total_bytes: u64,
    #[arg(long, env = "ZIP_MAX_RATIO", default_value_t = 100)]
    zip_max_ratio: u64,
    #[arg(long, env = "INGEST_WRITERS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    ingest_writers: u16,
    #[arg(long, env = "WORKBOOK_MEMORY_LIMIT_MB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(128..))]
    workbook_memory_limit_mb: u64,
    #[arg(long, env = "OFFLINE_CHUNK_DELAY_MS", default_value_t = 0)]
    offline_chunk_delay_ms: u64,
    #[arg(long, env = "COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set)]
    cookie_secure: bool,
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 8)]
    shutdown_timeout_secs: u64,
    #[arg(long, env = "IMPORT_LEASE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    import_lease_secs: u64,
    #[arg(long, env = "AUTH_RATE_PER_MINUTE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    auth_rate_per_minute: u32,
    #[arg(long, env = "SHARED_RATE_PER_MINUTE", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..))]
    shared_rate_per_minute: u32,
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    trust_forwarded_for: bool,
    #[arg(long, env = "PUBLIC_URL")]
    public_url: Option<String>,
    #[arg(long, env = "JSON_BODY_MAX_BYTES", default_value_t = 1 << 20)]
    json_body_max_bytes: usize,
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout_secs: u64,
    #[arg(long, env = "BODY_READ_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_read_timeout_secs: u64,
    #[arg(long, env = "MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 128)]
    max_connections_per_address: usize,
    #[arg(long, env = "RENDER_THREADS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    render_threads: u16,
    #[arg(long, env = "RENDER_TIMEOUT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    render_timeout_secs: u64,
    #[arg(long, env = "JOB_THREADS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    job_threads: u16,
    #[arg(long, env = "WATCHDOG_SECS", default_value_t = 30)]
    watchdog_secs: u64,
    #[arg(long, env = "METRICS_TOKEN")]
    metrics_token: Option<String>,
    #[arg(long, env = "METRICS_ALLOW", default_value = "127.0.0.0/8,::1/128", value_delimiter = ',')]
    metrics_allow: Vec<String>,
    #[arg(long, env = "ETL_TIMEOUT_SECS", default_value_t = 30.0)]
    etl_timeout_secs: f64,
    #[arg(long, env = "ETL_MAX_RETRIES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    etl_max_retries: u32,
    #[arg(long, env = "ETL_RETRY_BASE_MS", default_value_t = 300)]
    etl_retry_base_ms: u64,
    #[arg(long, env = "ETL_LEASE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    etl_lease_secs: u64,
    #[arg(long, env = "ETL_SCHEDULER_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    etl_scheduler_secs: u64,
    #[arg(long, env = "DATA_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..))]
    data_retention_days: u32,
    #[arg(long, env = "SINK_URL")]
    sink_url: Option<String>,
    #[arg(long, env = "SINK_SECRET", hide_env_values = true)]
    sink_secret: Option<String>,
    #[arg(long, env = "SINK_SECRET_PREVIOUS", hide_env_values = true)]
    sink_secret_previous: Option<String>,
    #[arg(long, env = "EVENT_VALIDATORS", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=10))]
    event_validators: u16,
    #[arg(long, env = "EVENT_STORERS", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=5))]
    event_storers: u16,
    #[command(flatten)]
    llm: LlmSettings,
}

/// DESIGN §5's provider settings; the defaults are `RunSettings::default()`'s.
#[derive(clap::Args, Debug)]
struct LlmSettings {
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    openai_api_key: Option<String>,
    #[arg(long, env = "OPENAI_BASE_URL")]
    openai_base_url: Option<String>,
    /// `openai` or `offline`; by default openai when a key or base URL is set.
    #[arg(long, env = "LLM_PROVIDER")]
    llm_provider: Option<String>,
    #[arg(long, env = "LLM_MODEL")]
    llm_model: Option<String>,
    #[arg(long, env = "LLM_CHUNK_SIZE")]
    llm_chunk_size: Option<i32>,
    #[arg(long, env = "LLM_CONCURRENCY_LIMIT")]
    llm_concurrency_limit: Option<u32>,
    #[arg(long, env = "LLM_TEMPERATURE")]
    llm_temperature: Option<f32>,
    #[arg(long, env = "LLM_MAX_RETRIES")]
    llm_max_retries: Option<u32>,
    #[arg(long, env = "LLM_TIMEOUT_SECS")]
    llm_timeout_secs: Option<f64>,
    #[arg(long, env = "LLM_PRICE_IN_PER_1K")]
    llm_price_in_per_1k: Option<f64>,
    #[arg(long, env = "LLM_PRICE_OUT_PER_1K")]
    llm_price_out_per_1k: Option<f64>,
    #[arg(long, env = "LLM_REQUESTS_PER_MINUTE", default_value_t = 0)]
    llm_requests_per_minute: u32,
    #[arg(long, env = "LLM_TOKENS_PER_MINUTE", default_value_t = 0)]
    llm_tokens_per_minute: u32,
    #[arg(long, env = "LLM_USE_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    llm_use_cache: bool,
    #[arg(long, env = "LLM_RETRY_BASE_MS")]
    llm_retry_base_ms: Option<u64>,
    /// Examples nearest to a chunk's lines sent with it to the LLM (0 = none).
    #[arg(long, env = "LLM_FEW_SHOT")]
    llm_few_shot: Option<u32>,
    /// The most estimated tokens a chunk's examples may add.
    #[arg(long, env = "LLM_FEW_SHOT_TOKENS")]
    llm_few_shot_tokens: Option<u32>,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let _ = dotenvy::dotenv();
        // Only the environment: the command line belongs to `cli`.
        let s = <Settings as clap::Parser>::try_parse_from(std::iter::empty::<String>()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (llm, openai) = llm_settings(s.llm)?;
        let public_url = public_url(s.site_addr, s.public_url.as_deref())?;
        // Behind an HTTPS proxy on the same host the app listens on loopback, but browsers reach it
        // over HTTPS: `PUBLIC_URL` says so, and then cookies are `Secure` and HSTS is sent.
        let https = public_url.scheme() == "https";
        let allow = s
            .metrics_allow
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse::<ipnet::IpNet>().map_err(|e| anyhow::anyhow!("METRICS_ALLOW: {n:?} is not a network: {e}")))
            .collect::<anyhow::Result<_>>()?;
        let config = Config {
            database_url: s.database_url,
            report_reader_url: s.report_reader_url,
            redis_url: s.redis_url,
            job_queue: s.job_queue,
            site_addr: s.site_addr,
            data_dir: s.data_dir,
            upload_max_bytes: s.upload_max_bytes,
            upload_sweep_after: Duration::from_secs(s.upload_sweep_after_secs),
            ingest_limits: engine::ingest::IngestLimits {
                max_entries: s.zip_max_entries,
                max_entry_bytes: s.zip_max_entry_bytes,
                max_total_bytes: s.zip_max_total_bytes,
                max_ratio: s.zip_max_ratio,
            },
            ingest_writers: usize::from(s.ingest_writers),
            workbook_memory_limit_mb: s.workbook_memory_limit_mb,
            llm,
            openai,
            offline_chunk_delay: Duration::from_millis(s.offline_chunk_delay_ms),
            secure_cookies: (https || !s.site_addr.ip().is_loopback()) && s.cookie_secure,
            shutdown_timeout: Duration::from_secs(s.shutdown_timeout_secs),
            import_lease: Duration::from_secs(s.import_lease_secs),
            auth_rate_per_minute: s.auth_rate_per_minute,
            shared_rate_per_minute: s.shared_rate_per_minute,
            trust_forwarded_for: s.trust_forwarded_for,
            public_url,
            marketing: Marketing {
                fetch: engine::etl::fetch::FetchPolicy {
                    timeout: Duration::try_from_secs_f64(s.etl_timeout_secs).ok().filter(|d| !d.is_zero()).context("ETL_TIMEOUT_SECS must be a positive number of seconds")?,
                    max_retries: s.etl_max_retries,
                    base_delay: Duration::from_millis(s.etl_retry_base_ms),
                },
                lease: Duration::from_secs(s.etl_lease_secs),
                scheduler_every: Duration::from_secs(s.etl_scheduler_secs),
                retention_days: s.data_retention_days,
                sink: match (s.sink_url.filter(|u| !u.trim().is_empty()), s.sink_secret.filter(|k| !k.is_empty())) {
                    (Some(url), Some(secret)) => Some(engine::etl::sink::SinkConfig {
                        url,
                        secrets: std::iter::once(secret).chain(s.sink_secret_previous.filter(|k| !k.is_empty())).map(Into::into).collect(),
                    }),
                    (Some(_), None) => anyhow::bail!("SINK_URL is set without SINK_SECRET: exports must be signed"),
                    _ => None,
                },
                pipeline: engine::events::pipeline::PipelineConfig {
                    validators: usize::from(s.event_validators),
                    storers: usize::from(s.event_storers),
                    ..Default::default()
                },
            },
            edge: EdgeLimits {
                json_body_max_bytes: s.json_body_max_bytes,
                upload_body_max_bytes: usize::try_from(s.upload_max_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024),
                header_read_timeout: Duration::from_secs(s.header_read_timeout_secs),
                body_read_timeout: Duration::from_secs(s.body_read_timeout_secs),
                max_connections_per_address: s.max_connections_per_address,
            },
            isolation: Isolation {
                render_threads: usize::from(s.render_threads),
                render_timeout: Duration::from_secs(s.render_timeout_secs),
                job_threads: usize::from(s.job_threads),
                watchdog: Duration::from_secs(s.watchdog_secs),
            },
            metrics_access: MetricsAccess { token: s.metrics_token.map(secrecy::SecretString::from), allow },
        };
        std::fs::create_dir_all(config.data_dir.join("uploads"))
            .with_context(|| format!("cannot create DATA_DIR {}", config.data_dir.display()))?;
        Ok(config)
    }
}

fn public_url(site_addr: SocketAddr, given: Option<&str>) -> anyhow::Result<url::Url> {
    let default = if site_addr.ip().is_loopback() || site_addr.ip().is_unspecified() {
        format!("http://localhost:{}", site_addr.port())
    } else {
        format!("http://{site_addr}")
    };
    let raw = given.map(str::to_string).unwrap_or(default);
    url::Url::parse(raw.trim_end_matches('/')).map_err(|e| anyhow::anyhow!("PUBLIC_URL={raw:?} is not a URL: {e}"))
}

/// Without a key and a base URL the offline classifier is the default, so the whole flow works on
/// a fresh machine; a base URL alone is enough for keyless servers (Ollama).
fn llm_settings(l: LlmSettings) -> anyhow::Result<(engine::classify::RunSettings, Option<engine::classify::provider::OpenAiConfig>)> {
    use engine::classify::{ProviderKind, RunSettings};
    let openai = (l.openai_api_key.is_some() || l.openai_base_url.is_some()).then(|| engine::classify::provider::OpenAiConfig {
        base_url: l.openai_base_url.clone().unwrap_or_else(|| "https://api.openai.com/v1".into()),
        api_key: l.openai_api_key.clone().map(secrecy::SecretString::from),
    });
    let provider_name = l.llm_provider.unwrap_or_else(|| if openai.is_some() { "openai" } else { "offline" }.into());
    let provider = ProviderKind::parse(&provider_name)
        .ok_or_else(|| anyhow::anyhow!("LLM_PROVIDER={provider_name:?} is not valid: use openai or offline"))?;
    anyhow::ensure!(
        provider == ProviderKind::Offline || openai.is_some(),
        "LLM_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL"
    );
    let d = RunSettings::default();
    let settings = RunSettings {
        provider,
        model: l.llm_model.unwrap_or(d.model),
        chunk_size: l.llm_chunk_size.unwrap_or(d.chunk_size),
        concurrency: l.llm_concurrency_limit.unwrap_or(d.concurrency),
        temperature: l.llm_temperature.unwrap_or(d.temperature),
        max_retries: l.llm_max_retries.unwrap_or(d.max_retries),
        timeout_secs: l.llm_timeout_secs.unwrap_or(d.timeout_secs),
        price_in_per_1k: l.llm_price_in_per_1k.unwrap_or(d.price_in_per_1k),
        price_out_per_1k: l.llm_price_out_per_1k.unwrap_or(d.price_out_per_1k),
        requests_per_minute: l.llm_requests_per_minute,
        tokens_per_minute: l.llm_tokens_per_minute,
        use_cache: l.llm_use_cache,
        retry_base_ms: l.llm_retry_base_ms.unwrap_or(d.retry_base_ms),
        few_shot: l.llm_few_shot.unwrap_or(d.few_shot),
        few_shot_tokens: l.llm_few_shot_tokens.unwrap_or(d.few_shot_tokens),
    };
    settings.validate().map_err(|e| anyhow::anyhow!("LLM settings: {e}"))?;
    Ok((settings, openai))
}
