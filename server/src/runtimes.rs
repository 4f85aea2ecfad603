//! Liveness of the process's runtimes. Each runtime (the main one serving REST, SSE and health; the
//! page-rendering threads; the job workers) runs a heartbeat task; `/healthz` reports any that has
//! stopped beating, and a watchdog thread ends the process when the main runtime itself is stuck,
//! because then nothing could answer `/healthz` and a supervisor must restart it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// How often a runtime proves it still schedules tasks.
const BEAT: Duration = Duration::from_millis(250);
/// A runtime whose last beat is older than this is reported stalled. Generous: a legitimate task
/// never holds a thread this long, a deadlocked one holds it forever.
pub const STALLED_AFTER: Duration = Duration::from_secs(10);

/// Milliseconds since the process started at each runtime's last beat, by name.
pub struct Heartbeats {
    started: Instant,
    beats: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
}

impl Default for Heartbeats {
    fn default() -> Self {
        Heartbeats { started: Instant::now(), beats: Mutex::default() }
    }
}

impl Heartbeats {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Registers `name` and returns the future that keeps it beating; spawn it on that runtime.
    pub fn beat(self: &Arc<Self>, name: &str) -> impl Future<Output = ()> + Send + 'static {
        let slot = Arc::new(AtomicU64::new(self.now_ms()));
        if let Ok(mut beats) = self.beats.lock() {
            beats.insert(name.to_string(), slot.clone());
        }
        let me = self.clone();
        async move {
            let mut tick = tokio::time::interval(BEAT);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                slot.store(me.now_ms(), Ordering::Relaxed);
            }
        }
    }

    /// Each runtime with the age of its last beat.
    pub fn ages(&self) -> Vec<(String, Duration)> {
        let now = self.now_ms();
        let Ok(beats) = self.beats.lock() else { return Vec::new() };
        beats
            .iter()
            .map(|(name, at)| (name.clone(), Duration::from_millis(now.saturating_sub(at.load(Ordering::Relaxed)))))
            .collect()
    }

    pub fn age_of(&self, name: &str) -> Option<Duration> {
        self.ages().into_iter().find(|(n, _)| n == name).map(|(_, age)| age)
    }
}

/// Starts a thread that ends the process when the runtime beating as `name` has been silent for
/// `limit`: requests, workers and `/healthz` would all be stuck with it, and only a restart helps.
pub fn start_watchdog(beats: Arc<Heartbeats>, name: &'static str, limit: Duration) {
    if limit.is_zero() {
        return;
    }
    let spawned = std::thread::Builder::new().name("dgs-watchdog".into()).spawn(move || {
        let started = Instant::now();
        loop {
            std::thread::sleep(Duration::from_secs(1));
            // Until the first beat is registered there is nothing to judge.
            let Some(age) = beats.age_of(name) else {
                if started.elapsed() > limit {
                    tracing::warn!(runtime = name, "watchdog: the runtime never registered a heartbeat");
                }
                continue;
            };
            if age > limit {
                tracing::error!(runtime = name, silent_secs = age.as_secs(), "watchdog: runtime stuck; exiting so a supervisor restarts the process");
                eprintln!("dgs watchdog: the {name} runtime made no progress for {} s; exiting", age.as_secs());
                std::process::exit(70);
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the watchdog thread");
    }
}

/// Runs `task` on a multi-threaded runtime of its own, on its own threads, beating as `name`.
/// The answer arrives on the receiver; the runtime ends with the task.
pub fn spawn_on_own_runtime<T: Send + 'static>(
    name: &'static str,
    threads: usize,
    beats: &Arc<Heartbeats>,
    task: impl Future<Output = T> + Send + 'static,
) -> std::io::Result<oneshot::Receiver<T>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name(format!("dgs-{name}"))
        .enable_all()
        .build()?;
    let beat = beats.beat(name);
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new().name(format!("dgs-{name}-main")).spawn(move || {
        runtime.spawn(beat);
        // Spawned, not polled by `block_on`: the task runs on the runtime's own worker threads.
        let handle = runtime.spawn(task);
        if let Ok(out) = runtime.block_on(handle) {
            let _ = tx.send(out);
        }
        // Whatever the task left running (a heartbeat, a straggling call) ends with its runtime.
        runtime.shutdown_timeout(Duration::from_secs(1));
    })?;
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_blocked_runtime_stops_beating_and_a_live_one_does_not() {
        let beats = Arc::new(Heartbeats::default());
        tokio::spawn(beats.beat("live"));
        // A runtime whose only thread is blocked, as a deadlocked render would leave it.
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let rx = spawn_on_own_runtime("stuck", 1, &beats, async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = blocked.recv();
        })
        .expect("runtime");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let live = beats.age_of("live").expect("live registered");
        let stuck = beats.age_of("stuck").expect("stuck registered");
        assert!(live < Duration::from_millis(600), "live runtime silent for {live:?}");
        assert!(stuck > Duration::from_millis(900), "blocked runtime still beating ({stuck:?})");
        release.send(()).expect("release");
        rx.await.expect("task finished");
    }
}
