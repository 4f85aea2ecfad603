//! When to call: a pacer shared by all of a run's calls (the backoff between attempts is
//! `crate::retry`'s) that spaces them to the requests- and tokens-per-minute limits and holds every
//! call back while the server has asked us (429 + Retry-After) to wait.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct Pacer {
    per_request: Duration,
    per_token: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    pub fn new(requests_per_minute: u32, tokens_per_minute: u32) -> Self {
        let minute = Duration::from_secs(60);
        Pacer {
            per_request: if requests_per_minute == 0 { Duration::ZERO } else { minute / requests_per_minute },
            per_token: if tokens_per_minute == 0 { Duration::ZERO } else { minute / tokens_per_minute },
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this call's slot; `tokens` is the call's estimated size.
    pub async fn acquire(&self, tokens: i64) {
        let cost = self.per_request.max(self.per_token.saturating_mul(tokens.clamp(0, u32::MAX as i64) as u32));
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            if cost.is_zero() && *next <= now {
                return;
            }
            let slot = (*next).max(now);
            *next = slot + cost;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Nobody calls before `wait` has passed (the server said so).
    pub async fn hold_for(&self, wait: Duration) {
        let mut next = self.next.lock().await;
        let until = Instant::now() + wait;
        if until > *next {
            *next = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_calls_to_the_request_limit() {
        let pacer = Pacer::new(600, 0); // one call per 100 ms
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire(10).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_holds_every_call_after_a_retry_after() {
        let pacer = Pacer::new(0, 0);
        let start = Instant::now();
        pacer.acquire(1).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.hold_for(Duration::from_secs(3)).await;
        pacer.acquire(1).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }
}
