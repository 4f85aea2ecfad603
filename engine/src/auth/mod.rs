//! Accounts and access: who a caller is and what they may do.
//! - `roles`: the permission catalogue and `CurrentUser::require`, the one check every entry point makes;
//! - `rbac`: roles, their permissions and assignments (with expiry), resolved per request;
//! - `users` / `password`: accounts, the password policy, argon2id hashing, change and admin reset;
//! - `throttle`: the lockout after repeated password failures;
//! - `passkeys`: WebAuthn credentials; `enrolment`: single-use links to enrol one or set a password;
//! - `sessions`: sign-in sessions as rows that can be listed and ended; `tokens`: personal API tokens;
//! - `signin`: signing a browser in and out (the cookie's session), passkey ceremonies, their audit;
//! - `audit`: the append-only log of state changes and sign-in attempts.

#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod enrolment;
#[cfg(feature = "server")]
pub mod passkeys;
#[cfg(feature = "server")]
pub(crate) mod password;
#[cfg(feature = "server")]
pub mod rbac;
mod roles;
mod types;
#[cfg(feature = "server")]
pub mod sessions;
#[cfg(feature = "server")]
pub mod signin;
#[cfg(feature = "server")]
pub mod throttle;
#[cfg(feature = "server")]
pub mod tokens;
#[cfg(feature = "server")]
mod users;

pub use roles::{CurrentUser, Permission, Role};

/// The name a user gives a credential (a passkey, a token): trimmed, 1 to 100 characters (the
/// tables' CHECK says the same).
#[cfg(feature = "server")]
fn credential_name(raw: &str, what: &str) -> crate::error::Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(crate::error::EngineError::invalid(format!("{what} needs a name of 1 to 100 characters")));
    }
    Ok(name.to_string())
}
pub use types::*;
#[cfg(feature = "server")]
pub use users::{
    Password, Username, change_password, count_users, create_account, create_first_admin, create_user,
    list_users, login, reset_password, set_active, unlock,
};
