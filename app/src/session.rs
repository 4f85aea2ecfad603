//! Signed-in sessions, shared by the server functions here and the REST API in `server`: the session
//! cookie resolves to an active user on every request (a deactivated account loses access at once),
//! sign-in rotates the session id, sign-out deletes the session.

use engine::EngineError;
use engine::auth::{CurrentUser, find_user};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

const USER_KEY: &str = "user_id";

pub async fn session_user(session: &Session, pool: &PgPool) -> Result<Option<CurrentUser>, EngineError> {
    let id: Option<Uuid> = session.get(USER_KEY).await.map_err(EngineError::internal)?;
    match id {
        None => Ok(None),
        Some(id) => find_user(pool, id).await,
    }
}

pub async fn sign_in(session: &Session, user: &CurrentUser) -> Result<(), EngineError> {
    session.cycle_id().await.map_err(EngineError::internal)?;
    session.insert(USER_KEY, user.id).await.map_err(EngineError::internal)
}

pub async fn sign_out(session: &Session) -> Result<(), EngineError> {
    session.flush().await.map_err(EngineError::internal)
}
