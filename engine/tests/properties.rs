//! Properties that hold for any input: cleaning is idempotent, COPY text round-trips through
//! PostgreSQL unchanged, and every reader turns any bytes into rows or a clear error, never a panic.

use engine::EngineError;
use engine::clean::{CleanOptions, clean_text};
use engine::ingest::csv_reader::read_csv;
use engine::ingest::json_reader::{read_json, read_jsonl};
use engine::ingest::sheet_reader::{WorkbookKind, read_workbook};
use engine::ingest::sink::MemorySink;
use proptest::prelude::*;
use sqlx::PgPool;

fn options() -> impl Strategy<Value = CleanOptions> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(lowercase, strip_accents, strip_punctuation, strip_noise)| {
        CleanOptions { lowercase, strip_accents, strip_punctuation, strip_noise }
    })
}

/// A reader's answer to arbitrary bytes: rows, each at most as wide as the header it grew, or an
/// error that names the file.
fn check_read(result: Result<(), EngineError>, sink: &MemorySink) -> Result<(), TestCaseError> {
    match result {
        Ok(()) => {
            for t in &sink.tables {
                prop_assert!(t.rows_read as usize >= t.rows.len(), "rows kept never exceed rows read");
            }
        }
        Err(EngineError::UnreadableFile { file, reason }) => {
            prop_assert_eq!(file, "prop");
            prop_assert!(!reason.is_empty());
        }
        Err(other) => prop_assert!(false, "not a clear error: {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn cleaning_twice_is_cleaning_once(text in "\\PC{0,60}|[A-Za-zÁÉÍÓÚÑáéíóúñİıß0-9 .,;:/#-]{0,60}", opts in options()) {
        let once = clean_text(&text, &opts);
        prop_assert_eq!(clean_text(&once, &opts), once.clone());
        prop_assert_eq!(once.trim(), once.as_str(), "no outer whitespace");
        prop_assert!(!once.contains("  "), "whitespace collapsed");
    }

    #[test]
    fn any_bytes_as_csv(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
        let result = read_csv(&bytes[..], "prop", &mut sink);
        check_read(result, &sink)?;
    }

    #[test]
    fn any_text_as_csv(text in "([a-z0-9 ;,\"\t]{0,12}(\r\n|\n|\r)){0,20}") {
        let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
        let result = read_csv(text.as_bytes(), "prop", &mut sink);
        check_read(result, &sink)?;
    }

    #[test]
    fn any_bytes_as_json_and_jsonl(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
        let result = read_json(&bytes[..], "prop", &mut sink);
        check_read(result, &sink)?;
        let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
        let result = read_jsonl(&bytes[..], "prop", &mut sink);
        check_read(result, &sink)?;
    }

    #[test]
    fn json_shaped_text(text in "[\\[\\]{}\",:0-9a-z \n]{0,200}") {
        let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
        let result = read_json(text.as_bytes(), "prop", &mut sink);
        check_read(result, &sink)?;
        let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
        let result = read_jsonl(text.as_bytes(), "prop", &mut sink);
        check_read(result, &sink)?;
    }
}

proptest! {
    // Each case writes a file: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_bytes_as_a_workbook(bytes in proptest::collection::vec(any::<u8>(), 0..3000), ods in any::<bool>()) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("book");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
        let kind = if ods { WorkbookKind::Ods } else { WorkbookKind::Xlsx };
        let result = read_workbook(&path, kind, "prop", &mut sink);
        check_read(result, &sink)?;
    }
}

/// Whatever a cell holds (backslashes, tabs, newlines, quotes, any Unicode; NUL is dropped, as
/// PostgreSQL text cannot hold it) comes back from a COPY exactly.
#[sqlx::test(migrations = false)]
async fn copy_text_round_trips_through_postgres(pool: PgPool) -> anyhow::Result<()> {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = "(\\PC|[\\\\\t\n\r\"'\u{0}]){0,40}";
    let values: Vec<String> = (0..600).map(|_| strategy.new_tree(&mut runner).map(|t| t.current())).collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn = pool.acquire().await?;
    sqlx::query("CREATE TEMP TABLE copied (n int, v text)").execute(&mut *conn).await?;
    let mut payload = Vec::new();
    for (n, v) in values.iter().enumerate() {
        payload.extend_from_slice(format!("{n}\t").as_bytes());
        engine::store::copy_escape(&mut payload, v);
        payload.push(b'\n');
    }
    let mut copy = conn.copy_in_raw("COPY copied (n, v) FROM STDIN").await?;
    copy.send(payload).await?;
    let stored = copy.finish().await?;
    assert_eq!(stored as usize, values.len());
    let back: Vec<(i32, String)> = sqlx::query_as("SELECT n, v FROM copied ORDER BY n").fetch_all(&mut *conn).await?;
    assert_eq!(back.len(), values.len());
    for ((n, got), want) in back.iter().zip(&values) {
        assert_eq!(got, &want.replace('\0', ""), "value {n}");
    }
    Ok(())
}
