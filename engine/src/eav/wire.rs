//! What the governed-table API exchanges (seed 004 §10.1): the schema (tables, column definitions,
//! their per-table properties, constraints) and rows. Field names are the seed's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    String,
    Int,
    Decimal,
    Boolean,
    Date,
    DateTime,
    /// One of the column's `enum_values`.
    Enum,
    /// The id of a row of the column's `reference_table_id`.
    Reference,
}

impl DataType {
    pub const ALL: [DataType; 8] = [
        DataType::String,
        DataType::Int,
        DataType::Decimal,
        DataType::Boolean,
        DataType::Date,
        DataType::DateTime,
        DataType::Enum,
        DataType::Reference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataType::String => "String",
            DataType::Int => "Int",
            DataType::Decimal => "Decimal",
            DataType::Boolean => "Boolean",
            DataType::Date => "Date",
            DataType::DateTime => "DateTime",
            DataType::Enum => "Enum",
            DataType::Reference => "Reference",
        }
    }

    pub fn parse(s: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// The types a column holding values may change to: those that can hold each value it has
    /// without losing any part of it (text to a number is allowed, and each value is then
    /// checked; a time to a date is not, its time would go).
    pub fn convertible_to(self) -> &'static [DataType] {
        use DataType::*;
        match self {
            String => &[Int, Decimal, Boolean, Date, DateTime, Enum],
            Int => &[Decimal, String],
            Decimal => &[Int, String],
            Boolean | Enum | DateTime => &[String],
            Date => &[DateTime, String],
            Reference => &[],
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CachePolicy {
    #[default]
    None,
    FullTable,
    IndividualRows,
}

impl CachePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            CachePolicy::None => "None",
            CachePolicy::FullTable => "FullTable",
            CachePolicy::IndividualRows => "IndividualRows",
        }
    }

    pub fn parse(s: &str) -> Option<CachePolicy> {
        [CachePolicy::None, CachePolicy::FullTable, CachePolicy::IndividualRows].into_iter().find(|c| c.as_str() == s)
    }
}

/// How a column is shown to readers without `table:unmask`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskingRule {
    #[default]
    None,
    /// Every character hidden.
    Full,
    /// All but the last four characters hidden.
    Last4,
    /// The local part hidden but its first character: `j***@example.com`.
    Email,
}

impl MaskingRule {
    pub fn as_str(self) -> &'static str {
        match self {
            MaskingRule::None => "none",
            MaskingRule::Full => "full",
            MaskingRule::Last4 => "last4",
            MaskingRule::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<MaskingRule> {
        [MaskingRule::None, MaskingRule::Full, MaskingRule::Last4, MaskingRule::Email].into_iter().find(|m| m.as_str() == s)
    }
}

/// `POST /metadata/tables`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLogicalTable {
    /// A letter, then letters, digits or `_` (at most 63); unique regardless of case.
    pub table_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub is_hierarchical: bool,
    #[serde(default)]
    pub cache_policy: CachePolicy,
}

/// `PATCH /metadata/tables/{id}`: what is sent changes; `version`, when sent, must be the current one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogicalTablePatch {
    pub version: Option<i32>,
    pub description: Option<String>,
    pub is_hierarchical: Option<bool>,
    pub cache_policy: Option<CachePolicy>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogicalTableInfo {
    pub id: Uuid,
    pub table_name: String,
    pub description: String,
    pub is_hierarchical: bool,
    pub cache_policy: CachePolicy,
    pub version: i32,
    /// Rows now (an estimate above 100,000, from the planner's statistics).
    pub row_count: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

/// `POST /metadata/columns`: a column definition, shared by the tables it is bound to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewColumn {
    pub column_name: String,
    pub data_type: DataType,
    #[serde(default)]
    pub description: String,
    /// For `Enum`: the allowed values.
    #[serde(default)]
    pub enum_values: Vec<String>,
    /// For `Reference`: the logical table whose rows it points at.
    #[serde(default)]
    pub reference_table_id: Option<Uuid>,
    /// The value a new row gets when it sends none (typed like the column).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default_value: Option<Value>,
    #[serde(default)]
    pub masking_rule: MaskingRule,
}

