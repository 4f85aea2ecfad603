#![no_main]
//! Any bytes through the CSV/TSV reader: rows or a clear error, never a panic.
use engine::ingest::{csv_reader::read_csv, sink::MemorySink};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sink = MemorySink { keep_rows: Some(100), ..Default::default() };
    let _ = read_csv(data, "fuzz.csv", &mut sink);
});
