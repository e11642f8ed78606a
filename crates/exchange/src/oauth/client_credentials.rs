//! OAuth 2.0 client-credentials tokens for the service account.

use super::error::OAuthError;
use super::token_request::post_form;
use crate::error::ExchangeError;
use crate::secret::Secret;
use crate::transport::TransportConfig;
use crate::url_guard::GuardedUrl;

/// A client-credentials grant request.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// The token endpoint.
    pub token_url: GuardedUrl,
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: Secret,
    /// `scope`, e.g. `https://outlook.office365.com/.default`.
    pub scope: Option<String>,
}

/// Fetches an access token with the client-credentials grant.
pub async fn client_credentials_token(
    grant: &ClientCredentials,
    transport: &TransportConfig,
) -> Result<Secret, ExchangeError> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", grant.client_id.as_str()),
        ("client_secret", grant.client_secret.expose()),
    ];
    if let Some(scope) = &grant.scope {
        form.push(("scope", scope));
    }
    match post_form(&grant.token_url, &form, transport).await {
        Ok(tokens) => Ok(tokens.access_token),
        Err(OAuthError::Exchange(e)) => Err(e),
        Err(
            OAuthError::InvalidGrant { .. }
            | OAuthError::Refused {
                status: 400 | 401, ..
            },
        ) => Err(ExchangeError::Unauthorized {
            scheme: "OAuth client credentials",
        }),
        Err(OAuthError::Refused {
            status,
            error,
            description,
        }) => Err(ExchangeError::Http {
            status,
            detail: format!("{error}: {description}"),
            retry_after: None,
        }),
    }
}
