//! What the migration API exchanges (seed 004 §19.2–19.3): configurations with their field
//! mappings, batch jobs and their progress, single records, dry runs, rejected records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceType {
    /// Records sent in the request (`source_data`).
    Inline,
    /// A file of an upload (`source_file_id`: the upload's table id, or an upload with one table).
    File,
    /// A cleaned dataset: its original rows.
    Dataset,
    /// A classification run: the original rows plus `category`, `score`, `reason` and, with a
    /// review sample, `final_category` and `verdict`.
    Run,
}

impl SourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Inline => "INLINE",
            SourceType::File => "FILE",
            SourceType::Dataset => "DATASET",
            SourceType::Run => "RUN",
        }
    }
}

/// STRICT: any field that cannot be mapped rejects the record. LENIENT: the field is left out (a
/// warning is kept) and the record goes on, still held to the table's own rules.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidationLevel {
    #[default]
    Strict,
    Lenient,
}

/// CONTINUE: a rejected record is reported and the rest go on. STOP: the job stops at the first
/// rejected record; its batch is undone whole, batches before it stay (roll the job back to undo them).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorStrategy {
    #[default]
    Continue,
    Stop,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransformationType {
    #[default]
    None,
    ToString,
    ToNumber,
    ToBoolean,
    ToDate,
}

/// Where a mapped value goes: a promoted field (`code`, `display_value`, `is_active`,
/// `sort_order`, `parent_row_id`) or a column, or a key of `extended_properties`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StorageType {
    #[default]
    Column,
    Jsonb,
}

