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
        Source::Sample { sample_id } => {
            if let Some(u) = user {
                crate::review::samples::sample_summary(&tables.pool, u, *sample_id).await?;
            }
            // The truth of a line is its verdict on the sampled run (kept, or corrected); every
            // iteration's answer on it is judged against that truth.
            let from = "(SELECT r.id::text AS run, pv.version AS prompt_version, r.created_at AS run_at, ul.text AS line,
                        rr.category AS predicted, t.truth,
                        (rr.category = t.truth)::int AS correct
                 FROM samples s
                 JOIN sample_items si ON si.sample_id = s.id
                 JOIN verdicts v ON v.item_id = si.id AND v.verdict <> 'skipped'
                 CROSS JOIN LATERAL (SELECT CASE v.verdict WHEN 'correct' THEN si.stratum ELSE v.corrected_category END AS truth) t
                 JOIN runs r ON r.id = s.run_id OR r.sample_id = s.id
                 JOIN run_results rr ON rr.run_id = r.id AND rr.line_idx = si.line_idx
                 JOIN prompt_versions pv ON pv.id = r.prompt_version_id
                 JOIN unique_lines ul ON ul.dataset_id = s.dataset_id AND ul.idx = si.line_idx
                 WHERE s.id = $1)";
            let fields = vec![
                field("run", "src.run", Kind::Text),
                field("prompt_version", "src.prompt_version", Kind::Number),
                field("run_at", "src.run_at", Kind::DateTime),
                field("line", "src.line", Kind::Text),
                field("predicted", "src.predicted", Kind::Text),
                field("truth", "src.truth", Kind::Text),
                field("correct", "src.correct", Kind::Number),
            ];
            // Verdicts change as people review: never cached.
            Ok((SourceDef { from: from.into(), fields, binds: vec![Bind::Uuid(*sample_id)] }, Freshness::Never))
        }
    }
}

/// The fields of `source` as `user` may build over it.
pub async fn fields(tables: &crate::eav::Store, user: &CurrentUser, source: &Source) -> Result<Vec<super::wire::SourceFieldInfo>> {
    let (def, _) = resolve(tables, Some(user), source).await?;
    Ok(def.fields.into_iter().map(|f| super::wire::SourceFieldInfo { name: f.name, ty: f.kind.as_str().into(), masked: f.masked }).collect())
}
