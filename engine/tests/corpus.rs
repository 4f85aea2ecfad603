//! The readers against files written by other programs (../shared/corpus, read in place): right
//! values where the suite ships an expected output, a clear error otherwise, and never a panic or a
//! hang. Archives are only ever unpacked into a test's temporary folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use engine::EngineError;
use engine::ingest::IngestLimits;
use engine::ingest::archive::{Format, InflateBudget, plan};
use engine::ingest::csv_reader::read_csv;
use engine::ingest::json_reader::{read_json, read_jsonl};
use engine::ingest::isolate::{WorkbookSandbox, read_workbook_isolated};
use engine::ingest::sheet_reader::{WorkbookKind, read_workbook};

fn sandbox() -> WorkbookSandbox {
    WorkbookSandbox { program: env!("CARGO_BIN_EXE_engine-read-workbook").into(), args: vec![], memory_limit_bytes: 1 << 30 }
}
use engine::ingest::sink::MemorySink;

/// `DGS_CORPUS`, else `shared/corpus` beside the checkout (or beside any folder above it).
fn corpus() -> PathBuf {
    if let Some(dir) = std::env::var_os("DGS_CORPUS") {
        return PathBuf::from(dir);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = repo.ancestors().map(|a| a.join("shared/corpus")).find(|p| p.is_dir());
    found.unwrap_or_else(|| panic!("the shared corpus was not found beside {}; set DGS_CORPUS", repo.display()))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out.sort();
    out
}

/// Reads one file with the reader its extension picks, on a thread with a deadline: a panic or a
/// hang fails the test with the file's name.
fn read_any(path: &Path) -> Result<MemorySink, EngineError> {
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let outcome = std::panic::catch_unwind(|| {
            let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
            let r = match Format::of(&name) {
                Some(Format::Csv | Format::Tsv) => std::fs::File::open(&p).map_err(EngineError::from).and_then(|f| read_csv(f, &name, &mut sink)),
                Some(Format::Json) => std::fs::File::open(&p).map_err(EngineError::from).and_then(|f| read_json(f, &name, &mut sink)),
                Some(Format::Jsonl) => std::fs::File::open(&p).map_err(EngineError::from).and_then(|f| read_jsonl(f, &name, &mut sink)),
                // As in the server: whole-sheet formats are read in the memory-capped child.
                Some(Format::Workbook(WorkbookKind::Xlsx)) => read_workbook(&p, WorkbookKind::Xlsx, &name, &mut sink),
                Some(Format::Workbook(kind)) => read_workbook_isolated(&sandbox(), &p, kind, &name, &mut sink),
                _ => Err(EngineError::invalid("not a data file")),
            };
            r.map(|()| sink)
        });
        let _ = tx.send(outcome);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => panic!("reader panicked on {}", path.display()),
        Err(_) => panic!("reader hung on {}", path.display()),
    }
}

fn assert_clear(path: &Path, e: &EngineError) {
    let msg = e.to_string();
    assert!(
        matches!(e, EngineError::UnreadableFile { .. }) && msg.len() > 20,
        "{}: unclear error {e:?}",
        path.display()
    );
}

