//! Ingest benchmark: `cargo bench -p engine --bench ingest [-- ROWS]` (default 1,000,000).
//!
//! Makes a ZIP of ledger rows split over CSV (50%), JSONL (30%) and XLSX (20%), then ingests, cleans
//! and de-duplicates it into PostgreSQL through the same engine functions an upload uses. The
//! baseline, measured in the same run: the same rows as one plain CSV loaded with `psql \copy` into
//! an ordinary (logged) table. Prints rows/s, the ratio to the baseline and the peak memory (RSS
//! high-water mark, reset after the input files are generated). Needs `psql` and `DATABASE_URL`.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

mod common;

use anyhow::Context;
use engine::auth::{Password, Role, Username, create_user};
use engine::clean::{NewDataset, create_dataset};
use engine::ingest::{NewUpload, ingest_upload};
use uuid::Uuid;

const SUPPLIERS: [&str; 12] = [
    "IBERDROLA CLIENTES", "Telefonica de Espana", "AMAZON EU SARL", "Repsol Estacion", "Mercadona", "RENFE Viajeros",
    "Vodafone", "El Corte Ingles", "Endesa Energia", "Microsoft Ireland", "Cafe del Mar", "Taxi Madrid",
];
const CONCEPTS: [&str; 10] = [
    "factura luz", "cuota mensual", "compra material oficina", "combustible", "comida equipo", "billete AVE",
    "licencia software", "suministro agua", "reparacion", "dietas",
];

/// One deterministic ledger row: descriptions repeat (a few thousand distinct), as real ledgers do.
fn row(i: u64) -> [String; 6] {
    let s = SUPPLIERS[(i * 7 % 12) as usize];
    let c = CONCEPTS[(i * 13 % 10) as usize];
    let variant = i * 2_654_435_761 % 4_000;
    [
        format!("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
        format!("62{:04}", i % 97),
        s.to_string(),
        format!("{s} {c} ref {variant}"),
        format!("{}.{:02}", i * 37 % 5_000, i % 100),
        format!("F-{i:08}"),
    ]
}

const HEADER: [&str; 6] = ["fecha", "cuenta", "proveedor", "concepto", "importe", "referencia"];

fn generate(dir: &Path, rows: u64) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let csv_rows = rows / 2;
    let jsonl_rows = rows * 3 / 10;
    let plain = dir.join("plain.csv");
    let mut baseline = csv::Writer::from_writer(BufWriter::new(std::fs::File::create(&plain)?));
    baseline.write_record(HEADER)?;

    let zip_path = dir.join("ledger.zip");
    let mut zip = zip::ZipWriter::new(BufWriter::new(std::fs::File::create(&zip_path)?));
    let opts = zip::write::SimpleFileOptions::default().large_file(true);

    zip.start_file("ledger/part-1.csv", opts)?;
    {
        let mut w = csv::Writer::from_writer(&mut zip);
        w.write_record(HEADER)?;
        for i in 0..csv_rows {
            let r = row(i);
            w.write_record(&r)?;
            baseline.write_record(&r)?;
        }
        w.flush()?;
    }
    zip.start_file("ledger/part-2.jsonl", opts)?;
    for i in csv_rows..csv_rows + jsonl_rows {
        let r = row(i);
        let obj: serde_json::Map<String, serde_json::Value> =
            HEADER.iter().zip(&r).map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone()))).collect();
        serde_json::to_writer(&mut zip, &obj)?;
        zip.write_all(b"\n")?;
        baseline.write_record(&r)?;
    }
    // XLSX in constant-memory mode, then copied into the ZIP.
    let xlsx = dir.join("part-3.xlsx");
    {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        for (c, h) in HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *h)?;
        }
        for (n, i) in (csv_rows + jsonl_rows..rows).enumerate() {
            let r = row(i);
            for (c, v) in r.iter().enumerate() {
                sheet.write_string(n as u32 + 1, c as u16, v)?;
            }
            baseline.write_record(&r)?;
        }
        book.save(&xlsx)?;
    }
    zip.start_file("ledger/part-3.xlsx", opts)?;
    std::io::copy(&mut std::fs::File::open(&xlsx)?, &mut zip)?;
    zip.finish()?;
    baseline.flush()?;
    Ok((zip_path, plain))
}

/// Counts rows without storing them.
struct Count(u64);

impl engine::ingest::sink::TableSink for Count {
    fn begin(&mut self, _: engine::ingest::sink::TableStart) -> engine::error::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: i64, _: &[String], _: &[String]) -> engine::error::Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn reject(&mut self, _: i64, _: &str, _: &str) -> engine::error::Result<()> {
        Ok(())
    }
    fn warn(&mut self, _: String) {}
    fn end(&mut self) -> engine::error::Result<()> {
        Ok(())
    }
}