/// `PATCH /metadata/columns/{id}`. A new `data_type` is taken when every value the tables hold
/// survives it (409 `column_values_not_convertible` with the ones that would not); a Reference
/// column keeps its type.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnPatch {
    pub version: Option<i32>,
    #[serde(default)]
    pub data_type: Option<DataType>,
    pub description: Option<String>,
    pub enum_values: Option<Vec<String>>,
    /// `null` clears the default.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default_value: Option<Option<Value>>,
    pub masking_rule: Option<MaskingRule>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub id: Uuid,
    pub column_name: String,
    pub data_type: DataType,
    pub description: String,
    pub enum_values: Vec<String>,
    pub reference_table_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default_value: Option<Value>,
    pub masking_rule: MaskingRule,
    pub version: i32,
    /// The logical tables it is bound to.
    pub used_by: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The rules of DESIGN §8 a property may carry, with their parameters.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleType {
    /// `{"pattern": "^[A-Z]{3}-\\d+$"}`
    Regex,
    /// `{"min": 1, "max": 40}` characters.
    Length,
    /// `{"min": 0, "max": 1000}` (numbers).
    Range,
    /// `{"values": ["a", "b"]}`
    Enum,
    Email,
    Url,
    /// `{"min": "2020-01-01", "max": "2030-12-31"}` (either may be left out).
    DateRange,
}

impl RuleType {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleType::Regex => "regex",
            RuleType::Length => "length",
            RuleType::Range => "range",
            RuleType::Enum => "enum",
            RuleType::Email => "email",
            RuleType::Url => "url",
            RuleType::DateRange => "date_range",
        }
    }

    pub fn parse(s: &str) -> Option<RuleType> {
        [RuleType::Regex, RuleType::Length, RuleType::Range, RuleType::Enum, RuleType::Email, RuleType::Url, RuleType::DateRange]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Which of a property's rules are soft (existing rows may break them; new values may not).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftRule {
    Mandatory,
    Unique,
    Rule,
}

/// `POST /metadata/properties`: binds a column to a table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProperty {
    pub logical_table_id: Uuid,
    pub column_definition_id: Uuid,
    #[serde(default)]
    pub display_order: i32,
    #[serde(default)]
    pub is_mandatory: bool,
    #[serde(default)]
    pub is_value_unique: bool,
    /// Index the column for filters and sorting.
    #[serde(default)]
    pub is_indexed: bool,
    #[serde(default)]
    pub validation_rule_type: Option<RuleType>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub validation_parameters: Value,
    /// When existing rows break the new rules: keep them soft instead of refusing (409).
    #[serde(default)]
    pub soft: bool,
}

/// `PATCH /metadata/properties/{id}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PropertyPatch {
    pub display_order: Option<i32>,
    pub is_mandatory: Option<bool>,
    pub is_value_unique: Option<bool>,
    pub is_indexed: Option<bool>,
    /// `null` removes the rule.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<RuleType>))]
    pub validation_rule_type: Option<Option<RuleType>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub validation_parameters: Option<Value>,
    /// As in `NewProperty`; `false` hardens every soft rule (refused while rows break them).
    pub soft: Option<bool>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyInfo {
    pub id: Uuid,
    pub logical_table_id: Uuid,
    pub column_definition_id: Uuid,
    pub column_name: String,
    pub data_type: DataType,
    pub display_order: i32,
    pub is_mandatory: bool,
    pub is_value_unique: bool,
    pub is_indexed: bool,
    pub validation_rule_type: Option<RuleType>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub validation_parameters: Value,
    pub soft_rules: Vec<SoftRule>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstraintType {
    #[serde(rename = "UNIQUE")]
    Unique,
    #[serde(rename = "FOREIGN KEY")]
    ForeignKey,
    #[serde(rename = "CHECK")]
    Check,
}

impl ConstraintType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintType::Unique => "UNIQUE",
            ConstraintType::ForeignKey => "FOREIGN KEY",
            ConstraintType::Check => "CHECK",
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    #[default]
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
    /// As restrict: the referenced row cannot go while rows point at it.
    NoAction,
}

