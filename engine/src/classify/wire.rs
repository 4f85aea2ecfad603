use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            _ => return None,
        })
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled)
    }
}

/// One result per original row: results fan back out through the dedup mapping.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub row_no: i64,
    pub line: String,
    pub category: String,
    pub score: f64,
    pub reason: String,
    /// The unique line the row is an occurrence of.
    #[serde(default)]
    pub line_idx: i32,
    /// How many few-shot examples the call that classified it carried.
    #[serde(default)]
    pub examples_shown: i32,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsPage {
    pub total_rows: i64,
    pub rows: Vec<ResultRow>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub category: String,
    pub lines: i64,
}

/// A prompt in a list: its latest version and whether it is the default or shared.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptSummary {
    pub id: Uuid,
    pub name: String,
    pub label: String,
    pub is_default: bool,
    pub is_shared: bool,
    /// The owner's username; none for the built-in prompt.
    pub owner: Option<String>,
    pub latest_version: i32,
    pub latest_version_id: Uuid,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// One immutable version of a prompt, with what the model reads.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptVersionDetail {
    pub id: Uuid,
    pub prompt_id: Uuid,
    pub version: i32,
    pub template: String,
    pub categories: Vec<super::Category>,
    pub compiled: String,
    pub created_by: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A new prompt, or the content of a prompt's next version (`name`, `label` and `shared` are then
/// optional changes).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PromptDraft {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    pub template: String,
    pub categories: Vec<super::Category>,
    #[serde(default)]
    pub shared: Option<bool>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffLineKind {
    Same,
    Added,
    Removed,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffLineKind,
    pub text: String,
}

/// Two versions of one prompt compared: the compiled text line by line, and the categories.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptDiff {
    pub from_version: i32,
    pub to_version: i32,
    pub template_changed: bool,
    pub lines: Vec<DiffLine>,
    pub added_categories: Vec<String>,
    pub removed_categories: Vec<String>,
    /// Same name, different description, keywords or priority.
    pub changed_categories: Vec<String>,
}
