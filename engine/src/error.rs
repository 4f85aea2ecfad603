//! The one error type at the engine boundary. Each variant carries a stable snake_case code that the
//! server maps to an HTTP status and the UI translates; internal causes are kept for the logs only.

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Invalid(String),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("not signed in")]
    Unauthenticated,
    #[error("you do not have permission to {0}")]
    Forbidden(&'static str),
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
    #[error("{0}")]
    Conflict(String),
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
    /// A request body (not an upload) over `JSON_BODY_MAX_BYTES`.
    #[error("the request body is larger than the limit of {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("internal error")]
    Internal(String),
}

/// Stable codes clients match on. Kept as an enum so the UI's translation table is exhaustive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    Unauthenticated,
    Forbidden,
    ForbiddenOrigin,
    BadCredentials,
    TooManyAttempts,
    RateLimited,
    ReauthenticationRequired,
    PasswordChangeRequired,
    Conflict,
    UnreadableFile,
    RefusedFile,
    Cancelled,
    UploadTooLarge,
    BodyTooLarge,
    MalformedRequest,
    Internal,
}

impl ErrorCode {
    /// The HTTP status every entry point answers this code with (REST and server functions).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidInput | ErrorCode::UnreadableFile | ErrorCode::RefusedFile => 422,
            ErrorCode::NotFound => 404,
            ErrorCode::MalformedRequest => 400,
            ErrorCode::Unauthenticated | ErrorCode::BadCredentials => 401,
            ErrorCode::Forbidden | ErrorCode::ForbiddenOrigin => 403,
            ErrorCode::ReauthenticationRequired | ErrorCode::PasswordChangeRequired => 403,
            ErrorCode::TooManyAttempts | ErrorCode::RateLimited => 429,
            ErrorCode::Conflict | ErrorCode::Cancelled => 409,
            ErrorCode::UploadTooLarge | ErrorCode::BodyTooLarge => 413,
            ErrorCode::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ReauthenticationRequired => "reauthentication_required",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::Conflict => "conflict",
            ErrorCode::UnreadableFile => "unreadable_file",
            ErrorCode::RefusedFile => "refused_file",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::UploadTooLarge => "upload_too_large",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::Internal => "internal",
        }
    }
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::Invalid(_) => ErrorCode::InvalidInput,
            EngineError::NotFound { .. } => ErrorCode::NotFound,
            EngineError::Unauthenticated => ErrorCode::Unauthenticated,
            EngineError::Forbidden(_) => ErrorCode::Forbidden,
            EngineError::ForeignOrigin(_) => ErrorCode::ForbiddenOrigin,
            EngineError::BadCredentials => ErrorCode::BadCredentials,
            EngineError::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            EngineError::RateLimited { .. } => ErrorCode::RateLimited,
            EngineError::ReauthenticationRequired => ErrorCode::ReauthenticationRequired,
            EngineError::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            EngineError::Conflict(_) => ErrorCode::Conflict,
            EngineError::UnreadableFile { .. } => ErrorCode::UnreadableFile,
            EngineError::Refused { .. } => ErrorCode::RefusedFile,
            EngineError::Cancelled => ErrorCode::Cancelled,
            EngineError::UploadTooLarge { .. } => ErrorCode::UploadTooLarge,
            EngineError::BodyTooLarge { .. } => ErrorCode::BodyTooLarge,
            EngineError::Malformed(_) => ErrorCode::MalformedRequest,
            EngineError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        EngineError::Invalid(msg.into())
    }

    pub fn conflict(msg: impl Into<String>) -> Self {
        EngineError::Conflict(msg.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        EngineError::Internal(cause.to_string())
    }
}

#[cfg(feature = "server")]
impl From<sqlx::Error> for EngineError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => EngineError::NotFound { what: "record" },
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
        EngineError::Internal(format!("io: {e}"))
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
