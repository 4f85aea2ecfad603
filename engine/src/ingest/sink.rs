//! The one interface every reader reports to, so the pipeline treats a CSV file, a workbook's sheet
//! and a JSON array alike. Also the header-row rules readers of grids (CSV, sheets) share.

use super::typing::{ColumnType, value_type};
use crate::error::Result;

/// Raw text of a rejected row is cut to this many characters before it is stored.
pub const RAW_TEXT_LIMIT: usize = 500;

/// One table starts. A file may hold several (a workbook's sheets, a JSON object's arrays).
#[derive(Debug, Clone)]
pub struct TableStart {
    /// The sheet or JSON key, when the file holds more than a single table.
    pub sheet: Option<String>,
    /// What the reader detected, for the preview ("UTF-8, ';'", "header on row 3").
    pub details: Vec<String>,
    /// The header's names; JSON tables start empty and grow.
    pub columns: Vec<String>,
}

/// Receives a file's tables in file order. Returning an error stops the reader (cancellation, a
/// closed writer). `columns` may grow between rows (JSON keys seen late), never shrink or reorder, and
/// `values[i]` belongs to `columns[i]`; missing trailing values are empty.
pub trait TableSink {
    fn begin(&mut self, table: TableStart) -> Result<()>;
    fn row(&mut self, line_no: i64, columns: &[String], values: &[String]) -> Result<()>;
    fn reject(&mut self, line_no: i64, raw: &str, reason: &str) -> Result<()>;
    fn warn(&mut self, message: String);
    fn end(&mut self) -> Result<()>;
}

/// Which of the first rows is the header. Narrow rows at the top (titles, notes, "Account: 123") and
/// banners (one text repeated across a merged range) are skipped; the first row about as wide as the
/// widest then decides: mostly words, it is the header; numbers or dates, the file has no header
/// (`None`) and every row is data.
pub fn detect_header(rows: &[Vec<String>]) -> Option<usize> {
    let width = |r: &Vec<String>| r.iter().filter(|v| !v.trim().is_empty()).count();
    let widest = rows.iter().map(width).max().unwrap_or(0);
    if widest == 0 {
        return None;
    }
    // A merged title is filled into every cell it covers: one value repeated in adjacent cells.
    let banner = |r: &Vec<String>| {
        let used: Vec<&str> = r.iter().map(|v| v.trim()).skip_while(|v| v.is_empty()).collect();
        let used: Vec<&str> = used.into_iter().rev().skip_while(|v| v.is_empty()).collect();
        used.len() >= 2 && used.iter().all(|c| *c == used[0])
    };
    let first_wide = rows.iter().position(|r| width(r) * 10 >= widest * 6 && !banner(r))?;
    looks_like_header(&rows[first_wide]).then_some(first_wide)
}

/// At least half of the non-empty cells are words rather than numbers, dates or booleans.
fn looks_like_header(row: &[String]) -> bool {
    let cells: Vec<&str> = row.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
    let texty = cells.iter().filter(|v| matches!(value_type(v), ColumnType::Text | ColumnType::Boolean)).count();
    !cells.is_empty() && texty * 2 >= cells.len()
}

/// Header cells become column names: trimmed, blanks named `column_N`, repeats suffixed `_2`, `_3`…
pub fn header_names<'a>(cells: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, raw) in cells.into_iter().enumerate() {
        let base = without_nul(raw).trim().trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ");
        let base = if base.is_empty() { format!("column_{}", i + 1) } else { base };
        push_unique(&mut names, base);
    }
    names
}

/// A row that repeats the header (a sheet pasted together from several exports has one at every
/// seam): at least two values, and nearly all of them the name of their own column. Stored as data it
/// would turn every date and amount column into text.
///
/// It runs for every row: nothing is allocated, and it stops at the first fifth of values that
/// differ from their column's name, which for a row of data is its first or second value.
pub fn is_repeated_header(columns: &[String], values: &[String]) -> bool {
    let filled = values.iter().filter(|v| !v.trim().is_empty()).count();
    if filled < 2 {
        return false;
    }
    // The same words, whatever their case and the spaces between them.
    let same_words = |a: &str, b: &str| {
        fn lower(w: &str) -> impl Iterator<Item = char> + '_ {
            w.chars().flat_map(char::to_lowercase)
        }
        let (mut x, mut y) = (a.split_whitespace(), b.split_whitespace());
        loop {
            match (x.next(), y.next()) {
                (None, None) => return true,
                (Some(p), Some(q)) if p == q || lower(p).eq(lower(q)) => {}
                _ => return false,
            }
        }
    };
    let mut differing = 0;
    for (i, v) in values.iter().enumerate().filter(|(_, v)| !v.trim().is_empty()) {
        if !columns.get(i).is_some_and(|c| same_words(c, v)) {
            differing += 1;
            if differing * 5 > filled {
                return false;
            }
        }
    }
    true
}

