//! What leaves the system as a file a person opens in a spreadsheet. Every CSV the product writes
//! goes through [`CsvOut`], so no cell or header can run as a formula (CSV injection, OWASP): a text
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which the
//! spreadsheet shows as text, the value still visible. Numbers (`-12.50`) are left as they are.
//! XLSX needs none of this: its cells are written as strings or numbers, never as formulas.

#[cfg(feature = "server")]
pub mod xlsx;

use std::borrow::Cow;
use std::io::Write;

use crate::error::{EngineError, Result};
use crate::lang::Lang;

/// The field separator of a CSV export: `;` is what a spreadsheet set to Spanish (or most of
/// Europe, where `,` is the decimal mark) splits on when it opens the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Separator {
    #[default]
    #[serde(rename = ";")]
    Semicolon,
    #[serde(rename = ",")]
    Comma,
}

impl Separator {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            ";" | "semicolon" => Some(Separator::Semicolon),
            "," | "comma" => Some(Separator::Comma),
            _ => None,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Separator::Semicolon => b';',
            Separator::Comma => b',',
        }
    }
}

/// How a file for people is written: the language of its added words and numbers, the separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportOptions {
    pub lang: Lang,
    pub separator: Separator,
}

/// A value as a file for people writes it: yes/no words and the decimal mark of `l`, empty for
/// none. (XLSX numbers and dates are written typed; this is for CSV and text cells.)
pub fn cell_text(v: Option<&serde_json::Value>, l: Lang) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => l.pick(if *b { "sí" } else { "no" }, if *b { "yes" } else { "no" }).to_string(),
        Some(Value::Number(n)) if l == Lang::Es => n.to_string().replace('.', ","),
        Some(other) => other.to_string(),
    }
}

/// UTF-8's byte order mark: without it a spreadsheet opens the file as ANSI and mangles accents.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV writer whose every cell is neutralised.
pub struct CsvOut<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    /// A comma-separated writer without a byte order mark (files for programs).
    pub fn new(out: W) -> Self {
        CsvOut { inner: csv::Writer::from_writer(out) }
    }

    /// A writer for people: the byte order mark first, then rows split by `separator`.
    pub fn with_separator(mut out: W, separator: Separator) -> Self {
        // A failed write here fails again, and is reported, on the first row.
        let _ = out.write_all(BOM);
        CsvOut { inner: csv::WriterBuilder::new().delimiter(separator.byte()).from_writer(out) }
    }

    /// More rows of a file already begun with `with_separator` (no byte order mark): a streamed file.
    pub fn continued(out: W, separator: Separator) -> Self {
        CsvOut { inner: csv::WriterBuilder::new().delimiter(separator.byte()).from_writer(out) }
    }

    pub fn write_row<I, S>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.inner
            .write_record(cells.into_iter().map(|c| neutralise(c.as_ref()).into_owned()))
            .map_err(EngineError::internal)
    }

    pub fn into_inner(self) -> Result<W> {
        self.inner.into_inner().map_err(EngineError::internal)
    }
}

/// The cell as a spreadsheet will show it without evaluating it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    // A negative number with a decimal comma (Spanish) is a number too.
    let number = |s: &str| s.trim().parse::<f64>().is_ok() || s.trim().replacen(',', ".", 1).parse::<f64>().is_ok();
    if risky && !number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_leading_cells_become_text_and_the_rest_stay_as_they_were() {
        for risky in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "=", "-"] {
            assert_eq!(neutralise(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["taxi", "-12.50", "-12,50", "+34", "1e3", "", "a=b", " =1", "'quoted"] {
            assert_eq!(neutralise(safe), safe, "{safe:?}");
        }
    }

    #[test]
    fn headers_and_cells_are_written_neutralised() {
        let mut out = CsvOut::new(Vec::new());
        out.write_row(["=cmd|' /C calc'!A0", "amount"]).expect("header");
        out.write_row(["@evil", "-7.5"]).expect("row");
        let text = String::from_utf8(out.into_inner().expect("bytes")).expect("utf8");
        assert_eq!(text, "'=cmd|' /C calc'!A0,amount\n'@evil,-7.5\n");
    }
}
