//! The one error type at the engine boundary. Each variant carries a stable snake_case code that the
//! server maps to an HTTP status and the UI translates; internal causes are kept for the logs only.

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Invalid(String),
    /// Missing, or not the caller's to see (the two are not told apart, so ids cannot be probed).
    #[error("{} not found", .0.noun())]
    NotFound(Resource),
    #[error("not signed in")]
    Unauthenticated,
    #[error("you do not have permission to {0}")]
    Forbidden(&'static str),
    /// A username or password the policy refuses; each rule has its own code, so the screen says
    /// which in the reader's language.
    #[error("{}", .0.text())]
    Credential(CredentialRule),
    /// A number outside what a field allows (for text, its length).
    #[error("{} must be between {min} and {max}", .field.name())]
    OutOfRange { field: Field, min: f64, max: f64 },
    /// Saving a version of a prompt someone else owns: duplicating it is the way on.
    #[error("this prompt belongs to someone else; duplicate it as your own prompt to change it")]
    PromptNotYours,
    /// A write sent from a page of another site (CSRF).
    #[error("requests that change data must come from this site's own pages, not from {0}")]
    ForeignOrigin(String),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed sign-ins for this name; try again in {} minute(s)", retry_after_secs.div_ceil(60))]
    TooManyAttempts { retry_after_secs: u64 },
    /// Too many requests from one address to the sign-in routes.
    #[error("too many requests; try again in {retry_after_secs} second(s)")]
    RateLimited { retry_after_secs: u64 },
    /// A sensitive action (credentials, password, roles) needs a recent sign-in.
    #[error("sign in again to do this (your sign-in is older than 10 minutes)")]
    ReauthenticationRequired,
    /// An administrator reset the password: choose a new one before anything else.
    #[error("choose a new password before going on")]
    PasswordChangeRequired,
    /// The action cannot be done in the current state of things; each case has its own code.
    #[error("{0}")]
    Conflict(#[from] Conflict),
    #[error("the file {file} cannot be read: {reason}")]
    UnreadableFile { file: String, reason: String },
    /// A hostile or oversized archive: nothing of it is kept.
    #[error("the file {file} was refused: {reason}")]
    Refused { file: String, reason: String },
    #[error("the work was cancelled")]
    Cancelled,
    #[error("the upload is larger than the limit of {limit} bytes")]
    UploadTooLarge { limit: u64 },
    /// A request that cannot be read at all: a malformed id in the path, query string or JSON body.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// A governed table's rule, constraint or schema refused a change (see `eav::DataError`).
    #[error("{0}")]
    Data(#[from] crate::eav::DataError),
    #[error(transparent)]
    Report(#[from] crate::reports::ReportError),
    #[error(transparent)]
    Etl(#[from] crate::etl::EtlError),
    /// A request body (not an upload) over `JSON_BODY_MAX_BYTES`.
    #[error("the request body is larger than the limit of {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// PostgreSQL does not answer (stopped, restarting, unreachable): worth trying again shortly.
    #[error("the database is not answering; try again in a moment")]
    DatabaseUnavailable(String),
    /// The disk under `DATA_DIR` is full: what was being written is removed, nothing half-stored.
    #[error("the server's disk is full; nothing was stored. Try again once space has been freed")]
    StorageFull,
    /// The session store (Redis) does not answer: nobody can be recognised until it does.
    #[error("sign-in is unavailable for a moment (the session store does not answer); try again shortly")]
    SessionsUnavailable(String),
    #[error("internal error")]
    Internal(String),
}

/// A field a request may send out of range; `details.field` carries its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ModelName,
    ChunkSize,
    Concurrency,
    Temperature,
    MaxRetries,
    TimeoutSecs,
    Price,
    Confidence,
    Margin,
    MinPerCategory,
    SampleSize,
    FewShot,
    FewShotTokens,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::ModelName => "model_name",
            Field::ChunkSize => "chunk_size",
            Field::Concurrency => "concurrency",
            Field::Temperature => "temperature",
            Field::MaxRetries => "max_retries",
            Field::TimeoutSecs => "timeout_secs",
            Field::Price => "price",
            Field::Confidence => "confidence",
            Field::Margin => "margin",
            Field::MinPerCategory => "min_per_category",
            Field::SampleSize => "size",
            Field::FewShot => "few_shot",
            Field::FewShotTokens => "few_shot_tokens",
        }
    }
}

/// The rules of usernames and passwords a value can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialRule {
    UsernameInvalid,
    PasswordTooShort,
    PasswordTooLong,
    PasswordIsUsername,
    PasswordTooWeak,
    CurrentPasswordWrong,
    /// The authenticator's answer did not verify.
    PasskeyRejected,
    /// No passkey ceremony was started in this session (or it was already used).
    PasskeyNotStarted,
    /// The ceremony was started by another account.
    PasskeyForeign,
    /// The ceremony is older than its five minutes.
    PasskeyExpired,
}