#[test]
fn csv_spectrum_matches_its_expected_json() {
    let dir = corpus().join("02_csv/csv-spectrum");
    let mut checked = 0;
    for csv in files_under(&dir.join("csvs")) {
        let stem = csv.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("json").join(format!("{stem}.json"))).expect("expected json"))
                .expect("expected json parses");
        let sink = read_any(&csv).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let t = &sink.tables[0];
        let Some(expected) = expected.as_array() else {
            // location_coordinates.json is one object whose phone number differs from its CSV: the
            // suite's own slip, so only the shape is compared.
            assert_eq!(t.rows.len(), 1, "{stem}");
            checked += 1;
            continue;
        };
        assert_eq!(t.rows.len(), expected.len(), "{stem}: row count");
        for (row, exp) in t.rows.iter().zip(expected) {
            for (col, val) in t.columns.iter().zip(&row.1) {
                let want = exp.as_object().and_then(|o| o.get(col)).and_then(|v| v.as_str()).unwrap_or_default();
                // The suite writes CRLF files' quoted newlines as LF; lines are normalised on read.
                assert_eq!(val.replace("\r\n", "\n"), want.replace("\r\n", "\n"), "{stem}: column {col}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn every_messy_csv_reads_or_is_refused_clearly() {
    let mut read = 0;
    let mut refused = Vec::new();
    for root in ["02_csv/duckdb-data-csv", "02_csv/rust-csv", "02_csv/ExcelDataReader-csv", "02_csv/w3c-csvw-tests"] {
        for path in files_under(&corpus().join(root)) {
            if !matches!(path.extension().and_then(|e| e.to_str()), Some("csv" | "tsv" | "txt")) {
                continue;
            }
            match read_any(&path) {
                Ok(sink) => {
                    for t in &sink.tables {
                        assert_eq!(t.rows_read as usize, t.rows.len().max(t.rows_read as usize), "counts");
                        assert!(t.columns.iter().all(|c| !c.trim().is_empty()), "{}: blank column name", path.display());
                    }
                    read += 1;
                }
                Err(e) => {
                    assert_clear(&path, &e);
                    refused.push(path);
                }
            }
        }
    }
    assert!(read > 500, "read {read}");
    // Only empty files are refused outright; everything else yields rows or rejected rows.
    for p in &refused {
        let bytes = std::fs::read(p).expect("read");
        assert!(bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0), "{} was refused but holds data", p.display());
    }
}

#[test]
fn latin1_and_utf16_files_decode() {
    let sink = read_any(&corpus().join("02_csv/rust-csv/examples/data/uspop-latin1.csv")).expect("latin1");
    let all: String = sink.tables[0].rows.iter().flat_map(|r| r.1.clone()).collect();
    assert!(!all.contains('\u{fffd}'), "no replacement characters");
    for name in ["utf16le_bom.csv", "utf16be_bom.csv"] {
        let found = files_under(&corpus().join("02_csv/ExcelDataReader-csv")).into_iter().find(|p| p.ends_with(name));
        let p = found.unwrap_or_else(|| panic!("{name} is in the corpus"));
        let s = read_any(&p).expect("utf16");
        assert!(s.tables[0].rows_read > 0 && !s.tables[0].columns[0].contains('\0'), "{name}");
    }
}

#[test]
fn xlsx2csv_pairs_give_the_same_rows() {
    let dir = corpus().join("03_spreadsheets/xlsx2csv/test");
    let mut compared = 0;
    let mut mismatched = Vec::new();
    for book in files_under(&dir) {
        let Some(ext) = book.extension().and_then(|e| e.to_str()) else { continue };
        if !matches!(ext, "xlsx" | "xlsm") {
            continue;
        }
        // variousdelim.csv was written with a custom delimiter and no line ends; no CSV reader can
        // split it back into rows, so it is not an oracle.
        if book.ends_with("variousdelim.xlsx") {
            continue;
        }
        let expected_path = book.with_extension("csv");
        let Ok(expected) = std::fs::read(&expected_path) else { continue };
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&expected[..]);
        let records: Vec<csv::StringRecord> = rdr.records().flatten().filter(|r| r.iter().any(|f| !f.trim().is_empty())).collect();
        // With every sheet asked for, xlsx2csv writes a "-------- n - name" line before each one.
        let all_sheets = records.iter().any(|r| r.get(0).is_some_and(|f| f.starts_with("--------")));
        let want = records.iter().filter(|r| !r.get(0).is_some_and(|f| f.starts_with("--------"))).count();
        match read_any(&book) {
            Ok(sink) => {
                // xlsx2csv writes every sheet one after another; count rows of all tables the same way.
                let tables = if all_sheets { &sink.tables[..] } else { &sink.tables[..1] };
                let first = tables[0].sheet.clone().unwrap_or_default();
                let in_scope = |w: &&String| all_sheets || w.contains(&format!("'{first}'"));
                let warnings: Vec<String> = sink.warnings.iter().map(|w| engine::ingest::notes::note_text(w, engine::Lang::En)).collect();
                let skipped: usize = warnings.iter().filter(in_scope).filter_map(|w| w.split(": ").nth(1)?.split(' ').next()?.parse::<usize>().ok()).sum();
                let headerless = warnings.iter().filter(in_scope).filter(|w| w.contains("no header row")).count();
                let rows: usize = tables.iter().map(|t| t.rows_read as usize).sum();
                let got = rows + tables.len() - headerless + skipped;
                if got != want {
                    let tables: Vec<_> = sink.tables.iter().map(|t| (&t.sheet, &t.columns, t.rows_read)).collect();
                    mismatched.push(format!("{}: {got} rows, expected {want}; {tables:?} {:?}", book.display(), sink.warnings));
                }
                compared += 1;
            }
            Err(e) => assert_clear(&book, &e),
        }
    }
    assert!(compared >= 15, "compared {compared}");
    assert!(mismatched.is_empty(), "{mismatched:#?}");
}

