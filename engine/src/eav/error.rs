//! Why a governed table refused a change. Each case has its code and the details a client acts on
//! (which column, which rule, the current row of a version conflict, the rows that break a rule).

use serde_json::{Value, json};

use super::wire::{RowData, RuleType, ViolatingRow};
use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("{column}: {message}")]
    ValueInvalid { column: String, message: String },
    #[error("{column} is mandatory")]
    ValueRequired { column: String },
    #[error("{column}: {message}")]
    RuleViolated { column: String, rule: RuleType, message: String },
    #[error("another row already has this {}", .columns.join(" + "))]
    UniqueViolated { constraint: String, columns: Vec<String> },
    #[error("{column}: no row {row_id} in the referenced table")]
    ReferenceMissing { column: String, row_id: String },
    #[error("{message}")]
    CheckFailed { constraint: String, message: String },
    #[error("parent_row_id: {0}")]
    ParentInvalid(String),
    #[error("unknown field '{0}'")]
    FieldUnknown(String),
    #[error("the expression is not valid at character {position}: {message}")]
    ExpressionInvalid { message: String, position: usize },
    #[error("a logical table named '{0}' exists already")]
    LogicalTableExists(String),
    #[error("a column named '{0}' exists already")]
    ColumnExists(String),
    #[error("this column is bound to the table already")]
    PropertyExists,
    #[error("a constraint named '{0}' exists on this table already")]
    ConstraintExists(String),
    /// A schema element others depend on: a column bound to tables, a table referenced.
    #[error("{0}")]
    SchemaInUse(String),
    #[error("the schema changed since version {sent} (now {current}); reload it")]
    SchemaVersionConflict { sent: i32, current: i32 },
    #[error("the row changed since version {sent}: it is at version {}", .current.version)]
    RowVersionConflict { sent: i32, current: Box<RowData> },
    #[error("{count} existing row(s) break {rule}; fix them first, or keep the rule soft")]
    RowsViolateRule { rule: String, count: i64, examples: Vec<ViolatingRow> },
    /// A column's new type, refused because stored values would not survive the change.
    #[error("{count} value(s) of {column} cannot become {to}; change them first")]
    ValuesNotConvertible { column: String, to: String, count: i64, examples: Vec<ViolatingRow> },
    #[error("{count} row(s) of {table} point at this row ({constraint})")]
    RowReferenced { table: String, constraint: String, count: i64 },
    #[error("{field}: {message}")]
    MappingInvalid { field: String, message: String },
    #[error("give the records to import: source_data, source_file_id, source_dataset_id or source_run_id")]
    SourceMissing,
    #[error("{limit} imports are waiting or running; try again when one has finished")]
    TooManyMigrations { limit: i64 },
}

impl DataError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DataError::ValueInvalid { .. } => ErrorCode::ValueInvalid,
            DataError::ValueRequired { .. } => ErrorCode::ValueRequired,
            DataError::RuleViolated { .. } => ErrorCode::RuleViolated,
            DataError::UniqueViolated { .. } => ErrorCode::UniqueViolated,
            DataError::ReferenceMissing { .. } => ErrorCode::ReferenceMissing,
            DataError::CheckFailed { .. } => ErrorCode::CheckFailed,
            DataError::ParentInvalid(_) => ErrorCode::ParentInvalid,
            DataError::FieldUnknown(_) => ErrorCode::FieldUnknown,
            DataError::ExpressionInvalid { .. } => ErrorCode::ExpressionInvalid,
            DataError::LogicalTableExists(_) => ErrorCode::LogicalTableExists,
            DataError::ColumnExists(_) => ErrorCode::ColumnExists,
            DataError::PropertyExists => ErrorCode::PropertyExists,
            DataError::ConstraintExists(_) => ErrorCode::ConstraintExists,
            DataError::SchemaInUse(_) => ErrorCode::SchemaInUse,
            DataError::SchemaVersionConflict { .. } => ErrorCode::SchemaVersionConflict,
            DataError::RowVersionConflict { .. } => ErrorCode::RowVersionConflict,
            DataError::RowsViolateRule { .. } => ErrorCode::RowsViolateRule,
            DataError::ValuesNotConvertible { .. } => ErrorCode::ColumnValuesNotConvertible,
            DataError::RowReferenced { .. } => ErrorCode::RowReferenced,
            DataError::MappingInvalid { .. } => ErrorCode::MappingInvalid,
            DataError::SourceMissing => ErrorCode::MigrationSourceMissing,
            DataError::TooManyMigrations { .. } => ErrorCode::TooManyMigrations,
        }
    }

    pub fn details(&self) -> Value {
        match self {
            DataError::ValueInvalid { column, message } => json!({ "column": column, "message": message }),
            DataError::ValueRequired { column } => json!({ "column": column }),
            DataError::RuleViolated { column, rule, message } => json!({ "column": column, "rule": rule, "message": message }),
            DataError::UniqueViolated { constraint, columns } => json!({ "constraint": constraint, "columns": columns }),
            DataError::ReferenceMissing { column, row_id } => json!({ "column": column, "row_id": row_id }),
            DataError::CheckFailed { constraint, message } => json!({ "constraint": constraint, "message": message }),
            DataError::FieldUnknown(field) => json!({ "field": field }),
            DataError::ExpressionInvalid { message, position } => json!({ "message": message, "position": position }),
            DataError::SchemaVersionConflict { sent, current } => json!({ "sent": sent, "current": current }),
            DataError::RowVersionConflict { sent, current } => json!({ "sent": sent, "current": current }),
            DataError::RowsViolateRule { rule, count, examples } => json!({ "rule": rule, "count": count, "examples": examples }),
            DataError::ValuesNotConvertible { column, to, count, examples } => json!({ "column": column, "to": to, "count": count, "examples": examples }),
            DataError::RowReferenced { table, constraint, count } => json!({ "table": table, "constraint": constraint, "count": count }),
            DataError::MappingInvalid { field, message } => json!({ "field": field, "message": message }),
            DataError::TooManyMigrations { limit } => json!({ "limit": limit }),
            DataError::ParentInvalid(_)
            | DataError::LogicalTableExists(_)
            | DataError::ColumnExists(_)
            | DataError::PropertyExists
            | DataError::ConstraintExists(_)
            | DataError::SchemaInUse(_)
            | DataError::SourceMissing => Value::Null,
        }
    }
}
