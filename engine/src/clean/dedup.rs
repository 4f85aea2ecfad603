//! Building a dataset: the chosen tables' description columns are cleaned, rows collapse into unique
//! lines by the chosen strategy, and every original row keeps its link to its line. Rows stream from
//! PostgreSQL and back into it with COPY; memory grows with the number of distinct lines, not rows.

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

use super::readback::RowStream;
use super::normalise::description_text_into;
use super::{DatasetSummary, DedupStrategy, NewDataset, clean_text};
use crate::auth::{CurrentUser, Permission};
use crate::error::{EngineError, Resource, Result};
use crate::store::copy_escape;
use crate::ingest::{FileSummary, upload_summary};

const COPY_BATCH_BYTES: usize = 1 << 20;
/// Links per dataset_maps segment: memory stays bounded however many rows a table has.
const MAP_SEGMENT: usize = 262_144;

struct UniqueLine {
    key: String,
    clean: String,
    text: String,
    rows: i32,
}

/// The key rows are grouped by.
pub fn dedup_key(strategy: &DedupStrategy, description: &str, clean: &str, key_values: &[String]) -> String {
    match strategy {
        DedupStrategy::Exact => description.to_string(),
        DedupStrategy::Cleaned => clean.to_string(),
        // The unit separator cannot be typed, so ("a b", "c") and ("a", "b c") stay apart.
        DedupStrategy::KeyColumns { .. } => key_values.iter().map(|v| v.trim()).collect::<Vec<_>>().join("\u{1f}"),
    }
}

pub async fn create_dataset(pool: &PgPool, user: &CurrentUser, req: &NewDataset) -> Result<DatasetSummary> {
    user.require(Permission::DatasetCreate)?;
    let upload = upload_summary(pool, user, req.upload_id).await?;
    let tables = chosen_tables(&upload.files, req)?;
    let descriptions = req.descriptions();
    if descriptions.is_empty() {
        return Err(EngineError::invalid("choose at least one description column"));
    }
    let key_columns = match &req.dedup {
        DedupStrategy::KeyColumns { columns } if columns.is_empty() => {
            return Err(EngineError::invalid("de-duplication by key columns needs at least one column"));
        }
        DedupStrategy::KeyColumns { columns } => columns.clone(),
        _ => vec![],
    };
    for t in &tables {
        for c in descriptions.iter().chain(&key_columns) {
            if !t.columns.iter().any(|tc| &tc.name == c) {
                let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
                return Err(EngineError::invalid(format!(
                    "the column '{c}' does not exist in {}; its columns are: {}",
                    t.name,
                    names.join(", ")
                )));
            }
        }
    }

    let id = Uuid::new_v4();
    let name = req.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| upload.name.clone());
    let table_ids: Vec<Uuid> = tables.iter().map(|t| t.table_id).collect();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO datasets (id, owner_id, upload_id, table_id, name, description_column, rows, unique_lines,
                               table_ids, description_columns, clean_options, dedup)
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $9, $10)",
        id,
        user.id,
        req.upload_id,
        table_ids[0],
        name,
        descriptions.join(" + "),
        &table_ids,
        &descriptions,
        serde_json::to_value(&req.clean).map_err(EngineError::internal)?,
        serde_json::to_value(&req.dedup).map_err(EngineError::internal)?
    )
    .execute(&mut *tx)
    .await?;

    let mut index: HashMap<String, i32> = HashMap::new();
    // Ledgers repeat the same raw text endlessly; clean each distinct text once. (Key columns group
    // by other values, so only the description-based strategies can use this.)
    let mut seen_raw: HashMap<String, i32> = HashMap::new();
    let by_description = !matches!(req.dedup, DedupStrategy::KeyColumns { .. });
    let mut lines: Vec<UniqueLine> = Vec::new();
    let mut row_no = 0i64;
    let mut buf = Vec::with_capacity(COPY_BATCH_BYTES + 4096);
    let wanted: Vec<String> = descriptions.iter().chain(&key_columns).cloned().collect();
    let mut segment = Segment { position: 0, first_row: 1, source_first: 1, links: Vec::with_capacity(MAP_SEGMENT) };
    let (mut values, mut joined) = (Vec::new(), String::new());
    let mut next = match table_ids.first() {
        Some(t) => Some(RowStream::open(pool, *t, &wanted).await?),
        None => None,
    };
    for (i, table_id) in table_ids.iter().enumerate() {
        let Some(mut rows) = next.take() else { break };
        // The next table is read ahead while this one is de-duplicated.
        if let Some(t) = table_ids.get(i + 1) {
            next = Some(RowStream::open(pool, *t, &wanted).await?);
        }
        // Stored rows are numbered 1.. without gaps, so the n-th link belongs to row n.
        let mut expected_row = 1i64;
        while let Some(source_row) = rows.next_into(&mut values).await? {
            if source_row != expected_row {
                return Err(EngineError::internal(format!("row {source_row} of a table arrived out of order")));
            }
            expected_row += 1;
            let (desc_values, key_values) = values.split_at(descriptions.len());
            // One description column (the usual case) is looked up as it stands, without a copy.
            let description: &str = match desc_values {
                [one] => one.trim(),
                many => {
                    description_text_into(&mut joined, many);
                    &joined
                }
            };
            let known = if by_description { seen_raw.get(description).copied() } else { None };
            let idx = match known {
                Some(i) => i,
                None => {
                    let clean = clean_text(description, &req.clean);
                    let key = dedup_key(&req.dedup, description, &clean, key_values);
                    let i = match index.get(&key) {
                        Some(&i) => i,
                        None => {
                            let i = i32::try_from(lines.len()).map_err(|_| EngineError::invalid("too many unique lines"))?;
                            index.insert(key.clone(), i);
                            lines.push(UniqueLine { key, clean, text: description.to_string(), rows: 0 });
                            i
                        }
                    };
                    if by_description {
                        seen_raw.insert(description.to_string(), i);
                    }
                    i
                }
            };
            lines[idx as usize].rows += 1;
            row_no += 1;
            segment.links.push(idx);
            if segment.links.len() == MAP_SEGMENT {
                segment.flush(&mut tx, id, *table_id, row_no + 1, source_row + 1).await?;
            }
        }
        segment.flush(&mut tx, id, *table_id, row_no + 1, 1).await?;
    }
    drop((index, seen_raw));
    if row_no == 0 {
        return Err(EngineError::invalid("the chosen tables have no rows to classify"));
    }

    let mut copy = tx.copy_in_raw("COPY unique_lines (dataset_id, idx, clean_text, text, row_count, dedup_key) FROM STDIN").await?;
    for (i, l) in lines.iter().enumerate() {
        buf.extend_from_slice(format!("{id}\t{i}\t").as_bytes());
        copy_escape(&mut buf, &l.clean);
        buf.push(b'\t');
        copy_escape(&mut buf, &l.text);
        buf.extend_from_slice(format!("\t{}\t", l.rows).as_bytes());
        copy_escape(&mut buf, &l.key);
        buf.push(b'\n');
        if buf.len() >= COPY_BATCH_BYTES {
            copy.send(std::mem::take(&mut buf)).await?;
        }
    }
    if !buf.is_empty() {
        copy.send(buf).await?;
    }
    copy.finish().await?;
    // Unique lines are numbered 0..n and keyed by (dataset, idx), so links that lie in [0, n) all
    // point at a real line: the database checks the range of every element before the commit.
    let bad: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM dataset_maps m, unnest(m.line_idx) AS x(i)
           WHERE m.dataset_id = $1 AND (x.i < 0 OR x.i >= $2)"#,
        id,
        lines.len() as i32
    )
    .fetch_one(&mut *tx)
    .await?;
    if bad > 0 {
        return Err(EngineError::internal(format!("{bad} dataset rows point at no unique line")));
    }
    let groups = lines.iter().filter(|l| l.rows > 1).count() as i64;
    sqlx::query!(
        "UPDATE datasets SET rows = $2, unique_lines = $3, duplicate_groups = $4 WHERE id = $1",
        id,
        row_no,
        lines.len() as i64,
        groups
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    super::dataset_summary(pool, user, id).await
}

