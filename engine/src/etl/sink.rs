//! The signed export (seed 002 §9): the funnel posted to `SINK_URL` as JSON, with `X-Signature`,
//! the lower-case hex HMAC-SHA256 of the exact body under `SINK_SECRET`, and the Standard Webhooks
//! headers (`webhook-id`, `webhook-timestamp`, `webhook-signature` over `id.timestamp.body`), so a
//! receiver can refuse a replay. While a secret is being rotated both are active: the Standard
//! Webhooks header carries a signature for each, and receivers accept either.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2_11::Sha256;

use super::error::EtlError;
use super::funnel;
use super::wire::{Dimension, ExportReport, FunnelQuery};
use crate::auth::{CurrentUser, Permission};
use crate::eav::Store;
use crate::error::Result;

#[derive(Clone)]
pub struct SinkConfig {
    pub url: String,
    /// The current secret first; the previous one while receivers move over.
    pub secrets: Vec<SecretString>,
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length: this cannot fail.
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `X-Signature`: lower-case hex HMAC-SHA256 of `body`.
pub fn x_signature(secret: &str, body: &[u8]) -> String {
    hex(&mac(secret.as_bytes(), &[body]))
}

/// `webhook-signature`: `v1,<base64>` for each secret, space separated.
pub fn webhook_signature(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    use base64::Engine;
    let ts = timestamp.to_string();
    secrets
        .iter()
        .map(|s| format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac(s.as_bytes(), &[id.as_bytes(), b".", ts.as_bytes(), b".", body]))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A receiver's check of `X-Signature` (constant time).
pub fn verify_x_signature(secret: &str, body: &[u8], signature: &str) -> bool {
    let Some(given) = (0..signature.len()).step_by(2).map(|i| signature.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect::<Option<Vec<u8>>>() else {
        return false;
    };
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(body);
    m.verify_slice(&given).is_ok()
}

/// A receiver's check of the Standard Webhooks headers: a signature made with `secret`, and a
/// timestamp within `tolerance` of `now` (an older message is a replay).
pub fn verify_webhook(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str, now: i64, tolerance: i64) -> bool {
    if (now - timestamp).abs() > tolerance {
        return false;
    }
    let expected = webhook_signature(&[secret], id, timestamp, body);
    header.split(' ').any(|sig| sig.as_bytes().len() == expected.len() && constant_eq(sig.as_bytes(), expected.as_bytes()))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `POST /etl/export`: the funnel by `dim` under `q` sent to the sink, retried on 5xx and timeouts.
pub async fn export(store: &Store, http: &reqwest::Client, sink: Option<&SinkConfig>, user: &CurrentUser, dim: Dimension, q: &FunnelQuery) -> Result<ExportReport> {
    user.require(Permission::EtlAdmin)?;
    let sink = sink.filter(|s| !s.url.is_empty() && !s.secrets.is_empty()).ok_or(EtlError::SinkNotConfigured)?;
    let page = funnel::metrics(store, user, dim, &FunnelQuery { limit: Some(1000), ..q.clone() }).await?;
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    let body = serde_json::to_vec(&serde_json::json!({
        "id": id,
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "dimension": dim,
        "filters": q,
        "rows": page.rows,
        "fallback_opportunities": page.fallback_opportunities,
        "unmatched_opportunities": page.unmatched_opportunities,
    }))
    .map_err(|e| crate::error::EngineError::internal(e.to_string()))?;
    let secrets: Vec<&str> = sink.secrets.iter().map(|s| s.expose_secret()).collect();
    let signature = x_signature(secrets[0], &body);
    let mut attempt = 0;
    loop {
        let ts = chrono::Utc::now().timestamp();
        let sent = http
            .post(&sink.url)
            .timeout(Duration::from_secs(30))
            .header("content-type", "application/json")
            .header("x-signature", &signature)
            .header("webhook-id", &id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", webhook_signature(&secrets, &id, ts, &body))
            .body(body.clone())
            .send()
            .await;
        let (retry, failure) = match sent {
            Ok(r) if r.status().is_success() => {
                return Ok(ExportReport { webhook_id: id, status: r.status().as_u16(), bytes: body.len(), rows: page.rows.len(), signature });
            }
            Ok(r) => {
                let status = r.status().as_u16();
                let text: String = r.text().await.unwrap_or_default().chars().take(200).collect();
                (status >= 500 || status == 429, EtlError::SinkFailed { status, message: text })
            }
            Err(e) => (true, EtlError::SinkFailed { status: 0, message: e.without_url().to_string() }),
        };
        attempt += 1;
        if !retry || attempt > 3 {
            return Err(failure.into());
        }
        tokio::time::sleep(crate::retry::backoff(Duration::from_millis(300), attempt, None)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_the_right_secret_only() {
        let body = br#"{"rows":[]}"#;
        let sig = x_signature("s3cret", body);
        assert_eq!(sig.len(), 64);
        assert!(sig.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(verify_x_signature("s3cret", body, &sig));
        assert!(!verify_x_signature("wrong", body, &sig));
        assert!(!verify_x_signature("s3cret", br#"{"rows":[1]}"#, &sig));
        let header = webhook_signature(&["new", "old"], "msg_1", 1_700_000_000, body);
        assert!(verify_webhook("old", "msg_1", 1_700_000_000, body, &header, 1_700_000_010, 300));
        assert!(verify_webhook("new", "msg_1", 1_700_000_000, body, &header, 1_700_000_010, 300));
        assert!(!verify_webhook("other", "msg_1", 1_700_000_000, body, &header, 1_700_000_010, 300));
        // A replay an hour later is refused even with a good signature.
        assert!(!verify_webhook("new", "msg_1", 1_700_000_000, body, &header, 1_700_003_600, 300));
    }
}