/// Rows read and seconds taken per entry, by the readers alone.
fn read_only(zip_path: &Path) -> anyhow::Result<(u64, Vec<(String, f64)>)> {
    use engine::ingest::archive::{Format, InflateBudget, Source, plan, with_zip_entry};
    let work = tempfile::tempdir()?;
    let limits = engine::ingest::IngestLimits::default();
    let budget = std::sync::Arc::new(InflateBudget::default());
    let p = plan(zip_path, "ledger.zip", &limits, work.path(), &budget)?;
    let mut sink = Count(0);
    let mut times = Vec::new();
    for e in p.entries {
        let Source::Zip { archive, index } = &e.source else { continue };
        let started = Instant::now();
        match e.format {
            Format::Workbook(kind) => {
                let tmp = work.path().join("book");
                engine::ingest::archive::copy_entry(archive, *index, &tmp, &e.name, &limits, &budget)?;
                engine::ingest::sheet_reader::read_workbook(&tmp, kind, &e.name, &mut sink)?;
            }
            Format::Jsonl => with_zip_entry(archive, *index, &e.name, &limits, &budget, |r| engine::ingest::json_reader::read_jsonl(r, &e.name, &mut sink))?,
            _ => with_zip_entry(archive, *index, &e.name, &limits, &budget, |r| engine::ingest::csv_reader::read_csv(r, &e.name, &mut sink))?,
        }
        times.push((e.name.clone(), started.elapsed().as_secs_f64()));
    }
    Ok((sink.0, times))
}

