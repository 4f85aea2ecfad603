//! What an upload holds: one file, or the entries of a ZIP (nested ZIPs one level deep). Hostile
//! archives are refused before anything is decompressed (too many entries, declared sizes or ratios
//! beyond the limits, entries whose data overlap, paths that climb out of the archive); sizes are
//! enforced again while decompressing, since a header can lie. Entries that are not data (folders,
//! `__MACOSX/`, dot-files, other formats, encrypted ones) are listed as skipped, with the reason.

use super::notes::Note;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};

use zip::ZipArchive;

use super::sheet_reader::WorkbookKind;
use super::{IngestLimits, SkippedEntry};
use crate::error::{EngineError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Tsv,
    Json,
    Jsonl,
    Workbook(WorkbookKind),
    Zip,
}

impl Format {
    pub fn of(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "csv" | "txt" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::Jsonl,
            "xlsx" | "xlsm" => Format::Workbook(WorkbookKind::Xlsx),
            "xls" => Format::Workbook(WorkbookKind::Xls),
            "xlsb" => Format::Workbook(WorkbookKind::Xlsb),
            "ods" => Format::Workbook(WorkbookKind::Ods),
            "zip" => Format::Zip,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Workbook(WorkbookKind::Xlsx) => "xlsx",
            Format::Workbook(WorkbookKind::Xls) => "xls",
            Format::Workbook(WorkbookKind::Xlsb) => "xlsb",
            Format::Workbook(WorkbookKind::Ods) => "ods",
            Format::Zip => "zip",
        }
    }
}

pub const SUPPORTED: &str = ".csv, .tsv, .txt, .json, .jsonl, .ndjson, .xlsx, .xlsm, .xls, .xlsb, .ods or a .zip of them";

/// Where an entry's bytes are.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Zip { archive: PathBuf, index: usize },
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// The path shown to people: `ventas/enero.csv`, or `anexos.zip/enero.csv` for a nested ZIP.
    pub name: String,
    pub format: Format,
    pub source: Source,
    pub size: u64,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub entries: Vec<Entry>,
    pub skipped: Vec<SkippedEntry>,
}

/// Lists what the upload at `path` (named `name` by its sender) holds. Nested ZIPs are copied into
/// `work_dir`, which the caller removes afterwards.
pub fn plan(path: &Path, name: &str, limits: &IngestLimits, work_dir: &Path, budget: &Arc<InflateBudget>) -> Result<Plan> {
    let size = std::fs::metadata(path)?.len();
    match Format::of(name) {
        Some(Format::Zip) => {
            let mut plan = Plan::default();
            plan_zip(path, name, "", limits, work_dir, budget, 0, &mut plan)?;
            if plan.entries.is_empty() {
                let why: Vec<String> = plan.skipped.iter().take(5).map(|s| format!("{}: {}", s.name, super::notes::note_text(&s.reason, crate::Lang::En))).collect();
                return Err(EngineError::UnreadableFile {
                    file: name.into(),
                    reason: format!(
                        "the archive holds no readable data file (supported: {SUPPORTED}){}",
                        if why.is_empty() { String::new() } else { format!("; skipped {}", why.join("; ")) }
                    ),
                });
            }
            Ok(plan)
        }
        Some(format) => {
            if is_txt(name) && !reads_as_table(File::open(path)?)? {
                return Err(EngineError::UnreadableFile { file: name.into(), reason: Note::NotATable.stored() });
            }
            Ok(Plan { entries: vec![Entry { name: name.into(), format, source: Source::File(path.into()), size }], skipped: vec![] })
        }
        None => Err(EngineError::UnreadableFile { file: name.into(), reason: format!("unsupported format; upload {SUPPORTED}") }),
    }
}

/// A `.txt` is read only when its first bytes look like a table.
const TEXT_SNIFF_BYTES: u64 = 64 * 1024;

fn is_txt(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".txt")
}

/// Whether the first bytes of `text` look like a table (see `csv_reader::looks_delimited`).
fn reads_as_table(text: impl Read) -> io::Result<bool> {
    let mut head = Vec::new();
    text.take(TEXT_SNIFF_BYTES).read_to_end(&mut head)?;
    Ok(super::csv_reader::looks_delimited(&head))
}