/// PostgreSQL text and JSON cannot hold NUL, and a column name with one is never meant: it goes.
pub fn without_nul(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains('\0') { name.replace('\0', "").into() } else { name.into() }
}

pub fn push_unique(names: &mut Vec<String>, base: String) {
    let mut name = base.clone();
    let mut n = 2;
    while names.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    names.push(name);
}

pub fn generic_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("column_{i}")).collect()
}

pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&[&str]]) -> Vec<Vec<String>> {
        lines.iter().map(|l| l.iter().map(|s| s.to_string()).collect()).collect()
    }

    #[test]
    fn a_repeated_header_is_told_from_data() {
        let cols: Vec<String> = ["Date", "Merchant Name", "Amount"].map(String::from).to_vec();
        let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_repeated_header(&cols, &row(&["DATE", "merchant  name", "Amount"])));
        assert!(is_repeated_header(&cols, &row(&["Date", "Merchant Name", ""])));
        assert!(!is_repeated_header(&cols, &row(&["2024-01-02", "Date", "12.50"])));
        assert!(!is_repeated_header(&cols, &row(&["Date", "", ""])), "one value is not enough");
    }

    #[test]
    fn header_below_titles_is_found() {
        let r = rows(&[
            &["Extracto de cuenta", "", "", ""],
            &["Cuenta:", "ES12 3456", "", ""],
            &[],
            &["Fecha", "Concepto", "Importe", "Saldo"],
            &["01/02/2024", "Recibo luz", "-45,10", "1.000,00"],
        ]);
        assert_eq!(detect_header(&r), Some(3));
    }

    #[test]
    fn data_without_header_is_recognised() {
        let r = rows(&[&["1", "2024-01-01", "3,5"], &["2", "2024-01-02", "4"]]);
        assert_eq!(detect_header(&r), None);
        let r = rows(&[&["id", "name"], &["1", "x"]]);
        assert_eq!(detect_header(&r), Some(0));
    }

    #[test]
    fn names_are_unique_and_never_blank() {
        assert_eq!(header_names(["a", "", "a", " b  c "]), ["a", "column_2", "a_2", "b c"]);
        assert_eq!(header_names(["da\0te", "\0"]), ["date", "column_2"]);
    }
}

/// Keeps everything a reader reports in memory: for previews of small files, tests and fuzzing.
#[derive(Debug, Default)]
pub struct MemorySink {
    pub tables: Vec<MemoryTable>,
    pub warnings: Vec<String>,
    /// Rows kept per table; later rows are only counted.
    pub keep_rows: Option<usize>,
}

#[derive(Debug, Default)]
pub struct MemoryTable {
    pub sheet: Option<String>,
    pub details: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<(i64, Vec<String>)>,
    pub rows_read: u64,
    pub rejected: Vec<(i64, String, String)>,
}

impl MemorySink {
    fn current(&mut self) -> Result<&mut MemoryTable> {
        self.tables.last_mut().ok_or_else(|| crate::error::EngineError::internal("row before table"))
    }

    pub fn row_lines(&self) -> Vec<i64> {
        self.tables.iter().flat_map(|t| t.rows.iter().map(|r| r.0)).collect()
    }

    pub fn reject_lines(&self) -> Vec<i64> {
        self.tables.iter().flat_map(|t| t.rejected.iter().map(|r| r.0)).collect()
    }
}

impl TableSink for MemorySink {
    fn begin(&mut self, table: TableStart) -> Result<()> {
        self.tables.push(MemoryTable {
            sheet: table.sheet,
            details: table.details,
            columns: table.columns,
            ..Default::default()
        });
        Ok(())
    }

    fn row(&mut self, line_no: i64, columns: &[String], values: &[String]) -> Result<()> {
        let keep = self.keep_rows;
        let t = self.current()?;
        t.rows_read += 1;
        if t.columns.len() != columns.len() {
            t.columns = columns.to_vec();
            // Earlier rows are padded when JSON adds a column, so every kept row is as wide as the table.
            for (_, r) in &mut t.rows {
                r.resize(columns.len(), String::new());
            }
        }
        if keep.is_none_or(|k| t.rows.len() < k) {
            let mut v = values.to_vec();
            v.resize(columns.len(), String::new());
            t.rows.push((line_no, v));
        }
        Ok(())
    }

    fn reject(&mut self, line_no: i64, raw: &str, reason: &str) -> Result<()> {
        let t = self.current()?;
        t.rows_read += 1;
        t.rejected.push((line_no, raw.to_string(), reason.to_string()));
        Ok(())
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}