/// CPU seconds (user + system) used so far by this process, and by every PostgreSQL process on the
/// machine that is still running (a backend that has exited takes its time with it), to show
/// roughly where an ingest's time goes.
fn cpu_secs() -> (f64, f64) {
    let ticks = 100.0; // USER_HZ on Linux
    let of = |stat: &str| -> Option<(String, f64)> {
        let (_, rest) = stat.split_once(" (")?;
        let (comm, rest) = rest.rsplit_once(") ")?;
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some((comm.to_string(), (f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / ticks))
    };
    let me = std::fs::read_to_string("/proc/self/stat").ok().and_then(|s| of(&s)).map_or(0.0, |x| x.1);
    let pg = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|s| of(&s))
        .filter(|(comm, _)| comm.starts_with("postgres"))
        .map(|x| x.1)
        .sum();
    (me, pg)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One end-to-end run: the upload's ingest and its dataset, timed, with the CPU each side used.
struct Run {
    ingest: f64,
    total: f64,
    cpu_ingest: (f64, f64),
    cpu_clean: (f64, f64),
    upload: engine::ingest::UploadSummary,
    unique_lines: i64,
}

async fn end_to_end(pool: &sqlx::PgPool, user: &engine::auth::CurrentUser, zip_path: &Path, rows: u64) -> anyhow::Result<Run> {
    // INGEST_WRITERS / INGEST_TRANSFORMERS / INGEST_PARSERS try other stage widths.
    let width = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<usize>().ok());
    let defaults = engine::ingest::PipelineOptions::default();
    let opts = engine::ingest::PipelineOptions {
        writers: width("INGEST_WRITERS").unwrap_or(defaults.writers),
        transformers: width("INGEST_TRANSFORMERS").unwrap_or(defaults.transformers),
        parsers: width("INGEST_PARSERS").unwrap_or(defaults.parsers),
        ..defaults
    };
    let size = std::fs::metadata(zip_path)?.len() as i64;
    let started = Instant::now();
    let cpu0 = cpu_secs();
    let upload = ingest_upload(pool, user, NewUpload { id: Uuid::new_v4(), name: "ledger.zip", path: zip_path, size_bytes: size }, &Default::default(), &opts).await?;
    let ingest = started.elapsed().as_secs_f64();
    let cpu1 = cpu_secs();
    let req = NewDataset { upload_id: upload.id, description_column: Some("concepto".into()), ..Default::default() };
    let dataset = create_dataset(pool, user, &req).await?;
    let total = started.elapsed().as_secs_f64();
    let cpu2 = cpu_secs();
    anyhow::ensure!(upload.rows() as u64 == rows && dataset.rows as u64 == rows, "row counts do not reconcile");
    Ok(Run {
        ingest,
        total,
        cpu_ingest: (cpu1.0 - cpu0.0, cpu1.1 - cpu0.1),
        cpu_clean: (cpu2.0 - cpu1.0, cpu2.1 - cpu1.1),
        upload,
        unique_lines: dataset.unique_lines,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: u64 = std::env::args().skip(1).find_map(|a| a.replace('_', "").parse().ok()).unwrap_or(1_000_000);
    // This machine's timings wander by ±15% from run to run: both sides are measured BENCH_RUNS
    // times, interleaved, and their medians compared.
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let db = common::ScratchDb::create("dgs_bench", 8).await?;
    let (pool, url) = (db.pool.clone(), db.url.clone());

    let dir = tempfile::tempdir()?;
    eprintln!("generating {rows} rows …");
    let (zip_path, plain) = generate(dir.path(), rows)?;
    if let Ok(keep) = std::env::var("BENCH_KEEP_INPUT") {
        // For profiling a reader on its own.
        std::fs::copy(&zip_path, Path::new(&keep).join("ledger.zip"))?;
    }
    let zip_mb = std::fs::metadata(&zip_path)?.len() as f64 / 1e6;
    let plain_mb = std::fs::metadata(&plain)?.len() as f64 / 1e6;

    // Where the time goes: the readers alone, one thread, no database.
    let started = Instant::now();
    let (parse_only, reader_times) = read_only(&zip_path)?;
    let read_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(parse_only == rows, "the readers saw {parse_only} rows");

    // Forget the generation phase's memory: what counts is the ingest.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let name = Username::parse("bench")?;
    let user = create_user(&pool, &name, &Password::parse("benchmark password", &name)?, Role::Analyst).await?;
    let (mut baselines, mut done) = (Vec::new(), Vec::new());
    for i in 0..runs {
        // Baseline: psql \copy of the same rows into an ordinary logged table.
        let table = format!("bench_plain_{i}");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE {table} (fecha text, cuenta text, proveedor text, concepto text, importe text, referencia text)"
        )))
        .execute(&pool)
        .await?;
        let started = Instant::now();
        let status = std::process::Command::new("psql")
            .args([url.as_str(), "-qc", &format!("\\copy {table} FROM '{}' CSV HEADER", plain.display())])
            .status()
            .context("running psql")?;
        anyhow::ensure!(status.success(), "psql \\copy failed");
        baselines.push(started.elapsed().as_secs_f64());
        done.push(end_to_end(&pool, &user, &zip_path, rows).await?);
    }
    let peak = peak_rss_mb();
    let baseline = median(baselines.clone());
    let total = median(done.iter().map(|r| r.total).collect());
    let ingest = median(done.iter().map(|r| r.ingest).collect());
    let clean = median(done.iter().map(|r| r.total - r.ingest).collect());
    let last = done.last().context("no run")?;

    println!("ingest benchmark: {rows} rows, ZIP {zip_mb:.1} MB (plain CSV {plain_mb:.1} MB), median of {runs} runs");
    for f in &last.upload.files {
        println!("  {:<40} {:>9} rows  {:>5} rejected", f.name, f.rows, f.rejected);
    }
    let list = |v: Vec<f64>| v.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" ");
    println!("  baseline psql \\copy           {baseline:>7.2} s  {:>10.0} rows/s   runs: {}", rows as f64 / baseline, list(baselines));
    println!("  readers alone (1 thread)      {read_secs:>7.2} s  {:>10.0} rows/s", rows as f64 / read_secs);
    for (name, secs) in &reader_times {
        println!("    reader {name:<30} {secs:>7.2} s");
    }
    println!("  ingest (read+type+COPY)       {ingest:>7.2} s  {:>10.0} rows/s", rows as f64 / ingest);
    println!("    CPU (last run): dgs {:.2} s, PostgreSQL backends still open {:.2} s", last.cpu_ingest.0, last.cpu_ingest.1);
    println!("  clean + dedup                 {clean:>7.2} s  ({} unique lines)", last.unique_lines);
    println!("    CPU (last run): dgs {:.2} s, PostgreSQL backends still open {:.2} s", last.cpu_clean.0, last.cpu_clean.1);
    println!("  end to end                    {total:>7.2} s  {:>10.0} rows/s   runs: {}", rows as f64 / total, list(done.iter().map(|r| r.total).collect()));
    println!("  ratio to baseline             {:>7.2}×  (target ≤ 3×)", total / baseline);
    println!("  peak memory (RSS high-water)  {peak:>7.0} MB  (target < 300 MB)");
    drop(pool);
    db.drop().await?;

    // What a user of `make run` gets: the release server, the ZIP over HTTP.
    let bin = common::http::release_binary();
    if !bin.exists() {
        println!("  over HTTP: skipped, no {} (build it with `cargo leptos build --release`)", bin.display());
        return Ok(());
    }
    let served = common::http::Served::start(&bin).await?;
    let mut over_http = Vec::new();
    for _ in 0..runs {
        over_http.push(served.upload_and_build(&zip_path, rows)?);
    }
    let (raw, gz, wire) = served.wasm_size()?;
    served.stop().await?;
    let upload = median(over_http.iter().map(|r| r.0).collect());
    let build = median(over_http.iter().map(|r| r.1).collect());
    println!("  over HTTP ({})", bin.display());
    println!("    upload (send + ingest)      {upload:>7.2} s  {:>10.0} rows/s", rows as f64 / upload);
    println!("    dataset (clean + dedup)     {build:>7.2} s");
    println!("    end to end                  {:>7.2} s  ratio to baseline {:.2}×, to the in-process run {:.2}×",
        upload + build, (upload + build) / baseline, (upload + build) / total);
    println!("  served wasm                   {:>7.2} MB raw, {:.2} MB gzipped  (target < 1 MB gzipped); sent with gzip: {:.2} MB",
        raw as f64 / 1e6, gz as f64 / 1e6, wire as f64 / 1e6);
    Ok(())
}
