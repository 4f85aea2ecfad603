//! Running a report (seed §18.3 `POST /reports/execute`): its spec compiled over its source, run
//! in a read-only transaction with a statement timeout, one page of the answer returned with the
//! total. Answers are cached in Redis under the sources' freshness (a table's schema version and
//! row generation, which every committed write raises through the outbox; a finished run's end),
//! so a change to the data is never answered from before it. Every run is audited off the answer's
//! path: who or which link, the parameters, the rows, the time.

use base64::Engine as _;
use fred::interfaces::KeysInterface;
use fred::types::Expiration;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Postgres, Row};
use uuid::Uuid;

use super::compile::{Bind, Compiled, compile};
use super::error::ReportError;
use super::source::Freshness;
use super::store::{access, spec_of};
use super::wire::{ExecuteMetadata, ExecuteRequest, ExecuteResponse, FieldMeta, PageResult, SortDirection};
use crate::auth::CurrentUser;
use crate::eav::physical::trusted;
use crate::error::{EngineError, Result};

/// Longest a report may run before it is stopped and answered 503.
pub const TIMEOUT_SECS: u64 = 15;
const CACHE_TTL_SECS: i64 = 600;
pub const MAX_PAGE: i64 = 1000;

/// Who runs the report: a signed-in user (checked against the report), or an open shared link
/// (checked by `links`, its locked values set over any parameter).
#[derive(Debug, Clone)]
pub enum Runner {
    User(CurrentUser),
    Link { id: Uuid, locked: Map<String, Value> },
}

pub fn bind_all<'q>(mut q: Query<'q, Postgres, PgArguments>, binds: &'q [Bind]) -> Query<'q, Postgres, PgArguments> {
    for b in binds {
        q = match b {
            Bind::Text(v) => q.bind(v),
            Bind::Number(v) => q.bind(v),
            Bind::Bool(v) => q.bind(v),
            Bind::Date(v) => q.bind(v),
            Bind::DateTime(v) => q.bind(v),
            Bind::Uuid(v) => q.bind(v),
            Bind::Texts(v) => q.bind(v),
            Bind::Numbers(v) => q.bind(v),
            Bind::Dates(v) => q.bind(v),
            Bind::DateTimes(v) => q.bind(v),
            Bind::Bools(v) => q.bind(v),
            Bind::NullText => q.bind(None::<String>),
            Bind::NullNumber => q.bind(None::<f64>),
            Bind::NullBool => q.bind(None::<bool>),
            Bind::NullDate => q.bind(None::<chrono::NaiveDate>),
            Bind::NullDateTime => q.bind(None::<chrono::DateTime<chrono::Utc>>),
        };
    }
    q
}

/// A query's failure as the reader is told: a timeout, or a fault of an admin's SQL, is the
/// report's; anything else internal.
pub fn failed(e: sqlx::Error) -> EngineError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("57014") => ReportError::TimedOut { secs: TIMEOUT_SECS }.into(),
        // What only an admin's SQL can meet: a name it may not read or that is not there, a value
        // of the wrong kind (classes 42 and 22). The message says which, as the database put it.
        sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("42") || c.starts_with("22")) => ReportError::spec("source.sql", d.message()).into(),
        _ => e.into(),
    }
}

/// Opens the read-only transaction a report runs in, its statements stopped after `secs`.
pub async fn read_only(pool: &sqlx::PgPool, secs: u64) -> Result<sqlx::Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
    sqlx::query(trusted(&format!("SET LOCAL statement_timeout = {}", secs * 1000))).execute(&mut *tx).await?;
    Ok(tx)
}

fn decode_cursor(c: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("o:")?.parse().ok().filter(|o: &i64| *o >= 0)
}

