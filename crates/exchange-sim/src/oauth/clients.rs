//! Registered clients and client authentication at the token endpoint.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{PoisonError, RwLock};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;

use super::crypto::constant_time_eq;
use super::error::TokenError;

/// Why client authentication failed, without telling which part was wrong.
const REFUSED: &str = "unknown client or wrong client secret";

/// Why an `Authorization: Basic` header was refused.
const MALFORMED: &str = "malformed Basic credentials";

/// A registered application.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The public identifier the client sends as `client_id`.
    pub client_id: String,
    /// The secret of a confidential client; `None` for a public client.
    pub client_secret: Option<String>,
    /// Redirect URIs the client may use, compared exactly.
    pub redirect_uris: Vec<String>,
    /// The account a client-credentials token acts as; without one the
    /// client cannot use that grant.
    pub service_account: Option<String>,
}

impl OAuthClient {
    /// Whether `uri` is exactly one of the registered redirect URIs.
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uris", &self.redirect_uris)
            .field("service_account", &self.service_account)
            .finish()
    }
}

/// The registered clients, by `client_id`; replaceable at run time.
pub(crate) struct ClientRegistry(RwLock<HashMap<String, OAuthClient>>);

impl ClientRegistry {
    /// A registry of `clients`; a later duplicate `client_id` wins.
    pub(crate) fn new(clients: Vec<OAuthClient>) -> Self {
        Self(RwLock::new(index(clients)))
    }

    /// Replaces every registered client.
    pub(crate) fn replace(&self, clients: Vec<OAuthClient>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = index(clients);
    }

    /// The client registered as `client_id`.
    pub(crate) fn get(&self, client_id: &str) -> Option<OAuthClient> {
        let clients = self.0.read().unwrap_or_else(PoisonError::into_inner);
        clients.get(client_id).cloned()
    }

    /// The client that the token request authenticates as (RFC 6749 §2.3.1),
    /// from HTTP Basic credentials or the `client_id` and `client_secret`
    /// form fields. A public client authenticates with its `client_id` alone.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        form_id: Option<&str>,
        form_secret: Option<&str>,
    ) -> Result<OAuthClient, TokenError> {
        let (client_id, secret) = match basic_credentials(headers)? {
            Some((id, secret)) => {
                if form_secret.is_some() {
                    return Err(TokenError::InvalidRequest(
                        "use one client authentication method, not several",
                    ));
                }
                if form_id.is_some_and(|form_id| form_id != id) {
                    return Err(TokenError::InvalidRequest(
                        "client_id differs from the Authorization header",
                    ));
                }
                (id, Some(secret).filter(|s| !s.is_empty()))
            }
            None => (
                form_id
                    .ok_or(TokenError::InvalidClient(
                        "client authentication is required",
                    ))?
                    .to_owned(),
                form_secret.map(str::to_owned),
            ),
        };
        let client = self
            .get(&client_id)
            .ok_or(TokenError::InvalidClient(REFUSED))?;
        let accepted = match (&client.client_secret, &secret) {
            (Some(expected), Some(presented)) => constant_time_eq(expected, presented),
            (None, None) => true,
            _ => false,
        };
        if accepted {
            Ok(client)
        } else {
            Err(TokenError::InvalidClient(REFUSED))
        }
    }
}

/// `clients` keyed by `client_id`.
fn index(clients: Vec<OAuthClient>) -> HashMap<String, OAuthClient> {
    clients
        .into_iter()
        .map(|client| (client.client_id.clone(), client))
        .collect()
}

/// The client id and secret of an `Authorization: Basic` header, if there is one.
/// Both halves are form-urlencoded before base64 (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| TokenError::InvalidClient(MALFORMED))?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(TokenError::InvalidClient(MALFORMED));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenError::InvalidClient(
            "only Basic client authentication is supported",
        ));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let pair = decoded.as_deref().and_then(|text| text.split_once(':'));
    let credentials = pair.and_then(|(id, secret)| Some((form_decode(id)?, form_decode(secret)?)));
    credentials
        .map(Some)
        .ok_or(TokenError::InvalidClient(MALFORMED))
}

/// `text` decoded as an `application/x-www-form-urlencoded` value.
fn form_decode(text: &str) -> Option<String> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = STANDARD.encode("my%20app:p%3Ass+word");
        let credentials = basic_credentials(&headers(&format!("basic {encoded}"))).unwrap();
        assert_eq!(
            credentials,
            Some(("my app".to_owned(), "p:ss word".to_owned()))
        );
    }

    #[test]
    fn malformed_basic_credentials_are_refused() {
        for value in [
            "Basic",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            assert!(matches!(
                basic_credentials(&headers(value)),
                Err(TokenError::InvalidClient(_))
            ));
        }
        assert_eq!(basic_credentials(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn debug_hides_the_secret() {
        let client = OAuthClient {
            client_id: "app".to_owned(),
            client_secret: Some("hunter2".to_owned()),
            redirect_uris: Vec::new(),
            service_account: None,
        };
        assert!(!format!("{client:?}").contains("hunter2"));
    }
}
