//! OpenID Connect ID tokens: a JWT naming who signed in, as the Microsoft identity platform
//! returns when the scope includes `openid`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::crypto::sha256;
use super::tokens::Subject;

/// The issuer named in every ID token.
pub(crate) const ISSUER: &str = "impersync-exchange-sim";

/// Whether `scope` asks for an ID token.
pub(crate) fn requested(scope: Option<&str>) -> bool {
    scope.is_some_and(|scope| scope.split(' ').any(|s| s == "openid"))
}

/// An HS256-signed ID token for `subject`, valid for `lifetime`, signed with `key`.
/// Its claims follow the Microsoft identity platform v2: `preferred_username` holds the UPN.
pub(crate) fn issue(key: &[u8; 32], subject: &Subject, lifetime: Duration) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "iss": ISSUER,
        "aud": subject.client_id,
        "sub": URL_SAFE_NO_PAD.encode(sha256(subject.upn.to_lowercase().as_bytes())),
        "preferred_username": subject.upn,
        "iat": now,
        "exp": now.saturating_add(lifetime.as_secs()),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_names_the_user_and_the_client() {
        let subject = Subject {
            upn: "alice@contoso.com".to_owned(),
            client_id: "app".to_owned(),
            scope: Some("openid".to_owned()),
        };
        let token = issue(&[7; 32], &subject, Duration::from_secs(60));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["preferred_username"], "alice@contoso.com");
        assert_eq!(claims["aud"], "app");
        assert!(requested(Some("offline_access openid")));
        assert!(!requested(Some("openidx")));
        assert!(!requested(None));
    }
}
