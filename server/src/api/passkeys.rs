//! Passkeys over REST: the browser's side of the WebAuthn ceremonies (`public/passkeys.js`) and the
//! management of my passkeys; enrolment links.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::auth::{CurrentUser, EnrolmentLink, PasskeyInfo, enrolment, passkeys};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_rs::prelude::{CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse};

use super::extract::{ApiJson, ApiPath};
use super::error::ApiError;
use super::session::{AuthUser, Authed, Caller};
use crate::state::AppState;
use engine::auth::signin;

#[derive(Deserialize, ToSchema)]
pub struct NewPasskey {
    /// What to call it, e.g. "Work laptop".
    name: String,
}

/// Begin adding a passkey (needs a sign-in within 10 minutes). Answers WebAuthn creation options.
#[utoipa::path(post, path = "/auth/passkeys/register/start", tag = "auth", request_body = NewPasskey,
    responses((status = 200, body = Object), (status = 403, description = "Sign in again first")))]
pub async fn register_start(
    State(state): State<AppState>,
    Authed(me): Authed,
    session: Session,
    ApiJson(req): ApiJson<NewPasskey>,
) -> Result<Json<CreationChallengeResponse>, ApiError> {
    let services = &state.services;
    Ok(Json(signin::start_passkey_registration(&session, &services.pool, &services.passkeys, &me, req.name).await?))
}

/// Finish adding a passkey with the browser's credential.
#[utoipa::path(post, path = "/auth/passkeys/register/finish", tag = "auth", request_body = Object,
    responses((status = 201, body = PasskeyInfo), (status = 409, description = "Already registered"), (status = 422)))]
pub async fn register_finish(
    State(state): State<AppState>,
    Authed(me): Authed,
    session: Session,
    ApiJson(credential): ApiJson<RegisterPublicKeyCredential>,
) -> Result<(StatusCode, Json<PasskeyInfo>), ApiError> {
    let services = &state.services;
    let info = signin::finish_passkey_registration(&session, &services.pool, &services.passkeys, &me, &credential).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// Begin a passkey sign-in (no username: the browser offers this site's passkeys).
#[utoipa::path(post, path = "/auth/passkeys/login/start", tag = "auth", responses((status = 200, body = Object)))]
pub async fn login_start(State(state): State<AppState>, session: Session) -> Result<Json<RequestChallengeResponse>, ApiError> {
    Ok(Json(signin::start_passkey_sign_in(&session, &state.services.passkeys).await?))
}

/// Finish a passkey sign-in; sets a new session cookie. An unknown credential answers 404.
#[utoipa::path(post, path = "/auth/passkeys/login/finish", tag = "auth", request_body = Object,
    responses((status = 200, body = CurrentUser), (status = 401), (status = 404, description = "Unknown passkey: forget it")))]
pub async fn login_finish(
    State(state): State<AppState>,
    caller: Caller,
    session: Session,
    ApiJson(credential): ApiJson<PublicKeyCredential>,
) -> Result<Json<CurrentUser>, ApiError> {
    let services = &state.services;
    let user = signin::passkey_sign_in(&session, &services.pool, &services.passkeys, &caller.client, &credential).await?;
    Ok(Json(user))
}

/// My passkeys.
#[utoipa::path(get, path = "/auth/passkeys", tag = "auth", responses((status = 200, body = Vec<PasskeyInfo>)))]
pub async fn list(State(state): State<AppState>, AuthUser(me): AuthUser) -> Result<Json<Vec<PasskeyInfo>>, ApiError> {
    Ok(Json(passkeys::list(&state.services.pool, &me).await?))
}

/// Rename one of my passkeys.
#[utoipa::path(patch, path = "/auth/passkeys/{id}", tag = "auth", params(("id" = Uuid, Path)), request_body = NewPasskey, responses((status = 204), (status = 404), (status = 422)))]
pub async fn rename(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<NewPasskey>,
) -> Result<StatusCode, ApiError> {
    passkeys::rename(&state.services.pool, &me, id, &req.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove one of my passkeys (needs a fresh sign-in); the sessions it opened end.
#[utoipa::path(delete, path = "/auth/passkeys/{id}", tag = "auth", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, description = "Sign in again first"), (status = 404), (status = 409, description = "Your only way in")))]
pub async fn remove(State(state): State<AppState>, Authed(me): Authed, ApiPath(id): ApiPath<Uuid>) -> Result<StatusCode, ApiError> {
    passkeys::remove(&state.services.pool, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct Enrol {
    token: String,
}

/// Use an enrolment link: signs this browser in for the visit, to add a passkey or set a password.
#[utoipa::path(post, path = "/auth/enrol", tag = "auth", request_body = Enrol,
    responses((status = 200, body = CurrentUser), (status = 404, description = "Used, expired or unknown")))]
pub async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    session: Session,
    ApiJson(req): ApiJson<Enrol>,
) -> Result<Json<CurrentUser>, ApiError> {
    Ok(Json(engine::auth::signin::enrolment_sign_in(&session, &state.services.pool, &caller.client, &req.token).await?))
}

/// A single-use link (1 hour) for the user to enrol a passkey or set a password.
#[utoipa::path(post, path = "/admin/users/{id}/enrolment-link", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 201, body = EnrolmentLink), (status = 403), (status = 404)))]
pub async fn create_enrolment_link(
    State(state): State<AppState>,
    Authed(me): Authed,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<EnrolmentLink>), ApiError> {
    Ok((StatusCode::CREATED, Json(enrolment::create_link(&state.services.pool, &me, id).await?)))
}
