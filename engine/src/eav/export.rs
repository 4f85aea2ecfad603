//! A governed table's view leaving as a file: the rows its filters keep, in its order, with its
//! columns — as CSV streamed a keyset page at a time (any size, constant memory), or as an XLSX
//! workbook with numbers and dates typed, its sheets written through temporary files (constant
//! memory), a new sheet past Excel's 1,048,576 rows, and the finished file streamed from disk.
//! Values are masked for readers without `table:unmask`, as every read is.

use futures::Stream;
use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;

use super::def::TableDef;
use super::wire::{DataType, RowData, RowQuery};
use super::{Store, query};
use crate::auth::CurrentUser;
use crate::error::Result;
use crate::export::{CsvOut, ExportOptions, cell_text, xlsx};
use crate::lang::Lang;

const PAGE: i64 = 1000;

/// The columns a view shows: all, or those it names, in the table's order.
fn view_columns(def: &TableDef, q: &RowQuery) -> Vec<(String, DataType)> {
    def.columns
        .iter()
        .filter(|c| q.fields.as_ref().is_none_or(|f| f.iter().any(|n| n.eq_ignore_ascii_case(&c.name))))
        .map(|c| (c.name.clone(), c.ty))
        .collect()
}

fn header(columns: &[(String, DataType)], l: Lang) -> Vec<String> {
    let mut h = vec![l.pick("código", "code").to_string(), l.pick("nombre", "display_value").to_string()];
    h.extend(columns.iter().map(|(n, _)| n.clone()));
    h.push(l.pick("activa", "is_active").to_string());
    h
}

fn line(r: &RowData, columns: &[(String, DataType)], l: Lang) -> Vec<String> {
    let mut out = vec![r.code.clone(), r.display_value.clone().unwrap_or_default()];
    out.extend(columns.iter().map(|(n, _)| cell_text(r.column_values.get(n), l)));
    out.push(cell_text(Some(&Value::Bool(r.is_active)), l));
    out
}

/// The view as CSV, a chunk per page of rows: the header (with the byte order mark) first.
pub async fn csv_stream(store: Store, user: CurrentUser, table: String, view: RowQuery, opts: ExportOptions) -> Result<impl Stream<Item = Result<Vec<u8>>>> {
    let def = store.table_for_read(&table).await?;
    let columns = view_columns(&def, &view);
    // The first page is read now, so a bad view is an error answer, not a broken download.
    let first = query::query_rows(&store, &user, &table, &RowQuery { page_size: Some(PAGE), next_key_set: None, offset: None, from_end: false, ..view.clone() }).await?;
    let mut head = CsvOut::with_separator(Vec::new(), opts.separator);
    head.write_row(header(&columns, opts.lang))?;
    let state = Some((Some(head.into_inner()?), Some(first)));
    Ok(futures::stream::try_unfold(state, move |state| {
        let (store, user, table, view, columns) = (store.clone(), user.clone(), table.clone(), view.clone(), columns.clone());
        async move {
            let Some((head, page)) = state else { return Ok(None) };
            if let Some(h) = head {
                return Ok(Some((h, Some((None, page)))));
            }
            let Some(page) = page else { return Ok(None) };
            let mut out = CsvOut::continued(Vec::with_capacity(page.rows.len() * 80), opts.separator);
            for r in &page.rows {
                out.write_row(line(r, &columns, opts.lang))?;
            }
            let next = match page.next_key_set {
                Some(cursor) => {
                    let q = RowQuery { page_size: Some(PAGE), next_key_set: Some(cursor), offset: None, from_end: false, ..view };
                    Some(query::query_rows(&store, &user, &table, &q).await?)
                }
                None => None,
            };
            Ok(Some((out.into_inner()?, next.map(|p| (None, Some(p))))))
        }
    }))
}

/// The view as an XLSX workbook (a frozen header, numbers as numbers, dates as dates), streamed
/// from the temporary file it was written to.
pub async fn xlsx_stream(store: &Store, user: &CurrentUser, table: &str, view: RowQuery, lang: Lang) -> Result<impl Stream<Item = Result<bytes::Bytes>> + use<>> {
    let def = store.table_for_read(table).await?;
    let columns = view_columns(&def, &view);
    let mut book = Workbook::new();
    let date = Format::new().set_num_format(lang.pick("dd/mm/yyyy", "yyyy-mm-dd"));
    let mut sheets = xlsx::Sheets::new(&mut book, header(&columns, lang), 1)?;
    let x = xlsx::err;
    let mut cursor = None;
    loop {
        let q = RowQuery { page_size: Some(PAGE), next_key_set: cursor, offset: None, from_end: false, ..view.clone() };
        let page = query::query_rows(store, user, table, &q).await?;
        for r in &page.rows {
            let (sheet, row) = sheets.next_row(&mut book)?;
            sheet.write_string(row, 0, &r.code).map_err(x)?;
            sheet.write_string(row, 1, r.display_value.as_deref().unwrap_or_default()).map_err(x)?;
            for (j, (name, ty)) in columns.iter().enumerate() {
                let col = (j + 2) as u16;
                let as_ = match ty {
                    DataType::Int | DataType::Decimal => xlsx::As::Number,
                    DataType::Date => xlsx::As::Date,
                    DataType::Boolean => xlsx::As::Boolean,
                    _ => xlsx::As::Text,
                };
                xlsx::write_value(sheet, row, col, r.column_values.get(name), as_, &date, &|v| cell_text(v, lang))?;
            }
            sheet.write_boolean(row, (columns.len() + 2) as u16, r.is_active).map_err(x)?;
        }
        match page.next_key_set {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    xlsx::stream(book).await
}
