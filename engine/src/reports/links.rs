//! Shared links (DESIGN §8): a report opened without an account. Each link is a random token shown
//! once and stored as its SHA-256, with an optional expiry, an optional password (argon2; five
//! wrong ones lock it for a quarter of an hour), revoke and rotate that act on the very next
//! request, values it fixes for its viewers, and whether it exports. An unknown, expired, revoked,
//! rotated-away or locked-out token — and a wrong password — all get the same 404, so a token
//! cannot be probed. Every open is logged (time, address, what, parameters).

use chrono::{Duration, Utc};
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::compile::compile;
use super::error::ReportError;
use super::source::resolve;
use super::store::{Access, access, spec_of};
use super::wire::{FilterMode, LinkCreated, LinkInfo, LinkToken, NewLink, Operator, ReportSpec, Unlocked};
use crate::auth::tokens::{new_secret, secret_hash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};

pub const LINK_PREFIX: &str = "dgs_l_";
const UNLOCK_PREFIX: &str = "dgs_u_";
const MAX_FAILED: i32 = 5;
const LOCKOUT_MINUTES: i64 = 15;
const UNLOCK_HOURS: i64 = 12;

fn gone() -> EngineError {
    EngineError::NotFound(Resource::ReportLink)
}

pub fn url_of(token: &str) -> String {
    format!("/s/{token}")
}

/// The parameter filter of `spec` named `field`.
fn parameter<'a>(spec: &'a ReportSpec, field: &str) -> Option<&'a super::wire::ReportFilter> {
    spec.filters.iter().find(|f| f.mode == FilterMode::Parameter && f.field.eq_ignore_ascii_case(field))
}

/// The named parameter of an SQL report's query called `name`.
fn sql_parameter<'a>(spec: &'a ReportSpec, name: &str) -> Option<&'a super::sql::SqlParameter> {
    match &spec.source {
        super::wire::Source::Sql(def) => def.parameters.iter().find(|p| p.name.eq_ignore_ascii_case(name)),
        _ => None,
    }
}

async fn editable_report(pool: &PgPool, user: &CurrentUser, report: Uuid) -> Result<()> {
    match access(pool, user, report).await?.1 {
        Access::Edit => Ok(()),
        Access::Run => Err(EngineError::Forbidden("report")),
    }
}

/// `POST /reports/{id}/links`.
pub async fn create(tables: &crate::eav::Store, user: &CurrentUser, report: Uuid, req: &NewLink) -> Result<LinkCreated> {
    editable_report(&tables.pool, user, report).await?;
    if req.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(EngineError::invalid("the expiry is in the past"));
    }
    let (_, spec) = spec_of(&tables.pool, report, None).await?;
    for field in req.locked.keys() {
        if parameter(&spec, field).is_none() && sql_parameter(&spec, field).is_none() {
            return Err(ReportError::param(field, "a link fixes only parameters of its report").into());
        }
    }
    // The fixed values must read as the report reads them.
    super::execute::compile_for(tables, None, &spec, &req.locked).await?;
    let password = match req.password.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if p.chars().count() < 8 => return Err(EngineError::invalid("a link's password has at least 8 characters")),
        Some(p) => Some(crate::auth::password::hash_in_background(p).await?),
        None => None,
    };
    let (token, hash) = new_secret(LINK_PREFIX);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO report_links (id, report_id, token_hash, created_by, expires_at, password_hash, locked, allow_export)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(report)
    .bind(&hash)
    .bind(user.id)
    .bind(req.expires_at)
    .bind(password)
    .bind(Value::Object(req.locked.clone()))
    .bind(req.allow_export)
    .execute(&tables.pool)
    .await?;
    Ok(LinkCreated { id, url: url_of(&token), token })
}

const LINK_SELECT: &str = "SELECT l.id, l.report_id, r.name, u.username, l.created_at, l.expires_at, l.revoked_at, l.password_hash IS NOT NULL,
        l.locked, l.allow_export, l.opens, l.last_open_at,
        (l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > now()))
     FROM report_links l JOIN reports r ON r.id = l.report_id JOIN users u ON u.id = r.owner_id";

type LinkRow = (Uuid, Uuid, String, String, chrono::DateTime<Utc>, Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>, bool, Value, bool, i64, Option<chrono::DateTime<Utc>>, bool);

fn info(r: LinkRow) -> LinkInfo {
    let (id, report_id, report_name, owner, created_at, expires_at, revoked_at, protected, locked, allow_export, opens, last_open_at, active) = r;
    let locked = if let Value::Object(m) = locked { m } else { Map::new() };
    LinkInfo { id, report_id, report_name, owner, created_at, expires_at, revoked_at, protected, locked, allow_export, opens, last_open_at, active }
}

/// `GET /reports/{id}/links`.
pub async fn list(pool: &PgPool, user: &CurrentUser, report: Uuid) -> Result<Vec<LinkInfo>> {
    editable_report(pool, user, report).await?;
    let rows: Vec<LinkRow> = sqlx::query_as(crate::eav::physical::trusted(&format!("{LINK_SELECT} WHERE l.report_id = $1 ORDER BY l.created_at DESC")))
        .bind(report)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(info).collect())
}

