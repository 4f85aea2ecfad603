//! Workbooks (.xlsx/.xlsm, .xls, .xlsb, .ods) through calamine. Every non-empty sheet is its own
//! table; the header row is found below any titles; dates come out as dates, formulas as their cached
//! values, and a merged range repeats its value in every cell it covers. `.xlsx` sheets stream cell by
//! cell; the older formats are read a sheet at a time (they are capped at 65,536 rows or are small).

use super::notes::Note;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use chrono::{Datelike, Timelike};
use calamine::{Data, Dimensions, Ods, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx};

use super::sink::{TableSink, TableStart, detect_header, generic_names, header_names, push_unique};
use crate::error::{EngineError, Result};

/// Rows looked at to find the header.
const HEADER_WINDOW: usize = 30;
/// A stray cell far to the right must not make a table of thousands of empty columns.
const MAX_COLUMNS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkbookKind {
    Xlsx,
    Xls,
    Xlsb,
    Ods,
}

/// Reads every sheet of the workbook at `path`. A workbook that makes the parser library panic (fuzzed
/// or truncated files do) is reported as unreadable rather than taking the process down.
pub fn read_workbook(path: &Path, kind: WorkbookKind, name: &str, sink: &mut dyn TableSink) -> Result<()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheets(path, kind, name, sink))).unwrap_or_else(|_| {
        Err(EngineError::UnreadableFile { file: name.to_string(), reason: "the workbook is malformed or truncated".into() })
    })
}

fn read_sheets(path: &Path, kind: WorkbookKind, name: &str, sink: &mut dyn TableSink) -> Result<()> {
    let unreadable = |reason: String| EngineError::UnreadableFile { file: name.to_string(), reason };
    let open = || File::open(path).map(|f| BufReader::with_capacity(256 * 1024, f));
    let mut tables = 0usize;
    match kind {
        WorkbookKind::Xlsx => {
            let mut wb: Xlsx<_> = Xlsx::new(open()?).map_err(|e| unreadable(explain(&e.to_string())))?;
            let any_merged = xlsx_may_have_merged_cells(path);
            for (sheet, hidden) in sheet_list(wb.sheets_metadata()) {
                let merged = if any_merged { wb.merge_cells_by_sheet_name(&sheet).unwrap_or_default() } else { vec![] };
                let mut cells = wb.worksheet_cells_reader(&sheet).map_err(|e| unreadable(format!("sheet '{sheet}': {e}")))?;
                let mut grid = SheetGrid::new(&sheet, hidden, merged);
                while let Some(cell) = cells.next_cell().map_err(|e| unreadable(format!("sheet '{sheet}': {e}")))? {
                    let (r, c) = cell.get_position();
                    grid.cell(r, c, cell_text(cell.get_value().clone().into()), sink)?;
                }
                tables += grid.finish(sink)? as usize;
            }
        }
        WorkbookKind::Xls => {
            let mut wb: Xls<_> = Xls::new(open()?).map_err(|e| unreadable(explain(&e.to_string())))?;
            for (sheet, hidden) in sheet_list(wb.sheets_metadata()) {
                let merged = wb.merge_cells_by_sheet_name(&sheet).unwrap_or_default();
                let range = wb.worksheet_range(&sheet).map_err(|e| unreadable(format!("sheet '{sheet}': {e}")))?;
                tables += read_range(&sheet, hidden, merged, range, sink)? as usize;
            }
        }
        WorkbookKind::Xlsb => {
            let mut wb: Xlsb<_> = Xlsb::new(open()?).map_err(|e| unreadable(explain(&e.to_string())))?;
            for (sheet, hidden) in sheet_list(wb.sheets_metadata()) {
                let range = wb.worksheet_range(&sheet).map_err(|e| unreadable(format!("sheet '{sheet}': {e}")))?;
                tables += read_range(&sheet, hidden, vec![], range, sink)? as usize;
            }
        }
        WorkbookKind::Ods => {
            let mut wb: Ods<_> = Ods::new(open()?).map_err(|e| unreadable(explain(&e.to_string())))?;
            for (sheet, hidden) in sheet_list(wb.sheets_metadata()) {
                let range = wb.worksheet_range(&sheet).map_err(|e| unreadable(format!("sheet '{sheet}': {e}")))?;
                tables += read_range(&sheet, hidden, vec![], range, sink)? as usize;
            }
        }
    }
    if tables == 0 {
        return Err(unreadable("every sheet is empty".into()));
    }
    Ok(())
}

