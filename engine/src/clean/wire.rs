use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::CleanOptions;

/// What a user chooses to turn an uploaded table into a dataset.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDataset {
    pub upload_id: Uuid,
    pub description_column: String,
    /// Which table of the upload; the first one when absent.
    #[serde(default)]
    pub table_id: Option<Uuid>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub clean: CleanOptions,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub id: Uuid,
    pub upload_id: Uuid,
    pub name: String,
    pub description_column: String,
    pub rows: i64,
    pub unique_lines: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
