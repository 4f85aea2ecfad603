//! Accounts and access: users, roles and the permission check every entry point goes through,
//! password hashing (argon2id). Sessions themselves are the server's (tower-sessions); a lockout of
//! repeated password failures (`throttle`). Passkeys and audit come with the accounts issue.

#[cfg(feature = "server")]
mod password;
mod roles;
#[cfg(feature = "server")]
pub mod throttle;
#[cfg(feature = "server")]
mod users;

#[cfg(feature = "server")]
pub use password::{hash_password, verify_password};
pub use roles::{CurrentUser, Permission, Role};
#[cfg(feature = "server")]
pub use users::{Password, Username, count_users, create_first_admin, create_user, find_user, login};