fn encode_cursor(offset: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

/// The parameters the compiler sees: for a link, the viewer's may not touch what it locks, and
/// its locked values are set over them.
fn effective_params(runner: &Runner, given: &Map<String, Value>) -> Result<Map<String, Value>> {
    match runner {
        Runner::User(_) => Ok(given.clone()),
        Runner::Link { locked, .. } => {
            if let Some(k) = given.keys().find(|k| locked.keys().any(|l| l.eq_ignore_ascii_case(k))) {
                return Err(ReportError::param(k, "this link fixes it").into());
            }
            let mut out = given.clone();
            out.extend(locked.clone());
            Ok(out)
        }
    }
}

/// The cache key of one page: everything that decides the answer, and the sources' freshness.
async fn cache_key(tables: &crate::eav::Store, parts: &Value, freshness: &Freshness) -> Option<String> {
    let fresh = match freshness {
        Freshness::Table { id, version } => {
            let redis = tables.redis.as_ref()?;
            let g = crate::eav::cache::generation(redis, *id).await?;
            format!("t:{id}:{version}:{g}")
        }
        Freshness::Run { finished } => format!("r:{}", finished.as_ref()?),
        Freshness::Never => return None,
    };
    let digest = Sha256::digest(format!("{parts}|{fresh}").as_bytes());
    Some(format!("dgs:report:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// One page of the compiled report, with the total, ordered by `order` (output names).
async fn run_page(pool: &sqlx::PgPool, c: &Compiled, order: &[(String, SortDirection)], offset: i64, limit: i64) -> Result<(Vec<Map<String, Value>>, i64)> {
    let order_sql = if order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", order.iter().map(|(n, d)| format!("q.\"{n}\" {} NULLS LAST", if *d == SortDirection::Desc { "DESC" } else { "ASC" })).collect::<Vec<_>>().join(", "))
    };
    let n = c.binds.len();
    let sql = format!("SELECT to_jsonb(q) AS row, count(*) OVER () AS total FROM ({}) q{order_sql} OFFSET ${} LIMIT ${}", c.sql, n + 1, n + 2);
    let mut tx = read_only(pool, TIMEOUT_SECS).await?;
    let rows = bind_all(sqlx::query(trusted(&sql)), &c.binds).bind(offset).bind(limit).fetch_all(&mut *tx).await.map_err(failed)?;
    let mut total = rows.first().map(|r| r.try_get::<i64, _>("total")).transpose()?.unwrap_or(0);
    if rows.is_empty() && offset > 0 {
        let count = format!("SELECT count(*) FROM ({}) q", c.sql);
        total = bind_all(sqlx::query(trusted(&count)), &c.binds).fetch_one(&mut *tx).await.map_err(failed)?.try_get::<i64, _>(0)?;
    }
    tx.commit().await?;
    let data = rows
        .into_iter()
        .map(|r| r.try_get::<Value, _>("row").map(|v| if let Value::Object(m) = v { m } else { Map::new() }))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((data, total))
}

/// A report ready to run for `runner`: its head, the version, the parameters in force, and its
/// compiled query with the sources' freshness.
pub struct Prepared {
    /// Where it runs: the reader role's connections for an SQL report, else the pool.
    pub pool: sqlx::PgPool,
    pub head: super::store::Head,
    pub version: i32,
    pub spec: super::wire::ReportSpec,
    pub params: Map<String, Value>,
    pub compiled: Compiled,
    pub freshness: Freshness,
}

pub async fn prepare(tables: &crate::eav::Store, runner: &Runner, report: Uuid, version: Option<i32>, given: &Map<String, Value>) -> Result<Prepared> {
    let head = match runner {
        Runner::User(u) => access(&tables.pool, u, report).await?.0,
        Runner::Link { .. } => sqlx::query_as("SELECT id, name, owner_id, version FROM reports WHERE id = $1")
            .bind(report)
            .fetch_optional(&tables.pool)
            .await?
            .ok_or(EngineError::NotFound(crate::error::Resource::Report))?,
    };
    let (version, spec) = spec_of(&tables.pool, head.id, version).await?;
    let params = effective_params(runner, given)?;
    let (compiled, freshness, pool) = compile_for(tables, None, &spec, &params).await?;
    Ok(Prepared { pool, head, version, spec, params, compiled, freshness })
}