/// `POST /metadata/constraints`. Unique: `columns` and/or `json_paths` (`ext.a.b` or `a.b`),
/// `is_case_sensitive`. Foreign key: one Reference column in `columns`, `on_delete`. Check:
/// `check_expression` and the `error_message` a broken row is answered with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewConstraint {
    pub logical_table_id: Uuid,
    pub constraint_name: String,
    pub constraint_type: ConstraintType,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub json_paths: Vec<String>,
    #[serde(default = "yes")]
    pub is_case_sensitive: bool,
    #[serde(default)]
    pub on_delete: OnDelete,
    #[serde(default)]
    pub check_expression: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default = "yes")]
    pub is_active: bool,
    /// When existing rows break it: keep it soft instead of refusing (409).
    #[serde(default)]
    pub soft: bool,
}

fn yes() -> bool {
    true
}

/// `PATCH /metadata/constraints/{id}`: (de)activate, soften or harden, reword.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConstraintPatch {
    pub is_active: Option<bool>,
    pub soft: Option<bool>,
    pub error_message: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstraintInfo {
    pub id: Uuid,
    pub logical_table_id: Uuid,
    pub constraint_name: String,
    pub constraint_type: ConstraintType,
    pub columns: Vec<String>,
    pub json_paths: Vec<String>,
    pub is_case_sensitive: bool,
    pub referenced_table_id: Option<Uuid>,
    pub on_delete: Option<OnDelete>,
    pub check_expression: Option<String>,
    pub error_message: Option<String>,
    pub is_active: bool,
    pub is_soft: bool,
    pub version: i32,
}

/// A role's permission on one table (`table:read|write|admin|unmask`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableGrant {
    pub role: String,
    pub permission: String,
}

/// A table with everything that shapes its rows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogicalTableDetail {
    #[serde(flatten)]
    pub table: LogicalTableInfo,
    pub properties: Vec<PropertyInfo>,
    pub constraints: Vec<ConstraintInfo>,
    pub grants: Vec<TableGrant>,
}

/// One entry of a table's schema history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaChange {
    pub id: i64,
    pub table_version: Option<i32>,
    pub entity: String,
    pub entity_id: Uuid,
    pub action: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<Value>,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

/// A row as written: `POST /data/{table}` and the `fields` of a batch operation. Names in
/// `column_values` that the table does not define go to `extended_properties`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RowInput {
    pub code: Option<String>,
    pub display_value: Option<String>,
    pub is_active: Option<bool>,
    pub sort_order: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub parent_row_id: Option<Option<Uuid>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub column_values: Map<String, Value>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extended_properties: Map<String, Value>,
}

/// `PATCH /data/{table}/{id}`: the version read, and what changes (a `null` clears a value; in
/// `extended_properties` it removes the key).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RowPatch {
    pub version: i32,
    #[serde(flatten)]
    pub fields: RowInput,
}

/// A row as read, values typed (a Decimal is a JSON number, a Date `YYYY-MM-DD`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowData {
    pub id: Uuid,
    pub code: String,
    pub display_value: Option<String>,
    pub is_active: bool,
    pub sort_order: i32,
    pub parent_row_id: Option<Uuid>,
    pub version: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub column_values: Map<String, Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extended_properties: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Soft rules this row breaks (their names), so it can be fixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    NotIn,
    Contains,
    StartsWith,
    IsNull,
    Between,
}

