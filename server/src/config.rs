//! Configuration from the environment (and an optional `.env`), each value with a default that works
//! on a developer machine with local PostgreSQL and Redis.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub redis_url: String,
    pub job_queue: String,
    pub site_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub upload_max_bytes: u64,
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
    /// Requests per minute one address may make to the sign-in routes (a burst of as many).
    pub auth_rate_per_minute: u32,
    /// Take the client's address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Where browsers reach the app: passkeys are bound to its host (`PUBLIC_URL`; by default
    /// `http://localhost:<port>` for a loopback address).
    pub public_url: url::Url,
    pub edge: EdgeLimits,
    pub isolation: Isolation,
    pub metrics_access: MetricsAccess,
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

fn var(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_string())
}

fn parsed<T: std::str::FromStr>(name: &str, default: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    let raw = var(name, default);
    raw.parse::<T>().map_err(|e| anyhow::anyhow!("{name}={raw:?} is not valid: {e}"))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let _ = dotenvy::dotenv();
        let site_addr: SocketAddr = parsed("LEPTOS_SITE_ADDR", "127.0.0.1:3000")?;
        let (llm, openai) = llm_from_env()?;
        let public_url = public_url(site_addr)?;
        // Behind an HTTPS proxy on the same host the app listens on loopback, but browsers reach it
        // over HTTPS: `PUBLIC_URL` says so, and then cookies are `Secure` and HSTS is sent.
        let https = public_url.scheme() == "https";
        Ok(Config {
            database_url: var("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dgs"),
            redis_url: var("REDIS_URL", "redis://127.0.0.1:6379"),
            job_queue: var("JOB_QUEUE", "dgs-runs"),
            site_addr,
            data_dir: PathBuf::from(var("DATA_DIR", "data")),
            upload_max_bytes: parsed("UPLOAD_MAX_BYTES", "536870912")?,
            ingest_limits: engine::ingest::IngestLimits {
                max_entries: parsed("ZIP_MAX_ENTRIES", "10000")?,
                max_entry_bytes: parsed("ZIP_MAX_ENTRY_BYTES", "4294967296")?,
                max_total_bytes: parsed("ZIP_MAX_TOTAL_BYTES", "17179869184")?,
                max_ratio: parsed("ZIP_MAX_RATIO", "100")?,
            },
            ingest_writers: parsed::<usize>("INGEST_WRITERS", "2")?.clamp(1, 16),
            workbook_memory_limit_mb: parsed::<u64>("WORKBOOK_MEMORY_LIMIT_MB", "1024")?.max(128),
            llm,
            openai,
            offline_chunk_delay: Duration::from_millis(parsed("OFFLINE_CHUNK_DELAY_MS", "0")?),
            secure_cookies: (https || !site_addr.ip().is_loopback()) && parsed("COOKIE_SECURE", "true")?,
            shutdown_timeout: Duration::from_secs(parsed("SHUTDOWN_TIMEOUT_SECS", "8")?),
            auth_rate_per_minute: parsed::<u32>("AUTH_RATE_PER_MINUTE", "30")?.max(1),
            trust_forwarded_for: parsed("TRUST_FORWARDED_FOR", "false")?,
            public_url,
            edge: EdgeLimits {
                json_body_max_bytes: parsed("JSON_BODY_MAX_BYTES", "1048576")?,
                upload_body_max_bytes: 0,
                header_read_timeout: Duration::from_secs(parsed::<u64>("HEADER_READ_TIMEOUT_SECS", "10")?.max(1)),
                body_read_timeout: Duration::from_secs(parsed::<u64>("BODY_READ_TIMEOUT_SECS", "30")?.max(1)),
                max_connections_per_address: parsed("MAX_CONNECTIONS_PER_ADDRESS", "128")?,
            },
            isolation: Isolation {
                render_threads: parsed::<usize>("RENDER_THREADS", "4")?.clamp(1, 64),
                render_timeout: Duration::from_secs(parsed::<u64>("RENDER_TIMEOUT_SECS", "15")?.max(1)),
                job_threads: parsed::<usize>("JOB_THREADS", "2")?.clamp(1, 64),
                watchdog: Duration::from_secs(parsed("WATCHDOG_SECS", "30")?),
            },
            metrics_access: MetricsAccess {
                token: std::env::var("METRICS_TOKEN").ok().filter(|t| !t.trim().is_empty()).map(secrecy::SecretString::from),
                allow: var("METRICS_ALLOW", "127.0.0.0/8,::1/128")
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| n.parse::<ipnet::IpNet>().map_err(|e| anyhow::anyhow!("METRICS_ALLOW: {n:?} is not a network: {e}")))
                    .collect::<anyhow::Result<_>>()?,
            },
        })
        .map(|mut c: Config| {
            c.edge.upload_body_max_bytes = usize::try_from(c.upload_max_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024);
            c
        })
        .and_then(|c: Config| {
            std::fs::create_dir_all(c.data_dir.join("uploads"))
                .with_context(|| format!("cannot create DATA_DIR {}", c.data_dir.display()))?;
            Ok(c)
        })
    }
}

