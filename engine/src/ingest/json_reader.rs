//! JSON readers. `.json`: an array of objects, or an object whose values hold such arrays (each array
//! is its own table, named by its key path); elements stream one at a time, so a 1 GB array needs no
//! 1 GB of memory. `.jsonl`/`.ndjson`: one object per line; a bad line is a rejected row and the rest go
//! on. Nested objects flatten into dotted column names; arrays inside a row are kept as JSON text.

use super::notes::Note;
use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::csv_reader::NewlineNormaliser;
use super::json_flatten::{FlattenObject, RowBuilder, scalar_text};
use super::sink::{RAW_TEXT_LIMIT, TableSink, TableStart, truncate};
use crate::error::{EngineError, Result};

/// How deep in a top-level object arrays of rows are looked for (`{"data": {"items": [...]}}`).
const MAX_TABLE_DEPTH: usize = 3;

/// Reads a JSON Lines file: every non-blank line must be one object.
pub fn read_jsonl(input: impl Read, name: &str, sink: &mut dyn TableSink) -> Result<()> {
    let mut reader = BufReader::with_capacity(256 * 1024, NewlineNormaliser::new(input));
    sink.begin(TableStart { sheet: None, details: vec![Note::OneObjectPerLine.stored()], columns: vec![] })?;
    let mut row = RowBuilder::default();
    let mut line = Vec::new();
    let mut line_no = 0i64;
    let mut seen_any = false;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        line_no += 1;
        let mut text: &[u8] = &line;
        if line_no == 1 {
            text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        seen_any = true;
        row.clear();
        let mut de = serde_json::Deserializer::from_slice(text);
        let parsed = FlattenObject { row: &mut row, prefix: String::new(), depth: 0 }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        match parsed {
            Ok(()) => sink.row(line_no, &row.columns, &row.values)?,
            Err(e) => {
                let raw = String::from_utf8_lossy(text);
                sink.reject(line_no, &truncate(raw.trim_end(), RAW_TEXT_LIMIT), &describe(&e))?;
            }
        }
    }
    if !seen_any {
        return Err(EngineError::UnreadableFile { file: name.into(), reason: Note::EmptyFile.stored() });
    }
    sink.end()
}

/// Reads a `.json` document: an array of objects, or an object holding such arrays.
pub fn read_json(input: impl Read, name: &str, sink: &mut dyn TableSink) -> Result<()> {
    let line = Rc::new(Cell::new(1i64));
    let mut buffered = BufReader::with_capacity(256 * 1024, input);
    if buffered.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        buffered.consume(3); // a BOM is not JSON
    }
    // Many exports name JSON Lines files `.json`; read them as what they are.
    if is_json_lines(buffered.fill_buf()?) {
        return read_jsonl(buffered, name, sink);
    }
    let counted = LineCounter { inner: buffered, line: line.clone() };
    let mut de = serde_json::Deserializer::from_reader(counted);
    let mut state = JsonState { sink, line, tables: 0, error: None, scalars: RowBuilder::default() };
    let outcome = TopLevel { state: &mut state, path: String::new(), depth: 0 }.deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = state.error.take() {
        return Err(e); // the sink refused (cancelled, writer gone): not the file's fault
    }
    if let Err(e) = outcome {
        let reason = if e.is_eof() && state.tables == 0 && e.line() <= 1 {
            Note::EmptyFile.stored()
        } else {
            format!("not valid JSON: {}", describe(&e))
        };
        return Err(EngineError::UnreadableFile { file: name.into(), reason });
    }
    if state.tables == 0 {
        if state.scalars.columns.is_empty() {
            return Err(EngineError::UnreadableFile {
                file: name.into(),
                reason: "it holds no objects: expected an array of objects or an object holding one".into(),
            });
        }
        // A single object with no array of rows is one row.
        state.sink.begin(TableStart { sheet: None, details: vec![Note::SingleObject.stored()], columns: vec![] })?;
        state.sink.row(1, &state.scalars.columns, &state.scalars.values)?;
        state.sink.end()?;
    }
    Ok(())
}

