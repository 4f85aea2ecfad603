use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::EngineError;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Named `resource:action`. The matrix below is the single place that says who may do what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Read own uploads, datasets and runs (and everyone's, for admins).
    DatasetRead,
    DatasetCreate,
    RunCreate,
    /// Draw samples from runs and give verdicts.
    SampleReview,
    /// Write prompts: create, save new versions, duplicate, share one's own.
    PromptEdit,
    /// Choose the default prompt and edit anyone's.
    PromptAdmin,
    UserAdmin,
}

impl Permission {
    pub fn name(self) -> &'static str {
        match self {
            Permission::DatasetRead => "dataset:read",
            Permission::DatasetCreate => "dataset:create",
            Permission::RunCreate => "run:create",
            Permission::SampleReview => "sample:review",
            Permission::PromptEdit => "prompt:edit",
            Permission::PromptAdmin => "prompt:admin",
            Permission::UserAdmin => "user:admin",
        }
    }

    pub fn granted_to(self, role: Role) -> bool {
        use Permission::*;
        match role {
            Role::Admin => true,
            Role::Analyst => matches!(self, DatasetRead | DatasetCreate | RunCreate | SampleReview | PromptEdit),
            Role::Viewer => matches!(self, DatasetRead),
        }
    }
}

/// The signed-in user an action is done for. Built only by the server from a verified session.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn can(&self, p: Permission) -> bool {
        p.granted_to(self.role)
    }

    pub fn require(&self, p: Permission) -> Result<(), EngineError> {
        if self.can(p) { Ok(()) } else { Err(EngineError::Forbidden(p.name())) }
    }

    /// Owners see their own records; admins see everyone's.
    pub fn may_see(&self, owner_id: Uuid) -> bool {
        self.role == Role::Admin || self.id == owner_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix() {
        use Permission::*;
        let table = [
            (Role::Admin, [true, true, true, true, true, true]),
            (Role::Analyst, [true, true, true, true, false, false]),
            (Role::Viewer, [true, false, false, false, false, false]),
        ];
        for (role, expected) in table {
            let got = [DatasetRead, DatasetCreate, RunCreate, PromptEdit, PromptAdmin, UserAdmin].map(|p| p.granted_to(role));
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn parses_roles_case_insensitively() {
        assert_eq!(Role::parse(" Admin ").ok(), Some(Role::Admin));
        assert!(Role::parse("root").is_err());
    }
}
