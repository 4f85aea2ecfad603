//! CSV/TSV reading: encoding and delimiter are sniffed from the first bytes, the header row is found
//! among the first records (titles above it are skipped with a warning), then the rest streams. A row
//! with more fields than the header is rejected with its reason; a shorter one is padded, since
//! spreadsheet exports often drop trailing empty cells.

use super::notes::Note;
use std::io::{BufReader, Cursor, Read};

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::sink::{RAW_TEXT_LIMIT, TableSink, TableStart, detect_header, generic_names, header_names, truncate};
use crate::error::{EngineError, Result};

const SNIFF_BYTES: usize = 64 * 1024;
/// Records looked at to find the header row.
const HEADER_WINDOW: usize = 30;

/// Reads one delimited text file from `input`, reporting a single table to `sink`.
pub fn read_csv(mut input: impl Read, name: &str, sink: &mut dyn TableSink) -> Result<()> {
    let unreadable = |reason: String| EngineError::UnreadableFile { file: name.to_string(), reason };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    input.by_ref().take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    if head.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return Err(unreadable(Note::EmptyFile.stored()));
    }
    let encoding = sniff_encoding(&head);
    let (decoded_head, _, _) = encoding.decode(&head);
    let delimiter = sniff_delimiter(&decoded_head);

    let decoder =
        DecodeReaderBytesBuilder::new().encoding(Some(encoding)).bom_override(true).build(Cursor::new(head).chain(input));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(NewlineNormaliser::new(BufReader::with_capacity(256 * 1024, decoder)));

    let delimiter_name = match delimiter {
        b'\t' => "tab".to_string(),
        d => (d as char).to_string(),
    };
    let details = vec![Note::Encoding { name: encoding.name().to_string() }.stored(), Note::Delimiter { delimiter: delimiter_name }.stored()];

    let mut record = csv::StringRecord::new();
    let mut window: Vec<(i64, Vec<String>)> = Vec::new();
    let mut columns: Option<Vec<String>> = None;
    let mut values: Vec<String> = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(unreadable(e.to_string())),
            Err(e) => {
                let line_no = e.position().map_or(0, |p| p.line() as i64);
                sink.reject(line_no, "", &format!("unreadable row: {e}"))?;
                continue;
            }
        }
        // The csv crate stamps a record with where the reader stood before it skipped blank lines,
        // so count back from the record's end instead: its LF is counted, and so is every LF quoted
        // inside its fields.
        let quoted_newlines: usize = record.iter().map(|f| f.bytes().filter(|&b| b == b'\n').count()).sum();
        let line_no = reader.position().line() as i64 - 1 - quoted_newlines as i64;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank lines are layout, not data
        }
        let Some(cols) = &columns else {
            window.push((line_no, record.iter().map(str::to_string).collect()));
            if window.len() == HEADER_WINDOW {
                columns = Some(settle_header(&mut window, details.clone(), sink)?);
                flush_window(&mut window, columns.as_deref().unwrap_or_default(), delimiter, sink)?;
            }
            continue;
        };
        values.clear();
        values.extend(record.iter().map(str::to_string));
        emit(line_no, cols, &values, delimiter, sink)?;
    }
    if columns.is_none() {
        if window.is_empty() {
            return Err(unreadable("the file has no rows".into()));
        }
        let cols = settle_header(&mut window, details, sink)?;
        flush_window(&mut window, &cols, delimiter, sink)?;
    }
    sink.end()
}

/// Picks the header out of the first records, drops what stands above it, and returns the names.
fn settle_header(
    window: &mut Vec<(i64, Vec<String>)>,
    mut details: Vec<String>,
    sink: &mut dyn TableSink,
) -> Result<Vec<String>> {
    let grid: Vec<Vec<String>> = window.iter().map(|(_, r)| r.clone()).collect();
    let mut warnings = Vec::new();
    let columns = match detect_header(&grid) {
        Some(i) => {
            if i > 0 {
                warnings.push(Note::SkippedAboveHeader { count: i, sheet: None }.stored());
            }
            let (line, header) = window[i].clone();
            window.drain(..=i);
            details.push(Note::HeaderOnLine { line }.stored());
            header_names(header.iter().map(String::as_str))
        }
        None => {
            let width = grid.iter().map(Vec::len).max().unwrap_or(0);
            warnings.push(Note::NoHeader { sheet: None }.stored());
            generic_names(width)
        }
    };
    sink.begin(TableStart { sheet: None, details, columns: columns.clone() })?;
    for w in warnings {
        sink.warn(w);
    }
    Ok(columns)
}

fn flush_window(window: &mut Vec<(i64, Vec<String>)>, cols: &[String], delimiter: u8, sink: &mut dyn TableSink) -> Result<()> {
    for (line_no, values) in window.drain(..) {
        emit(line_no, cols, &values, delimiter, sink)?;
    }
    Ok(())
}

fn emit(line_no: i64, cols: &[String], values: &[String], delimiter: u8, sink: &mut dyn TableSink) -> Result<()> {
    if values.len() > cols.len() && values[cols.len()..].iter().any(|v| !v.trim().is_empty()) {
        let raw = values.join(&(delimiter as char).to_string());
        let reason = Note::TooManyFields { fields: values.len(), header: cols.len() }.stored();
        return sink.reject(line_no, &truncate(&raw, RAW_TEXT_LIMIT), &reason);
    }
    if super::sink::is_repeated_header(cols, values) {
        let raw = values.join(&(delimiter as char).to_string());
        return sink.reject(line_no, &truncate(&raw, RAW_TEXT_LIMIT), &Note::RepeatedHeader.stored());
    }
    // Trailing empty fields beyond the header (a trailing delimiter) carry nothing.
    sink.row(line_no, cols, &values[..values.len().min(cols.len())])
}