#[allow(clippy::too_many_arguments)]
fn plan_zip(
    path: &Path,
    shown: &str,
    prefix: &str,
    limits: &IngestLimits,
    work_dir: &Path,
    budget: &Arc<InflateBudget>,
    depth: usize,
    plan: &mut Plan,
) -> Result<()> {
    let refuse = |reason: String| EngineError::Refused { file: shown.to_string(), reason };
    let file_size = std::fs::metadata(path)?.len().max(1);
    let mut zip = ZipArchive::new(BufReader::new(File::open(path)?))
        .map_err(|e| EngineError::UnreadableFile { file: shown.into(), reason: format!("not a readable ZIP archive ({e})") })?;
    if zip.len() > limits.max_entries {
        return Err(refuse(format!("it has {} entries; the limit is {}", zip.len(), limits.max_entries)));
    }
    // Offsets of every entry's data, to refuse archives whose entries share bytes (overlap bombs).
    let mut spans: Vec<(u64, u64, String)> = Vec::with_capacity(zip.len());
    let mut declared_total = 0u64;
    let mut wanted: Vec<(usize, String, Format, u64)> = Vec::new();
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| refuse(format!("entry {} is corrupt ({e})", i + 1)))?;
        let raw_name = entry.name().map(|n| n.to_string()).unwrap_or_else(|_| String::from_utf8_lossy(entry.name_raw()).into_owned());
        let display = format!("{prefix}{raw_name}");
        if entry.enclosed_name().is_none() || raw_name.starts_with('/') || raw_name.starts_with('\\') || raw_name.contains(":\\") {
            return Err(refuse(format!("the entry '{raw_name}' points outside the archive (path traversal)")));
        }
        spans.push((entry.header_start(), entry.header_start() + 30 + entry.compressed_size(), display.clone()));
        if entry.is_dir() {
            continue;
        }
        let size = entry.size();
        declared_total = declared_total.saturating_add(size);
        let base = raw_name.rsplit(['/', '\\']).next().unwrap_or(&raw_name);
        let skip = |reason: &str, plan: &mut Plan| plan.skipped.push(SkippedEntry { name: display.clone(), reason: reason.into() });
        if raw_name.split(['/', '\\']).any(|part| part == "__MACOSX" || (part.starts_with('.') && part.len() > 1 && part != "..")) {
            skip(&Note::SystemFile.stored(), plan);
            continue;
        }
        if entry.is_symlink() {
            skip(&Note::SymbolicLink.stored(), plan);
            continue;
        }
        if entry.encrypted() {
            skip(&Note::Encrypted.stored(), plan);
            continue;
        }
        if size > limits.max_entry_bytes {
            return Err(refuse(format!("'{display}' expands to {size} bytes; the limit per file is {}", limits.max_entry_bytes)));
        }
        if size > 1 << 20 && size / entry.compressed_size().max(1) > limits.max_ratio {
            return Err(refuse(format!(
                "'{display}' expands {}× (a zip bomb?); the limit is {}×",
                size / entry.compressed_size().max(1),
                limits.max_ratio
            )));
        }
        match Format::of(base) {
            None => skip(&Note::UnsupportedFormat.stored(), plan),
            Some(Format::Zip) if depth > 0 => skip(&Note::NestedTooDeep.stored(), plan),
            Some(format) => wanted.push((i, display, format, size)),
        }
    }
    if declared_total > limits.max_total_bytes {
        return Err(refuse(format!("it expands to {declared_total} bytes; the limit is {}", limits.max_total_bytes)));
    }
    if declared_total > 1 << 20 && declared_total / file_size > limits.max_ratio {
        return Err(refuse(format!("it expands {}× (a zip bomb?); the limit is {}×", declared_total / file_size, limits.max_ratio)));
    }
    spans.sort();
    for pair in spans.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(refuse(format!("the entries '{}' and '{}' share data (an overlapping-entry zip bomb?)", pair[0].2, pair[1].2)));
        }
    }
    for (index, display, format, size) in wanted {
        if format == Format::Zip {
            let nested = work_dir.join(format!("nested-{depth}-{index}.zip"));
            copy_entry(path, index, &nested, &display, limits, budget)?;
            let before = plan.entries.len();
            match plan_zip(&nested, &display, &format!("{display}/"), limits, work_dir, budget, depth + 1, plan) {
                Ok(()) if plan.entries.len() == before => {
                    plan.skipped.push(SkippedEntry { name: display, reason: Note::EmptyNestedZip.stored() })
                }
                Ok(()) => {}
                Err(EngineError::UnreadableFile { reason, .. }) => plan.skipped.push(SkippedEntry { name: display, reason }),
                Err(e) => return Err(e),
            }
            continue;
        }
        if is_txt(&display) {
            let reason = match zip.by_index(index).map_err(io::Error::other).and_then(reads_as_table) {
                Err(e) => Some(format!("cannot be read ({e})")),
                Ok(false) => Some(Note::NotATable.stored()),
                Ok(true) => None,
            };
            if let Some(reason) = reason {
                plan.skipped.push(SkippedEntry { name: display, reason });
                continue;
            }
        }
        plan.entries.push(Entry { name: display, format, source: Source::Zip { archive: path.into(), index }, size });
    }
    Ok(())
}

