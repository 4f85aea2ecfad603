//! A run's results fanned back out to every original row through the dedup mapping: the paged,
//! filterable results table, the category distribution, and the CSV and XLSX exports with the
//! original columns plus category, score and reason.

use futures::TryStreamExt;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use sqlx::PgPool;
use uuid::Uuid;

use super::run_progress;
use crate::auth::CurrentUser;
use crate::classify::{CategoryCount, ResultRow, ResultsPage};
use crate::classify::reason_text;
use crate::error::{EngineError, Result};
use crate::export::ExportOptions;
use crate::ingest::{ColumnType, parse_datetime, parse_number};
use crate::lang::Lang;

/// Narrows the results table; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResultsFilter {
    pub category: Option<String>,
    pub min_score: Option<f64>,
    pub max_score: Option<f64>,
}

impl ResultsFilter {
    fn is_empty(&self) -> bool {
        self.category.is_none() && self.min_score.is_none() && self.max_score.is_none()
    }
}

/// Classified rows in original order (one per original row), for the results table.
pub async fn results_page(
    pool: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    filter: &ResultsFilter,
    offset: i64,
    limit: i64,
) -> Result<ResultsPage> {
    let run = run_progress(pool, user, id).await?;
    let (offset, limit) = crate::store::page_bounds(offset, limit, 1000)?;
    let (min, max) = (filter.min_score.unwrap_or(f64::NEG_INFINITY), filter.max_score.unwrap_or(f64::INFINITY));
    let rows = if filter.is_empty() {
        // Only the map segments that overlap the page are unnested.
        sqlx::query_as!(
            ResultRow,
            r#"SELECT m.first_row + o.n - 1 AS "row_no!", ul.text AS line, rr.category, rr.score, rr.reason, rr.line_idx,
                      coalesce((SELECT jsonb_array_length(c.examples) FROM run_chunks c WHERE c.run_id = rr.run_id AND c.chunk_no = rr.chunk_no), 0) AS "examples_shown!"
               FROM dataset_maps m
               CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
               JOIN unique_lines ul ON ul.dataset_id = m.dataset_id AND ul.idx = o.line_idx
               JOIN run_results rr ON rr.run_id = $1 AND rr.line_idx = o.line_idx
               WHERE m.dataset_id = $2
                 AND m.first_row <= $3::bigint + $4::bigint AND m.first_row + cardinality(m.line_idx) > $3::bigint
                 AND m.first_row + o.n - 1 BETWEEN $3::bigint + 1 AND $3::bigint + $4::bigint
               ORDER BY 1"#,
            id,
            run.dataset_id,
            offset,
            limit
        )
        .fetch_all(pool)
        .await?
    } else {
        sqlx::query_as!(
            ResultRow,
            r#"SELECT m.first_row + o.n - 1 AS "row_no!", ul.text AS line, rr.category, rr.score, rr.reason, rr.line_idx,
                      coalesce((SELECT jsonb_array_length(c.examples) FROM run_chunks c WHERE c.run_id = rr.run_id AND c.chunk_no = rr.chunk_no), 0) AS "examples_shown!"
               FROM run_results rr
               JOIN dataset_maps m ON m.dataset_id = $2
               CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
               JOIN unique_lines ul ON ul.dataset_id = m.dataset_id AND ul.idx = o.line_idx
               WHERE rr.run_id = $1 AND o.line_idx = rr.line_idx
                 AND ($3::text IS NULL OR rr.category = $3) AND rr.score BETWEEN $4 AND $5
               ORDER BY 1 OFFSET $6 LIMIT $7"#,
            id,
            run.dataset_id,
            filter.category,
            min,
            max,
            offset,
            limit
        )
        .fetch_all(pool)
        .await?
    };
    // Without a filter the bounds are infinite and the category NULL: the same count serves both.
    let total_rows = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(ul.row_count), 0) AS "n!" FROM run_results rr
           JOIN unique_lines ul ON ul.dataset_id = $2 AND ul.idx = rr.line_idx
           WHERE rr.run_id = $1 AND ($3::text IS NULL OR rr.category = $3) AND rr.score BETWEEN $4 AND $5"#,
        id,
        run.dataset_id,
        filter.category,
        min,
        max
    )
    .fetch_one(pool)
    .await?;
    Ok(ResultsPage { total_rows, rows })
}

/// Original rows per category, largest first.
pub async fn category_counts(pool: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Vec<CategoryCount>> {
    let run = run_progress(pool, user, id).await?;
    let rows = sqlx::query!(
        r#"SELECT rr.category, sum(ul.row_count)::bigint AS "lines!" FROM run_results rr
           JOIN unique_lines ul ON ul.dataset_id = $2 AND ul.idx = rr.line_idx
           WHERE rr.run_id = $1 GROUP BY rr.category ORDER BY 2 DESC, 1"#,
        id,
        run.dataset_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| CategoryCount { category: r.category, lines: r.lines }).collect())
}

