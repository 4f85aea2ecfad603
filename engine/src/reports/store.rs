//! Saved reports (seed §18.2): each change a new version kept whole, so a run, a link or an audit
//! line can name exactly what it ran. Its owner and admins (`report:admin`) change it; roles it is
//! granted to run it, and change it when the grant says so. Unknown is 404; known but not yours
//! to see is 403 (the seed's codes).

use sqlx::PgPool;
use uuid::Uuid;

use super::wire::{NewReport, Report, ReportCreated, ReportGrant, ReportSpec, ReportSummary, ReportVersionInfo, Source};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

/// A report as access checks need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Head {
    pub id: Uuid,
    pub name: String,
    pub owner_id: Uuid,
    pub version: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Run,
    Edit,
}

/// What `user` may do with report `id` (403 when nothing).
pub async fn access(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<(Head, Access)> {
    let head: Head = sqlx::query_as("SELECT id, name, owner_id, version FROM reports WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::Report))?;
    if head.owner_id == user.id || user.can(Permission::ReportAdmin) {
        return Ok((head, Access::Edit));
    }
    let grant: Option<bool> = sqlx::query_scalar("SELECT bool_or(can_edit) FROM report_grants WHERE report_id = $1 AND role = ANY($2)")
        .bind(id)
        .bind(&user.roles)
        .fetch_one(pool)
        .await?;
    match grant {
        Some(true) => Ok((head, Access::Edit)),
        Some(false) => Ok((head, Access::Run)),
        None => Err(EngineError::Forbidden("report")),
    }
}

/// The spec of `version` (the newest when `None`); 400 for a version the report never had.
pub async fn spec_of(pool: &PgPool, id: Uuid, version: Option<i32>) -> Result<(i32, ReportSpec)> {
    let row: Option<(i32, serde_json::Value)> = match version {
        Some(v) => sqlx::query_as("SELECT version, spec FROM report_versions WHERE report_id = $1 AND version = $2").bind(id).bind(v).fetch_optional(pool).await?,
        None => sqlx::query_as("SELECT v.version, v.spec FROM report_versions v JOIN reports r ON r.id = v.report_id AND r.version = v.version WHERE r.id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    };
    let (v, spec) = row.ok_or_else(|| match version {
        Some(v) => super::ReportError::VersionUnknown(v).into(),
        None => EngineError::NotFound(Resource::Report),
    })?;
    let spec = serde_json::from_value(spec).map_err(|e| EngineError::internal(format!("stored spec: {e}")))?;
    Ok((v, spec))
}

/// A spec is saved only when it compiles over its source as `user` may read it.
async fn check(tables: &crate::eav::Store, user: &CurrentUser, req: &NewReport) -> Result<String> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(EngineError::invalid("a report's name has 1 to 200 characters"));
    }
    let (compiled, _, pool) = super::execute::compile_for(tables, Some(user), &req.spec, &Default::default()).await?;
    // An admin's SQL is planned once as the reader role: a table it may not read, a column the
    // contract names that the query lacks, a syntax error — each refused here, not at the first run.
    if matches!(req.spec.source, super::wire::Source::Sql(_)) {
        let mut tx = super::execute::read_only(&pool, super::execute::TIMEOUT_SECS).await?;
        let explained = super::execute::bind_all(sqlx::query(crate::eav::physical::trusted(&format!("EXPLAIN {}", compiled.sql))), &compiled.binds).fetch_all(&mut *tx).await;
        if let Err(e) = explained {
            return Err(match e {
                sqlx::Error::Database(d) => super::ReportError::spec("source.sql", d.message()).into(),
                other => other.into(),
            });
        }
    }
    Ok(name.to_string())
}

async fn insert_version(tx: &mut sqlx::PgConnection, id: Uuid, version: i32, spec: serde_json::Value, req: &NewReport, user: &CurrentUser) -> Result<()> {
    sqlx::query("INSERT INTO report_versions (report_id, version, spec, change_description, created_by) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(version)
        .bind(spec)
        .bind(req.change_description.as_deref().unwrap_or("").trim())
        .bind(user.id)
        .execute(tx)
        .await?;
    Ok(())
}

/// `POST /reports`.
pub async fn create(tables: &crate::eav::Store, user: &CurrentUser, req: &NewReport) -> Result<ReportCreated> {
    user.require(Permission::ReportCreate)?;
    let name = check(tables, user, req).await?;
    let id = Uuid::now_v7();
    let spec = serde_json::to_value(&req.spec).map_err(EngineError::internal)?;
    let mut tx = tables.pool.begin().await?;
    sqlx::query("INSERT INTO reports (id, name, description, owner_id) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(&name)
        .bind(req.description.trim())
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    insert_version(&mut tx, id, 1, spec, req, user).await?;
    tx.commit().await?;
    Ok(ReportCreated { id, version: 1 })
}

/// `PUT /reports/{id}`: a new version; the old ones stay runnable by number.
pub async fn update(tables: &crate::eav::Store, user: &CurrentUser, id: Uuid, req: &NewReport) -> Result<ReportCreated> {
    let (_, access) = access(&tables.pool, user, id).await?;
    if access != Access::Edit {
        return Err(EngineError::Forbidden("report"));
    }
    let name = check(tables, user, req).await?;
    let spec = serde_json::to_value(&req.spec).map_err(EngineError::internal)?;
    let mut tx = tables.pool.begin().await?;
    let version: i32 = sqlx::query_scalar("UPDATE reports SET name = $2, description = $3, version = version + 1, updated_at = now() WHERE id = $1 RETURNING version")
        .bind(id)
        .bind(&name)
        .bind(req.description.trim())
        .fetch_one(&mut *tx)
        .await?;
    insert_version(&mut tx, id, version, spec, req, user).await?;
    tx.commit().await?;
    Ok(ReportCreated { id, version })
}

/// `GET /reports/{id}`: the newest version with the history of versions and the grants.
pub async fn get(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Report> {
    let (head, access) = access(pool, user, id).await?;
    let (version, spec) = spec_of(pool, id, None).await?;
    let (description, owner, created_at, updated_at): (String, String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT r.description, u.username, r.created_at, r.updated_at FROM reports r JOIN users u ON u.id = r.owner_id WHERE r.id = $1")
            .bind(id)
            .fetch_one(pool)
            .await?;
    let versions: Vec<(i32, String, chrono::DateTime<chrono::Utc>, Option<String>)> = sqlx::query_as(
        "SELECT v.version, v.change_description, v.created_at, u.username FROM report_versions v LEFT JOIN users u ON u.id = v.created_by
         WHERE v.report_id = $1 ORDER BY v.version DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let grants: Vec<(String, bool)> = sqlx::query_as("SELECT role, can_edit FROM report_grants WHERE report_id = $1 ORDER BY role").bind(id).fetch_all(pool).await?;
    Ok(Report {
        id,
        name: head.name,
        description,
        owner,
        version,
        spec,
        versions: versions.into_iter().map(|(version, change_description, created_at, created_by)| ReportVersionInfo { version, change_description, created_at, created_by }).collect(),
        grants: grants.into_iter().map(|(role, can_edit)| ReportGrant { role, can_edit }).collect(),
        can_edit: access == Access::Edit,
        created_at,
        updated_at,
    })
}

/// `GET /reports`: the reports the user may run, newest change first.
pub async fn list(pool: &PgPool, user: &CurrentUser) -> Result<Vec<ReportSummary>> {
    let rows: Vec<(Uuid, String, String, i32, serde_json::Value, bool, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT r.id, r.name, u.username, r.version, v.spec,
                (r.owner_id = $1 OR $3 OR EXISTS (SELECT 1 FROM report_grants g WHERE g.report_id = r.id AND g.role = ANY($2) AND g.can_edit)),
                r.updated_at
         FROM reports r JOIN users u ON u.id = r.owner_id JOIN report_versions v ON v.report_id = r.id AND v.version = r.version
         WHERE r.owner_id = $1 OR $3 OR EXISTS (SELECT 1 FROM report_grants g WHERE g.report_id = r.id AND g.role = ANY($2))
         ORDER BY r.updated_at DESC",
    )
    .bind(user.id)
    .bind(&user.roles)
    .bind(user.can(Permission::ReportAdmin))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, owner, version, spec, can_edit, updated_at)| {
            let spec: ReportSpec = serde_json::from_value(spec).ok()?;
            let source = match &spec.source {
                Source::Table { table } => table.clone(),
                Source::Run { run_id } => format!("run {}", &run_id.to_string()[..8]),
                Source::Sql(_) => "SQL".into(),
                Source::Sample { sample_id } => format!("sample {}", &sample_id.to_string()[..8]),
            };
            Some(ReportSummary { id, name, owner, version, source, chart: spec.chart.map(|c| c.kind).unwrap_or_default(), can_edit, updated_at })
        })
        .collect())
}

/// `DELETE /reports/{id}`: by its owner or an admin; its links and audit go with it.
pub async fn delete(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<()> {
    let (head, _) = access(pool, user, id).await?;
    if head.owner_id != user.id && !user.can(Permission::ReportAdmin) {
        return Err(EngineError::Forbidden("report"));
    }
    sqlx::query("DELETE FROM reports WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}

/// `PUT /reports/{id}/grants`: the roles that may run it (and change it), replacing the list.
pub async fn set_grants(pool: &PgPool, user: &CurrentUser, id: Uuid, grants: &[ReportGrant]) -> Result<Vec<ReportGrant>> {
    let (head, _) = access(pool, user, id).await?;
    if head.owner_id != user.id && !user.can(Permission::ReportAdmin) {
        return Err(EngineError::Forbidden("report"));
    }
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM report_grants WHERE report_id = $1").bind(id).execute(&mut *tx).await?;
    for g in grants {
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM roles WHERE name = $1)").bind(&g.role).fetch_one(&mut *tx).await?;
        if !known {
            return Err(EngineError::NotFound(Resource::Role));
        }
        sqlx::query("INSERT INTO report_grants (report_id, role, can_edit) VALUES ($1, $2, $3) ON CONFLICT (report_id, role) DO UPDATE SET can_edit = excluded.can_edit")
            .bind(id)
            .bind(&g.role)
            .bind(g.can_edit)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(grants.to_vec())
}
