#![no_main]
//! Any bytes through the `.json` reader (arrays, objects of arrays, JSON Lines in disguise).
use engine::ingest::{json_reader::read_json, sink::MemorySink};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sink = MemorySink { keep_rows: Some(100), ..Default::default() };
    let _ = read_json(data, "fuzz.json", &mut sink);
});
