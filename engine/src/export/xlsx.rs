//! XLSX files of any size: sheets in constant memory (rows go to temporary files as they are
//! written), a new sheet past Excel's 1,048,576 rows rather than a silent cut, and the finished
//! workbook streamed from a temporary file that is removed once read.

use futures::Stream;
use rust_xlsxwriter::{Format, Workbook};

use crate::error::{EngineError, Result};

/// Data rows a sheet holds below its header; the next rows go on a new sheet.
pub const MAX_ROWS: usize = 1_048_575;

pub fn err(e: rust_xlsxwriter::XlsxError) -> EngineError {
    EngineError::internal(format!("xlsx: {e}"))
}

/// A constant-memory sheet with a bold, frozen header; sheets after the first are numbered.
pub fn add_sheet(book: &mut Workbook, header: &[String], bold: &Format, number: usize, freeze_cols: u16) -> Result<()> {
    let sheet = book.add_worksheet_with_constant_memory().map_err(err)?;
    if number > 1 {
        sheet.set_name(format!("Rows {number}")).map_err(err)?;
    }
    for (j, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, j as u16, h, bold).map_err(err)?;
    }
    sheet.set_freeze_panes(1, freeze_cols).map_err(err)?;
    Ok(())
}

/// Rows written in order across sheets: `next_row` says where the next one goes, opening a new
/// sheet when the current one is full.
pub struct Sheets {
    header: Vec<String>,
    bold: Format,
    freeze_cols: u16,
    sheet: usize,
    on_sheet: usize,
}

impl Sheets {
    pub fn new(book: &mut Workbook, header: Vec<String>, freeze_cols: u16) -> Result<Sheets> {
        let bold = Format::new().set_bold();
        add_sheet(book, &header, &bold, 1, freeze_cols)?;
        Ok(Sheets { header, bold, freeze_cols, sheet: 0, on_sheet: 0 })
    }

    /// The sheet and row the next data row goes to.
    pub fn next_row<'b>(&mut self, book: &'b mut Workbook) -> Result<(&'b mut rust_xlsxwriter::Worksheet, u32)> {
        if self.on_sheet == MAX_ROWS {
            add_sheet(book, &self.header, &self.bold, self.sheet + 2, self.freeze_cols)?;
            self.sheet += 1;
            self.on_sheet = 0;
        }
        self.on_sheet += 1;
        let sheet = book.worksheet_from_index(self.sheet).map_err(err)?;
        Ok((sheet, self.on_sheet as u32))
    }
}

/// A date as Excel stores it, for `YYYY-MM-DD` text.
pub fn excel_date(s: &str) -> Option<rust_xlsxwriter::ExcelDateTime> {
    use chrono::Datelike;
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    rust_xlsxwriter::ExcelDateTime::from_ymd(u16::try_from(d.year()).ok()?, d.month() as u8, d.day() as u8).ok()
}

/// A workbook on disk, removed when the stream reading it (or this) is dropped.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Saves the workbook (zipping is CPU work: off the request threads) and streams the file.
pub async fn stream(book: Workbook) -> Result<impl Stream<Item = Result<bytes::Bytes>> + use<>> {
    use futures::StreamExt;
    let mut book = book;
    let path = std::env::temp_dir().join(format!("dgs-export-{}.xlsx", uuid::Uuid::now_v7()));
    let file = TempFile(path.clone());
    tokio::task::spawn_blocking(move || book.save(&path)).await.map_err(EngineError::internal)?.map_err(err)?;
    let reader = tokio::fs::File::open(&file.0).await.map_err(EngineError::internal)?;
    Ok(tokio_util::io::ReaderStream::new(reader).map(move |chunk| {
        let _removed_when_done = &file;
        chunk.map_err(EngineError::internal)
    }))
}

/// What a cell is written as: numbers and booleans as such, dates as dates (text that is no date
/// stays text), anything else as the text `text` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    Number,
    Date,
    Boolean,
    Text,
}

pub fn write_value(sheet: &mut rust_xlsxwriter::Worksheet, row: u32, col: u16, v: Option<&serde_json::Value>, kind: As, date: &Format, text: &dyn Fn(Option<&serde_json::Value>) -> String) -> Result<()> {
    use serde_json::Value;
    match (kind, v) {
        (_, None | Some(Value::Null)) => {}
        (As::Number, Some(Value::Number(n))) => {
            sheet.write_number(row, col, n.as_f64().unwrap_or_default()).map_err(err)?;
        }
        (As::Date, Some(Value::String(s))) => match excel_date(s) {
            Some(d) => {
                sheet.write_datetime_with_format(row, col, &d, date).map_err(err)?;
            }
            None => {
                sheet.write_string(row, col, s).map_err(err)?;
            }
        },
        (As::Boolean, Some(Value::Bool(b))) => {
            sheet.write_boolean(row, col, *b).map_err(err)?;
        }
        (_, v) => {
            sheet.write_string(row, col, &text(v)).map_err(err)?;
        }
    }
    Ok(())
}