/// One exported row: the original values, then what the run (and, for a reviewed export, the
/// reviewer) said.
struct Record {
    values: Vec<String>,
    category: String,
    score: f64,
    reason: String,
    model_category: String,
    verdict: Option<String>,
    reviewer: Option<String>,
}

/// Streams every original row, in order; rows whose line has no result yet are left out. With a
/// sample, a line a person marked incorrect takes the category they gave.
async fn for_each_result_row(pool: &PgPool, id: Uuid, export: &Export, mut emit: impl FnMut(Record) -> Result<()>) -> Result<()> {
    let source = crate::clean::dataset_rows_source(pool, export.dataset_id).await?;
    let sql = format!(
        "SELECT ur.data, rr.category, rr.score, rr.reason, v.verdict, v.corrected_category, u.username
         FROM dataset_maps m
         CROSS JOIN LATERAL unnest(m.line_idx) WITH ORDINALITY AS o(line_idx, n)
         JOIN {source} ur ON ur.table_id = m.table_id AND ur.row_no = m.source_first + o.n - 1
         JOIN run_results rr ON rr.run_id = $1 AND rr.line_idx = o.line_idx
         LEFT JOIN sample_items si ON si.sample_id = $3 AND si.line_idx = o.line_idx
         LEFT JOIN verdicts v ON v.item_id = si.id
         LEFT JOIN users u ON u.id = v.reviewer_id
         WHERE m.dataset_id = $2 ORDER BY m.position, o.n"
    );
    type ResultRow = (serde_json::Value, String, f64, String, Option<String>, Option<String>, Option<String>);
    let mut rows = sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(export.dataset_id)
        .bind(export.sample_id)
        .fetch(pool);
    while let Some((data, category, score, reason, verdict, corrected, reviewer)) = rows.try_next().await? {
        let values = export.columns.iter().map(|c| data.get(c).and_then(|v| v.as_str()).unwrap_or_default().to_string()).collect();
        emit(Record {
            values,
            category: corrected.unwrap_or_else(|| category.clone()),
            score,
            reason,
            model_category: category,
            verdict,
            reviewer,
        })?;
    }
    Ok(())
}

/// The run's dataset and its original columns, checked against the user once per export; for a
/// reviewed export, the sample whose verdicts win and the prompt version named on every row.
struct Export {
    dataset_id: Uuid,
    columns: Vec<String>,
    types: Vec<ColumnType>,
    sample_id: Option<Uuid>,
    prompt_version: String,
    lang: Lang,
}

impl Export {
    async fn of(pool: &PgPool, user: &CurrentUser, id: Uuid, sample_id: Option<Uuid>, lang: Lang) -> Result<Self> {
        let run = run_progress(pool, user, id).await?;
        let (columns, types) = crate::clean::original_column_types(pool, user, run.dataset_id).await?.into_iter().unzip();
        let prompt_version = format!("{} v{}", run.prompt_name, run.prompt_version);
        if let Some(sid) = sample_id {
            // Verdicts are about lines, so any sample of the same dataset may overlay the run.
            let sample = crate::review::samples::sample_summary(pool, user, sid).await?;
            if sample.dataset_id != run.dataset_id {
                return Err(EngineError::invalid("that sample was drawn from another dataset"));
            }
        }
        Ok(Export { dataset_id: run.dataset_id, columns, types, sample_id, prompt_version, lang })
    }

    /// The original columns as they were named, then the added ones in the reader's language.
    fn header(&self) -> Vec<String> {
        let l = self.lang;
        let added = [l.pick("categoría", "category"), l.pick("puntuación", "score"), l.pick("motivo", "reason")];
        let mut h: Vec<String> = self.columns.iter().cloned().chain(added.map(String::from)).collect();
        if self.sample_id.is_some() {
            h.extend(
                [
                    l.pick("categoría_del_modelo", "model_category"),
                    l.pick("veredicto", "verdict"),
                    l.pick("revisado_por", "reviewed_by"),
                    l.pick("versión_del_prompt", "prompt_version"),
                ]
                .map(String::from),
            );
        }
        h
    }

    /// The cells after the original values, as text (the score with the language's decimal mark).
    fn tail(&self, r: &Record) -> Vec<String> {
        let l = self.lang;
        let score = if r.score < 0.0 { String::new() } else { l.decimal(r.score, 3) };
        let mut t = vec![r.category.clone(), score, reason_text(&r.reason, l)];
        if self.sample_id.is_some() {
            let verdict = match r.verdict.as_deref() {
                Some("correct") => l.pick("correcta", "correct"),
                Some("incorrect") => l.pick("incorrecta", "incorrect"),
                Some("skipped") => l.pick("omitida", "skipped"),
                Some(other) => other,
                None => "",
            };
            t.extend([r.model_category.clone(), verdict.to_string(), r.reviewer.clone().unwrap_or_default(), self.prompt_version.clone()]);
        }
        t
    }
}

