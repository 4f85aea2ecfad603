//! Seed 003's pipeline, one per process and shared by every request:
//! ingestion (`submit`, with backpressure) → a bounded queue → a pool of validators (at most 10 at
//! once: validation, transform) fanning out → a bounded queue → a pool of storers (at most 5, so at
//! most 5 database connections) fanning in, each writing up to 1000 records per statement and
//! folding them into their batch's aggregate per user and per event. Bounded queues keep memory
//! flat whatever is sent. Figures are sampled every second for the page and for Prometheus.
//!
//! Shutdown stops taking records, lets the workers drain the queues, and by its deadline counts
//! whatever could not be stored as rejected (with that reason): stored + duplicates + rejected =
//! accepted, always, and every task it started has ended.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Notify, RwLock};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::aggregate::Aggregates;
use super::validate::{EventRecord, validate};
use super::wire::{BatchReport, EventRejection, PipelineStats};
use crate::etl::EtlError;
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub validators: usize,
    pub storers: usize,
    pub queue: usize,
    pub store_batch: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig { validators: 10, storers: 5, queue: 8192, store_batch: 2000 }
    }
}

/// One request's records as they go through.
pub struct Batch {
    pub id: Uuid,
    started: Instant,
    accepted: AtomicU64,
    stored: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    done: Notify,
    aggregates: std::sync::Mutex<Aggregates>,
    rejections: std::sync::Mutex<Vec<EventRejection>>,
}

impl Batch {
    fn settled(&self) -> u64 {
        self.stored.load(Relaxed) + self.duplicates.load(Relaxed) + self.rejected.load(Relaxed)
    }

    fn reject(&self, position: u64, reason: String) {
        self.rejected.fetch_add(1, Relaxed);
        if let Ok(mut r) = self.rejections.lock()
            && r.len() < 100
        {
            r.push(EventRejection { position, reason });
        }
        self.done.notify_waiters();
    }
}

struct Item {
    batch: Arc<Batch>,
    position: u64,
    raw: Bytes,
    accepted_at: Instant,
}

pub(super) enum ToStore {
    Valid { batch: Arc<Batch>, position: u64, raw: Bytes, record: EventRecord, accepted_at: Instant },
    Rejected { batch: Arc<Batch>, position: u64, reason: String, raw: Bytes },
}

impl ToStore {
    /// The same record, refused for `reason` (a refused one keeps its first reason).
    pub(super) fn refused(self, reason: &str) -> ToStore {
        match self {
            ToStore::Valid { batch, position, raw, .. } => ToStore::Rejected { batch, position, reason: reason.to_string(), raw },
            other => other,
        }
    }
}

#[derive(Default)]
pub(super) struct Counters {
    accepted: AtomicU64,
    stored: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    latency_us: AtomicU64,
    latency_n: AtomicU64,
    validators_busy: AtomicU64,
    storers_busy: AtomicU64,
    max_validators: AtomicU64,
    max_storers: AtomicU64,
    submitting: AtomicUsize,
}

fn busy(now: &AtomicU64, max: &AtomicU64) -> u64 {
    let n = now.fetch_add(1, Relaxed) + 1;
    max.fetch_max(n, Relaxed);
    n
}

pub struct Pipeline {
    cfg: PipelineConfig,
    input: flume::Sender<Item>,
    input_rx: flume::Receiver<Item>,
    store_rx: flume::Receiver<ToStore>,
    counters: Arc<Counters>,
    accepting: AtomicBool,
    closing: CancellationToken,
    give_up: CancellationToken,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
    stats: Arc<RwLock<PipelineStats>>,
    pool: sqlx::PgPool,
}

impl Pipeline {
    pub fn start(pool: sqlx::PgPool, cfg: PipelineConfig) -> Arc<Pipeline> {
        let (input, input_rx) = flume::bounded::<Item>(cfg.queue);
        let (store_tx, store_rx) = flume::bounded::<ToStore>(cfg.queue);
        let counters = Arc::new(Counters::default());
        let closing = CancellationToken::new();
        let give_up = CancellationToken::new();
        let mut tasks = Vec::new();
        for _ in 0..cfg.validators.max(1) {
            tasks.push(tokio::spawn(validator(input_rx.clone(), store_tx.clone(), counters.clone(), closing.clone())));
        }
        drop(store_tx);
        for _ in 0..cfg.storers.max(1) {
            tasks.push(tokio::spawn(super::store::storer(pool.clone(), store_rx.clone(), counters.clone(), give_up.clone(), cfg.store_batch)));
        }
        let stats = Arc::new(RwLock::new(PipelineStats { validators: cfg.validators as u64, storers: cfg.storers as u64, accepting: true, ..Default::default() }));
        tasks.push(tokio::spawn(sampler(counters.clone(), stats.clone(), closing.clone(), cfg.clone())));
        Arc::new(Pipeline { cfg, input, input_rx, store_rx, counters, accepting: AtomicBool::new(true), closing, give_up, tasks: std::sync::Mutex::new(tasks), stats, pool })
    }

