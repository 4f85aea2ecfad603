//! When to call: exponential backoff with jitter between attempts of one chunk, and a pacer shared by
//! all of a run's calls that spaces them to the requests- and tokens-per-minute limits and holds every
//! call back while the server has asked us (429 + Retry-After) to wait.

use std::time::Duration;

use rand::Rng;
use tokio::sync::Mutex;
use tokio::time::Instant;

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait before retry number `retry` (1-based): base × 2^(retry-1), capped, with ±50 % jitter so
/// chunks that failed together do not retry together. A server's `Retry-After` is a floor.
pub fn backoff(base: Duration, retry: u32, retry_after: Option<Duration>) -> Duration {
    let exp = base.saturating_mul(1u32 << retry.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    let jitter = rand::rng().random_range(0.5..1.5);
    let wait = exp.mul_f64(jitter).min(MAX_BACKOFF);
    retry_after.map_or(wait, |floor| floor.max(wait))
}

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

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for _ in 0..100 {
            let first = backoff(base, 1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(150), "{first:?}");
            let third = backoff(base, 3, None);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(600), "{third:?}");
            assert!(backoff(base, 30, None) <= MAX_BACKOFF);
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let base = Duration::from_millis(10);
        for _ in 0..100 {
            let wait = backoff(base, 1, Some(Duration::from_secs(2)));
            assert!(wait >= Duration::from_secs(2), "{wait:?}");
            assert!(wait <= Duration::from_millis(2015), "{wait:?}");
        }
    }

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
