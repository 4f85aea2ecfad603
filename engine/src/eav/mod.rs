//! Governed tables: the hybrid EAV store of seed 004.
//! - `wire`: what the API exchanges; `error`: why a change is refused (codes and details);
//! - `values`, `rules`, `expr`: typed values and masking, validation rules, the check language —
//!   pure, so the browser can run them too;
//! - `schema`: tables, columns, properties, constraints and grants, versioned and audited;
//! - `def`: a table's definition as writes and reads use it; `physical`: its PostgreSQL table;
//! - `validate`, `write`, `delete`, `rows`: row commands, every path held to the same rules;
//! - `read`, `query`: rows by id (cached per policy), filters, sorting and keyset pages;
//! - `export`: a view as CSV (streamed) or XLSX;
//! - `cache`: rows in Redis, invalidated by generation;
//! - `views`: grid views saved by name, a reader's own or shared;
//! - `import`: configurations, jobs, dry runs and rollbacks that bring records into a table.

pub mod error;
pub mod expr;
pub mod import;
pub mod rules;
pub mod values;
pub mod wire;

#[cfg(feature = "server")]
pub mod cache;
#[cfg(feature = "server")]
pub mod def;
#[cfg(feature = "server")]
mod delete;
#[cfg(feature = "server")]
pub mod export;
#[cfg(feature = "server")]
pub mod physical;
#[cfg(feature = "server")]
pub mod query;
#[cfg(feature = "server")]
pub mod read;
#[cfg(feature = "server")]
pub mod rows;
#[cfg(feature = "server")]
pub mod schema;
#[cfg(feature = "server")]
pub mod validate;
#[cfg(feature = "server")]
pub mod views;
#[cfg(feature = "server")]
pub(crate) mod write;

pub use error::DataError;
pub use wire::*;

/// What every governed-table command works with: the database, Redis for the row cache (none:
/// no cache), and this process's table definitions.
#[cfg(feature = "server")]
#[derive(Clone)]
pub struct Store {
    pub pool: sqlx::PgPool,
    pub redis: Option<fred::clients::Client>,
    pub defs: std::sync::Arc<def::DefCache>,
    /// Connections as `dgs_report_reader`, for SQL reports (none: they cannot run).
    pub reader: Option<sqlx::PgPool>,
}

#[cfg(feature = "server")]
impl Store {
    pub fn new(pool: sqlx::PgPool, redis: Option<fred::clients::Client>) -> Store {
        Store { pool, redis, defs: Default::default(), reader: None }
    }

    /// SQL reports run on `reader`: connections that log in as `dgs_report_reader`.
    pub fn with_report_reader(mut self, reader: sqlx::PgPool) -> Store {
        self.reader = Some(reader);
        self
    }

    /// The table named `name` at its current schema version.
    pub async fn table(&self, name: &str) -> crate::error::Result<std::sync::Arc<def::TableDef>> {
        def::table(&self.pool, &self.defs, name).await
    }

    /// For reads: the definition checked within the last second, else `table`. A read's own query
    /// carries the schema version, and is redone with a fresh definition when it moved.
    pub async fn table_for_read(&self, name: &str) -> crate::error::Result<std::sync::Arc<def::TableDef>> {
        match self.defs.recent(name) {
            Some(def) => Ok(def),
            None => self.table(name).await,
        }
    }
}
