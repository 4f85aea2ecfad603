//! Workbooks in the older formats (.xls, .xlsb, .ods) are parsed whole by calamine, which allocates
//! rows × columns of the extent their cells claim; a crafted or broken file can ask for tens of GB.
//! They are read in a child process whose address space is capped, which streams what it reads back
//! as JSON lines: such a file then fails alone, with a clear reason, instead of taking the server down.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::sheet_reader::{WorkbookKind, read_workbook};
use super::sink::{TableSink, TableStart};
use crate::error::{EngineError, Result};

/// The first argument that makes a program (the `dgs` binary) act as the child.
pub const CHILD_COMMAND: &str = "read-workbook";

/// How to start the child: a program, the arguments before the kind and path, and its memory cap.
#[derive(Debug, Clone)]
pub struct WorkbookSandbox {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub memory_limit_bytes: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Event {
    Begin { sheet: Option<String>, details: Vec<String>, columns: Vec<String> },
    Columns(Vec<String>),
    Row(i64, Vec<String>),
    Reject(i64, String, String),
    Warn(String),
    End,
    Failed(String),
}

fn kind_name(kind: WorkbookKind) -> &'static str {
    match kind {
        WorkbookKind::Xlsx => "xlsx",
        WorkbookKind::Xls => "xls",
        WorkbookKind::Xlsb => "xlsb",
        WorkbookKind::Ods => "ods",
    }
}

/// Reads the workbook at `path` in a child process and replays what it finds into `sink`.
pub fn read_workbook_isolated(
    sandbox: &WorkbookSandbox,
    path: &Path,
    kind: WorkbookKind,
    name: &str,
    sink: &mut dyn TableSink,
) -> Result<()> {
    let unreadable = |reason: String| EngineError::UnreadableFile { file: name.to_string(), reason };
    let limit = sandbox.memory_limit_bytes;
    let mut cmd = Command::new(&sandbox.program);
    cmd.args(&sandbox.args).arg(kind_name(kind)).arg(path).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    // SAFETY: between fork and exec the closure only calls setrlimit, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            let cap = libc::rlimit { rlim_cur: limit as libc::rlim_t, rlim_max: limit as libc::rlim_t };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| EngineError::internal(format!("cannot start the workbook reader: {e}")))?;
    let stdout = child.stdout.take().ok_or_else(|| EngineError::internal("the workbook reader has no output"))?;
    let mut columns: Vec<String> = Vec::new();
    let mut failure: Option<String> = None;
    let replay = || -> Result<()> {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            let event: Event = serde_json::from_str(&line).map_err(|e| EngineError::internal(format!("workbook reader: {e}")))?;
            match event {
                Event::Begin { sheet, details, columns: c } => {
                    columns = c.clone();
                    sink.begin(TableStart { sheet, details, columns: c })?;
                }
                Event::Columns(c) => columns = c,
                Event::Row(line_no, values) => sink.row(line_no, &columns, &values)?,
                Event::Reject(line_no, raw, reason) => sink.reject(line_no, &raw, &reason)?,
                Event::Warn(w) => sink.warn(w),
                Event::End => sink.end()?,
                Event::Failed(reason) => failure = Some(reason),
            }
        }
        Ok(())
    };
    let replayed = replay();
    if replayed.is_err() {
        let _ = child.kill(); // the sink refused (cancelled): stop the child too
    }
    let status = child.wait()?;
    replayed?;
    if let Some(reason) = failure {
        return Err(unreadable(reason));
    }
    if !status.success() {
        let why = match status.signal() {
            Some(_) => format!(
                "the workbook claims a size that would need more than {} MB of memory to read; it is corrupt or crafted",
                limit >> 20
            ),
            None => format!("the workbook reader stopped ({status})"),
        };
        return Err(unreadable(why));
    }
    Ok(())
}

/// The child's side: `<program> read-workbook <kind> <path>` prints one JSON event per line.
pub fn child_main(args: &[String]) -> i32 {
    let (Some(kind), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: {CHILD_COMMAND} xls|xlsb|ods|xlsx <path>");
        return 2;
    };
    let kind = match kind.as_str() {
        "xls" => WorkbookKind::Xls,
        "xlsb" => WorkbookKind::Xlsb,
        "ods" => WorkbookKind::Ods,
        "xlsx" => WorkbookKind::Xlsx,
        other => {
            eprintln!("unknown workbook kind {other}");
            return 2;
        }
    };
    let stdout = std::io::stdout();
    let mut sink = EventWriter { out: std::io::BufWriter::new(stdout.lock()), columns: 0 };
    let result = read_workbook(Path::new(path), kind, "workbook", &mut sink);
    if let Err(e) = result {
        let reason = match e {
            EngineError::UnreadableFile { reason, .. } => reason,
            other => other.to_string(),
        };
        let _ = sink.emit(&Event::Failed(reason));
    }
    if sink.out.flush().is_err() { 1 } else { 0 }
}

struct EventWriter<W: Write> {
    out: W,
    columns: usize,
}

impl<W: Write> EventWriter<W> {
    fn emit(&mut self, e: &Event) -> Result<()> {
        serde_json::to_writer(&mut self.out, e).map_err(EngineError::internal)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }
}

impl<W: Write> TableSink for EventWriter<W> {
    fn begin(&mut self, t: TableStart) -> Result<()> {
        self.columns = t.columns.len();
        self.emit(&Event::Begin { sheet: t.sheet, details: t.details, columns: t.columns })
    }
    fn row(&mut self, line_no: i64, columns: &[String], values: &[String]) -> Result<()> {
        if columns.len() != self.columns {
            self.columns = columns.len();
            self.emit(&Event::Columns(columns.to_vec()))?;
        }
        self.emit(&Event::Row(line_no, values.to_vec()))
    }
    fn reject(&mut self, line_no: i64, raw: &str, reason: &str) -> Result<()> {
        self.emit(&Event::Reject(line_no, raw.into(), reason.into()))
    }
    fn warn(&mut self, message: String) {
        let _ = self.emit(&Event::Warn(message));
    }
    fn end(&mut self) -> Result<()> {
        self.emit(&Event::End)
    }
}
