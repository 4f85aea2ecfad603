#![no_main]
//! Any bytes as an uploaded .zip: planned (limits, traversal, overlaps) inside a temporary folder.
use std::sync::Arc;

use engine::ingest::IngestLimits;
use engine::ingest::archive::{InflateBudget, plan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("upload.zip");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let limits = IngestLimits { max_entries: 64, max_entry_bytes: 1 << 20, max_total_bytes: 4 << 20, max_ratio: 100 };
    let _ = plan(&path, "upload.zip", &limits, dir.path(), &Arc::new(InflateBudget::default()));
});
