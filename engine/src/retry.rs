//! Retrying calls to outside services (the LLM API, Ads and CRM sources): exponential backoff with
//! jitter so callers that failed together do not retry together, and a server's `Retry-After`.

use std::time::Duration;

use rand::Rng;

pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait before retry number `retry` (1-based): base × 2^(retry-1), capped, with ±50 % jitter so
/// chunks that failed together do not retry together. A server's `Retry-After` is a floor.
pub fn backoff(base: Duration, retry: u32, retry_after: Option<Duration>) -> Duration {
    let exp = base.saturating_mul(1u32 << retry.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    let jitter = rand::rng().random_range(0.5..1.5);
    let wait = exp.mul_f64(jitter).min(MAX_BACKOFF);
    retry_after.map_or(wait, |floor| floor.max(wait))
}

/// A `Retry-After` header: seconds or an HTTP date, at most an hour.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO).min(Duration::from_secs(3600)))
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

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
