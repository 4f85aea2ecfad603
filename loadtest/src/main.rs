//! `dgs-load`: the load suite from the command line.
//!
//!     cargo run -p loadtest --release -- short | full [--scale F] | stress | soak [--minutes N] [--readme README.md]
//!
//! The server is the binary `DGS_BIN` names (the optimised one for numbers worth keeping).
//! `--readme` rewrites the suite's table in the README between its markers.

use anyhow::{Context, bail};
use loadtest::modes;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// The machine and build the numbers come from.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu.lines().find_map(|l| l.strip_prefix("model name")).and_then(|l| l.split(':').nth(1)).unwrap_or("unknown CPU").trim().to_string();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let gib = mem.lines().find_map(|l| l.strip_prefix("MemTotal:")).and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0 / 1024.0;
    let build = if std::env::var("DGS_BIN").unwrap_or_default().contains("/release/") { "release" } else { "debug" };
    format!("{model}, {cores} cores, {gib:.0} GiB; dgs {build} build, PostgreSQL and Redis on the same machine")
}

/// Replaces the text between `<!-- {key}:begin -->` and `<!-- {key}:end -->` in `path`.
fn rewrite(path: &str, key: &str, body: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
    let (begin, end) = (format!("<!-- {key}:begin -->"), format!("<!-- {key}:end -->"));
    let (Some(a), Some(b)) = (text.find(&begin), text.find(&end)) else { bail!("{path} has no {begin} … {end}") };
    let out = format!("{}{begin}\n{body}{}", &text[..a], &text[b..]);
    std::fs::write(path, out)?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("short");
    let readme = arg(&args, "--readme");
    let stamp = format!("Ran {} on {}.\n\n", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"), machine());
    match mode {
        "short" | "full" => {
            let s = if mode == "short" {
                modes::short().await?
            } else {
                let scale: f64 = arg(&args, "--scale").map(|s| s.parse()).transpose()?.unwrap_or(1.0);
                modes::full(scale).await?
            };
            let body = format!("{stamp}{}\n{}", s.table(), s.verdict());
            println!("{body}");
            if let Some(path) = readme {
                rewrite(&path, &format!("load:{mode}"), &body)?;
            }
            if mode == "short" && s.errors() > 0 {
                bail!("{} of {} requests failed", s.errors(), s.requests());
            }
        }
        "stress" => {
            let (steps, broke) = modes::stress().await?;
            let mut body = format!("{stamp}| users (no think time) | req/s | slowest p95 ms | errors |\n|---:|---:|---:|---:|\n");
            for s in &steps {
                body.push_str(&format!("| {} | {:.1} | {:.1} | {} |\n", s.users, s.per_second, s.p95_ms, s.errors));
            }
            body.push_str(&match broke {
                Some(s) => format!("\np95 passed 1 s at {} users, {:.0} requests/s.\n", s.users, s.per_second),
                None => "\np95 stayed under 1 s up to 640 users.\n".to_string(),
            });
            println!("{body}");
            if let Some(path) = readme {
                rewrite(&path, "load:stress", &body)?;
            }
        }
        "soak" => {
            let minutes: u64 = arg(&args, "--minutes").map(|s| s.parse()).transpose()?.unwrap_or(10);
            let (s, samples) = modes::soak(minutes).await?;
            let mut body = format!("{stamp}| minute | dgs RSS MB | open files | TCP connections | PostgreSQL connections |\n|---:|---:|---:|---:|---:|\n");
            for x in &samples {
                body.push_str(&format!("| {} | {:.1} | {} | {} | {} |\n", x.minute, x.rss_mb, x.open_files, x.tcp_established, x.pg_connections));
            }
            body.push_str(&format!("\n{}\nFlat after warm-up: {}.\n", s.verdict(), if modes::flat(&samples) { "yes" } else { "**no**" }));
            println!("{body}");
            if let Some(path) = readme {
                rewrite(&path, "load:soak", &body)?;
            }
        }
        other => bail!("unknown mode {other}: short, full [--scale F], stress or soak [--minutes N]; add --readme README.md to record the table"),
    }
    Ok(())
}