/// The spec compiled over its source with `params` (an SQL source takes its own, the filters the
/// rest), with its freshness and the connections it runs on.
pub async fn compile_for(tables: &crate::eav::Store, user: Option<&CurrentUser>, spec: &super::wire::ReportSpec, params: &Map<String, Value>) -> Result<(Compiled, Freshness, sqlx::PgPool)> {
    let (source, freshness, taken) = super::source::resolve_with(tables, user, &spec.source, params).await?;
    let rest: Map<String, Value> = params.iter().filter(|(k, _)| !taken.iter().any(|t| t.eq_ignore_ascii_case(k))).map(|(k, v)| (k.clone(), v.clone())).collect();
    let compiled = compile(spec, &source, &rest)?;
    let pool = match &spec.source {
        super::wire::Source::Sql(_) => tables.reader.clone().ok_or_else(|| EngineError::internal("SQL reports need connections as dgs_report_reader (REPORT_READER_URL)"))?,
        _ => tables.pool.clone(),
    };
    Ok((compiled, freshness, pool))
}

/// The order a request gives, else the spec's own, else its groups' (else its first column), so
/// pages and charts are stable.
fn order_of(spec: &super::wire::ReportSpec, names: &[String], asked: &[super::wire::ReportSort]) -> Result<Vec<(String, SortDirection)>> {
    let known = |f: &str| names.iter().find(|n| n.eq_ignore_ascii_case(f)).cloned();
    let mut order = Vec::new();
    for s in asked {
        order.push((known(&s.field).ok_or_else(|| ReportError::param("sorting", format!("'{}' is not in the answer", s.field)))?, s.direction));
    }
    if order.is_empty() {
        order = spec.sort.iter().filter_map(|s| known(&s.field).map(|n| (n, s.direction))).collect();
    }
    if order.is_empty() {
        order = names.iter().take(spec.group_by.len().max(1)).map(|n| (n.clone(), SortDirection::Asc)).collect();
    }
    Ok(order)
}

/// A spec run before it is saved (the builder's preview): checked against what `user` may read,
/// its first `limit` rows with the total, never cached nor audited.
pub async fn preview(tables: &crate::eav::Store, user: &CurrentUser, spec: &super::wire::ReportSpec, params: &Map<String, Value>, limit: i64) -> Result<ExecuteResponse> {
    let started = std::time::Instant::now();
    let (compiled, _, pool) = compile_for(tables, Some(user), spec, params).await?;
    let names: Vec<String> = compiled.fields.iter().map(|(n, _)| n.clone()).collect();
    let order = order_of(spec, &names, &[])?;
    let limit = limit.clamp(1, MAX_PAGE);
    let (data, total) = run_page(&pool, &compiled, &order, 0, limit).await?;
    Ok(ExecuteResponse {
        report_id: Uuid::nil(),
        report_name: String::new(),
        metadata: ExecuteMetadata {
            version: 0,
            executed_at: chrono::Utc::now(),
            duration_ms: started.elapsed().as_millis() as i64,
            total_rows: total,
            fields: compiled.fields.iter().map(|(n, k)| FieldMeta { name: n.clone(), ty: k.as_str().into(), alias: n.clone() }).collect(),
            cached: false,
        },
        pagination: PageResult { page_size: limit, page_number: 1, total_pages: (total + limit - 1) / limit, has_more: (data.len() as i64) < total, next_cursor: None },
        data,
    })
}

/// The chart of an answer as SVG, from its fields' names and types.
pub fn draw(chart: Option<&super::wire::Chart>, result: &ExecuteResponse) -> Option<String> {
    let chart = chart?;
    let fields: Vec<(String, super::compile::Kind)> = result.metadata.fields.iter().map(|f| (f.name.clone(), super::compile::Kind::parse(&f.ty))).collect();
    super::chart::svg(chart, &fields, &result.data, 900.0, 420.0)
}

