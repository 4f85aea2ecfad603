//! What the review screens and the REST API exchange: samples, items with verdicts, metrics.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How to draw a sample from a finished run; every field but `run_id` is optional.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSample {
    pub run_id: Uuid,
    /// Confidence level for the size (default 0.95).
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Margin of error for the size (default 0.05).
    #[serde(default)]
    pub margin: Option<f64>,
    /// A fixed size instead of one from confidence and margin.
    #[serde(default)]
    pub size: Option<i64>,
    /// The same seed draws the same sample again (default: random).
    #[serde(default)]
    pub seed: Option<i64>,
    /// Lines per predicted category at least, so rare categories are seen (default 5).
    #[serde(default)]
    pub min_per_category: Option<i64>,
    /// Draw half of each category's share from its lowest-scoring third.
    #[serde(default)]
    pub oversample_low: Option<bool>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumInfo {
    pub category: String,
    pub population: i64,
    pub allocated: i64,
}

/// One review in the list of every sample a user can see: where it came from and how far it is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleListItem {
    pub id: Uuid,
    pub run_id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_name: String,
    pub prompt_name: String,
    pub prompt_version: i32,
    pub size: i64,
    /// Items with a verdict other than skipped.
    pub reviewed: i64,
    /// Of those, the ones the model got right.
    pub correct: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl SampleListItem {
    /// Share of the reviewed items the model got right, once any is reviewed.
    pub fn accuracy(&self) -> Option<f64> {
        (self.reviewed > 0).then(|| self.correct as f64 / self.reviewed as f64)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    pub id: Uuid,
    pub run_id: Uuid,
    pub dataset_id: Uuid,
    pub population: i64,
    pub size: i64,
    pub confidence: f64,
    pub margin: f64,
    pub seed: i64,
    pub min_per_category: i64,
    pub oversample_low: bool,
    pub strata: Vec<StratumInfo>,
    pub reviewed: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Correct,
    Incorrect,
    Skipped,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Correct => "correct",
            Verdict::Incorrect => "incorrect",
            Verdict::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "correct" => Some(Verdict::Correct),
            "incorrect" => Some(Verdict::Incorrect),
            "skipped" => Some(Verdict::Skipped),
            _ => None,
        }
    }
}

/// A verdict as given: `correct`, `incorrect` with the right category, or `skipped`; with a note.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictInput {
    pub verdict: Verdict,
    #[serde(default)]
    pub corrected_category: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleItem {
    pub id: Uuid,
    pub position: i32,
    pub line_idx: i32,
    pub line: String,
    /// Original rows this line stands for.
    pub rows: i32,
    pub category: String,
    pub score: f64,
    pub reason: String,
    pub verdict: Option<Verdict>,
    pub corrected_category: Option<String>,
    pub note: Option<String>,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The original columns of the first row this line stands for, in column order (filled by the
    /// item list; a verdict's answer leaves it empty).
    #[serde(default)]
    pub original: Vec<(String, String)>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryMetrics {
    pub category: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusedPair {
    pub truth: String,
    pub predicted: String,
    pub count: i64,
}

/// Accuracy on the reviewed items with its Wilson interval, per-category scores, the confusion
/// matrix (rows: truth, columns: prediction, both in `labels` order) and the estimate for the
/// whole run, weighted by the strata.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleMetrics {
    pub sample_id: Uuid,
    pub run_id: Uuid,
    pub reviewed: i64,
    pub skipped: i64,
    pub correct: i64,
    pub accuracy: Option<f64>,
    /// The interval at the sample's own confidence level.
    pub accuracy_ci: Option<[f64; 2]>,
    /// The sample's confidence level (0.95 for 95 %), which both intervals use.
    #[serde(default)]
    pub confidence: f64,
    pub per_category: Vec<CategoryMetrics>,
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<i64>>,
    pub most_confused: Vec<ConfusedPair>,
    pub population_estimate: Option<f64>,
    pub population_ci: Option<[f64; 2]>,
}

/// One prompt version scored on a sample: the sampled run is iteration 1.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Iteration {
    pub number: i32,
    pub run_id: Uuid,
    pub prompt_version_id: Uuid,
    pub prompt_name: String,
    pub prompt_version: i32,
    pub status: crate::classify::RunStatus,
    /// The classifier of this iteration: a comparison means something only when it is the same.
    pub provider: crate::classify::ProviderKind,
    pub model: String,
    pub accuracy: Option<f64>,
    pub accuracy_ci: Option<[f64; 2]>,
    pub reviewed: i64,
}

/// Re-run a sample's items with another prompt version (and optional run settings).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRerun {
    pub prompt_version_id: Uuid,
    #[serde(flatten)]
    pub overrides: crate::classify::RunOverrides,
}

/// Where a prompt version is run from a sample: on the sample's items (an iteration) or on the
/// whole dataset (applying the version once the sample says it is better).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Sample,
    Dataset,
}

/// The plan of running a version from a sample, on the sample or on the whole dataset.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationPlanRequest {
    pub scope: Scope,
    #[serde(flatten)]
    pub rerun: SampleRerun,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedLine {
    pub item_id: Uuid,
    pub line: String,
    pub truth: String,
    pub before: String,
    pub after: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryDelta {
    pub category: String,
    pub f1_before: f64,
    pub f1_after: f64,
    pub support: i64,
}

/// Two iterations on the same items, side by side.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub before: SampleMetrics,
    pub after: SampleMetrics,
    pub per_category: Vec<CategoryDelta>,
    /// Wrong before, right after.
    pub fixed: Vec<ChangedLine>,
    /// Right before, wrong after.
    pub broken: Vec<ChangedLine>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectedLine {
    pub line: String,
    pub predicted: String,
    pub note: Option<String>,
}

/// Lines people corrected to one category.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectionGroup {
    pub category: String,
    pub lines: Vec<CorrectedLine>,
}

/// Everything the review screen starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewBundle {
    pub sample: SampleSummary,
    pub items: Vec<SampleItem>,
    /// The categories a verdict may name: those of the sampled run's prompt version.
    pub categories: Vec<String>,
    pub prompt_id: Uuid,
    /// (version id, version number) of the sampled prompt, newest first.
    pub versions: Vec<(Uuid, i32)>,
    pub prompt_name: String,
    /// The reviewer may save versions of the sampled prompt (else they may duplicate it).
    pub prompt_editable: bool,
    /// The sampled prompt is everyone's default: saving a version asks first.
    pub prompt_is_default: bool,
}
