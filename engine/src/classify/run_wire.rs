//! What the API and the run page exchange about runs: the settings a run may override, the settings
//! it ran with, its plan, and its live progress with every counter.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use chrono::{DateTime, Utc};

use super::RunStatus;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenAI-compatible server at `OPENAI_BASE_URL`.
    Openai,
    /// The built-in classifier: no key, no cost.
    #[default]
    Offline,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "openai" => Some(ProviderKind::Openai),
            "offline" => Some(ProviderKind::Offline),
            _ => None,
        }
    }
}

/// Per-run changes to the configured defaults; every field is optional.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunOverrides {
    #[serde(default)]
    pub provider: Option<ProviderKind>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub chunk_size: Option<i32>,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub max_retries: Option<u32>,
    #[serde(default)]
    pub timeout_secs: Option<f64>,
    /// Price per 1,000 input tokens, for the cost estimate.
    #[serde(default)]
    pub price_in_per_1k: Option<f64>,
    /// Price per 1,000 output tokens, for the cost estimate.
    #[serde(default)]
    pub price_out_per_1k: Option<f64>,
    /// Pace calls to at most this many requests per minute (0 = no limit).
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Pace calls to at most this many estimated tokens per minute (0 = no limit).
    #[serde(default)]
    pub tokens_per_minute: Option<u32>,
    /// Reuse results for lines this prompt version and model classified before (default true).
    #[serde(default)]
    pub use_cache: Option<bool>,
    /// Examples nearest to a chunk's lines sent with it (0 = none).
    #[serde(default)]
    pub few_shot: Option<u32>,
    /// The most estimated tokens a chunk's examples may add.
    #[serde(default)]
    pub few_shot_tokens: Option<u32>,
}

/// The settings a run executes with, stored on the run.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub provider: ProviderKind,
    pub model: String,
    pub chunk_size: i32,
    pub concurrency: u32,
    pub temperature: f32,
    pub max_retries: u32,
    pub timeout_secs: f64,
    pub price_in_per_1k: f64,
    pub price_out_per_1k: f64,
    pub requests_per_minute: u32,
    pub tokens_per_minute: u32,
    pub use_cache: bool,
    /// First backoff step; doubles with every retry (jittered, capped at 30 s).
    #[serde(default = "default_retry_base_ms")]
    pub retry_base_ms: u64,
    /// Examples nearest to a chunk's lines sent with it (0 = none).
    #[serde(default = "default_few_shot")]
    pub few_shot: u32,
    /// The most estimated tokens a chunk's examples may add.
    #[serde(default = "default_few_shot_tokens")]
    pub few_shot_tokens: u32,
}

fn default_retry_base_ms() -> u64 {
    500
}

fn default_few_shot() -> u32 {
    8
}

fn default_few_shot_tokens() -> u32 {
    600
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            provider: ProviderKind::Offline,
            model: "gpt-4o-mini".into(),
            chunk_size: 50,
            concurrency: 4,
            temperature: 0.0,
            max_retries: 3,
            timeout_secs: 30.0,
            price_in_per_1k: 0.00015,
            price_out_per_1k: 0.0006,
            requests_per_minute: 0,
            tokens_per_minute: 0,
            use_cache: true,
            retry_base_ms: default_retry_base_ms(),
            few_shot: default_few_shot(),
            few_shot_tokens: default_few_shot_tokens(),
        }
    }
}

impl RunSettings {
    /// The defaults with a run's overrides applied, or the first value out of range.
    pub fn with_overrides(&self, o: &RunOverrides) -> crate::error::Result<RunSettings> {
        let mut s = self.clone();
        if let Some(p) = o.provider {
            s.provider = p;
        }
        if let Some(m) = &o.model {
            s.model = m.trim().to_string();
        }
        macro_rules! set {
            ($field:ident) => {
                if let Some(v) = o.$field {
                    s.$field = v;
                }
            };
        }
        set!(chunk_size);
        set!(concurrency);
        set!(temperature);
        set!(max_retries);
        set!(timeout_secs);
        set!(price_in_per_1k);
        set!(price_out_per_1k);
        set!(requests_per_minute);
        set!(tokens_per_minute);
        set!(use_cache);
        set!(few_shot);
        set!(few_shot_tokens);
        s.validate()?;
        Ok(s)
    }

    /// Each setting within its range; a value outside names its field and the range (which the
    /// screen says in the reader's language).
    pub fn validate(&self) -> crate::error::Result<()> {
        use crate::error::{EngineError, Field};
        let range = |field: Field, ok: bool, min: f64, max: f64| if ok { Ok(()) } else { Err(EngineError::OutOfRange { field, min, max }) };
        range(Field::ModelName, !self.model.is_empty() && self.model.len() <= 200, 1.0, 200.0)?;
        range(Field::ChunkSize, (1..=1000).contains(&self.chunk_size), 1.0, 1000.0)?;
        range(Field::Concurrency, (1..=256).contains(&self.concurrency), 1.0, 256.0)?;
        range(Field::Temperature, (0.0..=2.0).contains(&self.temperature), 0.0, 2.0)?;
        range(Field::MaxRetries, self.max_retries <= 20, 0.0, 20.0)?;
        range(Field::TimeoutSecs, self.timeout_secs > 0.0 && self.timeout_secs <= 600.0, 0.0, 600.0)?;
        let price_ok = |p: f64| p.is_finite() && (0.0..=1000.0).contains(&p);
        range(Field::Price, price_ok(self.price_in_per_1k) && price_ok(self.price_out_per_1k), 0.0, 1000.0)?;
        range(Field::FewShot, self.few_shot <= 50, 0.0, 50.0)?;
        range(Field::FewShotTokens, self.few_shot_tokens <= 20_000, 0.0, 20_000.0)?;
        Ok(())
    }