/// Turns CRLF and lone CR into LF, and ends the text with LF, before parsing. Then every record ends
/// with a counted LF and its first line can be computed from where it ends (see `read_csv`).
pub(super) struct NewlineNormaliser<R> {
    inner: R,
    after_cr: bool,
    last: u8,
    done: bool,
    buf: Vec<u8>,
}

impl<R: Read> NewlineNormaliser<R> {
    pub(super) fn new(inner: R) -> Self {
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
    // UTF-16 without a BOM shows as every other byte being NUL in ASCII-heavy text.
    let pairs = head.len() / 2;
    if pairs >= 4 {
        let even_nul = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd_nul = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        if odd_nul * 10 >= pairs * 9 && even_nul * 10 < pairs {
            return UTF_16LE;
        }
        if even_nul * 10 >= pairs * 9 && odd_nul * 10 < pairs {
            return UTF_16BE;
        }
    }
    // A multi-byte character may be cut at the end of the sample; only earlier errors count.
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => WINDOWS_1252,
    }
}

/// Whether the first bytes of a file read as delimited text: one delimiter splits most of its first
/// lines (at least two) into the same number of fields. A `.txt` may be a table or a note (a
/// `LEEME.txt`); only a table is read.
pub fn looks_delimited(head: &[u8]) -> bool {
    let encoding = sniff_encoding(head);
    let (text, _, _) = encoding.decode(head);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    if lines.len() < 2 {
        return false;
    }
    let d = sniff_delimiter(&text) as char;
    let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
    let first = counts[0];
    first > 0 && counts.iter().filter(|&&c| c == first).count() * 5 >= lines.len() * 4
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::sink::MemorySink;

    fn read(bytes: &[u8]) -> MemorySink {
        let mut sink = MemorySink::default();
        read_csv(bytes, "t.csv", &mut sink).expect("readable");
        sink
    }

    #[test]
    fn line_numbers_are_those_of_the_file() {
        let t = read(b"a,b\n1,2\n\"x\ny\",3\n4,5,6\n7\n");
        assert_eq!(t.row_lines(), [2, 3, 6]);
        assert_eq!(t.reject_lines(), [5]);
        assert_eq!(t.tables[0].rows[2].1, ["7", ""], "short rows are padded");
        let t = read(b"a;b\r\n1;2\r\n3;4\r\n5;6;7\r\n\r\n8;9\r\n");
        assert_eq!(t.row_lines(), [2, 3, 6]);
        assert_eq!(t.reject_lines(), [4]);
        let t = read(b"a;b\r1;2\r3;4\r5;6;7\r\r8;9");
        assert_eq!(t.row_lines(), [2, 3, 6]);
        assert_eq!(t.reject_lines(), [4]);
    }

    #[test]
    fn only_text_split_into_columns_looks_delimited() {
        assert!(looks_delimited(b"fecha;importe;concepto\n2024-01-02;12,50;Taxi\n2024-01-03;8;Cafe\n"));
        assert!(looks_delimited(b"a\tb\n1\t2\n"));
        assert!(!looks_delimited("Lee esto primero: los datos están en ventas.csv, gracias.\n".as_bytes()));
        assert!(!looks_delimited(
            "Hola equipo,\nlos movimientos de enero van en el otro archivo.\nSi falta algo, avisad; gracias, Marta\n".as_bytes()
        ));
        assert!(!looks_delimited(b""));
    }

    #[test]
    fn sniffs_delimiter_encoding_and_bom() {
        let t = read(b"\xef\xbb\xbfnombre\tcantidad\nJos\xc3\xa9\t1\n");
        assert_eq!(t.tables[0].columns, ["nombre", "cantidad"]);
        assert!(t.tables[0].details.iter().any(|d| crate::ingest::notes::note_text(d, crate::Lang::En) == "delimiter: tab"), "{:?}", t.tables[0].details);
        assert_eq!(t.tables[0].rows[0].1[0], "José");
        let t = read(b"a;b\nPe\xf1a;\"1,5\"\n");
        assert!(t.tables[0].details.iter().any(|d| crate::ingest::notes::note_text(d, crate::Lang::En) == "encoding windows-1252"));
        assert_eq!(t.tables[0].rows[0].1, ["Peña", "1,5"]);
        let utf16: Vec<u8> = "x,y\n1,ñ\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(read(&utf16).tables[0].rows[0].1, ["1", "ñ"]);
    }

    #[test]
    fn titles_above_the_header_and_headerless_files() {
        let t = read(b"Extracto,,\nCuenta: 1,,\nfecha,concepto,importe\n01/02/2024,luz,-4\n");
        assert_eq!(t.tables[0].columns, ["fecha", "concepto", "importe"]);
        assert_eq!(t.row_lines(), [4]);
        assert!(t.warnings.iter().any(|w| crate::ingest::notes::note_text(w, crate::Lang::En).contains("2 line(s) above the header")));
        let t = read(b"1,2024-01-01,3\n2,2024-01-02,4\n");
        assert_eq!(t.tables[0].columns, ["column_1", "column_2", "column_3"]);
        assert_eq!(t.row_lines(), [1, 2]);
    }

    #[test]
    fn blank_and_duplicate_headers_get_names() {
        assert_eq!(read(b"a,,a\nx,y,z\n").tables[0].columns, ["a", "column_2", "a_2"]);
    }
}
