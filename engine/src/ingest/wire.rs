use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ColumnType;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

/// One readable table of an upload (a file; a sheet, for workbooks).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub table_id: Uuid,
    pub name: String,
    pub format: String,
    /// Rows stored.
    pub rows: i64,
    /// Rows that could not be read, kept aside with their reason.
    pub rejected: i64,
    pub columns: Vec<ColumnInfo>,
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
    pub skipped: Vec<SkippedEntry>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub file: String,
    pub line_no: i64,
    pub raw: String,
    pub reason: String,
}