impl CredentialRule {
    fn code(self) -> ErrorCode {
        match self {
            CredentialRule::UsernameInvalid => ErrorCode::UsernameInvalid,
            CredentialRule::PasswordTooShort => ErrorCode::PasswordTooShort,
            CredentialRule::PasswordTooLong => ErrorCode::PasswordTooLong,
            CredentialRule::PasswordIsUsername => ErrorCode::PasswordIsUsername,
            CredentialRule::PasswordTooWeak => ErrorCode::PasswordTooWeak,
            CredentialRule::CurrentPasswordWrong => ErrorCode::CurrentPasswordWrong,
            CredentialRule::PasskeyRejected => ErrorCode::PasskeyRejected,
            CredentialRule::PasskeyNotStarted => ErrorCode::PasskeyNotStarted,
            CredentialRule::PasskeyForeign => ErrorCode::PasskeyForeign,
            CredentialRule::PasskeyExpired => ErrorCode::PasskeyExpired,
        }
    }

    /// What API clients read in `message` (screens translate the code).
    fn text(self) -> &'static str {
        match self {
            CredentialRule::UsernameInvalid => "a username has 3 to 64 letters, digits, dots, dashes, underscores or @",
            CredentialRule::PasswordTooShort => "a password has at least 10 characters",
            CredentialRule::PasswordTooLong => "a password has at most 256 characters",
            CredentialRule::PasswordIsUsername => "the password cannot be the username",
            CredentialRule::PasswordTooWeak => "this password is too easy to guess",
            CredentialRule::CurrentPasswordWrong => "the current password is wrong",
            CredentialRule::PasskeyRejected => "the passkey was not accepted",
            CredentialRule::PasskeyNotStarted => "no passkey request is in progress; start again",
            CredentialRule::PasskeyForeign => "this passkey request was started by someone else; start again",
            CredentialRule::PasskeyExpired => "the passkey request expired; start again",
        }
    }
}

/// What a caller asked for by id or name and did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Upload,
    Table,
    Dataset,
    Share,
    Prompt,
    PromptVersion,
    Run,
    Sample,
    SampleItem,
    User,
    Role,
    RoleAssignment,
    Token,
    Passkey,
    Session,
    EnrolmentLink,
    Record,
    LogicalTable,
    MigrationConfiguration,
    MigrationJob,
    Column,
    Property,
    Constraint,
    Row,
    Grant,
    Report,
    ReportLink,
    EtlSource,
    EtlRun,
    EventUser,
    Example,
}

