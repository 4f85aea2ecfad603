use sqlx::PgPool;

use super::types::{UserSummary};
use uuid::Uuid;

use super::password::{hash_in_background, hash_password, verify_in_background};
use super::rbac::load_user;
use super::sessions::Identity;
use super::{CurrentUser, Permission, Role};
use crate::error::{Conflict, CredentialRule, EngineError, Resource, Result};

/// A username as stored: 3–64 letters, digits, `.`, `_`, `-` or `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let ok_chars = s.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !(3..=64).contains(&s.chars().count()) || !ok_chars {
            return Err(EngineError::Credential(CredentialRule::UsernameInvalid));
        }
        Ok(Username(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy; never logged or serialised.
pub struct Password(String);

impl Password {
    /// At least 10 characters, not the username, and not a common or easily guessed password
    /// (zxcvbn's dictionaries hold the usual leaked-password lists; a score under 2 is refused).
    pub fn parse(raw: &str, username: &Username) -> Result<Self> {
        if raw.chars().count() < 10 {
            return Err(EngineError::Credential(CredentialRule::PasswordTooShort));
        }
        if raw.chars().count() > 256 {
            return Err(EngineError::Credential(CredentialRule::PasswordTooLong));
        }
        if raw.trim().eq_ignore_ascii_case(username.as_str()) {
            return Err(EngineError::Credential(CredentialRule::PasswordIsUsername));
        }
        let estimate = zxcvbn::zxcvbn(raw, &[username.as_str()]);
        if (estimate.score() as u8) < 2 {
            return Err(EngineError::Credential(CredentialRule::PasswordTooWeak));
        }
        Ok(Password(raw.to_string()))
    }
}

impl Password {
    async fn hashed(&self) -> Result<String> {
        hash_in_background(&self.0).await
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

pub async fn count_users(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM users"#).fetch_one(pool).await?)
}

async fn insert_user(
    tx: &mut sqlx::PgConnection,
    username: &Username,
    hash: Option<String>,
    role: &str,
    granted_by: Option<Uuid>,
) -> Result<Uuid> {
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "INSERT INTO users (id, username, password_hash, password_changed_at) VALUES ($1, $2, $3, CASE WHEN $3::text IS NULL THEN NULL ELSE now() END)
         ON CONFLICT DO NOTHING",
        id,
        username.as_str(),
        hash
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(EngineError::Conflict(Conflict::UsernameTaken(username.as_str().to_string())));
    }
    let assigned = sqlx::query!(
        "INSERT INTO role_assignments (user_id, role, granted_by) SELECT $1, name, $3 FROM roles WHERE name = $2",
        id,
        role,
        granted_by
    )
    .execute(&mut *tx)
    .await?;
    if assigned.rows_affected() == 0 {
        return Err(EngineError::invalid(format!("unknown role '{role}'")));
    }
    Ok(id)
}

/// Creates a user with a built-in role (the CLI and tests; admins use `create_account`).
pub async fn create_user(pool: &PgPool, username: &Username, password: &Password, role: Role) -> Result<CurrentUser> {
    let hash = password.hashed().await?;
    let mut tx = pool.begin().await?;
    let id = insert_user(&mut tx, username, Some(hash), role.as_str(), None).await?;
    tx.commit().await?;
    load_user(pool, id).await?.ok_or(EngineError::NotFound(Resource::User))
}

/// An admin creates an account with a role. Without a password (absent or empty) the account is
/// passkey-only until its holder uses an enrolment link. Who may is checked before the input.
pub async fn create_account(pool: &PgPool, me: &Identity, username: &str, password: Option<&str>, role: &str) -> Result<CurrentUser> {
    let admin = &me.user;
    admin.require(Permission::UserAdmin)?;
    me.require_fresh()?;
    let username = Username::parse(username)?;
    let hash = match password.filter(|p| !p.is_empty()) {
        Some(p) => Some(Password::parse(p, &username)?.hashed().await?),
        None => None,
    };
    let mut tx = pool.begin().await?;
    let id = insert_user(&mut tx, &username, hash, role, Some(admin.id)).await?;
    tx.commit().await?;
    load_user(pool, id).await?.ok_or(EngineError::NotFound(Resource::User))
}

fn already_set_up() -> EngineError {
    EngineError::Conflict(Conflict::AlreadySetUp)
}

/// The first-run path: creates an admin only while no user exists. The table lock makes two
/// simultaneous first-run submissions produce one admin, not two.
pub async fn create_first_admin(pool: &PgPool, username: &str, password: &str) -> Result<CurrentUser> {
    // Checked before the password is judged and hashed (both costly): once set up, this anonymous
    // route must cost nothing.
    if count_users(pool).await? > 0 {
        return Err(already_set_up());
    }
    let username = Username::parse(username)?;
    let hash = Password::parse(password, &username)?.hashed().await?;
    let mut tx = pool.begin().await?;
    sqlx::query!("LOCK TABLE users IN EXCLUSIVE MODE").execute(&mut *tx).await?;
    let existing = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM users"#).fetch_one(&mut *tx).await?;
    if existing > 0 {
        return Err(already_set_up());
    }
    let id = insert_user(&mut tx, &username, Some(hash), "admin", None).await?;
    tx.commit().await?;
    load_user(pool, id).await?.ok_or(EngineError::NotFound(Resource::User))
}

/// Checks a username and password. An unknown user costs the same hash as a known one, and both
/// failures give the same error, so neither the answer nor its timing tells whether a user exists.
/// Five failures in a row lock the name (known or not) for a growing time (`throttle`).
pub async fn login(pool: &PgPool, username: &str, password: &str) -> Result<CurrentUser> {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no such user, same cost").unwrap_or_default());
    let locked = super::throttle::locked_for(pool, username).await?;
    let row = sqlx::query!(
        "SELECT id, password_hash FROM users WHERE lower(username) = lower($1) AND is_active",
        username.trim()
    )
    .fetch_optional(pool)
    .await?;
    // A locked name, and an account without a password (passkey-only), are refused whatever the
    // password; the hash still runs, so they cost the same time as any other.
    let (hash, user_id) = match &row {
        Some(r) if locked.is_none() => match &r.password_hash {
            Some(h) => (h.clone(), Some(r.id)),
            None => (DUMMY.clone(), None),
        },
        _ => (DUMMY.clone(), None),
    };
    let ok = verify_in_background(password, &hash).await?;
    if let Some(wait) = locked {
        return Err(EngineError::TooManyAttempts { retry_after_secs: wait.as_secs().max(1) });
    }
    match (ok, user_id) {
        (true, Some(id)) => {
            super::throttle::record_success(pool, username).await?;
            load_user(pool, id).await?.ok_or(EngineError::BadCredentials)
        }
        _ => {
            super::throttle::record_failure(pool, username).await?;
            Err(EngineError::BadCredentials)
        }
    }
}

/// The signed-in user changes their password; the current one must be given (if they have one).
/// Needs a fresh sign-in, except when an admin reset forces the change.
pub async fn change_password(pool: &PgPool, me: &Identity, current: Option<&str>, new: &str) -> Result<()> {
    let user = &me.user;
    if !user.must_change_password {
        me.require_fresh()?;
    }
    let name = Username::parse(&user.username)?;
    let new = Password::parse(new, &name)?;
    let stored = sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id)
        .fetch_one(pool)
        .await?;
    // A visit opened from an enrolment link sets the password without the old one (it was forgotten).
    if let Some(hash) = stored.filter(|_| !me.enrolling()) {
        if !verify_in_background(current.unwrap_or_default(), &hash).await? {
            return Err(EngineError::Credential(CredentialRule::CurrentPasswordWrong));
        }
    }
    set_password(pool, user.id, &new, false).await?;
    // Anyone else signed in with the old password is signed out, and tokens minted with it stop;
    // this browser stays.
    super::sessions::end_all(pool, user.id, me.session_id(), "password changed").await?;
    super::tokens::revoke_all(pool, user.id).await?;
    Ok(())
}

async fn set_password(pool: &PgPool, user_id: Uuid, password: &Password, must_change: bool) -> Result<()> {
    let hash = password.hashed().await?;
    sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = now() WHERE id = $1",
        user_id,
        hash,
        must_change
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// An admin sets a temporary password; its holder must choose a new one at next sign-in, and every
/// session the account had ends.
pub async fn reset_password(pool: &PgPool, me: &Identity, user_id: Uuid, temporary: &str) -> Result<()> {
    me.user.require(Permission::UserAdmin)?;
    me.require_fresh()?;
    let username = sqlx::query_scalar!("SELECT username FROM users WHERE id = $1", user_id)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::User))?;
    let pw = Password::parse(temporary, &Username::parse(&username)?)?;
    set_password(pool, user_id, &pw, true).await?;
    // Whoever had the account's credentials is shut out: sessions end and API tokens are revoked.
    super::sessions::end_all(pool, user_id, None, "password reset by an administrator").await?;
    super::tokens::revoke_all(pool, user_id).await?;
    Ok(())
}


pub async fn list_users(pool: &PgPool, admin: &CurrentUser) -> Result<Vec<UserSummary>> {
    admin.require(Permission::UserAdmin)?;
    Ok(sqlx::query_as!(
        UserSummary,
        r#"SELECT u.id, u.username, u.is_active, u.must_change_password, u.created_at,
                  coalesce((SELECT array_agg(a.role ORDER BY a.role) FROM role_assignments a WHERE a.user_id = u.id
                            AND (a.expires_at IS NULL OR a.expires_at > now())), '{}') AS "roles!",
                  (u.password_hash IS NOT NULL) AS "has_password!",
                  (SELECT count(*) FROM passkeys p WHERE p.user_id = u.id) AS "passkeys!",
                  (SELECT max(s.last_seen_at) FROM auth_sessions s WHERE s.user_id = u.id) AS last_seen_at,
                  (SELECT t.locked_until FROM login_throttle t WHERE t.username = lower(u.username) AND t.locked_until > now()) AS locked_until
           FROM users u ORDER BY lower(u.username)"#
    )
    .fetch_all(pool)
    .await?)
}

/// Lifts a password lockout before it runs out (the person proved who they are another way).
pub async fn unlock(pool: &PgPool, admin: &CurrentUser, user_id: Uuid) -> Result<()> {
    admin.require(Permission::UserAdmin)?;
    let name = sqlx::query_scalar!("SELECT username FROM users WHERE id = $1", user_id)
        .fetch_optional(pool)
        .await?
        .ok_or(EngineError::NotFound(Resource::User))?;
    super::throttle::record_success(pool, &name).await
}

/// Deactivating an account ends its sessions and tokens at once (they resolve only to active
/// users); an admin cannot deactivate themselves.
pub async fn set_active(pool: &PgPool, me: &Identity, user_id: Uuid, active: bool) -> Result<()> {
    let admin = &me.user;
    admin.require(Permission::UserAdmin)?;
    me.require_fresh()?;
    if user_id == admin.id && !active {
        return Err(EngineError::Conflict(Conflict::DeactivateSelf));
    }
    let mut tx = pool.begin().await?;
    if !active {
        super::rbac::keep_an_admin(&mut tx, user_id).await?;
    }
    let done = sqlx::query!("UPDATE users SET is_active = $2 WHERE id = $1", user_id, active).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(EngineError::NotFound(Resource::User));
    }
    tx.commit().await?;
    if !active {
        super::sessions::end_all(pool, user_id, None, "account deactivated").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Username {
        Username::parse(s).expect("valid username")
    }

    #[test]
    fn policy_refuses_short_common_and_username_passwords() {
        let ana = name("ana.lopez");
        for weak in ["short", "password123", "qwertyuiop", "1234567890", "iloveyou12", "Ana.Lopez", "ana.lopez1234"] {
            assert!(Password::parse(weak, &ana).is_err(), "{weak} should be refused");
        }
        for strong in ["a long enough secret", "another long secret", "benchmark password", "a long admin password", "correct horse battery staple"] {
            assert!(Password::parse(strong, &ana).is_ok(), "{strong} should be accepted");
        }
    }

    #[test]
    fn refusals_say_why() {
        let err = Password::parse("password123", &name("someone")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("too easy to guess"), "{err}");
        let err = Password::parse("someone", &name("someone")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("at least 10"), "{err}");
    }
}
