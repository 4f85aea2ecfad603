//! Providers answer one chunk: the compiled prompt and the lines in, the model's raw results and
//! token usage out, or a typed failure that says whether trying again can help. Retrying, pacing
//! and merging live in `classify::runs`, the same for every provider.

mod offline;
mod openai;

use std::time::Duration;

use futures::future::BoxFuture;

pub use offline::OfflineProvider;
pub use openai::{OpenAiConfig, OpenAiProvider};

use super::prompts::Category;
use super::protocol::{LineIn, ResultIn};

/// One call's worth of work.
#[derive(Debug, Clone)]
pub struct ChunkRequest {
    pub model: String,
    pub temperature: f32,
    pub timeout: Duration,
    /// The compiled prompt (system message).
    pub system: String,
    /// The few-shot examples chosen for these lines (a second system message), if any.
    pub examples: Option<String>,
    /// The lines as the user message carries them.
    pub lines: Vec<LineIn>,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Default)]
pub struct ChunkAnswer {
    pub results: Vec<ResultIn>,
    pub tokens_in: i64,
    pub tokens_out: i64,
}

/// Why a call failed, and so whether and when to try again.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No answer within the timeout, or the connection broke.
    Timeout(String),
    /// 429: the server asked us to slow down, possibly saying for how long.
    RateLimited { retry_after: Option<Duration>, message: String },
    /// 5xx.
    Server { status: u16, message: String },
    /// An answer that is not the JSON asked for. Tokens were still spent.
    Malformed { message: String, tokens_in: i64, tokens_out: i64 },
    /// Any other refusal (bad key, unknown model, request too large): retrying cannot help.
    Refused { status: Option<u16>, message: String },
}

impl CallError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, CallError::Refused { .. })
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Timeout(m) => write!(f, "no answer in time: {m}"),
            CallError::RateLimited { retry_after: Some(d), message } => {
                write!(f, "rate limited (retry after {:.1} s): {message}", d.as_secs_f64())
            }
            CallError::RateLimited { retry_after: None, message } => write!(f, "rate limited: {message}"),
            CallError::Server { status, message } => write!(f, "server error {status}: {message}"),
            CallError::Malformed { message, .. } => write!(f, "malformed answer: {message}"),
            CallError::Refused { status: Some(s), message } => write!(f, "refused ({s}): {message}"),
            CallError::Refused { status: None, message } => write!(f, "refused: {message}"),
        }
    }
}

/// Classifies one chunk. Implementations make exactly one attempt; the caller retries.
pub trait Provider: Send + Sync {
    fn classify<'a>(&'a self, request: &'a ChunkRequest) -> BoxFuture<'a, Result<ChunkAnswer, CallError>>;
}

/// Rough token count (4 characters a token) for plans and pacing; usage from the server wins.
pub fn estimate_tokens(text: &str) -> i64 {
    (text.chars().count() as i64 + 3) / 4
}
