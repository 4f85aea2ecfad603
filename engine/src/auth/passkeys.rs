//! Passkeys (WebAuthn, through webauthn-rs): several per user, each with a name; sign-in with a
//! discoverable credential (no username, or the browser's autofill); rename and remove. The ceremony
//! state is the caller's to keep server-side (the session) for at most `CEREMONY_LIFETIME`; this
//! module checks the credential, records its counter, backup state and last use.

use std::sync::Arc;

use sqlx::PgPool;
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Webauthn, WebauthnBuilder,
};

use super::rbac::load_user;
use super::sessions::Identity;
use super::types::PasskeyInfo;
use super::CurrentUser;
use crate::error::{Conflict, EngineError, Resource, Result};

/// A started ceremony is good for this long, once.
pub const CEREMONY_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Clone)]
pub struct Passkeys {
    webauthn: Arc<Webauthn>,
}

/// The verifier's own words go to the log; the person is told the passkey was not accepted.
fn refused(e: impl std::fmt::Display) -> EngineError {
    tracing::info!(error = %e, "passkey not accepted");
    EngineError::Credential(crate::error::CredentialRule::PasskeyRejected)
}

impl Passkeys {
    /// For the site at `origin` (e.g. `https://dgs.example`); its host is the relying party id.
    pub fn new(origin: &Url) -> Result<Self> {
        let rp_id = origin.host_str().ok_or_else(|| EngineError::internal("the public URL has no host"))?;
        let webauthn = WebauthnBuilder::new(rp_id, origin)
            .and_then(|b| b.rp_name("Data Governance Service").build())
            .map_err(|e| EngineError::internal(format!("webauthn set-up: {e}")))?;
        Ok(Passkeys { webauthn: Arc::new(webauthn) })
    }

    /// Begins adding a passkey to my account (needs a fresh sign-in). My existing ones are excluded,
    /// so the same authenticator is not registered twice.
    pub async fn start_registration(&self, pool: &PgPool, me: &Identity) -> Result<(CreationChallengeResponse, PasskeyRegistration)> {
        me.require_fresh()?;
        let existing = sqlx::query_scalar!("SELECT credential_id FROM passkeys WHERE user_id = $1", me.user.id)
            .fetch_all(pool)
            .await?;
        let exclude = (!existing.is_empty()).then(|| existing.into_iter().map(Into::into).collect());
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(me.user.id, &me.user.username, &me.user.username, exclude)
            .map_err(|e| EngineError::internal(format!("webauthn: {e}")))?;
        // Sign-in here is username-less, which only finds credentials stored on the authenticator
        // (resident). webauthn-rs only "discourages" them by default and does not check it on finish.
        if let Some(sel) = options.public_key.authenticator_selection.as_mut() {
            sel.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Required);
            sel.require_resident_key = true;
        }
        Ok((options, state))
    }

    pub async fn finish_registration(
        &self,
        pool: &PgPool,
        me: &Identity,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<PasskeyInfo> {
        me.require_fresh()?;
        let name = super::credential_name(name, "a passkey")?;
        let passkey = self.webauthn.finish_passkey_registration(credential, state).map_err(refused)?;
        let json = serde_json::to_value(&passkey).map_err(EngineError::internal)?;
        let id = Uuid::new_v4();
        let cred_id: &[u8] = passkey.cred_id().as_ref();
        let inserted = sqlx::query_as!(
            PasskeyInfo,
            "INSERT INTO passkeys (id, user_id, name, credential_id, credential) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (credential_id) DO NOTHING
             RETURNING id, name, created_at, last_used_at, sign_count, backup_eligible, backup_state",
            id,
            me.user.id,
            name,
            cred_id,
            json
        )
        .fetch_optional(pool)
        .await?;
        inserted.ok_or_else(|| EngineError::Conflict(Conflict::PasskeyRegistered))
    }

    /// Begins a sign-in with any passkey of this site (the browser lets its holder choose).
    pub fn start_sign_in(&self) -> Result<(RequestChallengeResponse, DiscoverableAuthentication)> {
        self.webauthn.start_discoverable_authentication().map_err(|e| EngineError::internal(format!("webauthn: {e}")))
    }

    /// Checks the assertion and answers with its user and passkey. A credential this site does not
    /// know is `NotFound` (404), so the browser can forget it. Not subject to the password lockout.
    pub async fn finish_sign_in(
        &self,
        pool: &PgPool,
        credential: &PublicKeyCredential,
        state: DiscoverableAuthentication,
    ) -> Result<(CurrentUser, Uuid)> {
        let (user_id, cred_id) = self.webauthn.identify_discoverable_authentication(credential).map_err(refused)?;
        let row = sqlx::query!(
            "SELECT id, user_id, credential FROM passkeys WHERE credential_id = $1",
            cred_id
        )
        .fetch_optional(pool)
        .await?
        .filter(|r| r.user_id == user_id)
        .ok_or(EngineError::NotFound(Resource::Passkey))?;
        let mut passkey: Passkey = serde_json::from_value(row.credential).map_err(EngineError::internal)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(credential, state, &passkey)
            .map_err(|_| EngineError::BadCredentials)?;
        passkey.update_credential(&result);
        let json = serde_json::to_value(&passkey).map_err(EngineError::internal)?;
        sqlx::query!(
            "UPDATE passkeys SET credential = $2, sign_count = $3, backup_eligible = $4, backup_state = $5, last_used_at = now()
             WHERE id = $1",
            row.id,
            json,
            i64::from(result.counter()),
            result.backup_eligible(),
            result.backup_state()
        )
        .execute(pool)
        .await?;
        let user = load_user(pool, user_id).await?.ok_or(EngineError::BadCredentials)?;
        Ok((user, row.id))
    }
}