/// One object, then a line break, then another object: JSON Lines, whatever the file is called.
fn is_json_lines(head: &[u8]) -> bool {
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    if head.get(start) != Some(&b'{') {
        return false;
    }
    let mut values = serde_json::Deserializer::from_slice(&head[start..]).into_iter::<de::IgnoredAny>();
    if !matches!(values.next(), Some(Ok(_))) {
        return false;
    }
    let rest = &head[start + values.byte_offset()..];
    let gap = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
    rest[..gap].contains(&b'\n') && rest.get(gap) == Some(&b'{')
}

fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the line is reported separately.
    match msg.rfind(" at line ") {
        Some(i) if e.line() > 0 => format!("{} (column {})", &msg[..i], e.column()),
        _ => msg,
    }
}

struct JsonState<'s> {
    sink: &'s mut dyn TableSink,
    line: Rc<Cell<i64>>,
    tables: usize,
    error: Option<EngineError>,
    scalars: RowBuilder,
}

/// Counts the newlines the parser has pulled, so each element is stamped with the line it starts on.
struct LineCounter<R> {
    inner: R,
    line: Rc<Cell<i64>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.line.set(self.line.get() + buf[..n].iter().filter(|&&b| b == b'\n').count() as i64);
        Ok(n)
    }
}

/// The document root or a value inside the root object: arrays become tables, objects are searched
/// for arrays, scalars are remembered in case the whole file is one record.
struct TopLevel<'a, 's> {
    state: &'a mut JsonState<'s>,
    path: String,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects or an object holding one")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let sheet = (!self.path.is_empty()).then(|| self.path.clone());
        let mut table = ArrayTable { state: self.state, sheet, started: false, objects: 0, others: 0, row: RowBuilder::default() };
        let mut element = 0i64;
        loop {
            element += 1;
            match seq.next_element_seed(Element { table: &mut table, element, line: 0 })? {
                Some(()) => {}
                None => break,
            }
            if table.state.error.is_some() {
                return Err(de::Error::custom("stopped"));
            }
        }
        table.finish();
        if table.state.error.is_some() {
            return Err(de::Error::custom("stopped"));
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() { key } else { format!("{}.{key}", self.path) };
            if self.depth + 1 >= MAX_TABLE_DEPTH {
                let v: serde_json::Value = map.next_value()?;
                self.state.scalars.set(path, scalar_text(&v));
                continue;
            }
            map.next_value_seed(TopLevel { state: &mut *self.state, path, depth: self.depth + 1 })?;
            if self.state.error.is_some() {
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
}

impl TopLevel<'_, '_> {
    fn scalar(self, v: String) {
        if !self.path.is_empty() {
            self.state.scalars.set(self.path, v);
        }
    }
}

/// One array being read as a table. The table begins at its first object, so arrays of plain values
/// (tags, ids) are not mistaken for tables.
struct ArrayTable<'a, 's> {
    state: &'a mut JsonState<'s>,
    sheet: Option<String>,
    started: bool,
    objects: u64,
    others: u64,
    row: RowBuilder,
}

impl ArrayTable<'_, '_> {
    fn guard(&mut self, r: Result<()>) {
        if let Err(e) = r {
            self.state.error.get_or_insert(e);
        }
    }

    fn finish(&mut self) {
        if self.started {
            let r = self.state.sink.end();
            self.guard(r);
        } else if self.others > 0 {
            let what = self.sheet.as_deref().unwrap_or("the top-level array");
            self.state.sink.warn(format!("{what} holds {} values that are not objects; it was not read as a table", self.others));
        }
    }
}

struct Element<'t, 'a, 's> {
    table: &'t mut ArrayTable<'a, 's>,
    element: i64,
    line: i64,
}

impl<'de> DeserializeSeed<'de> for Element<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(mut self, d: D) -> std::result::Result<(), D::Error> {
        // The parser has read up to the value's first character: the counter stands on its line.
        self.line = self.table.state.line.get();
        d.deserialize_any(self)
    }
}

impl Element<'_, '_, '_> {
    fn not_an_object(self, raw: String) {
        let t = self.table;
        t.others += 1;
        if t.started {
            let r = t.state.sink.reject(self.line, &truncate(&raw, RAW_TEXT_LIMIT), &format!("element {} is not an object", self.element));
            t.guard(r);
        }
    }
}

