#![no_main]
//! Any bytes through the JSON Lines reader: each line a row or a rejected row.
use engine::ingest::{json_reader::read_jsonl, sink::MemorySink};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sink = MemorySink { keep_rows: Some(100), ..Default::default() };
    let _ = read_jsonl(data, "fuzz.jsonl", &mut sink);
});
