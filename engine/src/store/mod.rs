//! Connections to PostgreSQL and Redis, the embedded migrations applied at start, and the one
//! encoder of values for COPY's text format.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::error::{EngineError, Result};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(|e| EngineError::internal(format!("cannot connect to PostgreSQL: {e}")))
}

pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await.map_err(|e| EngineError::internal(format!("migrations failed: {e}")))
}

/// Appends `s` as one field of COPY's text format: backslash, tab and line breaks escaped, NUL (which
/// PostgreSQL text cannot hold; old exports pad with it) dropped.
pub(crate) fn copy_escape(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => {}
            _ => out.push(b),
        }
    }
}