/// Decompressed bytes of one upload, shared by every parser. A breach is remembered, so the pipeline
/// can refuse the whole upload rather than blame one file.
#[derive(Debug, Default)]
pub struct InflateBudget {
    used: AtomicU64,
    breach: Mutex<Option<String>>,
}

impl InflateBudget {
    pub fn breach(&self) -> Option<String> {
        self.breach.lock().ok().and_then(|b| b.clone())
    }
}

/// Counts decompressed bytes against the per-file limit and the upload-wide budget, so a lying header
/// cannot make us inflate more than the limits allow.
pub struct Limited<R> {
    inner: R,
    read: u64,
    max: u64,
    budget: Arc<InflateBudget>,
    max_total: u64,
    name: String,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let total = self.budget.used.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if self.read > self.max || total > self.max_total {
            let msg = format!(
                "'{}' expands beyond the size limit ({} bytes per file, {} in all)",
                self.name, self.max, self.max_total
            );
            if let Ok(mut b) = self.budget.breach.lock() {
                b.get_or_insert_with(|| msg.clone());
            }
            return Err(io::Error::other(msg));
        }
        Ok(n)
    }
}

/// Runs `f` over the decompressed bytes of a ZIP entry.
pub fn with_zip_entry<T>(
    archive: &Path,
    index: usize,
    name: &str,
    limits: &IngestLimits,
    budget: &Arc<InflateBudget>,
    f: impl FnOnce(&mut dyn Read) -> Result<T>,
) -> Result<T> {
    let mut zip = ZipArchive::new(BufReader::new(File::open(archive)?))
        .map_err(|e| EngineError::UnreadableFile { file: name.into(), reason: format!("the archive is unreadable ({e})") })?;
    let entry = zip
        .by_index(index)
        .map_err(|e| EngineError::UnreadableFile { file: name.into(), reason: format!("the entry cannot be opened ({e})") })?;
    // Headers can lie about sizes; what is actually inflated is held to the same ratio.
    let ratio_cap = entry.compressed_size().saturating_mul(limits.max_ratio).saturating_add(1 << 20);
    let mut limited = Limited {
        inner: entry,
        read: 0,
        max: limits.max_entry_bytes.min(ratio_cap),
        budget: budget.clone(),
        max_total: limits.max_total_bytes,
        name: name.into(),
    };
    f(&mut limited)
}

/// Copies a ZIP entry to `dest` (workbooks and nested ZIPs need a seekable file).
pub fn copy_entry(archive: &Path, index: usize, dest: &Path, name: &str, limits: &IngestLimits, budget: &Arc<InflateBudget>) -> Result<()> {
    with_zip_entry(archive, index, name, limits, budget, |r| {
        let mut out = io::BufWriter::new(File::create(dest)?);
        io::copy(r, &mut out).map_err(|e| EngineError::UnreadableFile { file: name.into(), reason: e.to_string() })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of("a/B.XLSX"), Some(Format::Workbook(WorkbookKind::Xlsx)));
        assert_eq!(Format::of("x.ndjson"), Some(Format::Jsonl));
        assert_eq!(Format::of("notes.pdf"), None);
        assert_eq!(Format::of("README"), None);
    }
}
