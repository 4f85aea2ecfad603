//! CSV/TSV reading: encoding and delimiter are sniffed from the first bytes, then the file is read as
//! a stream. A row with more fields than the header is rejected with its reason; a shorter one is
//! padded, since spreadsheet exports often drop trailing empty cells.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::ColumnType;
use crate::error::{EngineError, Result};

const SNIFF_BYTES: usize = 64 * 1024;
const RAW_TEXT_LIMIT: usize = 500;

#[derive(Debug, Clone)]
pub struct CsvTable {
    pub columns: Vec<String>,
    pub types: Vec<ColumnType>,
    pub delimiter: u8,
    pub encoding: &'static str,
    pub rows_read: i64,
    pub rows_rejected: i64,
}

/// What the reader hands out, row by row, in file order.
pub enum CsvEvent<'a> {
    Header { columns: &'a [String] },
    Row { line_no: i64, values: &'a [String] },
    Rejected { line_no: i64, raw: String, reason: String },
}

/// Reads `path`, calling `sink` for every data row or rejected row. `sink` returning an error stops the
/// read (used for cancellation and for a closed writer).
pub fn read_csv(path: &Path, name: &str, mut sink: impl FnMut(CsvEvent<'_>) -> Result<()>) -> Result<CsvTable> {
    let unreadable = |reason: String| EngineError::UnreadableFile { file: name.to_string(), reason };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    File::open(path)?.take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(unreadable("the file is empty".into()));
    }
    let encoding = sniff_encoding(&head);
    let (decoded_head, _, _) = encoding.decode(&head);
    let delimiter = sniff_delimiter(&decoded_head);

    let decoder = DecodeReaderBytesBuilder::new().encoding(Some(encoding)).bom_override(true).build(File::open(path)?);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(NewlineNormaliser::new(BufReader::with_capacity(256 * 1024, decoder)));

    let mut record = csv::StringRecord::new();
    let mut header: Option<Vec<String>> = None;
    let mut types = Vec::new();
    let (mut rows_read, mut rows_rejected) = (0i64, 0i64);
    let mut values: Vec<String> = Vec::new();
    loop {
        let line_no = reader.position().line() as i64;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if header.is_none() {
                    return Err(unreadable(format!("the header cannot be read: {e}")));
                }
                rows_read += 1;
                rows_rejected += 1;
                sink(CsvEvent::Rejected { line_no, raw: String::new(), reason: format!("unreadable row: {e}") })?;
                continue;
            }
        }
        // The csv crate stamps a record with where the reader stood before it skipped blank lines,
        // so count back from the record's end instead: its LF is counted, and so is every LF quoted
        // inside its fields.
        let quoted_newlines: usize = record.iter().map(|f| f.bytes().filter(|&b| b == b'\n').count()).sum();
        let line_no = reader.position().line() as i64 - 1 - quoted_newlines as i64;
        let Some(columns) = &header else {
            let cols = header_names(&record);
            types = vec![ColumnType::Empty; cols.len()];
            sink(CsvEvent::Header { columns: &cols })?;
            header = Some(cols);
            continue;
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank lines are layout, not data
        }
        rows_read += 1;
        if record.len() > columns.len() {
            rows_rejected += 1;
            let raw: String = record.iter().collect::<Vec<_>>().join(&(delimiter as char).to_string());
            sink(CsvEvent::Rejected {
                line_no,
                raw: truncate(&raw, RAW_TEXT_LIMIT),
                reason: format!("{} fields where the header has {}", record.len(), columns.len()),
            })?;
            continue;
        }
        values.clear();
        values.extend(record.iter().map(str::to_string));
        values.resize(columns.len(), String::new());
        for (t, v) in types.iter_mut().zip(&values) {
            *t = t.observe(v);
        }
        sink(CsvEvent::Row { line_no, values: &values })?;
    }
    let Some(columns) = header else { return Err(unreadable("the file has no header row".into())) };
    Ok(CsvTable { columns, types, delimiter, encoding: encoding.name(), rows_read, rows_rejected })
}

/// Turns CRLF and lone CR into LF, and ends the text with LF, before parsing. Then every record ends
/// with a counted LF and its first line can be computed from where it ends (see `read_csv`).
struct NewlineNormaliser<R> {
    inner: R,
    after_cr: bool,
    last: u8,
    done: bool,
    buf: Vec<u8>,
}

