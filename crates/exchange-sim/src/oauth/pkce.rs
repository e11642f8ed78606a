//! Proof Key for Code Exchange (RFC 7636), S256 method only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::crypto::{constant_time_eq, sha256};

/// The only `code_challenge_method` accepted.
pub(crate) const S256: &str = "S256";

/// Whether `verifier` has the form of RFC 7636 §4.1: 43 to 128 unreserved characters.
pub(crate) fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` can be an S256 challenge: an unpadded base64url SHA-256 digest.
pub(crate) fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// The S256 challenge derived from `verifier`.
pub(crate) fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
}

/// Whether `verifier` answers `challenge`.
pub(crate) fn verify(verifier: &str, challenge: &str) -> bool {
    constant_time_eq(&s256_challenge(verifier), challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn matches_the_rfc_7636_example() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert!(verify(VERIFIER, CHALLENGE));
        assert!(!verify(&VERIFIER.replace('d', "e"), CHALLENGE));
    }

    #[test]
    fn checks_verifier_and_challenge_forms() {
        assert!(is_valid_verifier(VERIFIER));
        assert!(!is_valid_verifier("too-short"));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{VERIFIER}+")));
        assert!(is_valid_challenge(CHALLENGE));
        assert!(!is_valid_challenge(VERIFIER.trim_end_matches('k')));
        assert!(!is_valid_challenge(&format!("{}=", &CHALLENGE[..42])));
    }
}