impl Resource {
    fn noun(self) -> &'static str {
        match self {
            Resource::Upload => "upload",
            Resource::Table => "table",
            Resource::Dataset => "dataset",
            Resource::Share => "share",
            Resource::Prompt => "prompt",
            Resource::PromptVersion => "prompt version",
            Resource::Run => "run",
            Resource::Sample => "sample",
            Resource::SampleItem => "sample item",
            Resource::User => "user",
            Resource::Role => "role",
            Resource::RoleAssignment => "role assignment",
            Resource::Token => "token",
            Resource::Passkey => "passkey",
            Resource::Session => "session",
            Resource::EnrolmentLink => "enrolment link (it was used or has expired)",
            Resource::Record => "record",
            Resource::LogicalTable => "logical table",
            Resource::MigrationConfiguration => "import configuration",
            Resource::MigrationJob => "import job",
            Resource::Column => "column definition",
            Resource::Property => "column property",
            Resource::Constraint => "constraint",
            Resource::Row => "row",
            Resource::Grant => "grant of this role on this table",
            Resource::Report => "report",
            Resource::ReportLink => "link (it may have expired or been revoked)",
            Resource::EtlSource => "marketing source",
            Resource::EtlRun => "marketing run",
            Resource::EventUser => "user with events",
            Resource::Example => "example",
        }
    }

    fn code(self) -> ErrorCode {
        match self {
            Resource::Upload => ErrorCode::UploadNotFound,
            Resource::Table => ErrorCode::TableNotFound,
            Resource::Dataset => ErrorCode::DatasetNotFound,
            Resource::Share => ErrorCode::ShareNotFound,
            Resource::Prompt => ErrorCode::PromptNotFound,
            Resource::PromptVersion => ErrorCode::PromptVersionNotFound,
            Resource::Run => ErrorCode::RunNotFound,
            Resource::Sample => ErrorCode::SampleNotFound,
            Resource::SampleItem => ErrorCode::SampleItemNotFound,
            Resource::User => ErrorCode::UserNotFound,
            Resource::Role => ErrorCode::RoleNotFound,
            Resource::RoleAssignment => ErrorCode::RoleAssignmentNotFound,
            Resource::Token => ErrorCode::TokenNotFound,
            Resource::Passkey => ErrorCode::PasskeyNotFound,
            Resource::Session => ErrorCode::SessionNotFound,
            Resource::EnrolmentLink => ErrorCode::EnrolmentLinkNotFound,
            Resource::Record => ErrorCode::RecordNotFound,
            Resource::LogicalTable => ErrorCode::LogicalTableNotFound,
            Resource::MigrationConfiguration => ErrorCode::MigrationConfigurationNotFound,
            Resource::MigrationJob => ErrorCode::MigrationJobNotFound,
            Resource::Column => ErrorCode::ColumnNotFound,
            Resource::Property => ErrorCode::PropertyNotFound,
            Resource::Constraint => ErrorCode::ConstraintNotFound,
            Resource::Row => ErrorCode::RowNotFound,
            Resource::Grant => ErrorCode::GrantNotFound,
            Resource::Report => ErrorCode::ReportNotFound,
            Resource::ReportLink => ErrorCode::LinkNotFound,
            Resource::EtlSource => ErrorCode::EtlSourceNotFound,
            Resource::EtlRun => ErrorCode::EtlRunNotFound,
            Resource::EventUser => ErrorCode::EventUserNotFound,
            Resource::Example => ErrorCode::ExampleNotFound,
        }
    }
}