pub async fn list(pool: &PgPool, user: &CurrentUser) -> Result<Vec<PasskeyInfo>> {
    Ok(sqlx::query_as!(
        PasskeyInfo,
        "SELECT id, name, created_at, last_used_at, sign_count, backup_eligible, backup_state
         FROM passkeys WHERE user_id = $1 ORDER BY created_at",
        user.id
    )
    .fetch_all(pool)
    .await?)
}

pub async fn rename(pool: &PgPool, user: &CurrentUser, id: Uuid, name: &str) -> Result<()> {
    let name = super::credential_name(name, "a passkey")?;
    let done = sqlx::query!("UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2", id, user.id, name)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(EngineError::NotFound(Resource::Passkey));
    }
    Ok(())
}

/// Removes one of my passkeys (needs a fresh sign-in) and ends every session it opened. The last
/// credential of an account without a password stays, so nobody locks themselves out.
pub async fn remove(pool: &PgPool, me: &Identity, id: Uuid) -> Result<()> {
    me.require_fresh()?;
    let mut tx = pool.begin().await?;
    let facts = sqlx::query!(
        r#"SELECT (u.password_hash IS NOT NULL) AS "has_password!",
                  (SELECT count(*) FROM passkeys WHERE user_id = u.id) AS "passkeys!"
           FROM users u WHERE u.id = $1 FOR UPDATE"#,
        me.user.id
    )
    .fetch_one(&mut *tx)
    .await?;
    let mine = sqlx::query_scalar!("SELECT id FROM passkeys WHERE id = $1 AND user_id = $2", id, me.user.id)
        .fetch_optional(&mut *tx)
        .await?;
    if mine.is_none() {
        return Err(EngineError::NotFound(Resource::Passkey));
    }
    if !facts.has_password && facts.passkeys <= 1 {
        return Err(EngineError::Conflict(Conflict::LastSignInMethod));
    }
    sqlx::query!(
        "UPDATE auth_sessions SET ended_at = now(), ended_reason = 'passkey removed' WHERE passkey_id = $1 AND ended_at IS NULL",
        id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM passkeys WHERE id = $1", id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
