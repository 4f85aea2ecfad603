//! The account types that cross the wire (server functions and the REST API); the browser build
//! sees these without the server-side code that fills them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub name: String,
    pub description: String,
    pub is_system: bool,
    pub is_active: bool,
    pub permissions: Vec<String>,
    /// Users holding the role now (unexpired assignments).
    pub holders: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionInfo {
    pub name: String,
    pub description: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDraft {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub permissions: Vec<String>,
    #[serde(default = "yes")]
    pub is_active: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub user_id: Uuid,
    pub username: String,
    pub role: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub granted_by: Option<String>,
    pub granted_at: DateTime<Utc>,
    pub expired: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: Uuid,
    pub method: String,
    pub passkey_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session this list was asked from.
    pub current: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    pub scope: TokenScope,
    /// The first characters of the secret, to recognise it by.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new token and its secret, which is never stored or shown again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewToken {
    pub id: Uuid,
    pub token: String,
    pub name: String,
    pub scope: TokenScope,
    pub expires_at: Option<DateTime<Utc>>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Part of the actor's name.
    pub actor: Option<String>,
    /// Part of the action, e.g. `sign_in` or `/api/v1/tokens`.
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this id (keyset paging, newest first).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub status: Option<i32>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: Uuid,
    pub username: String,
    pub is_active: bool,
    pub roles: Vec<String>,
    pub has_password: bool,
    pub passkeys: i64,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Too many wrong passwords: sign-in with a password is refused until then.
    #[serde(default)]
    pub locked_until: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

/// One of my passkeys, as the account page lists it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub sign_count: i64,
    /// The authenticator may sync it to other devices (and has, when `backup_state`).
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// A link an admin hands to a user to enrol a passkey or set a password; shown once.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolmentLink {
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

/// What a personal API token may do, whatever its owner may: `read` only reads (GET, and the
/// read-only server functions); `write` also changes data; `admin` also administers (users, roles,
/// audit, everyone's datasets and prompts), and only an administrator can mint one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    #[default]
    Read,
    Write,
    Admin,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
            TokenScope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(TokenScope::Read),
            "write" => Some(TokenScope::Write),
            "admin" => Some(TokenScope::Admin),
            _ => None,
        }
    }

    /// Whether a token of this scope keeps `p` of its owner's permissions.
    pub fn allows(self, p: crate::auth::Permission) -> bool {
        use crate::auth::Permission::*;
        let admin = matches!(p, DatasetAdmin | PromptAdmin | UserAdmin | AuditRead | TableAdmin | TableUnmask | ReportAdmin | EtlAdmin);
        match self {
            TokenScope::Read => matches!(p, DatasetRead | TableRead | EtlRead),
            TokenScope::Write => !admin,
            TokenScope::Admin => true,
        }
    }

    pub fn may_write(self) -> bool {
        self != TokenScope::Read
    }
}