/// Why an action cannot be done as things stand (409). The message says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("the username '{0}' is taken")]
    UsernameTaken(String),
    #[error("the first administrator already exists; sign in instead")]
    AlreadySetUp,
    #[error("you cannot deactivate your own account")]
    DeactivateSelf,
    #[error("'{0}' is a system role; its permissions are fixed and it cannot be deleted")]
    SystemRole(String),
    #[error("this is the last permanent administrator; make someone else admin first")]
    LastAdmin,
    #[error("this passkey is already registered")]
    PasskeyRegistered,
    #[error("this is your only way to sign in; add another passkey or a password first")]
    LastSignInMethod,
    #[error("the run is still going; wait for it to finish or cancel it")]
    RunActive,
    #[error("every line of this run already has a result")]
    RunComplete,
    #[error("nothing left to do: no pending chunks (retry the failed ones instead)")]
    RunNothingPending,
    #[error("the run has no results to sample")]
    RunWithoutResults,
    #[error("chunk {chunk} of run {run} was already stored")]
    ChunkStored { run: uuid::Uuid, chunk: i32 },
    #[error("no line was marked incorrect yet, so there is no example to add")]
    NoCorrections,
    #[error("a classification of this dataset is still running; cancel it first")]
    DatasetInUse,
    #[error("the upload is still being read")]
    UploadInProgress,
    #[error("{datasets} dataset(s) are built from this upload; delete them first")]
    UploadInUse { datasets: i64 },
    #[error("an import configuration named '{0}' exists already")]
    MigrationConfigurationExists(String),
    #[error("the import configuration changed since version {sent} (now {current}); reload it")]
    MigrationConfigurationVersionConflict { sent: i32, current: i32 },
    #[error("an import of this configuration is still running; wait for it to finish")]
    MigrationJobActive,
    #[error("this import was rolled back already")]
    MigrationRolledBack,
    #[error("{rows} row(s) this import wrote were changed since; nothing was rolled back")]
    MigrationRollbackConflict { rows: i64 },
}

impl Conflict {
    fn code(&self) -> ErrorCode {
        match self {
            Conflict::UsernameTaken(_) => ErrorCode::UsernameTaken,
            Conflict::AlreadySetUp => ErrorCode::AlreadySetUp,
            Conflict::DeactivateSelf => ErrorCode::DeactivateSelf,
            Conflict::SystemRole(_) => ErrorCode::SystemRole,
            Conflict::LastAdmin => ErrorCode::LastAdmin,
            Conflict::PasskeyRegistered => ErrorCode::PasskeyRegistered,
            Conflict::LastSignInMethod => ErrorCode::LastSignInMethod,
            Conflict::RunActive => ErrorCode::RunActive,
            Conflict::RunComplete => ErrorCode::RunComplete,
            Conflict::RunNothingPending => ErrorCode::RunNothingPending,
            Conflict::RunWithoutResults => ErrorCode::RunWithoutResults,
            Conflict::ChunkStored { .. } => ErrorCode::ChunkStored,
            Conflict::NoCorrections => ErrorCode::NoCorrections,
            Conflict::DatasetInUse => ErrorCode::DatasetInUse,
            Conflict::UploadInProgress => ErrorCode::UploadInProgress,
            Conflict::UploadInUse { .. } => ErrorCode::UploadInUse,
            Conflict::MigrationConfigurationExists(_) => ErrorCode::MigrationConfigurationExists,
            Conflict::MigrationConfigurationVersionConflict { .. } => ErrorCode::MigrationConfigurationVersionConflict,
            Conflict::MigrationJobActive => ErrorCode::MigrationJobActive,
            Conflict::MigrationRolledBack => ErrorCode::MigrationRolledBack,
            Conflict::MigrationRollbackConflict { .. } => ErrorCode::MigrationRollbackConflict,
        }
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal, $status:literal;)*) => {
        /// Stable codes clients match on. Kept as an enum so the UI's translation table is exhaustive.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, for documentation and the snapshot test of their JSON.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The HTTP status every entry point answers this code with (REST and server functions).
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }
        }
    };
}

