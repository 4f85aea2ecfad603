//! Signing a browser in and out, shared by the server functions and the REST API. The cookie's
//! session (tower-sessions in Redis) holds only the id of an `auth_sessions` row; the row says who
//! signed in, how and when, and ending it ends the session wherever the cookie is. Sign-in rotates
//! the cookie's id; sign-out ends the row and deletes the cookie's session.

use super::CurrentUser;
use super::audit::{self, Outcome};
use super::sessions::{self, ClientInfo, Identity, SignInMethod};
use crate::error::{CredentialRule, EngineError};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

/// The session store not answering (Redis down) is an outage to wait out, not a bug to report.
fn session_error(e: tower_sessions::session::Error) -> EngineError {
    match e {
        tower_sessions::session::Error::Store(store) => EngineError::SessionsUnavailable(store.to_string()),
        other => EngineError::internal(other),
    }
}

const SESSION_KEY: &str = "auth_session";

/// The signed-in caller of this cookie session, if its row is still live.
pub async fn identify(session: &Session, pool: &PgPool) -> Result<Option<Identity>, EngineError> {
    let id: Option<Uuid> = session.get(SESSION_KEY).await.map_err(session_error)?;
    let Some(id) = id else { return Ok(None) };
    sessions::resolve(pool, id).await
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
    if let Some(old) = session.get::<Uuid>(SESSION_KEY).await.map_err(session_error)? {
        sessions::end_by_cookie(pool, old, "signed in again").await?;
    }
    let id = sessions::start(pool, user.id, method, passkey_id, client).await?;
    session.cycle_id().await.map_err(session_error)?;
    session.insert(SESSION_KEY, id).await.map_err(session_error)?;
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
    let result = crate::auth::login(pool, username, password).await;
    audit_sign_in(pool, client, "password", Some(username), &result, |u| u).await?;
    let user = result?;
    sign_in(session, pool, &user, SignInMethod::Password, None, client).await?;
    Ok(user)
}

/// Uses an enrolment link and signs this browser in for the visit (audited as a sign-in).
pub async fn enrolment_sign_in(session: &Session, pool: &PgPool, client: &ClientInfo, secret: &str) -> Result<CurrentUser, EngineError> {
    let result = crate::auth::enrolment::redeem(pool, secret).await;
    audit_sign_in(pool, client, "enrolment", None, &result, |u| u).await?;
    let user = result?;
    sign_in(session, pool, &user, SignInMethod::Enrolment, None, client).await?;
    Ok(user)
}

/// The audit entry of a sign-in attempt: who (the name as typed when the attempt failed), how, and
/// whether it was let in.
pub async fn audit_sign_in<T>(
    pool: &PgPool,
    client: &ClientInfo,
    method: &str,
    typed: Option<&str>,
    result: &Result<T, EngineError>,
    user_of: impl Fn(&T) -> &CurrentUser,
) -> Result<(), EngineError> {
    let user = result.as_ref().ok().map(&user_of);
    let outcome = match result {
        Ok(_) => Outcome::Ok,
        Err(EngineError::Internal(_)) => Outcome::Failed,
        Err(_) => Outcome::Denied,
    };
    let typed: Option<String> = typed.map(|t| t.trim().chars().take(64).collect());
    metrics::counter!("dgs_sign_ins_total", "method" => method.to_string(), "outcome" => outcome.as_str()).increment(1);
    audit::record(
        pool,
        audit::Entry {
            actor_id: user.map(|u| u.id),
            actor_name: user.map(|u| u.username.as_str()).or(typed.as_deref()),
            action: "sign_in",
            target: None,
            outcome,
            status: None,
            client,
            details: serde_json::json!({ "method": method }),
        },
    )
    .await
}

/// A passkey ceremony in progress, kept in the server-side session: single use, short-lived.
#[derive(serde::Serialize, serde::Deserialize)]
struct Ceremony<T> {
    state: T,
    started_at: i64,
    name: Option<String>,
    /// Who started it: a registration is finished by the same user or not at all.
    user_id: Option<uuid::Uuid>,
}

pub const REGISTRATION: &str = "passkey_registration";
pub const AUTHENTICATION: &str = "passkey_authentication";

pub async fn keep_ceremony<T: serde::Serialize>(
    session: &Session,
    key: &str,
    state: T,
    name: Option<String>,
    user_id: Option<uuid::Uuid>,
) -> Result<(), EngineError> {
    let c = Ceremony { state, started_at: chrono::Utc::now().timestamp(), name, user_id };
    session.insert(key, c).await.map_err(session_error)
}