/// `POST /reports/execute`.
pub async fn execute(tables: &crate::eav::Store, runner: &Runner, req: &ExecuteRequest) -> Result<ExecuteResponse> {
    let started = std::time::Instant::now();
    let executed_at = chrono::Utc::now();
    let Prepared { pool, head, version, spec, params, compiled, freshness } = prepare(tables, runner, req.report_id, req.version, &req.parameters).await?;
    let names: Vec<String> = compiled.fields.iter().map(|(n, _)| n.clone()).collect();
    let known = |f: &str| names.iter().find(|n| n.eq_ignore_ascii_case(f)).cloned();
    let fields: Vec<String> = req.fields.iter().map(|f| known(f).ok_or_else(|| ReportError::param("fields", format!("'{f}' is not in the answer")))).collect::<std::result::Result<_, _>>()?;
    let order = order_of(&spec, &names, &req.sorting)?;
    let p = &req.pagination;
    if !(1..=MAX_PAGE).contains(&p.page_size) {
        return Err(ReportError::param("pagination.page_size", format!("between 1 and {MAX_PAGE}")).into());
    }
    let offset = match (&p.cursor, p.page_number) {
        (Some(c), _) => decode_cursor(c).ok_or_else(|| ReportError::param("pagination.cursor", "not a cursor this API gave"))?,
        (None, Some(n)) if n >= 1 => (n - 1).saturating_mul(p.page_size),
        (None, Some(_)) => return Err(ReportError::param("pagination.page_number", "from 1").into()),
        (None, None) => 0,
    };
    let parts = serde_json::json!([head.id, version, params, order.iter().map(|(n, d)| format!("{n}:{d:?}")).collect::<Vec<_>>(), offset, p.page_size]);
    let key = cache_key(tables, &parts, &freshness).await;
    let redis = tables.redis.as_ref();
    let hit: Option<(Vec<Map<String, Value>>, i64)> = match (redis, &key) {
        (Some(r), Some(k)) => crate::eav::cache::within(r.get::<Option<String>, _>(k.as_str())).await.flatten().and_then(|j| serde_json::from_str(&j).ok()),
        _ => None,
    };
    let cached = hit.is_some();
    let (mut data, total) = match hit {
        Some(h) => h,
        None => {
            let page = run_page(&pool, &compiled, &order, offset, p.page_size).await?;
            if let (Some(r), Some(k), Ok(json)) = (redis, &key, serde_json::to_string(&page)) {
                let _ = crate::eav::cache::within(r.set::<(), _, _>(k.as_str(), json, Some(Expiration::EX(CACHE_TTL_SECS)), None, false)).await;
            }
            page
        }
    };
    if !fields.is_empty() {
        for row in &mut data {
            row.retain(|k, _| fields.iter().any(|f| f == k));
        }
    }
    let shown: Vec<FieldMeta> = compiled
        .fields
        .iter()
        .filter(|(n, _)| fields.is_empty() || fields.contains(n))
        .map(|(n, k)| FieldMeta { name: n.clone(), ty: k.as_str().into(), alias: n.clone() })
        .collect();
    let duration_ms = started.elapsed().as_millis() as i64;
    let has_more = offset + (data.len() as i64) < total;
    let page_number = offset / p.page_size + 1;
    let total_pages = (total + p.page_size - 1) / p.page_size;
    audit(tables.pool.clone(), head.id, version, runner, params, data.len() as i64, duration_ms, cached);
    Ok(ExecuteResponse {
        report_id: head.id,
        report_name: head.name,
        data,
        metadata: ExecuteMetadata { version, executed_at, duration_ms, total_rows: total, fields: shown, cached },
        pagination: PageResult { page_size: p.page_size, page_number, total_pages, has_more, next_cursor: has_more.then(|| encode_cursor(offset + p.page_size)) },
    })
}

/// Records the run after the answer has left; a failure here is logged, never the reader's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit(pool: sqlx::PgPool, report: Uuid, version: i32, runner: &Runner, params: Map<String, Value>, rows: i64, duration_ms: i64, cached: bool) {
    let (user, link) = match runner {
        Runner::User(u) => (Some(u.id), None),
        Runner::Link { id, .. } => (None, Some(*id)),
    };
    tokio::spawn(async move {
        let r = sqlx::query(
            "INSERT INTO report_executions (report_id, version, user_id, link_id, parameters, rows, duration_ms, cached) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(report)
        .bind(version)
        .bind(user)
        .bind(link)
        .bind(Value::Object(params))
        .bind(rows)
        .bind(duration_ms)
        .bind(cached)
        .execute(&pool)
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, %report, "report execution not audited");
        }
    });
}