/// The links being gathered for one dataset_maps row.
struct Segment {
    position: i32,
    first_row: i64,
    source_first: i64,
    links: Vec<i32>,
}

impl Segment {
    /// Stores the gathered links (if any) and starts the next segment at the given rows.
    async fn flush(&mut self, tx: &mut sqlx::PgConnection, dataset: Uuid, table: Uuid, next_row: i64, next_source: i64) -> Result<()> {
        if !self.links.is_empty() {
            sqlx::query!(
                "INSERT INTO dataset_maps (dataset_id, position, table_id, first_row, source_first, line_idx)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                dataset,
                self.position,
                table,
                self.first_row,
                self.source_first,
                &self.links
            )
            .execute(&mut *tx)
            .await?;
            self.position += 1;
            self.links.clear();
        }
        self.first_row = next_row;
        self.source_first = next_source;
        Ok(())
    }
}

fn chosen_tables<'a>(files: &'a [FileSummary], req: &NewDataset) -> Result<Vec<&'a FileSummary>> {
    let mut wanted = req.table_ids.clone();
    if wanted.is_empty()
        && let Some(t) = req.table_id
    {
        wanted.push(t);
    }
    if wanted.is_empty() {
        return Ok(files.iter().collect());
    }
    wanted
        .iter()
        .map(|id| files.iter().find(|f| f.table_id == *id).ok_or(EngineError::NotFound(Resource::Table)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::{CleanOptions, description_text};

    #[test]
    fn keys_follow_the_strategy() {
        let desc = description_text(&["  Taxi  ".into(), "".into(), "Madrid".into()]);
        assert_eq!(desc, "Taxi Madrid");
        let clean = clean_text(&desc, &CleanOptions::default());
        assert_eq!(dedup_key(&DedupStrategy::Exact, &desc, &clean, &[]), "Taxi Madrid");
        assert_eq!(dedup_key(&DedupStrategy::Cleaned, &desc, &clean, &[]), "taxi madrid");
        let k = DedupStrategy::KeyColumns { columns: vec!["a".into(), "b".into()] };
        assert_ne!(dedup_key(&k, "", "", &["a b".into(), "c".into()]), dedup_key(&k, "", "", &["a".into(), "b c".into()]));
    }
}