#[test]
fn every_workbook_reads_or_is_refused_clearly_and_encrypted_ones_say_so() {
    let mut read = 0;
    let mut encrypted = 0;
    for path in files_under(&corpus().join("03_spreadsheets")).into_iter().chain(files_under(&corpus().join("01_transactions"))) {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        if !matches!(Format::of(&name), Some(Format::Workbook(_))) {
            continue;
        }
        if std::env::var_os("CORPUS_TRACE").is_some() {
            eprintln!("reading {}", path.display());
        }
        let started = std::time::Instant::now();
        let outcome = read_any(&path);
        if started.elapsed() > Duration::from_secs(2) {
            eprintln!("slow: {} took {:?}", path.display(), started.elapsed());
        }
        match outcome {
            Ok(sink) => {
                assert!(!sink.tables.is_empty());
                read += 1;
            }
            Err(e) => {
                assert_clear(&path, &e);
                if e.to_string().contains("password-protected") {
                    encrypted += 1;
                }
            }
        }
    }
    assert!(read > 300, "read {read}");
    assert!(encrypted >= 5, "encrypted workbooks recognised: {encrypted}");
}

#[test]
fn a_workbook_claiming_gigabytes_fails_alone_with_a_reason() {
    // calamine would allocate tens of GB for this regression file; the capped child fails instead.
    let p = files_under(&corpus().join("03_spreadsheets/ExcelDataReader")).into_iter().find(|p| p.ends_with("Test_git_issue_382_oom.xls"));
    let p = p.expect("the OOM regression workbook");
    let err = read_any(&p).expect_err("refused");
    assert!(err.to_string().contains("memory"), "{err}");
}

#[test]
fn merged_cells_repeat_and_1904_dates_are_dates() {
    let dir = corpus().join("03_spreadsheets/calamine");
    let merged = files_under(&dir).into_iter().find(|p| p.ends_with("merged_range.xlsx"));
    let p = merged.expect("merged_range.xlsx is in the corpus");
    let s = read_any(&p).expect("merged");
    assert!(s.tables[0].rows_read > 0);
    // The quick look for merged cells finds them, and passes over a workbook without any.
    assert!(engine::ingest::sheet_reader::xlsx_may_have_merged_cells(&p));
    assert!(!engine::ingest::sheet_reader::xlsx_may_have_merged_cells(&dir.join("tests/date.xlsx")));
    // A merged range repeats its value in every cell it covers.
    let merge_cells = read_any(&dir.join("tests/merge_cells.xlsx")).expect("merge_cells.xlsx");
    let rows: Vec<&Vec<String>> = merge_cells.tables.iter().flat_map(|t| t.rows.iter().map(|r| &r.1)).collect();
    assert!(rows.iter().any(|r| r.windows(2).any(|w| !w[0].is_empty() && w[0] == w[1])), "{rows:?}");
    let d1904 = files_under(&dir).into_iter().find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains("1904")));
    let p = d1904.expect("a 1904 workbook in calamine's tests");
    let s = read_any(&p).expect("1904 dates");
    let cells: Vec<String> =
        s.tables.iter().flat_map(|t| t.columns.iter().cloned().chain(t.rows.iter().flat_map(|r| r.1.clone()))).collect();
    assert!(cells.iter().any(|c| c.len() >= 10 && c[..4].parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y)) && &c[4..5] == "-"),
        "dates come out as yyyy-mm-dd: {cells:?}");
}

