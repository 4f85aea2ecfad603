//! Server functions of signing in and of one's own account: password, sessions, API tokens.
//! The sign-in ones live under `/api/auth/…`, where the server limits calls per address.

use super::AppError;
use engine::auth::{CurrentUser, NewToken, SessionInfo, TokenInfo};
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/read")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    ssr::maybe_user().await
}

#[server(prefix = "/api/read")]
pub async fn needs_setup() -> Result<bool, AppError> {
    let n = engine::auth::count_users(&ssr::services()?.pool).await.map_err(ssr::fail)?;
    Ok(n == 0)
}

#[server(endpoint = "auth/login")]
pub async fn login(username: String, password: String) -> Result<CurrentUser, AppError> {
    let caller = ssr::caller().await?;
    let pool = ssr::services()?.pool;
    engine::auth::signin::password_sign_in(&ssr::session().await?, &pool, &caller.client, &username, &password)
        .await
        .map_err(ssr::fail)
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    let caller = ssr::caller().await?;
    engine::auth::signin::sign_out(&ssr::session().await?, &ssr::services()?.pool, caller.identity.as_ref())
        .await
        .map_err(ssr::fail)
}

#[server(endpoint = "auth/setup")]
pub async fn setup_admin(username: String, password: String) -> Result<CurrentUser, AppError> {
    use engine::auth::sessions::SignInMethod;
    let pool = ssr::services()?.pool;
    let user = engine::auth::create_first_admin(&pool, &username, &password).await.map_err(ssr::fail)?;
    let caller = ssr::caller().await?;
    engine::auth::signin::sign_in(&ssr::session().await?, &pool, &user, SignInMethod::Setup, None, &caller.client)
        .await
        .map_err(ssr::fail)?;
    Ok(user)
}

#[server(endpoint = "auth/password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    let current = (!current.is_empty()).then_some(current.as_str());
    engine::auth::change_password(&ssr::services()?.pool, &me, current, &new).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn my_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let me = ssr::identity().await?;
    engine::auth::sessions::list(&ssr::services()?.pool, &me.user, me.session_id()).await.map_err(ssr::fail)
}

#[server]
pub async fn end_session(id: Uuid) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    engine::auth::sessions::end(&ssr::services()?.pool, &me.user, id, "signed out from another session").await.map_err(ssr::fail)
}

/// Signs out every session of mine, this one included when `everywhere`, else all the others.
#[server]
pub async fn end_all_sessions(everywhere: bool) -> Result<u64, AppError> {
    let me = ssr::identity().await?;
    engine::auth::signin::sign_out_everywhere(&ssr::session().await?, &ssr::services()?.pool, &me, !everywhere).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn my_tokens() -> Result<Vec<TokenInfo>, AppError> {
    let me = ssr::user().await?;
    engine::auth::tokens::list(&ssr::services()?.pool, &me).await.map_err(ssr::fail)
}

/// A token that expires after `expires_in_days` (never without).
#[server]
pub async fn create_token(name: String, expires_in_days: Option<u32>, scope: engine::auth::TokenScope) -> Result<NewToken, AppError> {
    let me = ssr::identity().await?;
    let expires_at = engine::auth::tokens::expiry_in_days(expires_in_days);
    engine::auth::tokens::create(&ssr::services()?.pool, &me, &name, expires_at, scope).await.map_err(ssr::fail)
}

#[server]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    let me = ssr::user().await?;
    engine::auth::tokens::revoke(&ssr::services()?.pool, &me, id).await.map_err(ssr::fail)
}

#[server(prefix = "/api/read")]
pub async fn my_passkeys() -> Result<Vec<engine::auth::PasskeyInfo>, AppError> {
    let me = ssr::user().await?;
    engine::auth::passkeys::list(&ssr::services()?.pool, &me).await.map_err(ssr::fail)
}

#[server]
pub async fn rename_passkey(id: Uuid, name: String) -> Result<(), AppError> {
    let me = ssr::user().await?;
    engine::auth::passkeys::rename(&ssr::services()?.pool, &me, id, &name).await.map_err(ssr::fail)
}

/// Needs a fresh sign-in; ends the sessions the passkey opened.
#[server]
pub async fn remove_passkey(id: Uuid) -> Result<(), AppError> {
    let me = ssr::identity().await?;
    engine::auth::passkeys::remove(&ssr::services()?.pool, &me, id).await.map_err(ssr::fail)
}

/// Opens an enrolment link: signs this browser in for the visit.
#[server(endpoint = "auth/enrol")]
pub async fn redeem_enrolment(token: String) -> Result<CurrentUser, AppError> {
    let caller = ssr::caller().await?;
    let pool = ssr::services()?.pool;
    engine::auth::signin::enrolment_sign_in(&ssr::session().await?, &pool, &caller.client, &token).await.map_err(ssr::fail)
}