/// Whether a worksheet of the .xlsx at `path` may declare merged cells. calamine finds them with an
/// XML event pass over the whole sheet, as costly as reading its cells; searching the inflated bytes
/// for the element's name costs a fraction of that, and most workbooks have none. When unsure (an
/// unusual layout, a read error) the answer is yes, and calamine looks properly.
pub fn xlsx_may_have_merged_cells(path: &Path) -> bool {
    use std::io::Read;
    const SCAN_LIMIT: u64 = 4 << 30;
    let scan = || -> std::result::Result<bool, Box<dyn std::error::Error>> {
        let mut zip = zip::ZipArchive::new(BufReader::new(File::open(path)?))?;
        let finder = memchr::memmem::Finder::new(b"mergeCell");
        let mut sheets = 0;
        for i in 0..zip.len() {
            let entry = zip.by_index(i)?;
            let name = entry.name()?.to_ascii_lowercase();
            if !(name.contains("worksheets/") && name.ends_with(".xml")) {
                continue;
            }
            sheets += 1;
            let mut reader = entry.take(SCAN_LIMIT);
            let mut buf = vec![0u8; 64 * 1024];
            // The name may straddle two reads: keep the last bytes of each.
            let keep = 16;
            let mut filled = 0;
            let mut seen = 0u64;
            loop {
                let n = reader.read(&mut buf[filled..])?;
                if n == 0 {
                    break;
                }
                seen += n as u64;
                let end = filled + n;
                if finder.find(&buf[..end]).is_some() {
                    return Ok(true);
                }
                let tail = end.min(keep);
                buf.copy_within(end - tail..end, 0);
                filled = tail;
            }
            if seen >= SCAN_LIMIT {
                return Ok(true);
            }
        }
        Ok(sheets == 0)
    };
    scan().unwrap_or(true)
}

fn explain(message: &str) -> String {
    if message.contains("password") {
        "the workbook is password-protected (encrypted); save a copy without a password and upload that".into()
    } else {
        format!("not a readable workbook ({message})")
    }
}

fn sheet_list(meta: &[calamine::Sheet]) -> Vec<(String, bool)> {
    meta.iter()
        .filter(|s| matches!(s.typ, SheetType::WorkSheet))
        .map(|s| (s.name.clone(), !matches!(s.visible, SheetVisible::Visible)))
        .collect()
}

fn read_range(
    sheet: &str,
    hidden: bool,
    merged: Vec<Dimensions>,
    range: calamine::Range<Data>,
    sink: &mut dyn TableSink,
) -> Result<bool> {
    let mut grid = SheetGrid::new(sheet, hidden, merged);
    let Some((r0, c0)) = range.start() else { return Ok(false) };
    for (dr, row) in range.rows().enumerate() {
        for (dc, value) in row.iter().enumerate() {
            if !matches!(value, Data::Empty) {
                grid.cell(r0 + dr as u32, c0 + dc as u32, cell_text(value.clone()), sink)?;
            }
        }
    }
    grid.finish(sink)
}

/// Assembles cells (in row order) into rows, fills merged ranges, finds the header among the first
/// rows and then hands rows to the sink.
struct SheetGrid {
    sheet: String,
    hidden: bool,
    merged: Vec<(Dimensions, Option<String>)>,
    row_no: Option<u32>,
    row: Vec<String>,
    window: Vec<(i64, Vec<String>)>,
    columns: Option<Vec<String>>,
    dropped_cells: u64,
}

impl SheetGrid {
    fn new(sheet: &str, hidden: bool, merged: Vec<Dimensions>) -> Self {
        Self {
            sheet: sheet.to_string(),
            hidden,
            merged: merged.into_iter().map(|d| (d, None)).collect(),
            row_no: None,
            row: Vec::new(),
            window: Vec::new(),
            columns: None,
            dropped_cells: 0,
        }
    }

    fn cell(&mut self, r: u32, c: u32, text: String, sink: &mut dyn TableSink) -> Result<()> {
        if self.row_no != Some(r) {
            self.flush_row(sink)?;
            self.row_no = Some(r);
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            self.dropped_cells += 1;
            return Ok(());
        }
        if self.row.len() <= c {
            self.row.resize(c + 1, String::new());
        }
        for (d, value) in &mut self.merged {
            if d.start == (r, c as u32) {
                *value = Some(text.clone());
            }
        }
        self.row[c] = text;
        Ok(())
    }

    fn flush_row(&mut self, sink: &mut dyn TableSink) -> Result<()> {
        let Some(r) = self.row_no.take() else { return Ok(()) };
        let mut row = std::mem::take(&mut self.row);
        for (d, value) in &self.merged {
            let Some(v) = value else { continue };
            if d.start.0 <= r && r <= d.end.0 {
                let end = (d.end.1 as usize).min(MAX_COLUMNS - 1);
                if row.len() <= end {
                    row.resize(end + 1, String::new());
                }
                for cell in &mut row[d.start.1 as usize..=end] {
                    if cell.is_empty() {
                        cell.clone_from(v);
                    }
                }
            }
        }
        if row.iter().all(|v| v.trim().is_empty()) {
            return Ok(());
        }
        let line_no = i64::from(r) + 1;
        match &mut self.columns {
            Some(cols) => emit(line_no, cols, &row, sink),
            None => {
                self.window.push((line_no, row));
                if self.window.len() == HEADER_WINDOW {
                    self.settle(sink)?;
                }
                Ok(())
            }
        }
    }