impl Operator {
    /// Every operator with the symbol the screens show it by, in the order they offer them.
    pub const SYMBOLS: [(Operator, &'static str); 12] = [
        (Operator::Eq, "="),
        (Operator::Ne, "≠"),
        (Operator::Gt, ">"),
        (Operator::Gte, "≥"),
        (Operator::Lt, "<"),
        (Operator::Lte, "≤"),
        (Operator::Contains, "contains"),
        (Operator::StartsWith, "starts_with"),
        (Operator::In, "in"),
        (Operator::NotIn, "not_in"),
        (Operator::Between, "between"),
        (Operator::IsNull, "is_null"),
    ];

    pub fn symbol(self) -> &'static str {
        Operator::SYMBOLS.iter().find(|(o, _)| *o == self).map_or("=", |(_, s)| s)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// A promoted field (`code`, `display_value`, `sort_order`, `is_active`, `parent_row_id`, `id`,
    /// `version`, `created_at`, `updated_at`), a column name, or `ext.<key>[.<key>…]`.
    pub field: String,
    pub operator: Operator,
    /// A value of the field's type; a list for `in`/`not_in`, `[low, high]` for `between`, a
    /// boolean for `is_null` (true: is null).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sort {
    pub field: String,
    #[serde(default)]
    pub direction: Direction,
}

/// `POST /data/{table}/query`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RowQuery {
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub sorting: Vec<Sort>,
    /// 1 to 1000 (default 50).
    #[serde(default)]
    pub page_size: Option<i64>,
    /// The `next_key_set` of the previous page.
    #[serde(default)]
    pub next_key_set: Option<String>,
    /// Columns to return (default: all); promoted fields always come.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Rows to skip before the page, 0 to 10,000,000 (not with `next_key_set`): a grid jumping
    /// to a position. Deep offsets cost a walk over the skipped rows; keyset pages do not.
    #[serde(default)]
    pub offset: Option<i64>,
    /// Count from the end of the order (the page still comes in order): the last rows at once.
    #[serde(default)]
    pub from_end: bool,
    /// Words every row kept must contain somewhere in its code, display value or text columns
    /// (case-insensitive); masked columns are searched only for readers who may unmask them.
    #[serde(default)]
    pub search: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowPage {
    pub rows: Vec<RowData>,
    /// Present only when the page is full: pass it back for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_key_set: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationType {
    Create,
    Update,
    Delete,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchOperation {
    #[serde(rename = "type")]
    pub op: OperationType,
    #[serde(default)]
    pub row_id: Option<Uuid>,
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub fields: RowInput,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// One transaction: the first failure undoes everything.
    #[default]
    Abort,
    /// Every operation that can be done is; each failure is reported with its reason.
    Continue,
}

/// `POST /data/{table}/batch`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    pub operations: Vec<BatchOperation>,
    #[serde(default)]
    pub on_error: OnError,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    pub index: usize,
    /// `ok`, `failed`, or `not_applied` (aborted because another operation failed).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub error: Option<crate::ErrorBody>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse {
    pub processed_count: usize,
    pub success_count: usize,
    pub error_count: usize,
    pub results: Vec<BatchResult>,
}

/// Rows that break a soft rule, per rule.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violations {
    pub rule: String,
    pub count: i64,
    pub examples: Vec<ViolatingRow>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViolatingRow {
    pub row_id: Uuid,
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
}

/// Reads `"field": null` as `Some(None)` and an absent field as `None`.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// One change of a row (`GET /data/{table}/{id}/history`): who, when, and the row before and after
/// (after is absent for a delete). A created row is its own first version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowChange {
    pub version: i32,
    pub action: String,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
    pub before: RowData,
    pub after: Option<RowData>,
}

/// What a saved view of a grid shows: the words searched, the filters and the order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewSpec {
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub sorting: Vec<Sort>,
}

/// A view of a table saved by name, the reader's own or shared by another reader.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub name: String,
    pub owner: String,
    /// Saved by the reader (who alone may change or remove it).
    pub mine: bool,
    pub shared: bool,
    pub spec: ViewSpec,
    pub updated_at: DateTime<Utc>,
}
