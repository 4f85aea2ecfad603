use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ColumnType, TypeEvidence};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    /// The type in use: the user's choice when they overrode it, else the detected one.
    #[serde(rename = "type")]
    pub kind: ColumnType,
    /// What the values say.
    #[serde(default = "text_type")]
    pub detected: ColumnType,
    #[serde(default)]
    pub evidence: TypeEvidence,
}

fn text_type() -> ColumnType {
    ColumnType::Text
}

/// The text column that looks most like a description of each row: many different values, and
/// long ones (a merchant or a concept, not a cost centre or a code). The first column when no column
/// is text.
pub fn description_guess(columns: &[ColumnInfo]) -> Option<String> {
    let score = |c: &ColumnInfo| {
        let texts = c.evidence.count(ColumnType::Text).max(1) as f64;
        let average = c.evidence.text_chars as f64 / texts;
        // Older uploads have no counts: the longest example decides.
        let longest = c.evidence.examples.iter().map(|e| e.value.chars().count()).max().unwrap_or(0) as f64;
        let distinct = if c.evidence.distinct > 0 { c.evidence.distinct as f64 } else { 1.0 };
        distinct * if average > 0.0 { average } else { longest }
    };
    columns
        .iter()
        .filter(|c| c.kind == ColumnType::Text)
        .max_by(|a, b| score(a).total_cmp(&score(b)))
        .or(columns.first())
        .map(|c| c.name.clone())
}

/// One readable table of an upload: a CSV/JSON file, a workbook's sheet, or an array in a JSON file.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub table_id: Uuid,
    /// `file` or `file › sheet`.
    pub name: String,
    /// The path of the file (inside the ZIP, when there is one).
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub sheet: Option<String>,
    pub format: String,
    /// Rows read = rows stored + rows rejected.
    #[serde(default)]
    pub rows_read: i64,
    /// Rows stored.
    pub rows: i64,
    /// Rows that could not be read, kept aside with their reason.
    pub rejected: i64,
    pub columns: Vec<ColumnInfo>,
    /// What the reader detected (encoding, delimiter, header row, sheet visibility).
    #[serde(default)]
    pub details: Vec<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedEntry {
    pub name: String,
    pub reason: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadSummary {
    pub id: Uuid,
    pub name: String,
    pub size_bytes: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub files: Vec<FileSummary>,
    /// Entries not read: folders' system files, unsupported formats, encrypted entries.
    pub skipped: Vec<SkippedEntry>,
    /// Files that were meant to be read but are corrupt; the rest of the upload is kept.
    #[serde(default)]
    pub failed: Vec<SkippedEntry>,
}

impl UploadSummary {
    /// Every coded message (detection chips, warnings, why an entry was skipped or failed) as text
    /// in `lang`: what the REST API answers.
    pub fn localised(mut self, lang: crate::Lang) -> Self {
        let text = |s: &mut String| *s = super::notes::note_text(s, lang);
        for f in &mut self.files {
            f.details.iter_mut().for_each(text);
            f.warnings.iter_mut().for_each(text);
        }
        self.skipped.iter_mut().chain(self.failed.iter_mut()).for_each(|e| text(&mut e.reason));
        self
    }

    pub fn rows(&self) -> i64 {
        self.files.iter().map(|f| f.rows).sum()
    }
    pub fn rejected(&self) -> i64 {
        self.files.iter().map(|f| f.rejected).sum()
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub file: String,
    #[serde(default)]
    pub sheet: Option<String>,
    pub line_no: i64,
    pub raw: String,
    pub reason: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedPage {
    pub total: i64,
    pub rows: Vec<RejectedRow>,
}

/// The first rows of a table, for the wizard's preview.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TablePreview {
    pub table_id: Uuid,
    pub columns: Vec<String>,
    pub rows: Vec<PreviewRow>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line_no: i64,
    pub values: Vec<String>,
}

/// A user's correction of a detected column type.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnTypeOverride {
    pub column: String,
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

/// An upload in the list of recent ones: what it holds and how many datasets were built from it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadListItem {
    pub id: Uuid,
    pub name: String,
    pub size_bytes: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub tables: i64,
    pub rows: i64,
    pub rejected: i64,
    pub datasets: i64,
    /// The owner's username.
    #[serde(default)]
    pub owner: Option<String>,
}