codes! {
    InvalidInput => "invalid_input", 422;
    UnreadableFile => "unreadable_file", 422;
    RefusedFile => "refused_file", 422;
    MalformedRequest => "malformed_request", 400;
    Unauthenticated => "unauthenticated", 401;
    BadCredentials => "bad_credentials", 401;
    Forbidden => "forbidden", 403;
    ForbiddenOrigin => "forbidden_origin", 403;
    PromptNotYours => "prompt_not_yours", 403;
    OutOfRange => "out_of_range", 422;
    UsernameInvalid => "username_invalid", 422;
    PasswordTooShort => "password_too_short", 422;
    PasswordTooLong => "password_too_long", 422;
    PasswordIsUsername => "password_is_username", 422;
    PasswordTooWeak => "password_too_weak", 422;
    CurrentPasswordWrong => "current_password_wrong", 422;
    PasskeyRejected => "passkey_rejected", 422;
    PasskeyNotStarted => "passkey_not_started", 422;
    PasskeyForeign => "passkey_foreign", 422;
    PasskeyExpired => "passkey_expired", 422;
    ReauthenticationRequired => "reauthentication_required", 403;
    PasswordChangeRequired => "password_change_required", 403;
    UploadNotFound => "upload_not_found", 404;
    TableNotFound => "table_not_found", 404;
    DatasetNotFound => "dataset_not_found", 404;
    ShareNotFound => "share_not_found", 404;
    PromptNotFound => "prompt_not_found", 404;
    PromptVersionNotFound => "prompt_version_not_found", 404;
    RunNotFound => "run_not_found", 404;
    SampleNotFound => "sample_not_found", 404;
    SampleItemNotFound => "sample_item_not_found", 404;
    UserNotFound => "user_not_found", 404;
    RoleNotFound => "role_not_found", 404;
    RoleAssignmentNotFound => "role_assignment_not_found", 404;
    TokenNotFound => "token_not_found", 404;
    PasskeyNotFound => "passkey_not_found", 404;
    SessionNotFound => "session_not_found", 404;
    EnrolmentLinkNotFound => "enrolment_link_not_found", 404;
    RecordNotFound => "record_not_found", 404;
    LogicalTableNotFound => "logical_table_not_found", 404;
    ColumnNotFound => "column_not_found", 404;
    PropertyNotFound => "property_not_found", 404;
    ConstraintNotFound => "constraint_not_found", 404;
    RowNotFound => "row_not_found", 404;
    GrantNotFound => "grant_not_found", 404;
    ReportNotFound => "report_not_found", 404;
    LinkNotFound => "link_not_found", 404;
    ReportSpecInvalid => "report_spec_invalid", 422;
    ReportFieldMasked => "report_field_masked", 422;
    ReportParameterInvalid => "report_parameter_invalid", 400;
    ReportVersionInvalid => "report_version_invalid", 400;
    ReportTimedOut => "report_timed_out", 503;
    LinkPasswordRequired => "link_password_required", 401;
    EtlSourceNotFound => "etl_source_not_found", 404;
    EtlRunNotFound => "etl_run_not_found", 404;
    EventUserNotFound => "event_user_not_found", 404;
    ExampleNotFound => "example_not_found", 404;
    EtlSourceInvalid => "etl_source_invalid", 422;
    EtlSourceVersionConflict => "etl_source_version_conflict", 409;
    EtlRunActive => "etl_run_active", 409;
    EtlTableConflict => "etl_table_conflict", 409;
    EtlSinkNotConfigured => "etl_sink_not_configured", 409;
    EtlSinkFailed => "etl_sink_failed", 502;
    EventsBodyInvalid => "events_body_invalid", 400;
    EventsUnavailable => "events_unavailable", 503;
    MigrationConfigurationNotFound => "migration_configuration_not_found", 404;
    MigrationJobNotFound => "migration_job_not_found", 404;
    MappingInvalid => "mapping_invalid", 422;
    MigrationSourceMissing => "migration_source_missing", 400;
    TooManyMigrations => "too_many_migrations", 429;
    MigrationConfigurationExists => "migration_configuration_exists", 409;
    MigrationConfigurationVersionConflict => "migration_configuration_version_conflict", 409;
    MigrationJobActive => "migration_job_active", 409;
    MigrationRolledBack => "migration_rolled_back", 409;
    MigrationRollbackConflict => "migration_rollback_conflict", 409;
    ValueInvalid => "value_invalid", 422;
    ValueRequired => "value_required", 422;
    RuleViolated => "rule_violated", 422;
    UniqueViolated => "unique_violated", 422;
    ReferenceMissing => "reference_missing", 422;
    CheckFailed => "check_failed", 422;
    ParentInvalid => "parent_invalid", 422;
    FieldUnknown => "field_unknown", 422;
    ExpressionInvalid => "expression_invalid", 422;
    LogicalTableExists => "logical_table_exists", 409;
    ColumnExists => "column_exists", 409;
    PropertyExists => "property_exists", 409;
    ConstraintExists => "constraint_exists", 409;
    SchemaInUse => "schema_in_use", 409;
    SchemaVersionConflict => "schema_version_conflict", 409;
    RowVersionConflict => "row_version_conflict", 409;
    RowsViolateRule => "rows_violate_rule", 409;
    ColumnValuesNotConvertible => "column_values_not_convertible", 409;
    RowReferenced => "row_referenced", 409;
    UsernameTaken => "username_taken", 409;
    AlreadySetUp => "already_set_up", 409;
    DeactivateSelf => "deactivate_self", 409;
    SystemRole => "system_role", 409;
    LastAdmin => "last_admin", 409;
    PasskeyRegistered => "passkey_registered", 409;
    LastSignInMethod => "last_sign_in_method", 409;
    RunActive => "run_active", 409;
    RunComplete => "run_complete", 409;
    RunNothingPending => "run_nothing_pending", 409;
    RunWithoutResults => "run_without_results", 409;
    ChunkStored => "chunk_stored", 409;
    NoCorrections => "no_corrections", 409;
    DatasetInUse => "dataset_in_use", 409;
    UploadInProgress => "upload_in_progress", 409;
    UploadInUse => "upload_in_use", 409;
    Cancelled => "cancelled", 409;
    UploadTooLarge => "upload_too_large", 413;
    BodyTooLarge => "body_too_large", 413;
    TooManyAttempts => "too_many_attempts", 429;
    RateLimited => "rate_limited", 429;
    Internal => "internal", 500;
    DatabaseUnavailable => "database_unavailable", 503;
    SessionsUnavailable => "sessions_unavailable", 503;
    StorageFull => "storage_full", 507;
    /// Never sent by the server: the browser could not reach it or read its answer.
    Network => "network", 503;
}

