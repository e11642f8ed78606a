//! Proof Key for Code Exchange (RFC 7636, S256) and the `state` parameter.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// 32 random bytes, base64url: 43 characters, as RFC 7636 §4.1 recommends.
fn random_text() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh, unguessable `state` value (256 random bits).
pub fn random_state() -> String {
    random_text()
}

/// A PKCE pair: the verifier, kept by the client, and its S256 challenge, sent with the
/// authorization request.
#[derive(Debug, Clone)]
pub struct Pkce {
    verifier: Secret,
    challenge: String,
}

impl Pkce {
    /// The `code_challenge_method` sent.
    pub const METHOD: &'static str = "S256";

    /// A fresh pair.
    pub fn generate() -> Self {
        let verifier = random_text();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier: Secret::new(verifier),
            challenge,
        }
    }

    /// The verifier, sent with the code to the token endpoint.
    pub fn verifier(&self) -> &Secret {
        &self.verifier
    }

    /// The challenge, `BASE64URL(SHA256(verifier))`.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_the_rfc_7636_s256_of_the_verifier() {
        let pkce = Pkce::generate();
        assert_eq!(pkce.verifier().expose().len(), 43);
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(pkce.verifier().expose()));
        assert_eq!(pkce.challenge(), expected);
        assert_ne!(Pkce::generate().verifier(), pkce.verifier());
        assert_ne!(random_state(), random_state());
    }
}
