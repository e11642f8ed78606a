//! Admin sign-in: password hashing, sessions, CSRF tokens and the login rate limit.

pub mod csrf;
pub mod password;
pub mod rate_limit;
pub mod session;

/// A random token: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}