    fn settle(&mut self, sink: &mut dyn TableSink) -> Result<()> {
        let grid: Vec<Vec<String>> = self.window.iter().map(|(_, r)| r.clone()).collect();
        let mut details = vec![Note::Sheet { name: self.sheet.clone() }.stored()];
        if self.hidden {
            details.push(Note::HiddenSheet.stored());
        }
        let mut warnings = Vec::new();
        let columns = match detect_header(&grid) {
            Some(i) => {
                if i > 0 {
                    warnings.push(Note::SkippedAboveHeader { count: i, sheet: Some(self.sheet.clone()) }.stored());
                }
                let (line, header) = self.window[i].clone();
                self.window.drain(..=i);
                details.push(Note::HeaderOnRow { line }.stored());
                header_names(header.iter().map(String::as_str))
            }
            None => {
                warnings.push(Note::NoHeader { sheet: Some(self.sheet.clone()) }.stored());
                generic_names(grid.iter().map(Vec::len).max().unwrap_or(0))
            }
        };
        sink.begin(TableStart { sheet: Some(self.sheet.clone()), details, columns: columns.clone() })?;
        for w in warnings {
            sink.warn(w);
        }
        let mut columns = columns;
        for (line_no, row) in std::mem::take(&mut self.window) {
            emit(line_no, &mut columns, &row, sink)?;
        }
        self.columns = Some(columns);
        Ok(())
    }

    /// Returns whether the sheet had any rows (and so was a table).
    fn finish(mut self, sink: &mut dyn TableSink) -> Result<bool> {
        self.flush_row(sink)?;
        if self.columns.is_none() {
            if self.window.is_empty() {
                return Ok(false);
            }
            self.settle(sink)?;
        }
        if self.dropped_cells > 0 {
            sink.warn(format!(
                "sheet '{}': {} cell(s) beyond column {MAX_COLUMNS} were ignored",
                self.sheet, self.dropped_cells
            ));
        }
        sink.end()?;
        Ok(true)
    }
}

/// A grid has no ragged rows to reject: cells right of the header are data in unnamed columns.
fn emit(line_no: i64, columns: &mut Vec<String>, row: &[String], sink: &mut dyn TableSink) -> Result<()> {
    let used = row.iter().rposition(|v| !v.is_empty()).map_or(0, |i| i + 1);
    if super::sink::is_repeated_header(columns, &row[..used]) {
        return sink.reject(line_no, &row[..used].join("\t").chars().take(2000).collect::<String>(), &Note::RepeatedHeader.stored());
    }
    while columns.len() < used {
        let n = columns.len() + 1;
        push_unique(columns, format!("column_{n}"));
    }
    sink.row(line_no, columns, &row[..used])
}

fn cell_text(v: Data) -> String {
    match v {
        Data::Empty => String::new(),
        Data::String(s) => s,
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                match dt.as_datetime() {
                    // Written by hand: chrono's format strings are re-parsed for every cell.
                    Some(t) if t.time() == chrono::NaiveTime::MIN => format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day()),
                    Some(t) => format!(
                        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                        t.year(),
                        t.month(),
                        t.day(),
                        t.hour(),
                        t.minute(),
                        t.second()
                    ),
                    None => float_text(dt.as_f64()),
                }
            } else {
                match dt.as_duration() {
                    Some(d) => {
                        let s = d.num_seconds();
                        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
                    }
                    None => float_text(dt.as_f64()),
                }
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s,
        Data::Error(e) => e.to_string(),
    }
}

/// Numbers as a spreadsheet shows them: 15 significant digits, no binary noise, no trailing `.0`.
pub fn float_text(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    // The shortest text that reads back as `f` is usually what was typed; only binary noise
    // (0.30000000000000004) is longer than 15 significant digits and needs rounding.
    let shortest = f.to_string();
    if shortest.bytes().filter(u8::is_ascii_digit).count() <= 15 {
        return shortest;
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    format!("{rounded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_people_typed_them() {
        assert_eq!(float_text(0.1 + 0.2), "0.3");
        assert_eq!(float_text(45.0), "45");
        assert_eq!(float_text(-1234.5), "-1234.5");
        assert_eq!(float_text(1e20), "100000000000000000000");
        assert_eq!(float_text(f64::NAN), "");
    }
}
