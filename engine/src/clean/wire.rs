use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::CleanOptions;

/// How rows collapse into unique lines.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum DedupStrategy {
    /// Rows whose description text is exactly the same.
    Exact,
    /// Rows whose cleaned description is the same (the default).
    #[default]
    Cleaned,
    /// Rows equal on every one of these columns (for example supplier and account).
    KeyColumns { columns: Vec<String> },
}

/// What a user chooses to turn an upload's tables into a dataset.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NewDataset {
    pub upload_id: Uuid,
    /// The tables to keep; every table of the upload when empty.
    #[serde(default)]
    pub table_ids: Vec<Uuid>,
    /// One table (kept for older clients; `table_ids` wins).
    #[serde(default)]
    pub table_id: Option<Uuid>,
    /// The column(s) whose text is classified, joined with a space when several.
    #[serde(default)]
    pub description_columns: Vec<String>,
    /// A single description column (shorthand for `description_columns: [..]`).
    #[serde(default)]
    pub description_column: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub clean: CleanOptions,
    #[serde(default)]
    pub dedup: DedupStrategy,
}

impl NewDataset {
    pub fn descriptions(&self) -> Vec<String> {
        let mut cols = self.description_columns.clone();
        if let Some(c) = &self.description_column
            && !cols.contains(c)
        {
            cols.insert(0, c.clone());
        }
        cols
    }
}

/// Someone a dataset is shared with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetShare {
    pub user_id: Uuid,
    pub username: String,
    pub granted_at: chrono::DateTime<chrono::Utc>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub id: Uuid,
    pub upload_id: Uuid,
    pub name: String,
    /// The description columns joined with " + " (see `description_columns`).
    pub description_column: String,
    #[serde(default)]
    pub description_columns: Vec<String>,
    #[serde(default)]
    pub table_ids: Vec<Uuid>,
    pub rows: i64,
    pub unique_lines: i64,
    /// Unique lines standing for more than one row.
    #[serde(default)]
    pub duplicate_groups: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The owner's username (lists show whose each dataset is).
    #[serde(default)]
    pub owner: Option<String>,
}

/// A dataset with the choices it was built with and its de-duplication statistics.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDetail {
    #[serde(flatten)]
    pub summary: DatasetSummary,
    pub clean: CleanOptions,
    pub dedup: DedupStrategy,
    /// Rows that are not the first of their group (rows − unique lines).
    pub duplicate_rows: i64,
    /// The unique lines standing for the most rows.
    pub largest_groups: Vec<LineGroup>,
    /// Every column of the kept tables, in order, then the `clean_<name>` columns.
    pub columns: Vec<String>,
    /// Rows of the kept tables that could not be read (see the upload's rejected rows).
    #[serde(default)]
    pub rejected_rows: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineGroup {
    pub idx: i32,
    pub text: String,
    pub clean_text: String,
    pub rows: i32,
}

/// A page of a dataset's rows: original values, the cleaned description columns and the unique line
/// each row belongs to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRowsPage {
    /// Rows matching the search (all rows without one).
    pub total: i64,
    pub columns: Vec<String>,
    pub rows: Vec<DatasetRow>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRow {
    pub row_no: i64,
    pub file: String,
    pub line_no: i64,
    pub line_idx: i32,
    /// Rows sharing this row's unique line (1 = no duplicates).
    pub group_rows: i32,
    pub values: Vec<String>,
}

/// Paging, sorting and searching of a dataset's rows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RowsQuery {
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub limit: Option<i64>,
    /// A column name, `row_no`, or `group_rows`.
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub desc: bool,
    /// Case-insensitive text every shown row contains (in any column).
    #[serde(default)]
    pub q: Option<String>,
}
