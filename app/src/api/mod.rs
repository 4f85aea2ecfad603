//! Server functions: each one resolves the signed-in user from the session and calls the engine, the
//! same engine functions the REST API calls. Errors are `AppError`: the REST API's error body, typed.
//! Those that only read live under `READ_PREFIX`, so the audit log holds changes, not page loads.

mod account;
mod admin;
mod datasets;
mod error;
mod imports;
mod marketing;
mod prompts;
mod reports;
mod reviews;
mod runs;
mod tables;
mod uploads;

/// Where the server functions that only read are mounted (their `prefix = "/api/read"`): the
/// server audits every other call as a change.
pub const READ_PREFIX: &str = "/api/read/";

pub use account::*;
pub use admin::*;
pub use datasets::*;
pub use error::AppError;
pub use imports::*;
pub use marketing::*;
pub use prompts::*;
pub use reports::*;
pub use reviews::*;
pub use runs::*;
pub use tables::*;
pub use uploads::*;

#[cfg(feature = "ssr")]
pub mod ssr {
    use engine::auth::CurrentUser;
    use engine::auth::sessions::Identity;
    use engine::{EngineError, Services};
    use leptos::prelude::use_context;
    use tower_sessions::Session;

    use super::AppError;

    pub use engine::auth::signin::Caller;

    pub use super::error::fail;

    pub fn services() -> Result<Services, AppError> {
        use_context::<Services>().ok_or_else(|| fail(EngineError::internal("services missing from context")))
    }

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(|e| fail(EngineError::internal(e)))
    }

    /// What the server's identity layer resolved for this request (see `engine::auth::signin::Caller`).
    pub async fn caller() -> Result<Caller, AppError> {
        let axum::Extension(caller) =
            leptos_axum::extract::<axum::Extension<Caller>>().await.map_err(|e| fail(EngineError::internal(e)))?;
        Ok(caller)
    }

    pub async fn identity() -> Result<Identity, AppError> {
        caller().await?.identity.ok_or_else(|| fail(EngineError::Unauthenticated))
    }

    pub async fn maybe_user() -> Result<Option<CurrentUser>, AppError> {
        Ok(caller().await?.identity.map(|i| i.user))
    }

    pub async fn user() -> Result<CurrentUser, AppError> {
        Ok(identity().await?.user)
    }
}

