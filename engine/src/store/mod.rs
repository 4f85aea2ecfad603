//! Connections to PostgreSQL and Redis, the embedded migrations applied at start, and the one
//! encoder of values for COPY's text format.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::error::{EngineError, Result};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<PgPool> {
    let options = url
        .parse::<sqlx::postgres::PgConnectOptions>()
        .map_err(|e| EngineError::internal(format!("DATABASE_URL is not valid: {e}")))?
        // File headers are written into SQL as string literals (ingest::tables): backslashes in
        // them must mean themselves whatever the server's default.
        .options([("standard_conforming_strings", "on")]);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|e| EngineError::internal(format!("cannot connect to PostgreSQL: {e}")))
}

/// Connections for SQL reports, logging in as `dgs_report_reader` (the role the migrations make):
/// `url` when given (`REPORT_READER_URL`, with its password), else the application's own URL with
/// that user. Made lazily: the app starts whether or not the role may log in yet.
pub fn connect_report_reader(url: Option<&str>, database_url: &str) -> Result<PgPool> {
    let options = match url {
        Some(u) => u.parse::<sqlx::postgres::PgConnectOptions>(),
        None => database_url.parse::<sqlx::postgres::PgConnectOptions>().map(|o| o.username(crate::reports::views::READER_ROLE).password("")),
    }
    .map_err(|e| EngineError::internal(format!("REPORT_READER_URL is not valid: {e}")))?;
    Ok(PgPoolOptions::new().max_connections(4).acquire_timeout(Duration::from_secs(5)).connect_lazy_with(options))
}

/// Far beyond any table here, and far enough from `i64::MAX` that `offset + limit` never overflows.
pub const MAX_OFFSET: i64 = 1_000_000_000_000;

/// A page's offset and limit as every list takes them: a negative offset is the first page, an
/// offset past `MAX_OFFSET` is refused (422), the limit is kept within 1..=`max_limit`.
pub fn page_bounds(offset: i64, limit: i64, max_limit: i64) -> Result<(i64, i64)> {
    if offset > MAX_OFFSET {
        return Err(EngineError::invalid(format!("offset must be between 0 and {MAX_OFFSET}")));
    }
    Ok((offset.max(0), limit.clamp(1, max_limit.max(1))))
}

pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await.map_err(|e| EngineError::internal(format!("migrations failed: {e}")))
}

/// Appends `s` as one field of COPY's text format: backslash, tab and line breaks escaped, NUL (which
/// PostgreSQL text cannot hold; old exports pad with it) dropped.
pub fn copy_escape(out: &mut Vec<u8>, s: &str) {
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

#[cfg(test)]
mod paging_tests {
    use super::*;

    #[test]
    fn offsets_past_the_bound_are_refused_and_the_rest_clamped() {
        assert!(page_bounds(i64::MAX, 50, 500).is_err());
        assert!(page_bounds(MAX_OFFSET + 1, 50, 500).is_err());
        assert_eq!(page_bounds(MAX_OFFSET, i64::MAX, 500).ok(), Some((MAX_OFFSET, 500)));
        assert_eq!(page_bounds(-5, 0, 500).ok(), Some((0, 1)));
    }
}