    pub fn batch(&self) -> Arc<Batch> {
        Arc::new(Batch {
            id: Uuid::now_v7(),
            started: Instant::now(),
            accepted: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            done: Notify::new(),
            aggregates: Default::default(),
            rejections: Default::default(),
        })
    }

    /// Hands one record (its position in the body, from 1) to the pipeline; waits while the
    /// queue is full. Refused once shutdown has begun (nothing of the record was taken).
    pub async fn submit(&self, batch: &Arc<Batch>, position: u64, raw: Bytes) -> Result<()> {
        self.counters.submitting.fetch_add(1, Relaxed);
        let outcome = if self.accepting.load(Relaxed) {
            batch.accepted.fetch_add(1, Relaxed);
            self.counters.accepted.fetch_add(1, Relaxed);
            let item = Item { batch: batch.clone(), position, raw, accepted_at: Instant::now() };
            // The pipeline holds a receiver itself, so this send cannot find the queue closed.
            let _ = self.input.send_async(item).await;
            Ok(())
        } else {
            Err(EtlError::EventsUnavailable.into())
        };
        self.counters.submitting.fetch_sub(1, Relaxed);
        outcome
    }

    /// Records a body position that could not even be split out (a broken line) as rejected.
    pub fn reject_unreadable(&self, batch: &Arc<Batch>, position: u64, reason: String) {
        batch.accepted.fetch_add(1, Relaxed);
        self.counters.accepted.fetch_add(1, Relaxed);
        self.counters.rejected.fetch_add(1, Relaxed);
        batch.reject(position, reason);
    }