/// Takes (and so ends) the ceremony under `key`; one older than its lifetime is refused.
pub async fn take_ceremony<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
    user_id: Option<uuid::Uuid>,
) -> Result<(T, Option<String>), EngineError> {
    let c: Ceremony<T> = session
        .remove(key)
        .await
        .map_err(session_error)?
        .ok_or(EngineError::Credential(CredentialRule::PasskeyNotStarted))?;
    let age = chrono::Utc::now().timestamp() - c.started_at;
    if c.user_id != user_id {
        return Err(EngineError::Credential(CredentialRule::PasskeyForeign));
    }
    if age > crate::auth::passkeys::CEREMONY_LIFETIME.num_seconds() {
        return Err(EngineError::Credential(CredentialRule::PasskeyExpired));
    }
    Ok((c.state, c.name))
}

/// "Sign out everywhere": ends all of the caller's sessions, or all but this one. When this one
/// ends too, so does the cookie's session.
pub async fn sign_out_everywhere(session: &Session, pool: &PgPool, me: &Identity, keep_current: bool) -> Result<u64, EngineError> {
    let keep = if keep_current { me.session_id() } else { None };
    let ended = sessions::end_all(pool, me.user.id, keep, "signed out everywhere").await?;
    if keep.is_none() && me.session_id().is_some() {
        sign_out(session, pool, None).await?;
    }
    Ok(ended)
}

pub async fn sign_out(session: &Session, pool: &PgPool, identity: Option<&Identity>) -> Result<(), EngineError> {
    if let Some(id) = identity.and_then(Identity::session_id) {
        sessions::end_by_cookie(pool, id, "signed out").await?;
    }
    session.flush().await.map_err(session_error)
}

/// What the server's identity layer found out about a request, put in its extensions before any
/// handler runs: the signed-in caller (by session or API token) and where the request came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Option<Identity>,
    pub client: ClientInfo,
}

/// Starts a passkey sign-in on this browser (no username: the browser offers this site's passkeys).
pub async fn start_passkey_sign_in(
    session: &Session,
    passkeys: &super::passkeys::Passkeys,
) -> Result<webauthn_rs::prelude::RequestChallengeResponse, EngineError> {
    let (options, ceremony) = passkeys.start_sign_in()?;
    keep_ceremony(session, AUTHENTICATION, ceremony, None, None).await?;
    Ok(options)
}

/// Finishes the passkey sign-in this browser started: the ceremony is used up, the credential
/// checked, the attempt audited, and the browser signed in.
pub async fn passkey_sign_in(
    session: &Session,
    pool: &PgPool,
    passkeys: &super::passkeys::Passkeys,
    client: &ClientInfo,
    credential: &webauthn_rs::prelude::PublicKeyCredential,
) -> Result<CurrentUser, EngineError> {
    let (ceremony, _): (webauthn_rs::prelude::DiscoverableAuthentication, _) = take_ceremony(session, AUTHENTICATION, None).await?;
    let result = passkeys.finish_sign_in(pool, credential, ceremony).await;
    audit_sign_in(pool, client, "passkey", None, &result, |(u, _)| u).await?;
    let (user, passkey_id) = result?;
    sign_in(session, pool, &user, SignInMethod::Passkey, Some(passkey_id), client).await?;
    Ok(user)
}

/// Starts adding a passkey named `name` for the signed-in `me` (who must have signed in recently).
pub async fn start_passkey_registration(
    session: &Session,
    pool: &PgPool,
    passkeys: &super::passkeys::Passkeys,
    me: &Identity,
    name: String,
) -> Result<webauthn_rs::prelude::CreationChallengeResponse, EngineError> {
    let (options, ceremony) = passkeys.start_registration(pool, me).await?;
    keep_ceremony(session, REGISTRATION, ceremony, Some(name), Some(me.user.id)).await?;
    Ok(options)
}

/// Finishes the registration `me` started on this browser, under the name given at the start.
pub async fn finish_passkey_registration(
    session: &Session,
    pool: &PgPool,
    passkeys: &super::passkeys::Passkeys,
    me: &Identity,
    credential: &webauthn_rs::prelude::RegisterPublicKeyCredential,
) -> Result<super::types::PasskeyInfo, EngineError> {
    let (ceremony, name): (webauthn_rs::prelude::PasskeyRegistration, _) = take_ceremony(session, REGISTRATION, Some(me.user.id)).await?;
    let name = name.unwrap_or_else(|| "Passkey".into());
    passkeys.finish_registration(pool, me, &name, credential, &ceremony).await
}