/// Every original row with its original columns plus category, score and reason, as CSV (cells
/// neutralised against formulas). With a
/// sample: the final category (the human verdict where there is one), who reviewed, the prompt version.
pub async fn results_csv(pool: &PgPool, user: &CurrentUser, id: Uuid, sample_id: Option<Uuid>, opts: ExportOptions) -> Result<Vec<u8>> {
    let export = Export::of(pool, user, id, sample_id, opts.lang).await?;
    let mut out = crate::export::CsvOut::with_separator(Vec::new(), opts.separator);
    out.write_row(export.header())?;
    for_each_result_row(pool, id, &export, |r| {
        let mut record = r.values.clone();
        record.extend(export.tail(&r));
        out.write_row(&record)
    })
    .await?;
    out.into_inner()
}

/// XLSX has a row limit; a larger export continues on the next sheet.
const XLSX_ROWS_PER_SHEET: u32 = 1_048_575;

/// The same as the CSV export, as an XLSX workbook with a frozen header: numbers and dates of columns
/// of those types as numbers and dates (a value that does not parse stays text), the score a number.
pub async fn results_xlsx(pool: &PgPool, user: &CurrentUser, id: Uuid, sample_id: Option<Uuid>, lang: Lang) -> Result<Vec<u8>> {
    let export = Export::of(pool, user, id, sample_id, lang).await?;
    let header = export.header();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format(lang.pick("dd/mm/yyyy", "yyyy-mm-dd"));
    let datetime = Format::new().set_num_format(lang.pick("dd/mm/yyyy hh:mm", "yyyy-mm-dd hh:mm"));
    let mut book = Workbook::new();
    let mut sheets = 1usize;
    add_sheet(&mut book, &header, &bold, sheets)?;
    let mut row: u32 = 0;
    for_each_result_row(pool, id, &export, |r| {
        if row == XLSX_ROWS_PER_SHEET {
            sheets += 1;
            add_sheet(&mut book, &header, &bold, sheets)?;
            row = 0;
        }
        row += 1;
        let sheet = book.worksheet_from_index(sheets - 1).map_err(EngineError::internal)?;
        let n = r.values.len() as u16;
        for (c, v) in r.values.iter().enumerate() {
            let col = c as u16;
            let kind = export.types.get(c).copied().unwrap_or(ColumnType::Text);
            let written = match kind {
                ColumnType::Integer | ColumnType::Decimal => parse_number(v).map(|x| sheet.write_number(row, col, x).map(|_| ())),
                ColumnType::Date | ColumnType::Datetime => parse_datetime(v).and_then(|d| excel_datetime(d).ok()).map(|d| {
                    let f = if kind == ColumnType::Date { &date } else { &datetime };
                    sheet.write_datetime_with_format(row, col, &d, f).map(|_| ())
                }),
                _ => None,
            };
            match written {
                Some(done) => done.map_err(EngineError::internal)?,
                None => {
                    sheet.write_string(row, col, v).map_err(EngineError::internal)?;
                }
            }
        }
        for (k, v) in export.tail(&r).iter().enumerate() {
            let col = n + k as u16;
            // The score is a number; everything else text.
            if k == 1 {
                if r.score >= 0.0 {
                    sheet.write_number(row, col, r.score).map_err(EngineError::internal)?;
                }
            } else {
                sheet.write_string(row, col, v).map_err(EngineError::internal)?;
            }
        }
        Ok(())
    })
    .await?;
    book.save_to_buffer().map_err(EngineError::internal)
}

fn excel_datetime(d: chrono::NaiveDateTime) -> std::result::Result<ExcelDateTime, rust_xlsxwriter::XlsxError> {
    use chrono::{Datelike, Timelike};
    let year = u16::try_from(d.year()).map_err(|_| rust_xlsxwriter::XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)?.and_hms(d.hour() as u16, d.minute() as u8, d.second())
}

/// A constant-memory sheet (rows go to a temporary file as they are written) with a bold, frozen header.
fn add_sheet(book: &mut Workbook, header: &[String], bold: &Format, number: usize) -> Result<()> {
    let sheet = book.add_worksheet_with_constant_memory().map_err(EngineError::internal)?;
    sheet.set_name(format!("Results {number}")).map_err(EngineError::internal)?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, bold).map_err(EngineError::internal)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(EngineError::internal)?;
    Ok(())
}
