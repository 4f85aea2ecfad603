//! A report's source as the compiler sees it. A governed table: its promoted fields and its
//! columns, read from its physical table (masked columns are listed, and refused if used). A
//! classification run: its results fanned out to every original row through the dedup map.

use uuid::Uuid;

use super::compile::{Bind, Kind, SourceDef, SourceField};
use super::wire::Source;
use crate::auth::{CurrentUser, Permission};
use crate::eav::wire::{DataType, MaskingRule};
use crate::error::Result;

fn kind(ty: DataType) -> Kind {
    match ty {
        DataType::String | DataType::Enum | DataType::Reference => Kind::Text,
        DataType::Int | DataType::Decimal => Kind::Number,
        DataType::Boolean => Kind::Boolean,
        DataType::Date => Kind::Date,
        DataType::DateTime => Kind::DateTime,
    }
}

fn field(name: &str, sql: impl Into<String>, kind: Kind) -> SourceField {
    SourceField { name: name.into(), sql: sql.into(), kind, masked: false }
}

/// What the source's data changes with, for the cache: a table's schema version and row
/// generation, a run's status and finish (a running run is never cached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    Table { id: Uuid, version: i32 },
    Run { finished: Option<String> },
    /// An SQL report reads views of any tables: never cached.
    Never,
}

/// The source, checked against `user` when one is given (building or changing a report); a
/// report's own runs carry its owner's choice and check nothing more.
pub async fn resolve(tables: &crate::eav::Store, user: Option<&CurrentUser>, source: &Source) -> Result<(SourceDef, Freshness)> {
    resolve_with(tables, user, source, &serde_json::Map::new()).await.map(|(s, f, _)| (s, f))
}

/// As `resolve`, an SQL source binding its parameters from `params`; also the names of the
/// parameters the source took (the rest are for the spec's filters).
pub async fn resolve_with(tables: &crate::eav::Store, user: Option<&CurrentUser>, source: &Source, params: &serde_json::Map<String, serde_json::Value>) -> Result<(SourceDef, Freshness, Vec<String>)> {
    if let Source::Sql(def) = source {
        if let Some(u) = user {
            u.require(Permission::ReportAdmin)?;
        }
        let (s, used) = super::sql::source(def, params)?;
        return Ok((s, Freshness::Never, used));
    }
    let (s, f) = resolve_builtin(tables, user, source).await?;
    Ok((s, f, Vec::new()))
}

async fn resolve_builtin(tables: &crate::eav::Store, user: Option<&CurrentUser>, source: &Source) -> Result<(SourceDef, Freshness)> {
    match source {
        Source::Sql(_) => Err(crate::error::EngineError::internal("an SQL source is resolved with its parameters")),
        Source::Table { table } => {
            let def = tables.table(table).await?;
            if let Some(u) = user {
                def.require(u, Permission::TableRead)?;
            }
            let mut fields = vec![
                field("code", "src.code", Kind::Text),
                field("display_value", "src.display_value", Kind::Text),
                field("is_active", "src.is_active", Kind::Boolean),
                field("sort_order", "src.sort_order", Kind::Number),
                field("created_at", "src.created_at", Kind::DateTime),
                field("updated_at", "src.updated_at", Kind::DateTime),
            ];
            for c in &def.columns {
                let sql = if c.ty == DataType::Reference { format!("(src.{})::text", c.physical) } else { format!("src.{}", c.physical) };
                fields.push(SourceField { name: c.name.clone(), sql, kind: kind(c.ty), masked: c.masking != MaskingRule::None });
            }
            Ok((SourceDef { from: def.physical(), fields, binds: vec![] }, Freshness::Table { id: def.id, version: def.version }))
        }
        Source::Run { run_id } => {
            let finished: Option<(String, Option<chrono::DateTime<chrono::Utc>>)> = match user {
                Some(u) => {
                    let p = crate::classify::runs::run_progress(&tables.pool, u, *run_id).await?;
                    Some((p.status.as_str().to_string(), p.finished_at))
                }
                None => sqlx::query_as("SELECT status, finished_at FROM runs WHERE id = $1").bind(run_id).fetch_optional(&tables.pool).await?,
            };
            let (status, at) = finished.ok_or(crate::error::EngineError::NotFound(crate::error::Resource::Run))?;
            let from = "(SELECT (m.first_row + o.n - 1) AS row_no, ul.text AS line, rr.category, rr.score, rr.reason
                 FROM run_results rr JOIN runs r ON r.id = rr.run_id
                 JOIN dataset_maps m ON m.dataset_id = r.dataset_id
                 CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
                 JOIN unique_lines ul ON ul.dataset_id = m.dataset_id AND ul.idx = o.line_idx
                 WHERE rr.run_id = $1 AND o.line_idx = rr.line_idx)";
            let fields = vec![
                field("row_no", "src.row_no", Kind::Number),
                field("line", "src.line", Kind::Text),
                field("category", "src.category", Kind::Text),
                field("score", "src.score", Kind::Number),
                field("reason", "src.reason", Kind::Text),
            ];
            let finished = (status == "succeeded" || status == "failed" || status == "cancelled").then(|| format!("{status}:{}", at.map(|t| t.to_rfc3339()).unwrap_or_default()));
            Ok((SourceDef { from: from.into(), fields, binds: vec![Bind::Uuid(*run_id)] }, Freshness::Run { finished }))
        }
    }
}

/// The fields of `source` as `user` may build over it.
pub async fn fields(tables: &crate::eav::Store, user: &CurrentUser, source: &Source) -> Result<Vec<super::wire::SourceFieldInfo>> {
    let (def, _) = resolve(tables, Some(user), source).await?;
    Ok(def.fields.into_iter().map(|f| super::wire::SourceFieldInfo { name: f.name, ty: f.kind.as_str().into(), masked: f.masked }).collect())
}