fn public_url(site_addr: SocketAddr) -> anyhow::Result<url::Url> {
    let default = if site_addr.ip().is_loopback() || site_addr.ip().is_unspecified() {
        format!("http://localhost:{}", site_addr.port())
    } else {
        format!("http://{site_addr}")
    };
    let raw = var("PUBLIC_URL", &default);
    url::Url::parse(raw.trim_end_matches('/')).map_err(|e| anyhow::anyhow!("PUBLIC_URL={raw:?} is not a URL: {e}"))
}

/// DESIGN §5's provider settings. Without a key and a base URL the offline classifier is the default,
/// so the whole flow works on a fresh machine; a base URL alone is enough for keyless servers (Ollama).
fn llm_from_env() -> anyhow::Result<(engine::classify::RunSettings, Option<engine::classify::provider::OpenAiConfig>)> {
    use engine::classify::{ProviderKind, RunSettings};
    let key = std::env::var("OPENAI_API_KEY").ok().filter(|k| !k.trim().is_empty());
    let base = std::env::var("OPENAI_BASE_URL").ok().filter(|b| !b.trim().is_empty());
    let openai = (key.is_some() || base.is_some()).then(|| engine::classify::provider::OpenAiConfig {
        base_url: base.unwrap_or_else(|| "https://api.openai.com/v1".into()),
        api_key: key.map(secrecy::SecretString::from),
    });
    let default_provider = if openai.is_some() { "openai" } else { "offline" };
    let provider_name = var("LLM_PROVIDER", default_provider);
    let provider = ProviderKind::parse(&provider_name)
        .ok_or_else(|| anyhow::anyhow!("LLM_PROVIDER={provider_name:?} is not valid: use openai or offline"))?;
    anyhow::ensure!(
        provider == ProviderKind::Offline || openai.is_some(),
        "LLM_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL"
    );
    let d = RunSettings::default();
    let settings = RunSettings {
        provider,
        model: var("LLM_MODEL", &d.model),
        chunk_size: parsed("LLM_CHUNK_SIZE", &d.chunk_size.to_string())?,
        concurrency: parsed("LLM_CONCURRENCY_LIMIT", &d.concurrency.to_string())?,
        temperature: parsed("LLM_TEMPERATURE", &d.temperature.to_string())?,
        max_retries: parsed("LLM_MAX_RETRIES", &d.max_retries.to_string())?,
        timeout_secs: parsed("LLM_TIMEOUT_SECS", &d.timeout_secs.to_string())?,
        price_in_per_1k: parsed("LLM_PRICE_IN_PER_1K", &d.price_in_per_1k.to_string())?,
        price_out_per_1k: parsed("LLM_PRICE_OUT_PER_1K", &d.price_out_per_1k.to_string())?,
        requests_per_minute: parsed("LLM_REQUESTS_PER_MINUTE", "0")?,
        tokens_per_minute: parsed("LLM_TOKENS_PER_MINUTE", "0")?,
        use_cache: parsed("LLM_USE_CACHE", "true")?,
        retry_base_ms: parsed("LLM_RETRY_BASE_MS", &d.retry_base_ms.to_string())?,
    };
    settings.validate().map_err(|e| anyhow::anyhow!("LLM settings: {e}"))?;
    Ok((settings, openai))
}
