//! Building a dataset: the chosen description column of an uploaded table is cleaned, equal cleaned
//! texts collapse into one unique line, and every original row keeps its link to that line.

use std::collections::HashMap;

use futures::TryStreamExt;
use sqlx::PgPool;
use uuid::Uuid;

use super::{DatasetSummary, NewDataset, clean_text};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Result};
use crate::ingest::ColumnInfo;

const INSERT_CHUNK: usize = 20_000;

pub async fn create_dataset(pool: &PgPool, user: &CurrentUser, req: &NewDataset) -> Result<DatasetSummary> {
    user.require(Permission::DatasetCreate)?;
    let table = sqlx::query!(
        "SELECT t.id, t.name, t.columns, u.owner_id, u.original_name FROM upload_tables t
         JOIN uploads u ON u.id = t.upload_id
         WHERE t.upload_id = $1 AND ($2::uuid IS NULL OR t.id = $2) ORDER BY t.position LIMIT 1",
        req.upload_id,
        req.table_id
    )
    .fetch_optional(pool)
    .await?
    .filter(|t| user.may_see(t.owner_id))
    .ok_or(EngineError::NotFound { what: "upload" })?;
    let columns: Vec<ColumnInfo> = serde_json::from_value(table.columns).map_err(EngineError::internal)?;
    if !columns.iter().any(|c| c.name == req.description_column) {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        return Err(EngineError::invalid(format!(
            "the column '{}' does not exist in {}; its columns are: {}",
            req.description_column,
            table.name,
            names.join(", ")
        )));
    }

    let opts = req.clean.clone();
    let mut index: HashMap<String, i32> = HashMap::new();
    let mut lines: Vec<(String, String, i32)> = Vec::new(); // (clean, first original, count)
    let mut mapping: Vec<(i64, i32)> = Vec::new();
    let mut rows = sqlx::query!(
        r#"SELECT row_no, coalesce(data->>$2, '') AS "text!" FROM upload_rows WHERE table_id = $1 ORDER BY row_no"#,
        table.id,
        req.description_column
    )
    .fetch(pool);
    while let Some(r) = rows.try_next().await? {
        let clean = clean_text(&r.text, &opts);
        let idx = match index.get(&clean) {
            Some(&i) => {
                lines[i as usize].2 += 1;
                i
            }
            None => {
                let i = i32::try_from(lines.len()).map_err(|_| EngineError::invalid("too many unique lines"))?;
                index.insert(clean.clone(), i);
                lines.push((clean, r.text.trim().to_string(), 1));
                i
            }
        };
        mapping.push((r.row_no, idx));
    }
    drop(rows);
    if mapping.is_empty() {
        return Err(EngineError::invalid(format!("{} has no rows to classify", table.name)));
    }

    let id = Uuid::new_v4();
    let name = req.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or(table.original_name);
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO datasets (id, owner_id, upload_id, table_id, name, description_column, rows, unique_lines)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        user.id,
        req.upload_id,
        table.id,
        name,
        req.description_column,
        mapping.len() as i64,
        lines.len() as i64
    )
    .execute(&mut *tx)
    .await?;
    for (chunk_no, chunk) in lines.chunks(INSERT_CHUNK).enumerate() {
        let first = (chunk_no * INSERT_CHUNK) as i32;
        let idxs: Vec<i32> = (first..first + chunk.len() as i32).collect();
        let cleans: Vec<&str> = chunk.iter().map(|l| l.0.as_str()).collect();
        let texts: Vec<&str> = chunk.iter().map(|l| l.1.as_str()).collect();
        let counts: Vec<i32> = chunk.iter().map(|l| l.2).collect();
        sqlx::query!(
            "INSERT INTO unique_lines (dataset_id, idx, clean_text, text, row_count)
             SELECT $1, * FROM UNNEST($2::int[], $3::text[], $4::text[], $5::int[])",
            id,
            &idxs,
            &cleans as &[&str],
            &texts as &[&str],
            &counts
        )
        .execute(&mut *tx)
        .await?;
    }
    for chunk in mapping.chunks(INSERT_CHUNK) {
        let row_nos: Vec<i64> = chunk.iter().map(|m| m.0).collect();
        let idxs: Vec<i32> = chunk.iter().map(|m| m.1).collect();
        sqlx::query!(
            "INSERT INTO dataset_rows (dataset_id, row_no, line_idx) SELECT $1, * FROM UNNEST($2::bigint[], $3::int[])",
            id,
            &row_nos,
            &idxs
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    dataset_summary(pool, user, id).await
}

pub async fn dataset_summary(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<DatasetSummary> {
    user.require(Permission::DatasetRead)?;
    let d = sqlx::query!(
        "SELECT id, owner_id, upload_id, name, description_column, rows, unique_lines, created_at FROM datasets WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .filter(|d| user.may_see(d.owner_id))
    .ok_or(EngineError::NotFound { what: "dataset" })?;
    Ok(DatasetSummary {
        id: d.id,
        upload_id: d.upload_id,
        name: d.name,
        description_column: d.description_column,
        rows: d.rows,
        unique_lines: d.unique_lines,
        created_at: d.created_at,
    })
}

pub async fn list_datasets(pool: &PgPool, user: &CurrentUser) -> Result<Vec<DatasetSummary>> {
    user.require(Permission::DatasetRead)?;
    let all = user.role == crate::auth::Role::Admin;
    let rows = sqlx::query_as!(
        DatasetSummary,
        "SELECT id, upload_id, name, description_column, rows, unique_lines, created_at FROM datasets
         WHERE $1 OR owner_id = $2 ORDER BY created_at DESC LIMIT 200",
        all,
        user.id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