/// One source field into one target field. `transformation_parameters` (all optional), applied
/// in this order to a text value: `trim` (bool), `case` (`upper|lower|title`), `replace`
/// (`[{"pattern","replacement"}]`, regular expressions), `lookup` (`{"map":{from:to},"default"?}`);
/// then the type: `TO_NUMBER` with `decimal_separator` (`.` or `,`), `TO_DATE` with `format`
/// (strftime, e.g. `%d/%m/%Y`), `TO_BOOLEAN` (true/false, sí/no, yes/no, 1/0, x/empty), `default`
/// for a missing or empty value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldMapping {
    pub source_field: String,
    pub target_field: String,
    #[serde(default)]
    pub transformation_type: TransformationType,
    #[serde(default = "empty_object")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub transformation_parameters: Value,
    #[serde(default)]
    pub storage_type: StorageType,
    #[serde(default)]
    pub is_required: bool,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// `POST /migration/configurations` and `PUT …/{id}` (with the `version` read).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurationInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub source_type: SourceType,
    #[serde(default)]
    pub source_id: Option<Uuid>,
    #[serde(default)]
    pub sample_id: Option<Uuid>,
    pub target_logical_table_id: Uuid,
    #[serde(default)]
    pub validation_level: ValidationLevel,
    #[serde(default)]
    pub error_handling_strategy: ErrorStrategy,
    #[serde(default)]
    pub upsert_key: Vec<String>,
    pub mappings: Vec<FieldMapping>,
    /// Required on update: the version read (a stale one is 409 `migration_configuration_version_conflict`).
    #[serde(default)]
    pub version: Option<i32>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub source_type: SourceType,
    pub source_id: Option<Uuid>,
    pub sample_id: Option<Uuid>,
    pub target_logical_table_id: Uuid,
    pub target_table_name: String,
    pub validation_level: ValidationLevel,
    pub error_handling_strategy: ErrorStrategy,
    pub upsert_key: Vec<String>,
    pub mappings: Vec<FieldMapping>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /migration/batch` (seed §19.3.1). The source is `source_data`, or `source_file_id`, or
/// (extensions) `source_dataset_id` / `source_run_id`; none given: the configuration's own source.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartBatchMigrationRequest {
    pub configuration_id: Uuid,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub source_data: Option<Vec<Value>>,
    #[serde(default)]
    pub source_file_id: Option<String>,
    #[serde(default)]
    pub source_dataset_id: Option<Uuid>,
    #[serde(default)]
    pub source_run_id: Option<Uuid>,
    /// With `source_run_id`: a review sample whose verdicts give `final_category`.
    #[serde(default)]
    pub source_sample_id: Option<Uuid>,
    /// Records per transaction, 1 to 10,000 (default 1,000).
    #[serde(default)]
    pub batch_size: Option<i32>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartBatchMigrationResponse {
    pub job_id: Uuid,
    pub status: JobStatus,
    pub total_records: i32,
    #[serde(skip_serializing_if = "Option::is_none", rename = "estimated_time_seconds")]
    pub estimated_time: Option<i32>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Pending,
    Processing,
    Succeeded,
    PartiallySucceeded,
    Failed,
    RolledBack,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "PENDING",
            JobStatus::Processing => "PROCESSING",
            JobStatus::Succeeded => "SUCCEEDED",
            JobStatus::PartiallySucceeded => "PARTIALLY_SUCCEEDED",
            JobStatus::Failed => "FAILED",
            JobStatus::RolledBack => "ROLLED_BACK",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Pending,
            JobStatus::Processing,
            JobStatus::Succeeded,
            JobStatus::PartiallySucceeded,
            JobStatus::Failed,
            JobStatus::RolledBack,
        ]
        .into_iter()
        .find(|s2| s2.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, JobStatus::Pending | JobStatus::Processing)
    }
}

/// `GET /migration/batch/{job_id}` (seed §19.3.1), with the upsert counters:
/// `processed = inserted + updated + unchanged + errors`, `success = inserted + updated + unchanged`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationJobStatusResponse {
    pub job_id: Uuid,
    pub configuration_id: Uuid,
    pub configuration_name: String,
    pub target_table_name: String,
    pub source: String,
    pub status: JobStatus,
    /// 0 to 1.
    pub progress: f64,
    pub total_records: i32,
    pub processed_records: i32,
    pub success_records: i32,
    pub error_records: i32,
    pub inserted_records: i32,
    pub updated_records: i32,
    pub unchanged_records: i32,
    pub warning_records: i64,
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "estimated_time_left_seconds")]
    pub estimated_time_left: Option<i64>,
    #[serde(rename = "elapsed_time_seconds")]
    pub elapsed_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `POST /migration/record` (seed §19.3.2).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrateRecordRequest {
    pub configuration_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub record_data: Value,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrateRecordResponse {
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_row_id: Option<Uuid>,
    /// `inserted`, `updated` or `unchanged` when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<RecordAction>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<ValidationError>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordAction {
    Inserted,
    Updated,
    Unchanged,
}

/// Why a field or a record was refused. `error_type`: `MISSING_REQUIRED_FIELD`,
/// `TRANSFORMATION_ERROR`, `MISSING_UPSERT_KEY`, `NOT_APPLIED` (the rest of a stopped batch), or a
/// governed table's own code (`value_invalid`, `rule_violated`, `unique_violated`, `check_failed`…).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationError {
    pub field: String,
    pub error_type: String,
    pub message: String,
}

/// A rejected record (or, with `severity: warning`, a LENIENT field left out).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordError {
    /// The record's position in the source, from 1.
    pub record_number: i32,
    pub record_identifier: String,
    pub severity: String,
    pub field: Option<String>,
    pub error_type: String,
    pub error_message: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub record_data: Value,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordErrorPage {
    pub total: i64,
    pub errors: Vec<RecordError>,
}

/// `POST /migration/configurations/{id}/dry_run`: what the import would do, nothing written.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DryRunReport {
    pub total_records: i32,
    pub processed_records: i32,
    pub inserted_records: i32,
    pub updated_records: i32,
    pub unchanged_records: i32,
    pub error_records: i32,
    pub warning_records: i32,
    /// With STOP: the job would stop at the first rejected record.
    pub would_stop: bool,
    /// The first 1,000 rejections and warnings, in record order.
    pub errors: Vec<RecordError>,
}

/// `POST /migration/batch/{job_id}/rollback`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackReport {
    pub deleted_rows: i64,
    pub restored_rows: i64,
}

/// The source a screen names for a dry run or an import (the API's `source_*` fields, one at a time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceRef {
    /// The configuration's own source.
    Configured,
    File { id: Uuid },
    Dataset { id: Uuid },
    Run { id: Uuid, sample_id: Option<Uuid> },
}
