use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::{EngineError, Result};

/// Argon2id v19 with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's minimum).
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| EngineError::internal(format!("password hashing failed: {e}")))
}

/// Argon2 takes tens of milliseconds of CPU on purpose: every caller in a request runs it on the
/// blocking pool, not on the async workers that serve everyone else.
pub async fn hash_in_background(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(EngineError::internal)?
}

pub async fn verify_in_background(password: &str, phc: &str) -> Result<bool> {
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.map_err(EngineError::internal)
}

/// False for a wrong password and for a stored hash that cannot be parsed (never a panic).
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_salts_differ() -> anyhow::Result<()> {
        let a = hash_password("correct horse")?;
        let b = hash_password("correct horse")?;
        assert!(a.starts_with("$argon2id$v=19$"));
        assert_ne!(a, b);
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("x", "not a phc string"));
        Ok(())
    }
}
