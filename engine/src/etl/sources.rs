//! Marketing sources kept by admins: settings (checked), the secret (kept, never answered), the
//! schedule's next time, the cursor. Reading needs `etl:read`; everything else `etl:admin`.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::check::checked;
use super::error::EtlError;
use super::runs::{self, RunRow};
use super::tables;
use super::wire::{SourceInfo, SourceInput, SourceKind};
use crate::auth::{CurrentUser, Permission};
use crate::eav::Store;
use crate::eav::physical::trusted;
use crate::error::{EngineError, Resource, Result};

/// A cron expression's next time after `after`, or why it is not one.
pub fn next_time(schedule: &str, after: DateTime<Utc>) -> std::result::Result<Option<DateTime<Utc>>, EtlError> {
    let s = cron::Schedule::from_str(schedule).map_err(|e| EtlError::source("schedule", format!("not a cron expression (sec min hour day month weekday): {e}")))?;
    Ok(s.after(&after).next())
}

#[derive(sqlx::FromRow)]
pub(crate) struct SourceRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub config: sqlx::types::Json<SourceInput>,
    pub auth_secret: Option<String>,
    pub schedule: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub cursor_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SourceRow {
    pub fn kind(&self) -> SourceKind {
        SourceKind::parse(&self.kind).unwrap_or(SourceKind::Ads)
    }

    /// The settings as a run uses them (name, kind, schedule and switch from their columns).
    pub fn input(&self) -> SourceInput {
        SourceInput { name: self.name.clone(), kind: self.kind(), schedule: self.schedule.clone(), enabled: self.enabled, auth_secret: None, version: Some(self.version), ..self.config.0.clone() }
    }

    fn info(&self, last_run: Option<RunRow>) -> SourceInfo {
        let c = self.input();
        SourceInfo {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind(),
            url: c.url,
            auth_header: c.auth_header,
            has_secret: self.auth_secret.as_deref().is_some_and(|s| !s.is_empty()),
            records_path: c.records_path,
            pagination: c.pagination,
            fields: c.fields,
            since_param: c.since_param,
            since_format: c.since_format,
            lookback_days: c.lookback_days,
            schedule: self.schedule.clone(),
            next_run_at: self.next_run_at,
            enabled: self.enabled,
            cursor: self.cursor_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_run: last_run.map(RunRow::info),
        }
    }
}

const SELECT: &str = "SELECT id, name, kind, config, auth_secret, schedule, next_run_at, enabled, cursor_at, version, created_by, created_at, updated_at FROM etl_sources";

pub(crate) async fn row(conn: &mut PgConnection, id: Uuid) -> Result<SourceRow> {
    sqlx::query_as::<_, SourceRow>(trusted(&format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(conn).await?.ok_or(EngineError::NotFound(Resource::EtlSource))
}

fn stored(input: &SourceInput) -> SourceInput {
    SourceInput { auth_secret: None, version: None, ..input.clone() }
}

fn name_taken(e: sqlx::Error, name: &str) -> EngineError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => EtlError::source("name", format!("a source named '{name}' exists")).into(),
        _ => e.into(),
    }
}

/// `POST /etl/sources`. Makes the governed table the source lands in when it is missing.
pub async fn create_source(store: &Store, user: &CurrentUser, input: SourceInput) -> Result<SourceInfo> {
    user.require(Permission::EtlAdmin)?;
    let input = checked(input)?;
    let next = match &input.schedule {
        Some(s) => next_time(s, Utc::now())?,
        None => None,
    };
    // Both tables at once: the funnel reads them together, whichever source comes first.
    for kind in [SourceKind::Ads, SourceKind::Crm] {
        tables::ensure(store, user, kind).await?;
    }
    let id = Uuid::now_v7();
    let secret = input.auth_secret.clone().filter(|s| !s.is_empty());
    sqlx::query(
        "INSERT INTO etl_sources (id, name, kind, config, auth_secret, schedule, next_run_at, enabled, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&input.name)
    .bind(input.kind.as_str())
    .bind(sqlx::types::Json(stored(&input)))
    .bind(secret)
    .bind(&input.schedule)
    .bind(next.filter(|_| input.enabled))
    .bind(input.enabled)
    .bind(user.id)
    .execute(&store.pool)
    .await
    .map_err(|e| name_taken(e, &input.name))?;
    get_source(store, user, id).await
}

/// `PUT /etl/sources/{id}`: the secret is kept unless one is sent (an empty one removes it).
pub async fn update_source(store: &Store, user: &CurrentUser, id: Uuid, input: SourceInput) -> Result<SourceInfo> {
    user.require(Permission::EtlAdmin)?;
    let input = checked(input)?;
    let mut tx = store.pool.begin().await?;
    let before = row(&mut tx, id).await?;
    if let Some(v) = input.version
        && v != before.version
    {
        return Err(EtlError::SourceVersionConflict { current: before.version }.into());
    }
    if input.kind != before.kind() {
        return Err(EtlError::source("kind", "a source keeps its kind; make a new source instead").into());
    }
    let next = match &input.schedule {
        Some(s) => next_time(s, Utc::now())?,
        None => None,
    };
    let secret = match &input.auth_secret {
        None => before.auth_secret.clone(),
        Some(s) if s.is_empty() => None,
        Some(s) => Some(s.clone()),
    };
    sqlx::query(
        "UPDATE etl_sources SET name = $2, config = $3, auth_secret = $4, schedule = $5, next_run_at = $6, enabled = $7,
             version = version + 1, updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(&input.name)
    .bind(sqlx::types::Json(stored(&input)))
    .bind(secret)
    .bind(&input.schedule)
    .bind(next.filter(|_| input.enabled))
    .bind(input.enabled)
    .execute(&mut *tx)
    .await
    .map_err(|e| name_taken(e, &input.name))?;
    tx.commit().await?;
    get_source(store, user, id).await
}

/// `DELETE /etl/sources/{id}`: the source and its run history; the data it brought stays.
pub async fn delete_source(store: &Store, user: &CurrentUser, id: Uuid) -> Result<()> {
    user.require(Permission::EtlAdmin)?;
    let mut tx = store.pool.begin().await?;
    row(&mut tx, id).await?;
    let active: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM etl_runs WHERE source_id = $1 AND status IN ('pending', 'running'))").bind(id).fetch_one(&mut *tx).await?;
    if active {
        return Err(EtlError::RunActive.into());
    }
    sqlx::query("DELETE FROM etl_sources WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get_source(store: &Store, user: &CurrentUser, id: Uuid) -> Result<SourceInfo> {
    user.require(Permission::EtlRead)?;
    let mut conn = store.pool.acquire().await?;
    let r = row(&mut conn, id).await?;
    let last = runs::last_run(&mut conn, id).await?;
    Ok(r.info(last))
}

/// `GET /etl/sources`, by name.
pub async fn list_sources(store: &Store, user: &CurrentUser) -> Result<Vec<SourceInfo>> {
    user.require(Permission::EtlRead)?;
    let mut conn = store.pool.acquire().await?;
    let rows = sqlx::query_as::<_, SourceRow>(trusted(&format!("{SELECT} ORDER BY lower(name)"))).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let last = runs::last_run(&mut conn, r.id).await?;
        out.push(r.info(last));
    }
    Ok(out)
}