#[test]
fn birmingham_card_spend_reads_fully() {
    let p = corpus().join("01_transactions/birmingham_purchase_cards_en/original/purchase-card-transactions-september-2018.xlsx");
    let s = read_any(&p).expect("birmingham");
    let t = &s.tables[0];
    assert_eq!(t.rows_read, 4461, "the index says 4,461 real rows");
    assert!(t.columns.iter().any(|c| c.contains("TRANS CAC DESC 1")), "{:?}", t.columns);
    // The header repeated at line 3618 is kept aside, not read as a row of text.
    let repeated: Vec<i64> = t.rejected.iter().filter(|r| r.2 == engine::ingest::notes::Note::RepeatedHeader.stored()).map(|r| r.0).collect();
    assert_eq!(repeated, [3618], "{:?}", t.rejected);
}

#[test]
fn json_suites_parse_or_fail_clearly() {
    let dir = corpus().join("04_json");
    let mut parsed = 0;
    for path in files_under(&dir) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !matches!(Format::of(&name), Some(Format::Json | Format::Jsonl)) {
            continue;
        }
        match read_any(&path) {
            Ok(sink) => {
                parsed += 1;
                if name.starts_with("n_") {
                    // An invalid document can only be accepted as JSON Lines whose bad lines were rejected.
                    assert!(sink.tables.iter().all(|t| !t.rejected.is_empty() || t.rows_read == 0) || sink.tables.is_empty(),
                        "{name} is invalid JSON but was read without rejections");
                }
            }
            Err(e) => {
                assert_clear(&path, &e);
                assert!(!name.starts_with("y_") || e.to_string().contains("no objects") || e.to_string().contains("empty"),
                    "{name} is valid JSON but was refused: {e}");
            }
        }
    }
    assert!(parsed > 50, "parsed {parsed}");
}

#[test]
fn jsonl_bad_lines_are_rejected_and_the_rest_kept() {
    // The corpus's lines, with a broken line and a truncated one put between them.
    let good = std::fs::read_to_string(corpus().join("04_json/wbolster-jsonlines/tests/sample.jsonl")).expect("sample.jsonl");
    let lines: Vec<&str> = good.lines().collect();
    assert_eq!(lines.len(), 2, "the corpus sample has two objects");
    let mixed = format!("{}\n{{not json\n{}\n{{\"c\": \n", lines[0], lines[1]);
    let mut sink = MemorySink { keep_rows: Some(50), ..Default::default() };
    read_jsonl(mixed.as_bytes(), "mixed.jsonl", &mut sink).expect("the good lines are read");
    let t = &sink.tables[0];
    let kept: Vec<i64> = t.rows.iter().map(|(line, _)| *line).collect();
    let rejected: Vec<i64> = t.rejected.iter().map(|(line, _, _)| *line).collect();
    assert_eq!(kept, vec![1, 3], "the two good lines, with their own line numbers");
    assert_eq!(rejected, vec![2, 4], "the broken and the truncated line");
    assert_eq!(t.rejected[0].1, "{not json", "the raw text is kept for the user to fix");
    assert_eq!(t.columns, vec!["a", "b"]);
}

fn plan_of(path: &Path, limits: &IngestLimits) -> Result<engine::ingest::archive::Plan, EngineError> {
    let work = tempfile::tempdir().expect("tempdir");
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    plan(path, &name, limits, work.path(), &Arc::new(InflateBudget::default()))
}