    /// The model a run records and the cache is keyed by: the offline classifier is one model.
    pub fn model_key(&self) -> String {
        match self.provider {
            ProviderKind::Offline => "offline".to_string(),
            ProviderKind::Openai => self.model.clone(),
        }
    }

    /// Whether the run reads and writes the result cache. The offline classifier is not cached: it
    /// learns from verdicts, so its earlier answers go stale, and it costs nothing to ask again.
    pub fn caches(&self) -> bool {
        self.use_cache && self.provider == ProviderKind::Openai
    }

    /// Estimated cost of this many tokens at the run's prices.
    pub fn cost(&self, tokens_in: i64, tokens_out: i64) -> f64 {
        tokens_in as f64 / 1000.0 * self.price_in_per_1k + tokens_out as f64 / 1000.0 * self.price_out_per_1k
    }
}

/// A chunk that exhausted its retries (or was refused), with the last error.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkFailure {
    pub chunk_no: i32,
    pub lines: i32,
    pub attempts: i32,
    pub error: String,
}

/// A run's state as the API returns it and the run page streams it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunProgress {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub status: RunStatus,
    pub provider: ProviderKind,
    pub model: String,
    pub settings: RunSettings,
    /// Unique lines to classify.
    pub total: i64,
    /// Unique lines with a stored result (including cached, repaired and `Indeterminado` ones).
    pub done: i64,
    /// Unique lines whose chunk failed and can be retried.
    pub failed: i64,
    /// Lines answered from the result cache, at no cost.
    pub cached: i64,
    /// Results matched to their line by description because their row_index was wrong.
    pub repaired: i64,
    /// Lines the model gave no usable result for (`Indeterminado`).
    pub missing: i64,
    /// Extra, duplicated or unknown results thrown away.
    pub discarded: i64,
    /// Failed attempts that were tried again.
    pub retries: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    /// Estimated cost so far at the run's prices.
    pub cost: f64,
    pub chunks_total: i64,
    pub chunks_done: i64,
    /// Calls in flight now (only known to the worker; 0 when read from the database).
    #[serde(default)]
    pub in_flight: i64,
    /// Lines per second since the run started (cache hits excluded).
    pub lines_per_second: Option<f64>,
    /// Seconds left at the current pace.
    pub eta_secs: Option<f64>,
    pub failures: Vec<ChunkFailure>,
    /// Lines the model dropped that were asked again in a follow-up call, and how many it answered.
    #[serde(default)]
    pub reasked: i64,
    #[serde(default)]
    pub reask_answered: i64,
    /// Calls made halving chunks that kept failing on malformed answers, the lines those halves
    /// answered, and the lines that failed alone (`Indeterminado`).
    #[serde(default)]
    pub split_calls: i64,
    #[serde(default)]
    pub split_answered: i64,
    #[serde(default)]
    pub isolated: i64,
    /// Lines of failed chunks answered by the automatic retry pass at the end of the run.
    #[serde(default)]
    pub retry_pass_rescued: i64,
    /// The prompt's example set the run used, and its size.
    #[serde(default)]
    pub examples_version: Option<i32>,
    #[serde(default)]
    pub examples_count: i32,
    pub error: Option<String>,
    pub prompt_name: String,
    pub prompt_version: i32,
    pub prompt_version_id: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a run would do before it spends anything: the exact first call, the number of calls, and
/// the estimated tokens and cost.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    pub settings: RunSettings,
    pub prompt_version_id: Uuid,
    /// Unique lines in the dataset.
    pub lines: i64,
    /// Original rows those lines stand for (the calls dedup saves).
    pub rows: i64,
    /// Lines the cache already answers.
    pub cached: i64,
    pub calls: i64,
    /// The system and user messages of the first call, exactly as they will be sent.
    pub first_call: Vec<PlanMessage>,
    pub est_tokens_in: i64,
    pub est_tokens_out: i64,
    pub est_cost: f64,
    /// ceil(calls / concurrency) rounds of calls.
    pub rounds: i64,
    /// The prompt's example set a run started now would use, and its size.
    #[serde(default)]
    pub examples_version: i32,
    #[serde(default)]
    pub examples_count: i64,
    /// The examples the first call carries (LLM runs with few-shot on), also in `first_call`.
    #[serde(default)]
    pub first_examples: Vec<super::examples::ExampleShown>,
    /// Estimated tokens the examples add to a call (the first call's), included in `est_tokens_in`.
    #[serde(default)]
    pub example_tokens_per_call: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanMessage {
    pub role: String,
    pub content: String,
}

/// A run request: the dataset, optionally a prompt (or one exact version), and overrides.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRun {
    pub dataset_id: Uuid,
    /// The prompt to use (its latest version); the default prompt when absent.
    #[serde(default)]
    pub prompt_id: Option<Uuid>,
    /// One exact prompt version; wins over `prompt_id`.
    #[serde(default)]
    pub prompt_version_id: Option<Uuid>,
    #[serde(flatten)]
    pub overrides: RunOverrides,
}

/// What the classify screen starts from: the server's settings and whether a model server is set up.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDefaults {
    pub settings: RunSettings,
    pub openai_available: bool,
}

/// A run in a list: what it classified with, how far it got, and how many samples were drawn.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunListItem {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_name: String,
    pub status: RunStatus,
    pub provider: ProviderKind,
    pub model: String,
    pub prompt_name: String,
    pub prompt_version: i32,
    pub prompt_version_id: Uuid,
    /// Unique lines to classify.
    pub total: i64,
    /// Unique lines with a stored result.
    pub done: i64,
    /// Unique lines whose chunk failed.
    pub failed: i64,
    pub samples: i64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}