/// `GET /reports/links`: every link of every report, for admins.
pub async fn inventory(pool: &PgPool, user: &CurrentUser) -> Result<Vec<LinkInfo>> {
    user.require(Permission::ReportAdmin)?;
    let rows: Vec<LinkRow> = sqlx::query_as(crate::eav::physical::trusted(&format!("{LINK_SELECT} ORDER BY l.created_at DESC"))).fetch_all(pool).await?;
    Ok(rows.into_iter().map(info).collect())
}

/// The report a link belongs to, for someone who may change it.
async fn link_report(pool: &PgPool, user: &CurrentUser, link: Uuid) -> Result<Uuid> {
    let report: Uuid = sqlx::query_scalar("SELECT report_id FROM report_links WHERE id = $1").bind(link).fetch_optional(pool).await?.ok_or_else(gone)?;
    editable_report(pool, user, report).await?;
    Ok(report)
}

/// `DELETE /reports/links/{link_id}`: dead from the next request on (revoking twice is fine).
pub async fn revoke(pool: &PgPool, user: &CurrentUser, link: Uuid) -> Result<()> {
    link_report(pool, user, link).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE report_links SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1").bind(link).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM report_link_unlocks WHERE link_id = $1").bind(link).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /reports/links/{link_id}/rotate`: a new token; the old one is dead at once, and so are
/// the passwords given for it.
pub async fn rotate(pool: &PgPool, user: &CurrentUser, link: Uuid) -> Result<LinkToken> {
    link_report(pool, user, link).await?;
    let (token, hash) = new_secret(LINK_PREFIX);
    let mut tx = pool.begin().await?;
    let done = sqlx::query("UPDATE report_links SET token_hash = $2 WHERE id = $1 AND revoked_at IS NULL").bind(link).bind(&hash).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(gone());
    }
    sqlx::query("DELETE FROM report_link_unlocks WHERE link_id = $1").bind(link).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(LinkToken { url: url_of(&token), token })
}

/// An open link, as a viewer's request may use it.
#[derive(Debug, Clone)]
pub struct OpenLink {
    pub id: Uuid,
    pub report_id: Uuid,
    pub locked: Map<String, Value>,
    pub allow_export: bool,
}

type ActiveRow = (Uuid, Uuid, Option<String>, Value, bool, Option<chrono::DateTime<Utc>>);

async fn active(pool: &PgPool, token: &str) -> Result<ActiveRow> {
    if !token.starts_with(LINK_PREFIX) || token.len() > 100 {
        return Err(gone());
    }
    sqlx::query_as(
        "SELECT id, report_id, password_hash, locked, allow_export, locked_until FROM report_links
         WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
    )
    .bind(secret_hash(token))
    .fetch_optional(pool)
    .await?
    .ok_or_else(gone)
}

/// The link `token` opens, if it is live; a protected one also needs `unlock`, given for it.
pub async fn open(pool: &PgPool, token: &str, unlock: Option<&str>) -> Result<OpenLink> {
    let (id, report_id, password, locked, allow_export, _) = active(pool, token).await?;
    if password.is_some() {
        let ok = match unlock {
            Some(u) => sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM report_link_unlocks WHERE secret_hash = $1 AND link_id = $2 AND expires_at > now())")
                .bind(secret_hash(u))
                .bind(id)
                .fetch_one(pool)
                .await?,
            None => false,
        };
        if !ok {
            return Err(ReportError::PasswordRequired.into());
        }
    }
    let locked = if let Value::Object(m) = locked { m } else { Map::new() };
    Ok(OpenLink { id, report_id, locked, allow_export })
}

/// `POST /shared/{token}/unlock`: the password, checked; a wrong one counts toward the lockout
/// and is answered as an unknown link.
pub async fn unlock(pool: &PgPool, token: &str, password: &str) -> Result<Unlocked> {
    let (id, _, hash, _, _, locked_until) = active(pool, token).await?;
    if locked_until.is_some_and(|t| t > Utc::now()) {
        return Err(gone());
    }
    let right = match &hash {
        Some(h) => crate::auth::password::verify_in_background(password, h).await?,
        None => true,
    };
    if !right {
        sqlx::query(
            "UPDATE report_links SET failed_attempts = failed_attempts + 1,
                locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(mins => $3) END
             WHERE id = $1",
        )
        .bind(id)
        .bind(MAX_FAILED)
        .bind(LOCKOUT_MINUTES as i32)
        .execute(pool)
        .await
        .ok();
        return Err(gone());
    }
    let (secret, secret_h) = new_secret(UNLOCK_PREFIX);
    let expires_at = Utc::now() + Duration::hours(UNLOCK_HOURS);
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE report_links SET failed_attempts = 0, locked_until = NULL WHERE id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM report_link_unlocks WHERE link_id = $1 AND expires_at <= now()").bind(id).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO report_link_unlocks (secret_hash, link_id, expires_at) VALUES ($1, $2, $3)").bind(secret_h).bind(id).bind(expires_at).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Unlocked { unlock: secret, expires_at })
}

/// Logs an open off the answer's path.
pub fn record_open(pool: PgPool, link: Uuid, address: Option<String>, what: &'static str, parameters: Map<String, Value>) {
    tokio::spawn(async move {
        let r = async {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO report_link_opens (link_id, address, what, parameters) VALUES ($1, $2, $3, $4)")
                .bind(link)
                .bind(address)
                .bind(what)
                .bind(Value::Object(parameters))
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE report_links SET opens = opens + 1, last_open_at = now() WHERE id = $1").bind(link).execute(&mut *tx).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, %link, "link open not logged");
        }
    });
}

/// A viewer's query string as parameter values: only the report's parameters, lists split on
/// commas for `in`, `a..b` for `between`, yes/no for `is_null`.
pub fn params_from_query(spec: &ReportSpec, raw: &[(String, String)]) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (k, v) in raw {
        if let Some(p) = sql_parameter(spec, k) {
            out.insert(p.name.clone(), if v.trim().is_empty() { Value::Null } else { Value::String(v.clone()) });
            continue;
        }
        let f = parameter(spec, k).ok_or_else(|| ReportError::param(k, "not a parameter of this report"))?;
        let value = match f.operator {
            Operator::In | Operator::NotIn => Value::Array(v.split(',').map(|s| Value::String(s.trim().to_string())).filter(|s| s.as_str() != Some("")).collect()),
            Operator::Between => match v.split_once("..") {
                Some((a, b)) => Value::Array(vec![Value::String(a.trim().into()), Value::String(b.trim().into())]),
                None => return Err(ReportError::param(k, "between takes low..high").into()),
            },
            Operator::IsNull => Value::Bool(!matches!(v.trim().to_lowercase().as_str(), "no" | "false" | "0")),
            _ if v.trim().is_empty() => Value::Null,
            _ => Value::String(v.clone()),
        };
        out.insert(f.field.clone(), value);
    }
    Ok(out)
}

/// Values a viewer may pick for the parameter `field`: the locked value when the link fixes it,
/// else the field's values among the rows the report can see under its fixed filters and the
/// link's locks (never under other viewers' choices), the most frequent first, at most 50.
pub async fn suggest(tables: &crate::eav::Store, link: &OpenLink, field: &str, contains: Option<&str>) -> Result<Vec<Value>> {
    let (_, spec) = spec_of(&tables.pool, link.report_id, None).await?;
    // An SQL report's parameter: the locked value, else its default (its query's values are the admin's).
    if let Some(p) = sql_parameter(&spec, field) {
        let fixed = link.locked.iter().find(|(k, _)| k.eq_ignore_ascii_case(&p.name)).map(|(_, v)| v.clone());
        return Ok(fixed.or_else(|| p.default.clone()).into_iter().filter(|v| !v.is_null()).collect());
    }
    let f = parameter(&spec, field).ok_or_else(|| ReportError::param(field, "not a parameter of this report"))?.field.clone();
    if let Some(v) = link.locked.iter().find(|(k, _)| k.eq_ignore_ascii_case(&f)).map(|(_, v)| v) {
        return Ok(match v {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        });
    }
    let (source, _) = resolve(tables, None, &spec.source).await?;
    let mut s = spec.clone();
    s.filters.retain(|x| x.mode != FilterMode::Parameter || (!x.field.eq_ignore_ascii_case(&f) && link.locked.keys().any(|k| k.eq_ignore_ascii_case(&x.field))));
    let text = source.fields.iter().any(|sf| sf.name.eq_ignore_ascii_case(&f) && sf.kind == super::compile::Kind::Text);
    if let Some(q) = contains.map(str::trim).filter(|q| !q.is_empty() && text) {
        s.filters.push(super::wire::ReportFilter { field: f.clone(), operator: Operator::Contains, value: Value::String(q.chars().take(100).collect()), mode: FilterMode::Fixed });
    }
    s.columns = vec![];
    s.group_by = vec![super::wire::GroupBy { field: f.clone(), bucket: None }];
    s.aggregates = vec![super::wire::Aggregate { func: super::wire::AggregateFn::Count, field: None, alias: "n".into() }];
    s.derived = vec![];
    s.sort = vec![super::wire::ReportSort { field: "n".into(), direction: super::wire::SortDirection::Desc }];
    s.limit = Some(50);
    let c = compile(&s, &source, &link.locked)?;
    let sql = format!("SELECT to_jsonb(q) -> {} FROM ({}) q", crate::eav::physical::literal(&c.fields[0].0), c.sql);
    let mut tx = super::execute::read_only(&tables.pool, super::execute::TIMEOUT_SECS).await?;
    let rows = super::execute::bind_all(sqlx::query(crate::eav::physical::trusted(&sql)), &c.binds).fetch_all(&mut *tx).await.map_err(super::execute::failed)?;
    let values = rows.iter().map(|r| sqlx::Row::try_get::<Option<Value>, _>(r, 0)).collect::<std::result::Result<Vec<_>, _>>()?;
    tx.commit().await?;
    Ok(values.into_iter().flatten().filter(|v| !v.is_null()).collect())
}