impl<R: Read> NewlineNormaliser<R> {
    fn new(inner: R) -> Self {
        Self { inner, after_cr: false, last: b'\n', done: false, buf: vec![0; 64 * 1024] }
    }
}

impl<R: Read> Read for NewlineNormaliser<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let want = out.len().min(self.buf.len());
            if self.done || out.is_empty() {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.buf[..want])?;
            if n == 0 {
                self.done = true;
                if self.last != b'\n' {
                    out[0] = b'\n';
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut written = 0;
            for &b in &self.buf[..n] {
                if std::mem::take(&mut self.after_cr) && b == b'\n' {
                    continue;
                }
                if b == b'\r' {
                    self.after_cr = true;
                    out[written] = b'\n';
                } else {
                    out[written] = b;
                }
                written += 1;
            }
            if written > 0 {
                self.last = out[written - 1];
                return Ok(written);
            }
        }
    }
}

fn sniff_encoding(head: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    // A multi-byte character may be cut at the end of the sample; only earlier errors count.
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => WINDOWS_1252,
    }
}

/// The candidate that splits the first lines into the same number (>0) of fields most often wins.
fn sniff_delimiter(sample: &str) -> u8 {
    let lines: Vec<&str> = sample.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    let mut best = (b',', 0usize, 0usize); // (delimiter, consistent lines, fields)
    for d in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d as char)).collect();
        let Some(&first) = counts.first() else { continue };
        if first == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (d, consistent, first);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, d: char) -> usize {
    let mut in_quotes = false;
    line.chars()
        .filter(|&c| {
            if c == '"' {
                in_quotes = !in_quotes;
            }
            c == d && !in_quotes
        })
        .count()
}

fn header_names(record: &csv::StringRecord) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for (i, raw) in record.iter().enumerate() {
        let base = raw.trim().trim_start_matches('\u{feff}');
        let base = if base.is_empty() { format!("column_{}", i + 1) } else { base.to_string() };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> (CsvTable, Vec<(i64, Vec<String>)>, Vec<(i64, String)>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).expect("write");
        let (mut rows, mut rejected) = (Vec::new(), Vec::new());
        let table = read_csv(&path, "t.csv", |e| {
            match e {
                CsvEvent::Header { .. } => {}
                CsvEvent::Row { line_no, values } => rows.push((line_no, values.to_vec())),
                CsvEvent::Rejected { line_no, reason, .. } => rejected.push((line_no, reason)),
            }
            Ok(())
        })
        .expect("readable");
        (table, rows, rejected)
    }

    #[test]
    fn line_numbers_are_those_of_the_file() {
        let (_, rows, rejected) = read(b"a,b\n1,2\n\"x\ny\",3\n4,5,6\n7\n");
        let lines: Vec<i64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 3, 6]);
        assert_eq!(rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [5]);
        assert_eq!(rows[2].1, ["7", ""], "short rows are padded");
        let (_, rows, rejected) = read(b"a;b\r\n1;2\r\n3;4\r\n5;6;7\r\n\r\n8;9\r\n");
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 6]);
        assert_eq!(rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [4]);
        let (_, rows, rejected) = read(b"a;b\r1;2\r3;4\r5;6;7\r\r8;9");
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 6]);
        assert_eq!(rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [4]);
    }

    #[test]
    fn sniffs_delimiter_encoding_and_bom() {
        let (t, rows, _) = read(b"\xef\xbb\xbfnombre\tcantidad\nJos\xc3\xa9\t1\n");
        assert_eq!((t.delimiter, t.encoding, t.columns[0].as_str()), (b'\t', "UTF-8", "nombre"));
        assert_eq!(rows[0].1[0], "José");
        let (t, rows, _) = read(b"a;b\nPe\xf1a;\"1,5\"\n");
        assert_eq!((t.delimiter, t.encoding), (b';', "windows-1252"));
        assert_eq!(rows[0].1, ["Peña", "1,5"]);
    }

    #[test]
    fn blank_and_duplicate_headers_get_names() {
        let (t, _, _) = read(b"a,,a\n1,2,3\n");
        assert_eq!(t.columns, ["a", "column_2", "a_2"]);
    }
}