impl<'de> Visitor<'de> for Element<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<(), A::Error> {
        let t = self.table;
        let line = self.line;
        if !t.started {
            t.started = true;
            t.state.tables += 1;
            let details = vec![format!("JSON array{}", t.sheet.as_ref().map(|s| format!(" '{s}'")).unwrap_or_default())];
            let r = t.state.sink.begin(TableStart { sheet: t.sheet.clone(), details, columns: vec![] });
            t.guard(r);
            if t.others > 0 {
                t.state.sink.warn(format!("{} value(s) before the first object were not rows", t.others));
            }
        }
        t.objects += 1;
        t.row.clear();
        FlattenObject { row: &mut t.row, prefix: String::new(), depth: 0 }.visit_map(map)?;
        let r = t.state.sink.row(line, &t.row.columns, &t.row.values);
        t.guard(r);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<(), A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<(), E> {
        self.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
        self.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
        self.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
        self.not_an_object(serde_json::Value::from(v).to_string());
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        self.not_an_object("null".into());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::sink::MemorySink;

    #[test]
    fn jsonl_flattens_and_rejects_bad_lines() {
        let text = b"{\"a\":1,\"b\":{\"c\":\"x\",\"d\":[1,2]}}\n\nnot json\n[1]\n{\"a\":2,\"e\":null,\"f\":true}\r\n{\"a\":3} {\"a\":4}\n";
        let mut sink = MemorySink::default();
        read_jsonl(&text[..], "t.jsonl", &mut sink).expect("readable");
        let t = &sink.tables[0];
        assert_eq!(t.columns, ["a", "b.c", "b.d", "f"]);
        assert_eq!(t.rows[0], (1, vec!["1".into(), "x".into(), "[1,2]".into(), "".into()]));
        assert_eq!(t.rows[1], (5, vec!["2".into(), "".into(), "".into(), "true".into()]));
        assert_eq!(sink.reject_lines(), [3, 4, 6]);
        assert_eq!(t.rows_read, 5);
    }

    #[test]
    fn json_array_and_object_of_arrays() {
        let mut sink = MemorySink::default();
        read_json(&b"\xef\xbb\xbf[\n {\"a\": 1},\n {\"a\": 2, \"b\": {\"c\": 3}},\n 7\n]"[..], "t.json", &mut sink).expect("ok");
        assert_eq!(sink.tables[0].columns, ["a", "b.c"]);
        assert_eq!(sink.row_lines(), [2, 3]);
        assert_eq!(sink.reject_lines(), [4]);

        let mut sink = MemorySink::default();
        let doc = br#"{"meta": {"count": 2}, "tags": ["x"], "data": {"items": [{"id": 1}, {"id": 2}]}, "more": [{"k": "v"}]}"#;
        read_json(&doc[..], "t.json", &mut sink).expect("ok");
        let sheets: Vec<_> = sink.tables.iter().map(|t| t.sheet.clone().unwrap_or_default()).collect();
        assert_eq!(sheets, ["data.items", "more"]);
        assert_eq!(sink.tables[0].rows.len(), 2);
        assert!(sink.warnings.iter().any(|w| w.contains("tags")));
    }

    #[test]
    fn broken_and_empty_json_are_refused_clearly() {
        let mut sink = MemorySink::default();
        let err = read_json(&b"[{\"a\":1}, {\"a\":"[..], "t.json", &mut sink).expect_err("cut off");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = read_json(&b"  "[..], "t.json", &mut MemorySink::default()).expect_err("empty");
        assert!(err.to_string().contains("empty"), "{err}");
        let err = read_json(&b"42"[..], "t.json", &mut MemorySink::default()).expect_err("scalar");
        assert!(err.to_string().contains("no objects"), "{err}");
        let mut sink = MemorySink::default();
        read_json(&br#"{"id": 5, "name": "solo"}"#[..], "t.json", &mut sink).expect("one record");
        assert_eq!(sink.tables[0].rows[0].1, ["5", "solo"]);
    }
}