    /// Waits until every record of `batch` is stored or rejected; its report.
    pub async fn finish(&self, batch: &Arc<Batch>) -> BatchReport {
        loop {
            let notified = batch.done.notified();
            if batch.settled() >= batch.accepted.load(Relaxed) {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
        let (users, users_total, events) = batch.aggregates.lock().map(|a| a.report()).unwrap_or_default();
        BatchReport {
            batch_id: batch.id,
            accepted: batch.accepted.load(Relaxed),
            stored: batch.stored.load(Relaxed),
            duplicates: batch.duplicates.load(Relaxed),
            rejected: batch.rejected.load(Relaxed),
            rejections: batch.rejections.lock().map(|r| r.clone()).unwrap_or_default(),
            users,
            users_total,
            events,
            duration_ms: batch.started.elapsed().as_millis() as u64,
        }
    }

    /// Counts as they are now; rate and latency as sampled in the last second.
    pub async fn stats(&self) -> PipelineStats {
        let mut s = self.stats.read().await.clone();
        let c = &self.counters;
        s.accepted = c.accepted.load(Relaxed);
        s.stored = c.stored.load(Relaxed);
        s.duplicates = c.duplicates.load(Relaxed);
        s.rejected = c.rejected.load(Relaxed);
        s.in_flight = s.accepted.saturating_sub(s.stored + s.duplicates + s.rejected);
        s.validators_busy = c.validators_busy.load(Relaxed);
        s.storers_busy = c.storers_busy.load(Relaxed);
        s.max_validators_seen = c.max_validators.load(Relaxed);
        s.max_storers_seen = c.max_storers.load(Relaxed);
        s.accepting = self.accepting.load(Relaxed);
        s
    }

    pub fn tasks_alive(&self) -> usize {
        self.tasks.lock().map(|t| t.iter().filter(|h| !h.is_finished()).count()).unwrap_or(0)
    }

    /// Stops taking records, drains, and by `deadline` counts what is left as rejected. Returns
    /// how many were rejected because of the shutdown.
    pub async fn shutdown(&self, deadline: Duration) -> u64 {
        let until = tokio::time::Instant::now() + deadline;
        self.accepting.store(false, Relaxed);
        // Submissions under way finish queueing before the validators are told to stop.
        while self.counters.submitting.load(Relaxed) > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.closing.cancel();
        let handles: Vec<JoinHandle<()>> = self.tasks.lock().map(|mut t| t.drain(..).collect()).unwrap_or_default();
        let margin = deadline / 5;
        let storers_done = async {
            for h in handles.iter().filter(|h| !h.is_finished()) {
                while !h.is_finished() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        if tokio::time::timeout_at(until - margin, storers_done).await.is_err() {
            // Out of time: workers finish the statement they are in and stop taking more.
            self.give_up.cancel();
        }
        let reason = "the server shut down before this record was stored";
        let mut left: Vec<ToStore> = Vec::new();
        while let Ok(item) = self.input_rx.try_recv() {
            left.push(ToStore::Rejected { batch: item.batch, position: item.position, reason: reason.to_string(), raw: item.raw });
        }
        while let Ok(item) = self.store_rx.try_recv() {
            left.push(item.refused(reason));
        }
        let lost = left.len() as u64;
        // Kept with their reason like any refusal, if the database still answers in time.
        if !left.is_empty() {
            let write = super::store::write(&self.pool, &left);
            if !matches!(tokio::time::timeout_at(until.max(tokio::time::Instant::now() + Duration::from_millis(200)), write).await, Ok(Ok(_))) {
                tracing::warn!(records = lost, "records refused at shutdown could not be written down; they are counted");
            }
        }
        settle(&self.counters, left, &std::collections::HashSet::new());
        for h in handles {
            let _ = tokio::time::timeout_at(until.max(tokio::time::Instant::now() + Duration::from_millis(100)), h).await;
        }
        lost
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.cfg
    }
}

async fn validator(input: flume::Receiver<Item>, out: flume::Sender<ToStore>, counters: Arc<Counters>, closing: CancellationToken) {
    loop {
        let item = tokio::select! {
            biased;
            got = input.recv_async() => match got { Ok(i) => i, Err(_) => return },
            _ = closing.cancelled() => match input.try_recv() { Ok(i) => i, Err(_) => return },
        };
        busy(&counters.validators_busy, &counters.max_validators);
        let next = match validate(&item.raw) {
            Ok(record) => ToStore::Valid { batch: item.batch, position: item.position, raw: item.raw, record, accepted_at: item.accepted_at },
            Err(reason) => ToStore::Rejected { batch: item.batch, position: item.position, reason, raw: item.raw },
        };
        counters.validators_busy.fetch_sub(1, Relaxed);
        if out.send_async(next).await.is_err() {
            return;
        }
    }
}

/// After a storer wrote a chunk: counts, latencies and aggregates, per batch.
pub(super) fn settle(counters: &Counters, items: Vec<ToStore>, stored_ids: &std::collections::HashSet<i64>) {
    let now = Instant::now();
    let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let mut per_batch: HashMap<Uuid, (Arc<Batch>, Vec<EventRecord>)> = HashMap::new();
    for it in items {
        match it {
            ToStore::Valid { batch, record, accepted_at, .. } => {
                counters.latency_us.fetch_add(now.duration_since(accepted_at).as_micros() as u64, Relaxed);
                counters.latency_n.fetch_add(1, Relaxed);
                if stored_ids.contains(&record.id) && seen.insert(record.id) {
                    counters.stored.fetch_add(1, Relaxed);
                    batch.stored.fetch_add(1, Relaxed);
                    per_batch.entry(batch.id).or_insert_with(|| (batch.clone(), Vec::new())).1.push(record);
                } else {
                    counters.duplicates.fetch_add(1, Relaxed);
                    batch.duplicates.fetch_add(1, Relaxed);
                    per_batch.entry(batch.id).or_insert_with(|| (batch.clone(), Vec::new()));
                }
            }
            ToStore::Rejected { batch, position, reason, .. } => {
                counters.rejected.fetch_add(1, Relaxed);
                batch.reject(position, reason);
            }
        }
    }
    for (_, (batch, records)) in per_batch {
        if let Ok(mut a) = batch.aggregates.lock() {
            for r in &records {
                a.add(r);
            }
        }
        batch.done.notify_waiters();
    }
}

async fn sampler(counters: Arc<Counters>, stats: Arc<RwLock<PipelineStats>>, closing: CancellationToken, cfg: PipelineConfig) {
    let mut last = (Instant::now(), 0u64, 0u64, 0u64);
    loop {
        tokio::select! {
            _ = closing.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let settled = counters.stored.load(Relaxed) + counters.duplicates.load(Relaxed) + counters.rejected.load(Relaxed);
        let (lat, n) = (counters.latency_us.load(Relaxed), counters.latency_n.load(Relaxed));
        let dt = last.0.elapsed().as_secs_f64().max(1e-3);
        let rate = (settled - last.1) as f64 / dt;
        let mut s = stats.write().await;
        let avg = if n > last.3 { (lat - last.2) as f64 / (n - last.3) as f64 / 1000.0 } else { s.avg_latency_ms };
        let accepted = counters.accepted.load(Relaxed);
        *s = PipelineStats {
            accepted,
            stored: counters.stored.load(Relaxed),
            duplicates: counters.duplicates.load(Relaxed),
            rejected: counters.rejected.load(Relaxed),
            records_per_sec: rate,
            avg_latency_ms: avg,
            in_flight: accepted.saturating_sub(settled),
            validators_busy: counters.validators_busy.load(Relaxed),
            storers_busy: counters.storers_busy.load(Relaxed),
            max_validators_seen: counters.max_validators.load(Relaxed),
            max_storers_seen: counters.max_storers.load(Relaxed),
            validators: cfg.validators as u64,
            storers: cfg.storers as u64,
            accepting: true,
        };
        metrics::gauge!("dgs_events_records_per_second").set(rate);
        metrics::gauge!("dgs_events_latency_ms").set(avg);
        metrics::gauge!("dgs_events_in_flight").set(s.in_flight as f64);
        metrics::gauge!("dgs_events_stored").set(s.stored as f64);
        metrics::gauge!("dgs_events_rejected").set(s.rejected as f64);
        metrics::gauge!("dgs_events_tasks_busy").set((s.validators_busy + s.storers_busy) as f64);
        last = (Instant::now(), settled, lat, n);
    }
}

pub(super) fn storer_busy(c: &Counters) {
    busy(&c.storers_busy, &c.max_storers);
}

pub(super) fn storer_idle(c: &Counters) {
    c.storers_busy.fetch_sub(1, Relaxed);
}