/// The one JSON shape of an error, for REST (wrapped as `{"error": ...}`) and server functions
/// alike. `details` holds what a client may act on: the file and reason of an unreadable file, the
/// seconds to wait, the request id to quote for an internal error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default)]
    pub details: serde_json::Value,
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ErrorBody {}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody { code, message: message.into(), details: serde_json::Value::Null }
    }

    /// The request id an internal error carries for the user to quote.
    pub fn request_id(&self) -> Option<&str> {
        self.details.get("request_id").and_then(|v| v.as_str())
    }
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::Invalid(_) => ErrorCode::InvalidInput,
            EngineError::NotFound(resource) => resource.code(),
            EngineError::Unauthenticated => ErrorCode::Unauthenticated,
            EngineError::Forbidden(_) => ErrorCode::Forbidden,
            EngineError::ForeignOrigin(_) => ErrorCode::ForbiddenOrigin,
            EngineError::PromptNotYours => ErrorCode::PromptNotYours,
            EngineError::Credential(rule) => rule.code(),
            EngineError::OutOfRange { .. } => ErrorCode::OutOfRange,
            EngineError::BadCredentials => ErrorCode::BadCredentials,
            EngineError::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            EngineError::RateLimited { .. } => ErrorCode::RateLimited,
            EngineError::ReauthenticationRequired => ErrorCode::ReauthenticationRequired,
            EngineError::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            EngineError::Conflict(c) => c.code(),
            EngineError::UnreadableFile { .. } => ErrorCode::UnreadableFile,
            EngineError::Refused { .. } => ErrorCode::RefusedFile,
            EngineError::Cancelled => ErrorCode::Cancelled,
            EngineError::UploadTooLarge { .. } => ErrorCode::UploadTooLarge,
            EngineError::BodyTooLarge { .. } => ErrorCode::BodyTooLarge,
            EngineError::Malformed(_) => ErrorCode::MalformedRequest,
            EngineError::Data(e) => e.code(),
            EngineError::Report(e) => e.code(),
            EngineError::Etl(e) => e.code(),
            EngineError::DatabaseUnavailable(_) => ErrorCode::DatabaseUnavailable,
            EngineError::SessionsUnavailable(_) => ErrorCode::SessionsUnavailable,
            EngineError::StorageFull => ErrorCode::StorageFull,
            EngineError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What the client is told. An internal cause is logged here, once, and replaced by the request
    /// id to quote.
    pub fn to_body(&self, request_id: Option<&str>) -> ErrorBody {
        let code = self.code();
        let (message, details) = match self {
            EngineError::Internal(cause) => {
                #[cfg(feature = "server")]
                tracing::error!(error = %cause, request_id = request_id.unwrap_or("-"), "internal error");
                #[cfg(not(feature = "server"))]
                let _ = cause;
                ("internal error; quote the request id when reporting it".to_string(), serde_json::json!({ "request_id": request_id }))
            }
            EngineError::DatabaseUnavailable(cause) | EngineError::SessionsUnavailable(cause) => {
                #[cfg(feature = "server")]
                tracing::warn!(error = %cause, code = code.as_str(), request_id = request_id.unwrap_or("-"), "a service is unavailable");
                #[cfg(not(feature = "server"))]
                let _ = cause;
                (self.to_string(), serde_json::json!({ "retry_after_secs": 5 }))
            }
            EngineError::UnreadableFile { file, reason } | EngineError::Refused { file, reason } => {
                (self.to_string(), serde_json::json!({ "file": file, "reason": reason }))
            }
            EngineError::TooManyAttempts { retry_after_secs } | EngineError::RateLimited { retry_after_secs } => {
                (self.to_string(), serde_json::json!({ "retry_after_secs": retry_after_secs }))
            }
            EngineError::Conflict(Conflict::UploadInUse { datasets }) => (self.to_string(), serde_json::json!({ "datasets": datasets })),
            EngineError::Conflict(Conflict::MigrationConfigurationVersionConflict { sent, current }) => {
                (self.to_string(), serde_json::json!({ "sent": sent, "current": current }))
            }
            EngineError::Conflict(Conflict::MigrationRollbackConflict { rows }) => (self.to_string(), serde_json::json!({ "rows": rows })),
            EngineError::OutOfRange { field, min, max } => {
                (self.to_string(), serde_json::json!({ "field": field.name(), "min": min, "max": max }))
            }
            EngineError::Data(e) => (self.to_string(), e.details()),
            EngineError::Report(e) => (self.to_string(), e.details()),
            EngineError::Etl(e) => (self.to_string(), e.details()),
            other => (other.to_string(), serde_json::Value::Null),
        };
        ErrorBody { code, message, details }
    }

    /// Seconds a client should wait before trying again, when the error says so.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            EngineError::TooManyAttempts { retry_after_secs } | EngineError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        EngineError::Invalid(msg.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        EngineError::Internal(cause.to_string())
    }
}

#[cfg(feature = "server")]
impl From<sqlx::Error> for EngineError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => EngineError::NotFound(Resource::Record),
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
                EngineError::DatabaseUnavailable(e.to_string())
            }
            // Connection exceptions (08…), the server shutting down or starting (57P01–57P03).
            sqlx::Error::Database(ref d)
                if d.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")) =>
            {
                EngineError::DatabaseUnavailable(e.to_string())
            }
            other => EngineError::Internal(format!("database: {other}")),
        }
    }
}

#[cfg(feature = "server")]
impl From<fred::error::Error> for EngineError {
    fn from(e: fred::error::Error) -> Self {
        EngineError::Internal(format!("redis: {e}"))
    }
}

#[cfg(feature = "readers")]
impl From<std::io::Error> for EngineError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => EngineError::StorageFull,
            _ => EngineError::Internal(format!("io: {e}")),
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
