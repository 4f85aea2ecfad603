//! Signed-in sessions, shared by the server functions here and the REST API in `server`. The cookie's
//! session (tower-sessions in Redis) holds only the id of an `auth_sessions` row; the row says who
//! signed in, how and when, and ending it ends the session wherever the cookie is. Sign-in rotates
//! the cookie's id; sign-out ends the row and deletes the cookie's session.

use engine::EngineError;
use engine::auth::audit::{self, Outcome};
use engine::auth::sessions::{self, ClientInfo, Identity, SignInMethod, Via};
use engine::auth::CurrentUser;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

const SESSION_KEY: &str = "auth_session";

/// The signed-in caller of this cookie session, if its row is still live.
pub async fn identify(session: &Session, pool: &PgPool) -> Result<Option<Identity>, EngineError> {
    let id: Option<Uuid> = session.get(SESSION_KEY).await.map_err(EngineError::internal)?;
    let Some(id) = id else { return Ok(None) };
    Ok(sessions::resolve(pool, id)
        .await?
        .map(|(user, authenticated_at)| Identity { user, via: Via::Session { id, authenticated_at } }))
}

/// Starts a signed-in session for `user` under a new cookie id (no fixation of a pre-login id).
pub async fn sign_in(
    session: &Session,
    pool: &PgPool,
    user: &CurrentUser,
    method: SignInMethod,
    passkey_id: Option<Uuid>,
    client: &ClientInfo,
) -> Result<Uuid, EngineError> {
    // A session already signed in on this browser ends first: one browser, one live row.
    if let Some(old) = session.get::<Uuid>(SESSION_KEY).await.map_err(EngineError::internal)? {
        sessions::end_by_cookie(pool, old, "signed in again").await?;
    }
    let id = sessions::start(pool, user.id, method, passkey_id, client).await?;
    session.cycle_id().await.map_err(EngineError::internal)?;
    session.insert(SESSION_KEY, id).await.map_err(EngineError::internal)?;
    Ok(id)
}

/// Checks a username and password and, if they hold, signs this browser in. Every attempt is
/// audited with the name as typed.
pub async fn password_sign_in(
    session: &Session,
    pool: &PgPool,
    client: &ClientInfo,
    username: &str,
    password: &str,
) -> Result<CurrentUser, EngineError> {
    let result = engine::auth::login(pool, username, password).await;
    let typed: String = username.trim().chars().take(64).collect();
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(EngineError::BadCredentials | EngineError::TooManyAttempts { .. }) => Outcome::Denied,
        Err(_) => Outcome::Failed,
    };
    audit::record(
        pool,
        audit::Entry {
            actor_id: result.as_ref().ok().map(|u| u.id),
            actor_name: Some(&typed),
            action: "sign_in",
            target: None,
            outcome,
            status: None,
            client,
            details: serde_json::json!({ "method": "password" }),
        },
    )
    .await?;
    let user = result?;
    sign_in(session, pool, &user, SignInMethod::Password, None, client).await?;
    Ok(user)
}

pub async fn sign_out(session: &Session, pool: &PgPool, identity: Option<&Identity>) -> Result<(), EngineError> {
    if let Some(id) = identity.and_then(Identity::session_id) {
        sessions::end_by_cookie(pool, id, "signed out").await?;
    }
    session.flush().await.map_err(EngineError::internal)
}

/// What the server's identity layer found out about a request, put in its extensions before any
/// handler runs: the signed-in caller (by session or API token) and where the request came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Option<Identity>,
    pub client: ClientInfo,
}
