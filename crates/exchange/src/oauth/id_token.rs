//! Who signed in, from the ID token of a token response.
//!
//! The ID token comes straight from the token endpoint over the guarded (TLS-verified)
//! transport, so its claims are read without checking the signature (OpenID Connect Core
//! §3.1.3.7, item 6).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

#[derive(Deserialize)]
struct Claims {
    preferred_username: Option<String>,
    upn: Option<String>,
    email: Option<String>,
}

/// The account an ID token names: `preferred_username` (the Microsoft identity platform v2),
/// else `upn`, else `email`. `None` for anything that is not a readable JWT.
pub fn signed_in_account(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    [claims.preferred_username, claims.upn, claims.email]
        .into_iter()
        .flatten()
        .map(|a| a.trim().to_string())
        .find(|a| !a.is_empty() && !a.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn reads_the_microsoft_claims_in_order() {
        let both = jwt(r#"{"preferred_username":"svc@contoso.com","upn":"other@contoso.com"}"#);
        assert_eq!(signed_in_account(&both).as_deref(), Some("svc@contoso.com"));
        let upn = jwt(r#"{"upn":"svc@contoso.com"}"#);
        assert_eq!(signed_in_account(&upn).as_deref(), Some("svc@contoso.com"));
        assert_eq!(signed_in_account(&jwt(r#"{"sub":"x"}"#)), None);
        assert_eq!(signed_in_account("not a jwt"), None);
        assert_eq!(signed_in_account("a.!!!.c"), None);
    }
}
