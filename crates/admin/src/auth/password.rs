//! argon2id password hashing.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use impersync_store::PasswordHash;

fn hasher(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

/// Hashes a password with argon2id and a random salt.
pub fn hash(password: &str, params: &Params) -> Result<PasswordHash, String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| e.to_string())?;
    let phc = hasher(params)
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| e.to_string())?
        .to_string();
    PasswordHash::new(phc).map_err(|e| e.to_string())
}

/// Whether the password matches the hash (the hash's own parameters are used).
pub fn verify(password: &str, hash: &PasswordHash, params: &Params) -> bool {
    match argon2::password_hash::PasswordHash::new(hash.as_str()) {
        Ok(parsed) => hasher(params)
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}
