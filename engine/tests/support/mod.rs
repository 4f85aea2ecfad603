//! What the engine's integration tests share: users, a Redis client, a dataset built from generated
//! lines, a prompt, and a run context pointed at a provider.
#![allow(dead_code)]

use std::io::Write;
use std::time::Duration;

use engine::auth::{CurrentUser, Password, Role, Username, create_user};
use engine::classify::provider::OpenAiConfig;
use engine::classify::runs::RunContext;
use engine::classify::{Category, PromptDraft, RunSettings};
use engine::clean::{DatasetSummary, NewDataset, create_dataset};
use engine::ingest::{NewUpload, ingest_upload};
use fred::interfaces::ClientLike;
use sqlx::PgPool;
use uuid::Uuid;

pub async fn analyst(pool: &PgPool) -> anyhow::Result<CurrentUser> {
    let name = Username::parse("ana")?;
    Ok(create_user(pool, &name, &Password::parse("a long enough secret", &name)?, Role::Analyst).await?)
}

pub async fn redis() -> anyhow::Result<fred::clients::Client> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = fred::clients::Client::new(fred::types::config::Config::from_url(&url)?, None, None, None);
    client.init().await?;
    Ok(client)
}

/// A dataset with one description column holding `lines` (repeats allowed: they dedup).
pub async fn dataset_of(pool: &PgPool, user: &CurrentUser, lines: &[String]) -> anyhow::Result<DatasetSummary> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("lines.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(f, "id,concepto")?;
    for (i, l) in lines.iter().enumerate() {
        writeln!(f, "{i},\"{}\"", l.replace('"', "\"\""))?;
    }
    drop(f);
    let size = std::fs::metadata(&path)?.len() as i64;
    let upload = NewUpload { id: Uuid::new_v4(), name: "lines.csv", path: &path, size_bytes: size };
    let upload = ingest_upload(pool, user, upload, &Default::default(), &Default::default()).await?;
    let req = NewDataset { upload_id: upload.id, description_column: Some("concepto".into()), ..Default::default() };
    Ok(create_dataset(pool, user, &req).await?)
}

pub const CATEGORIES: [&str; 4] = ["Pop", "Publicidad", "Viajes", "Otros"];

/// A prompt whose categories the test server recognises by name; returns its first version's id.
pub async fn test_prompt(pool: &PgPool, user: &CurrentUser) -> anyhow::Result<Uuid> {
    let draft = PromptDraft {
        name: Some("Test prompt".into()),
        label: Some("test".into()),
        template: "Clasifica cada línea.".into(),
        categories: CATEGORIES
            .iter()
            .map(|n| Category { name: n.to_string(), description: format!("cosas de {n}"), keywords: vec![], priority: 0 })
            .collect(),
        shared: Some(false),
    };
    Ok(engine::classify::prompts::create_prompt(pool, user, &draft).await?.id)
}

/// `n` distinct lines, each naming one category, round robin.
pub fn lines(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{} item {i}", CATEGORIES[i % CATEGORIES.len()])).collect()
}

pub async fn context(pool: &PgPool, base_url: Option<String>) -> anyhow::Result<RunContext> {
    Ok(RunContext {
        pool: pool.clone(),
        redis: redis().await?,
        defaults: RunSettings { retry_base_ms: 20, ..RunSettings::default() },
        openai: base_url.map(|base_url| OpenAiConfig { base_url, api_key: None }),
        offline_chunk_delay: Duration::ZERO,
    })
}

pub async fn admin(pool: &PgPool) -> anyhow::Result<CurrentUser> {
    let name = Username::parse("ada.admin")?;
    Ok(create_user(pool, &name, &Password::parse("a long enough secret", &name)?, Role::Admin).await?)
}

/// A governed-table store with the real Redis (one per "server": its own definition cache).
pub async fn eav_store(pool: &PgPool) -> anyhow::Result<engine::eav::Store> {
    Ok(engine::eav::Store::new(pool.clone(), Some(redis().await?)))
}

/// Connections to the test's database as `dgs_report_reader`, the role SQL reports run as.
pub async fn report_reader(pool: &PgPool) -> anyhow::Result<PgPool> {
    let opts = (*pool.connect_options()).clone().username("dgs_report_reader");
    Ok(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with(opts).await?)
}

/// An upload of one CSV with these columns and rows (cells quoted as needed).
pub async fn upload_csv(pool: &PgPool, user: &CurrentUser, name: &str, columns: &[&str], rows: &[Vec<String>]) -> anyhow::Result<engine::ingest::UploadSummary> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(name);
    let mut w = csv::Writer::from_path(&path)?;
    w.write_record(columns)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush()?;
    drop(w);
    let size = std::fs::metadata(&path)?.len() as i64;
    let upload = NewUpload { id: Uuid::new_v4(), name, path: &path, size_bytes: size };
    Ok(ingest_upload(pool, user, upload, &Default::default(), &Default::default()).await?)
}
