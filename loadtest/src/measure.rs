//! Per-endpoint numbers from a goose run, the seed's thresholds and ours, and the README table.

use goose::metrics::GooseMetrics;

use crate::users;

/// Seed 004 §14.4.1: p95 < 500 ms and under 1 % failed, over the k6 script's requests.
pub const SEED_P95_MS: f64 = 500.0;
pub const SEED_ERROR_RATE: f64 = 0.01;
/// Ours, at 200 users: reads p95 < 50 ms, writes p95 < 150 ms, no errors.
pub const OUR_READ_P95_MS: f64 = 50.0;
pub const OUR_WRITE_P95_MS: f64 = 150.0;

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub requests: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Endpoint {
    pub fn is_seed(&self) -> bool {
        [users::LIST, users::GET_ROW, users::CREATE].contains(&self.name.as_str())
    }

    /// Our threshold for this endpoint (none for the 10 MB upload: it is bulk work).
    pub fn our_p95_ms(&self) -> Option<f64> {
        if self.name == users::UPLOAD {
            None
        } else if users::is_write(&self.name) {
            Some(OUR_WRITE_P95_MS)
        } else {
            Some(OUR_READ_P95_MS)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub endpoints: Vec<Endpoint>,
    pub seconds: f64,
    pub max_users: usize,
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

impl Summary {
    pub fn from_metrics(m: &GooseMetrics) -> Summary {
        let seconds = (m.duration as f64).max(1.0);
        let mut endpoints: Vec<Endpoint> = m
            .requests
            .iter()
            .map(|(key, agg)| {
                let d = &agg.raw_data;
                // goose keys a request by "METHOD name"; our names start with the method already.
                let name = key.split_once(' ').map(|(_, n)| n).unwrap_or(key).to_string();
                Endpoint {
                    name,
                    requests: agg.success_count + agg.fail_count,
                    errors: agg.fail_count,
                    per_second: (agg.success_count + agg.fail_count) as f64 / seconds,
                    p50_ms: ms(d.percentile_us(0.50)),
                    p95_ms: ms(d.percentile_us(0.95)),
                    p99_ms: ms(d.percentile_us(0.99)),
                    max_ms: ms(d.maximum_time_us),
                }
            })
            .collect();
        endpoints.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.name.cmp(&b.name)));
        Summary { endpoints, seconds, max_users: m.maximum_users }
    }

    pub fn requests(&self) -> usize {
        self.endpoints.iter().map(|e| e.requests).sum()
    }

    pub fn errors(&self) -> usize {
        self.endpoints.iter().map(|e| e.errors).sum()
    }

    pub fn error_rate(&self) -> f64 {
        self.errors() as f64 / self.requests().max(1) as f64
    }

    /// The slowest p95 among the seed's own requests.
    pub fn seed_p95_ms(&self) -> f64 {
        self.endpoints.iter().filter(|e| e.is_seed()).map(|e| e.p95_ms).fold(0.0, f64::max)
    }

    pub fn seed_thresholds_met(&self) -> bool {
        self.seed_p95_ms() < SEED_P95_MS && self.error_rate() < SEED_ERROR_RATE
    }

    pub fn ours_met(&self) -> bool {
        self.errors() == 0 && self.endpoints.iter().all(|e| e.our_p95_ms().is_none_or(|t| e.p95_ms < t))
    }

    /// The table, as Markdown (the README's and the terminal's).
    pub fn table(&self) -> String {
        let mut out = String::from("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | our p95 target |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for e in &self.endpoints {
            let target = match e.our_p95_ms() {
                Some(t) if e.p95_ms < t => format!("< {t:.0} ms: met"),
                Some(t) => format!("< {t:.0} ms: **missed**"),
                None => "bulk (none)".to_string(),
            };
            out.push_str(&format!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {} |\n",
                e.name.replace('|', "\\|"),
                e.requests,
                e.per_second,
                e.p50_ms,
                e.p95_ms,
                e.p99_ms,
                e.max_ms,
                e.errors,
                target
            ));
        }
        out
    }

    /// One line per threshold: the seed's and ours, met or not.
    pub fn verdict(&self) -> String {
        let yes = |b: bool| if b { "met" } else { "**missed**" };
        format!(
            "{} requests in {:.0} s at up to {} users, {} errors ({:.3} %).\n\n\
             - Seed 004 §14.4.1: p95 < 500 ms (slowest of its three requests: {:.1} ms) and < 1 % failed: {}.\n\
             - Ours: reads p95 < 50 ms, writes p95 < 150 ms, 0 errors: {}.\n",
            self.requests(),
            self.seconds,
            self.max_users,
            self.errors(),
            self.error_rate() * 100.0,
            self.seed_p95_ms(),
            yes(self.seed_thresholds_met()),
            yes(self.ours_met())
        )
    }
}