#[test]
fn zip_slip_is_refused_naming_the_entry() {
    for p in ["05_zip/snyk-zip-slip/archives/zip-slip.zip", "05_zip/RecursiveExtractor/RecursiveExtractor.Tests/TestData/Bombs/zip-slip.zip"] {
        let err = plan_of(&corpus().join(p), &IngestLimits::default()).expect_err("zip slip");
        assert!(matches!(err, EngineError::Refused { .. }) && err.to_string().contains("outside the archive"), "{err}");
    }
}

#[test]
fn a_10_gb_zip_bomb_is_refused_before_inflating() {
    use std::io::Read;
    let bz = std::fs::File::open(corpus().join("05_zip/RecursiveExtractor/RecursiveExtractor.Tests/TestData/Bombs/10GB.zip.bz2")).expect("bomb");
    let mut zip = Vec::new();
    bzip2::read::BzDecoder::new(bz).read_to_end(&mut zip).expect("bunzip");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("10GB.zip");
    std::fs::write(&path, &zip).expect("write");
    let started = std::time::Instant::now();
    let err = plan_of(&path, &IngestLimits::default()).expect_err("bomb refused");
    assert!(matches!(err, EngineError::Refused { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "refused from the directory, not by inflating");
}

#[test]
fn overlapping_entries_are_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("overlap.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
        let opts = zip::write::SimpleFileOptions::default();
        for name in ["a.csv", "b.csv"] {
            w.start_file(name, opts).expect("start");
            w.write_all(b"x,y\n1,2\n").expect("write");
        }
        w.finish().expect("finish");
    }
    // Point the second central-directory record at the first entry's data, as overlap bombs do.
    let mut bytes = std::fs::read(&path).expect("read");
    let cd: Vec<usize> = bytes.windows(4).enumerate().filter(|(_, w)| *w == b"PK\x01\x02").map(|(i, _)| i).collect();
    bytes[cd[1] + 42..cd[1] + 46].copy_from_slice(&0u32.to_le_bytes());
    std::fs::write(&path, &bytes).expect("write");
    let err = plan_of(&path, &IngestLimits::default()).expect_err("overlap refused");
    assert!(err.to_string().contains("share data"), "{err}");
}

#[test]
fn a_high_ratio_entry_is_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("zeros.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    w.start_file("zeros.csv", zip::write::SimpleFileOptions::default()).expect("start");
    w.write_all(&vec![b'0'; 20 << 20]).expect("write");
    w.finish().expect("finish");
    let err = plan_of(&path, &IngestLimits::default()).expect_err("ratio");
    assert!(err.to_string().contains("zip bomb"), "{err}");
}

#[test]
fn system_files_encrypted_entries_and_odd_names_are_skipped_with_reasons() {
    let base = corpus().join("05_zip/RecursiveExtractor/RecursiveExtractor.Tests/TestData/TestDataArchives");
    match plan_of(&base.join("TestData.zip"), &IngestLimits::default()) {
        Ok(p) => assert!(p.skipped.iter().any(|s| s.name.contains("__MACOSX") || s.name.contains(".DS_Store")), "{:?}", p.skipped),
        Err(e) => assert!(e.to_string().contains("no readable data file") && e.to_string().contains("skipped"), "{e}"),
    }
    let err = plan_of(&base.join("TestDataEncryptedZipCrypto.zip"), &IngestLimits::default());
    let text = match err {
        Ok(p) => format!("{:?}", p.skipped),
        Err(e) => e.to_string(),
    };
    assert!(text.contains("encrypted"), "{text}");
    // Every archive of zip's own test suite plans or is refused clearly, without a panic.
    for p in files_under(&corpus().join("05_zip/zip2/tests/data")) {
        if p.extension().is_some_and(|e| e == "zip") {
            let r = std::panic::catch_unwind(|| plan_of(&p, &IngestLimits::default()));
            match r {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => assert!(
                    matches!(e, EngineError::UnreadableFile { .. } | EngineError::Refused { .. }),
                    "{}: {e:?}",
                    p.display()
                ),
                Err(_) => panic!("planning panicked on {}", p.display()),
            }
        }
    }
}
