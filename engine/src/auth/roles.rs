use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::EngineError;

/// The three roles every installation has (`roles.is_system`); admins can add more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Analyst,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Analyst, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Self, EngineError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "analyst" => Ok(Role::Analyst),
            "viewer" => Ok(Role::Viewer),
            other => Err(EngineError::invalid(format!("unknown role '{other}' (admin, analyst or viewer)"))),
        }
    }
}

macro_rules! permissions {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Named `resource:action`. Which roles hold which permission is data (`role_permissions`);
        /// this is the catalogue code checks against, mirrored by the `permissions` table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Permission::$variant => $name,)*
                }
            }

            pub fn parse(name: &str) -> Option<Permission> {
                match name {
                    $($name => Some(Permission::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

// By hand: the derive does not see the `serde(rename)` a macro writes, and would document the
// variants' Rust names instead of the `resource:action` names sent on the wire.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Permission {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A permission, named `resource:action`."))
            .enum_values(Some(Permission::ALL.iter().map(|p| p.name())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Permission {}

permissions! {
    DatasetRead => "dataset:read",
    DatasetCreate => "dataset:create",
    DatasetAdmin => "dataset:admin",
    RunCreate => "run:create",
    SampleReview => "sample:review",
    PromptEdit => "prompt:edit",
    PromptShare => "prompt:share",
    PromptAdmin => "prompt:admin",
    UserAdmin => "user:admin",
    AuditRead => "audit:read",
    TableAdmin => "table:admin",
    TableRead => "table:read",
    TableWrite => "table:write",
    TableUnmask => "table:unmask",
    ReportCreate => "report:create",
    ReportAdmin => "report:admin",
    EtlAdmin => "etl:admin",
    EtlRead => "etl:read",
    EventWrite => "event:write",
}

/// The signed-in user an action is done for, with the permissions their active, unexpired role
/// assignments give them. Built only by the server from a verified session or API token.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    pub roles: Vec<String>,
    pub permissions: Vec<Permission>,
    /// An admin reset the password: nothing else is allowed until it is changed.
    #[serde(default)]
    pub must_change_password: bool,
}

impl CurrentUser {
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    /// The one check every engine entry point makes before acting.
    pub fn require(&self, p: Permission) -> Result<(), EngineError> {
        if self.must_change_password {
            return Err(EngineError::PasswordChangeRequired);
        }
        if self.can(p) { Ok(()) } else { Err(EngineError::Forbidden(p.name())) }
    }

    /// Owners see their own records; holders of `dataset:admin` see everyone's.
    pub fn may_see(&self, owner_id: Uuid) -> bool {
        self.id == owner_id || self.can(Permission::DatasetAdmin)
    }

    /// Roles for display, e.g. "admin, analyst".
    pub fn roles_label(&self) -> String {
        if self.roles.is_empty() { "no role".to_string() } else { self.roles.join(", ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_round_trip_and_match_serde() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.name()), Some(*p));
            assert_eq!(serde_json::to_string(p).ok(), Some(format!("\"{}\"", p.name())));
        }
        assert_eq!(Permission::parse("dataset:delete_everything"), None);
    }

    #[test]
    fn require_names_the_missing_permission() {
        let u = CurrentUser {
            id: Uuid::nil(),
            username: "v".into(),
            roles: vec!["viewer".into()],
            permissions: vec![Permission::DatasetRead],
            must_change_password: false,
        };
        assert!(u.require(Permission::DatasetRead).is_ok());
        match u.require(Permission::RunCreate) {
            Err(EngineError::Forbidden(name)) => assert_eq!(name, "run:create"),
            other => panic!("expected forbidden, got {other:?}"),
        }
        assert!(u.may_see(Uuid::nil()));
        assert!(!u.may_see(Uuid::from_u128(1)));
    }

    #[test]
    fn parses_roles_case_insensitively() {
        assert_eq!(Role::parse(" Admin ").ok(), Some(Role::Admin));
        assert!(Role::parse("root").is_err());
    }
}
