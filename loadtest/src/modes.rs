//! The four ways to run the suite. Each starts its own `dgs` (the binary `DGS_BIN` names, so the
//! full run can use the optimised build) on a fresh database, prepares the fixture, then attacks.

use std::time::{Duration, Instant};

use end2end::TestServer;
use goose::config::GooseConfiguration;
use goose::prelude::*;

use crate::fixture::{self, Fixture};
use crate::measure::Summary;
use crate::users;

/// Seed 004 §14.4.1's stages: 2 min to 100 users, 5 min there, 2 min to 200, 5 min there, 2 min down.
pub const SEED_STAGES: [(usize, u64); 5] = [(100, 120), (100, 300), (200, 120), (200, 300), (0, 120)];

/// A server for the suite, with the fixture installed for the users.
pub async fn start() -> anyhow::Result<(TestServer, Fixture)> {
    // Every virtual user comes from 127.0.0.1: the per-address connection cap (meant for one
    // client) would refuse the 129th; the sign-in rate limit likewise.
    let server = TestServer::start(&[("MAX_CONNECTIONS_PER_ADDRESS", "0"), ("AUTH_RATE_PER_MINUTE", "10000")]).await?;
    let f = Fixture::prepare(&server).await?;
    fixture::install(f.clone());
    Ok((server, f))
}

/// One goose attack on `plan` ("users,duration;…"); the numbers of every request, ramps included
/// (goose does not reset its metrics under a test plan).
pub async fn attack(base: &str, plan: &str, with_upload: bool) -> anyhow::Result<Summary> {
    // The server listens on IPv4 loopback: "localhost" would try ::1 first on every new connection.
    let base = base.replace("//localhost:", "//127.0.0.1:");
    let mut a = *GooseAttack::initialize_with_config(GooseConfiguration::default())?
        .set_default(GooseDefault::Host, base.as_str())?
        .set_default(GooseDefault::TestPlan, plan)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::NoErrorSummary, true)?
        .set_default(GooseDefault::Quiet, 1)?
        // No remote control: attacks run one after another, and a second would find its port taken.
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoWebSocket, true)?;
    for s in users::scenarios(with_upload)? {
        a = a.register_scenario(s);
    }
    let metrics = a.execute().await?;
    Ok(Summary::from_metrics(&metrics))
}

fn plan(stages: &[(usize, u64)]) -> String {
    stages.iter().map(|(u, s)| format!("{u},{s}s")).collect::<Vec<_>>().join(";")
}

/// CI's mode (well under 60 s of load): 40 users with the seed's think times for 35 s.
pub async fn short() -> anyhow::Result<Summary> {
    let (server, _f) = start().await?;
    attack(&server.base, &plan(&[(40, 5), (40, 30), (0, 2)]), true).await
}

/// The seed's stages, each `scale` times as long (1 = the seed's 16 minutes).
pub async fn full(scale: f64) -> anyhow::Result<Summary> {
    let (server, _f) = start().await?;
    let stages: Vec<(usize, u64)> = SEED_STAGES.iter().map(|&(u, s)| (u, ((s as f64 * scale).round() as u64).max(1))).collect();
    attack(&server.base, &plan(&stages), true).await
}

/// One step of the stress ramp.
#[derive(Debug, Clone)]
pub struct Step {
    pub users: usize,
    pub per_second: f64,
    pub p95_ms: f64,
    pub errors: usize,
}

/// No think time, users doubled every 20 s, until the slowest endpoint's p95 passes 1 s (or 640 users).
pub async fn stress() -> anyhow::Result<(Vec<Step>, Option<Step>)> {
    let (server, mut f) = start().await?;
    f.think = 0.0;
    fixture::install(f);
    let mut steps = Vec::new();
    for users in [10, 20, 40, 80, 160, 320, 640] {
        let s = attack(&server.base, &plan(&[(users, 2), (users, 20), (0, 1)]), false).await?;
        let p95 = s.endpoints.iter().map(|e| e.p95_ms).fold(0.0, f64::max);
        let step = Step { users, per_second: s.requests() as f64 / s.seconds, p95_ms: p95, errors: s.errors() };
        println!("stress: {users:>4} users  {:>8.1} req/s  slowest p95 {:>8.1} ms  {} errors", step.per_second, step.p95_ms, step.errors);
        steps.push(step.clone());
        if p95 > 1000.0 {
            return Ok((steps, Some(step)));
        }
    }
    Ok((steps, None))
}

/// One soak sample: the server's memory and connections.
#[derive(Debug, Clone)]
pub struct Sample {
    pub minute: u64,
    pub rss_mb: f64,
    pub open_files: usize,
    pub tcp_established: usize,
    pub pg_connections: i64,
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
}

/// Established TCP connections whose local port is `port` (IPv4 and IPv6).
fn established(port: u16) -> usize {
    let want = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|t| t.lines().skip(1).map(str::to_string).collect::<Vec<_>>())
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[1].ends_with(&want) && cols[3] == "01"
        })
        .count()
}

async fn sample(server: &TestServer, pool: &sqlx::PgPool, minute: u64) -> Sample {
    let pid = server.pid().unwrap_or_default();
    let port = server.base.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_default();
    let db = server.database_url.rsplit('/').next().unwrap_or_default().to_string();
    let pg = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_stat_activity WHERE datname = $1").bind(db).fetch_one(pool).await.unwrap_or(-1);
    Sample {
        minute,
        rss_mb: rss_mb(pid),
        open_files: std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0),
        tcp_established: established(port),
        pg_connections: pg,
    }
}

/// 50 users with the seed's think times for `minutes`, a sample printed every minute.
pub async fn soak(minutes: u64) -> anyhow::Result<(Summary, Vec<Sample>)> {
    let (server, _f) = start().await?;
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&server.database_url).await?;
    let base = server.base.clone();
    let run = tokio::spawn(async move { attack(&base, &plan(&[(50, 10), (50, minutes * 60), (0, 1)]), false).await });
    let mut samples = vec![sample(&server, &pool, 0).await];
    let start = Instant::now();
    let mut minute = 0;
    while !run.is_finished() {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if start.elapsed() >= Duration::from_secs((minute + 1) * 60) {
            minute += 1;
            let s = sample(&server, &pool, minute).await;
            println!("soak: minute {:>3}  rss {:>7.1} MB  files {:>5}  tcp {:>4}  postgres {:>3}", s.minute, s.rss_mb, s.open_files, s.tcp_established, s.pg_connections);
            samples.push(s);
        }
    }
    let summary = run.await??;
    Ok((summary, samples))
}

/// Flat: after the first minute (warm-up), memory grew by less than 20 % (or 32 MB) and neither
/// file descriptors nor database connections kept climbing.
pub fn flat(samples: &[Sample]) -> bool {
    let Some(first) = samples.iter().find(|s| s.minute == 1) else { return true };
    let Some(last) = samples.last() else { return true };
    let peak_files = samples.iter().filter(|s| s.minute >= 1).map(|s| s.open_files).max().unwrap_or(0);
    last.rss_mb <= (first.rss_mb * 1.2).max(first.rss_mb + 32.0) && last.open_files <= peak_files && last.pg_connections <= first.pg_connections.max(1) * 2 + 4
}
