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
    pub llm_chunk_size: i32,
    pub offline_chunk_delay: Duration,
    /// Sessions cookies get `Secure` unless the app is served on localhost.
    pub secure_cookies: bool,
    pub shutdown_timeout: Duration,
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
        let chunk: i32 = parsed("LLM_CHUNK_SIZE", "50")?;
        anyhow::ensure!((1..=10_000).contains(&chunk), "LLM_CHUNK_SIZE must be between 1 and 10000");
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
            llm_chunk_size: chunk,
            offline_chunk_delay: Duration::from_millis(parsed("OFFLINE_CHUNK_DELAY_MS", "0")?),
            secure_cookies: !site_addr.ip().is_loopback() && parsed("COOKIE_SECURE", "true")?,
            shutdown_timeout: Duration::from_secs(parsed("SHUTDOWN_TIMEOUT_SECS", "8")?),
        })
        .and_then(|c: Config| {
            std::fs::create_dir_all(c.data_dir.join("uploads"))
                .with_context(|| format!("cannot create DATA_DIR {}", c.data_dir.display()))?;
            Ok(c)
        })
    }
}
