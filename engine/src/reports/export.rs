//! A report's whole answer as a file: CSV streamed as the query yields rows (one query, read by a
//! task that hands chunks over a bounded channel, so a slow download slows the query and memory
//! stays flat), or XLSX in constant memory with a new sheet past Excel's 1,048,576 rows. Audited
//! as any run is.

use futures::{Stream, StreamExt};
use rust_xlsxwriter::{Format, Workbook};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::compile::Kind;
use super::execute::{Prepared, Runner, audit, bind_all, failed, prepare, read_only};
use crate::eav::physical::trusted;
use crate::error::Result;
use crate::export::{CsvOut, ExportOptions, cell_text as text, xlsx};
use crate::lang::Lang;

/// An export may run this long (a whole answer, not one page).
pub const EXPORT_TIMEOUT_SECS: u64 = 600;
const CHUNK_ROWS: usize = 2000;

/// The file's name: the report's, with only safe characters.
fn file_name(name: &str, ext: &str) -> String {
    let base: String = name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(80).collect();
    format!("{}.{ext}", if base.is_empty() { "report".into() } else { base })
}

/// Rows of the compiled query, in its order, handed over in chunks by a task that owns the
/// read-only transaction.
fn rows(pool: sqlx::PgPool, p: &Prepared) -> impl Stream<Item = Result<Vec<Map<String, Value>>>> + use<> {
    let (tx_out, rx) = tokio::sync::mpsc::channel::<Result<Vec<Map<String, Value>>>>(4);
    let (sql, binds) = (format!("SELECT to_jsonb(q) AS row FROM ({}) q", p.compiled.sql), p.compiled.binds.clone());
    tokio::spawn(async move {
        let run = async {
            let mut tx = read_only(&pool, EXPORT_TIMEOUT_SECS).await?;
            let mut stream = bind_all(sqlx::query(trusted(&sql)), &binds).fetch(&mut *tx);
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            while let Some(row) = stream.next().await {
                if let Value::Object(m) = sqlx::Row::try_get::<Value, _>(&row.map_err(failed)?, 0)? {
                    chunk.push(m);
                }
                if chunk.len() == CHUNK_ROWS && tx_out.send(Ok(std::mem::take(&mut chunk))).await.is_err() {
                    return Ok(());
                }
            }
            if !chunk.is_empty() {
                let _ = tx_out.send(Ok(chunk)).await;
            }
            Ok(())
        };
        let result: Result<()> = run.await;
        if let Err(e) = result {
            let _ = tx_out.send(Err(e)).await;
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

/// The report as CSV: the header (with the byte order mark), then the rows as they come.
pub async fn csv(tables: &crate::eav::Store, runner: &Runner, report: Uuid, version: Option<i32>, params: &Map<String, Value>, opts: ExportOptions) -> Result<(String, impl Stream<Item = Result<Vec<u8>>> + use<>)> {
    let p = prepare(tables, runner, report, version, params).await?;
    let names: Vec<String> = p.compiled.fields.iter().map(|(n, _)| n.clone()).collect();
    let mut head = CsvOut::with_separator(Vec::new(), opts.separator);
    head.write_row(names.clone())?;
    let head = head.into_inner()?;
    // Counted as they leave; audited once the last has (a download cut short is not).
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let counter = sent.clone();
    let (pool, id, version, runner, params) = (tables.pool.clone(), p.head.id, p.version, runner.clone(), p.params.clone());
    let done = futures::stream::once(async move {
        audit(pool, id, version, &runner, params, sent.load(std::sync::atomic::Ordering::Relaxed), 0, false);
        Ok(Vec::new())
    });
    let body = rows(p.pool.clone(), &p).map(move |chunk| {
        let chunk = chunk?;
        counter.fetch_add(chunk.len() as i64, std::sync::atomic::Ordering::Relaxed);
        let mut out = CsvOut::continued(Vec::with_capacity(chunk.len() * 64), opts.separator);
        for r in &chunk {
            out.write_row(names.iter().map(|n| text(r.get(n), opts.lang)))?;
        }
        out.into_inner()
    });
    Ok((file_name(&p.head.name, "csv"), futures::stream::once(async move { Ok(head) }).chain(body).chain(done)))
}

/// The report as XLSX: numbers as numbers, dates as dates, more sheets past Excel's limit.
pub async fn xlsx_file(tables: &crate::eav::Store, runner: &Runner, report: Uuid, version: Option<i32>, params: &Map<String, Value>, lang: Lang) -> Result<(String, impl Stream<Item = Result<bytes::Bytes>> + use<>)> {
    let p = prepare(tables, runner, report, version, params).await?;
    let fields = p.compiled.fields.clone();
    let mut book = Workbook::new();
    let date = Format::new().set_num_format(lang.pick("dd/mm/yyyy", "yyyy-mm-dd"));
    let mut sheets = xlsx::Sheets::new(&mut book, fields.iter().map(|(n, _)| n.clone()).collect(), 0)?;
    let mut written = 0i64;
    let mut chunks = Box::pin(rows(p.pool.clone(), &p));
    while let Some(chunk) = chunks.next().await {
        for r in chunk? {
            let (sheet, row) = sheets.next_row(&mut book)?;
            for (j, (name, kind)) in fields.iter().enumerate() {
                let col = j as u16;
                let as_ = match kind {
                    Kind::Number => xlsx::As::Number,
                    Kind::Date => xlsx::As::Date,
                    Kind::Boolean => xlsx::As::Boolean,
                    Kind::Text | Kind::DateTime => xlsx::As::Text,
                };
                xlsx::write_value(sheet, row, col, r.get(name), as_, &date, &|v| text(v, lang))?;
            }
            written += 1;
        }
    }
    audit(tables.pool.clone(), p.head.id, p.version, runner, p.params.clone(), written, 0, false);
    Ok((file_name(&p.head.name, "xlsx"), xlsx::stream(book).await?))
}
