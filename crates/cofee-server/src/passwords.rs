//! Password hashes: Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1, the crate's
//! defaults), computed off the async runtime (tens of milliseconds each). Sign-up and sign-in
//! (`resources::auth`) and the account screen (`resources::account`) use them.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::problem::ApiError;

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string())
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|_| ApiError::internal())
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await
    .unwrap_or(false)
}
