//! Reading datasets back: summaries, the detail with its de-duplication statistics, and pages of rows
//! (paged, sorted, searched) with their cleaned description columns.

use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::{CleanOptions, DatasetDetail, DatasetRow, DatasetRowsPage, DatasetSummary, DedupStrategy, LineGroup, RowsQuery};
use super::clean_text;
use crate::auth::{CurrentUser, Permission};
use crate::error::{Conflict, EngineError, Resource, Result};
use crate::ingest::ColumnInfo;

pub async fn dataset_summary(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<DatasetSummary> {
    user.require(Permission::DatasetRead)?;
    let d = sqlx::query!(
        "SELECT id, owner_id, upload_id, name, description_column, description_columns, table_ids, rows, unique_lines,
                duplicate_groups, created_at, (SELECT username FROM users u WHERE u.id = owner_id) AS owner
         FROM datasets WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(EngineError::NotFound(Resource::Dataset))?;
    if !super::shares::can_read(pool, user, d.id, d.owner_id).await? {
        return Err(EngineError::NotFound(Resource::Dataset));
    }
    Ok(DatasetSummary {
        id: d.id,
        upload_id: d.upload_id,
        name: d.name,
        description_column: d.description_column,
        description_columns: d.description_columns,
        table_ids: d.table_ids,
        rows: d.rows,
        unique_lines: d.unique_lines,
        duplicate_groups: d.duplicate_groups,
        created_at: d.created_at,
        owner: d.owner,
    })
}

pub async fn list_datasets(pool: &PgPool, user: &CurrentUser) -> Result<Vec<DatasetSummary>> {
    user.require(Permission::DatasetRead)?;
    let all = user.can(Permission::DatasetAdmin);
    let rows = sqlx::query_as!(
        DatasetSummary,
        r#"SELECT id, upload_id, name, description_column, description_columns, table_ids, rows, unique_lines,
                duplicate_groups, created_at, (SELECT username FROM users u WHERE u.id = owner_id) AS "owner?"
         FROM datasets
         WHERE $1 OR owner_id = $2 OR EXISTS (SELECT 1 FROM dataset_shares s WHERE s.dataset_id = datasets.id AND s.user_id = $2)
         ORDER BY created_at DESC LIMIT 200"#,
        all,
        user.id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

struct Settings {
    clean: CleanOptions,
    dedup: DedupStrategy,
    columns: Vec<String>,
    /// Each column's type, widened over the tables that have it.
    types: Vec<crate::ingest::ColumnType>,
}

async fn settings(pool: &PgPool, summary: &DatasetSummary) -> Result<Settings> {
    let r = sqlx::query!("SELECT clean_options, dedup FROM datasets WHERE id = $1", summary.id).fetch_one(pool).await?;
    let tables = sqlx::query_scalar!(
        "SELECT columns FROM upload_tables WHERE id = ANY($1) ORDER BY position",
        &summary.table_ids
    )
    .fetch_all(pool)
    .await?;
    let mut columns: Vec<String> = Vec::new();
    let mut types = Vec::new();
    for t in tables {
        let cols: Vec<ColumnInfo> = serde_json::from_value(t).map_err(EngineError::internal)?;
        for c in cols {
            match columns.iter().position(|n| *n == c.name) {
                Some(i) => types[i] = crate::ingest::widen(types[i], c.kind),
                None => {
                    columns.push(c.name);
                    types.push(c.kind);
                }
            }
        }
    }
    Ok(Settings {
        clean: serde_json::from_value(r.clean_options).map_err(EngineError::internal)?,
        dedup: serde_json::from_value(r.dedup).map_err(EngineError::internal)?,
        columns,
        types,
    })
}

/// The columns of the dataset's tables with their types, in table order (exports write numbers and
/// dates as such).
pub async fn original_column_types(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Vec<(String, crate::ingest::ColumnType)>> {
    let summary = dataset_summary(pool, user, id).await?;
    let s = settings(pool, &summary).await?;
    Ok(s.columns.into_iter().zip(s.types).collect())
}

/// The columns of the dataset's tables, in table order, without the `clean_<name>` ones.
pub async fn original_columns(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Vec<String>> {
    Ok(original_column_types(pool, user, id).await?.into_iter().map(|(name, _)| name).collect())
}

fn clean_columns(descriptions: &[String]) -> Vec<String> {
    descriptions.iter().map(|c| format!("clean_{c}")).collect()
}

pub async fn dataset_detail(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<DatasetDetail> {
    let summary = dataset_summary(pool, user, id).await?;
    let s = settings(pool, &summary).await?;
    let largest_groups = sqlx::query_as!(
        LineGroup,
        r#"SELECT idx, text, clean_text, row_count AS rows FROM unique_lines
           WHERE dataset_id = $1 AND row_count > 1 ORDER BY row_count DESC, idx LIMIT 10"#,
        id
    )
    .fetch_all(pool)
    .await?;
    let rejected_rows = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(rows_rejected), 0)::bigint AS "n!" FROM upload_tables WHERE id = ANY($1)"#,
        &summary.table_ids
    )
    .fetch_one(pool)
    .await?;
    let mut columns = s.columns;
    columns.extend(clean_columns(&summary.description_columns));
    Ok(DatasetDetail {
        rejected_rows,
        duplicate_rows: summary.rows - summary.unique_lines,
        summary,
        clean: s.clean,
        dedup: s.dedup,
        largest_groups,
        columns,
    })
}

/// A page of rows. Sorting by a column compares its text; searching looks in every original column.
pub async fn dataset_rows(pool: &PgPool, user: &CurrentUser, id: Uuid, q: &RowsQuery) -> Result<DatasetRowsPage> {
    let summary = dataset_summary(pool, user, id).await?;
    let s = settings(pool, &summary).await?;
    let sort = q.sort.as_deref().unwrap_or("row_no");
    if sort != "row_no" && sort != "group_rows" && !s.columns.iter().any(|c| c == sort) {
        return Err(EngineError::invalid(format!("cannot sort by '{sort}': no such column")));
    }
    let search = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(|t| format!("%{}%", like_escape(t)));
    let dir = if q.desc { "DESC" } else { "ASC" };
    let (offset, limit) = crate::store::page_bounds(q.offset, q.limit.unwrap_or(50), 500)?;
    // In row order without a search, the page is a range of row numbers: only its rows are joined.
    let plain = sort == "row_no" && !q.desc && search.is_none();
    let order = match sort {
        "row_no" => format!("m.first_row + o.n {dir}"),
        "group_rows" => format!("ul.row_count {dir}, m.first_row + o.n"),
        // The column name is a bound parameter ($5), never spliced into the SQL.
        _ => format!("ur.data->>$5 {dir} NULLS LAST, m.first_row + o.n"),
    };
    // Segments that cannot hold the page are skipped before their arrays are unnested.
    let window = if plain {
        "AND m.first_row <= $3::bigint + $4::bigint AND m.first_row + cardinality(m.line_idx) > $3::bigint
         AND m.first_row + o.n - 1 BETWEEN $3::bigint + 1 AND $3::bigint + $4::bigint"
    } else {
        ""
    };
    let paging = if plain { "LIMIT $4" } else { "OFFSET $3 LIMIT $4" };
    let source = super::readback::dataset_rows_source(pool, id).await?;
    let sql = format!(
        "SELECT m.first_row + o.n - 1 AS row_no, t.name AS file, ur.line_no, o.line_idx, ul.row_count, ur.data,
                count(*) OVER () AS total
         FROM dataset_maps m
         CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
         JOIN {source} ur ON ur.table_id = m.table_id AND ur.row_no = m.source_first + o.n - 1
         JOIN upload_tables t ON t.id = m.table_id
         JOIN unique_lines ul ON ul.dataset_id = m.dataset_id AND ul.idx = o.line_idx
         WHERE m.dataset_id = $1 {window}
           AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM jsonb_each_text(ur.data) e WHERE e.value ILIKE $2))
         ORDER BY {order} {paging}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(&search)
        .bind(offset)
        .bind(limit)
        .bind(sort)
        .fetch_all(pool)
        .await?;
    let mut total = if search.is_none() { summary.rows } else { 0 };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let data: serde_json::Value = r.try_get("data")?;
        if search.is_some() {
            total = r.try_get("total")?;
        }
        let text = |c: &str| data.get(c).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let mut values: Vec<String> = s.columns.iter().map(|c| text(c)).collect();
        values.extend(summary.description_columns.iter().map(|c| clean_text(&text(c), &s.clean)));
        out.push(DatasetRow {
            row_no: r.try_get("row_no")?,
            file: r.try_get("file")?,
            line_no: r.try_get("line_no")?,
            line_idx: r.try_get("line_idx")?,
            group_rows: r.try_get("row_count")?,
            values,
        });
    }
    let mut columns = s.columns;
    columns.extend(clean_columns(&summary.description_columns));
    Ok(DatasetRowsPage { total, columns, rows: out })
}

/// Deletes a dataset with its unique lines, links and runs. Refused while one of its runs is queued
/// or running: cancel it first.
pub async fn delete_dataset(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<()> {
    user.require(Permission::DatasetCreate)?;
    super::shares::require_owner(pool, user, id).await?;
    let mut tx = pool.begin().await?;
    let active = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM runs WHERE dataset_id = $1 AND status IN ('queued', 'running')"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if active > 0 {
        return Err(EngineError::Conflict(Conflict::DatasetInUse));
    }
    sqlx::query!("DELETE FROM datasets WHERE id = $1", id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
