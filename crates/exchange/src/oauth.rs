//! OAuth 2.0 client-credentials tokens for the service account.

use crate::error::ExchangeError;
use crate::secret::Secret;
use crate::transport::TransportConfig;
use crate::url_guard::GuardedUrl;
use serde::Deserialize;

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

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Fetches an access token with the client-credentials grant.
pub async fn client_credentials_token(
    grant: &ClientCredentials,
    transport: &TransportConfig,
) -> Result<Secret, ExchangeError> {
    let tls = transport
        .tls
        .client_config(&transport.extra_roots)
        .map_err(|e| ExchangeError::Setup(e.to_string()))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .dns_resolver(std::sync::Arc::new(transport.resolver.clone()))
        .timeout(transport.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ExchangeError::Setup(e.to_string()))?;
    let mut form = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", grant.client_id.clone()),
        ("client_secret", grant.client_secret.expose().to_string()),
    ];
    if let Some(scope) = &grant.scope {
        form.push(("scope", scope.clone()));
    }
    let response = client
        .post(grant.token_url.as_str())
        .form(&form)
        .send()
        .await
        .map_err(|e| crate::transport::classify(&e, &grant.token_url))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| crate::transport::classify(&e, &grant.token_url))?;
    let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| ExchangeError::Http {
        status,
        detail: "the token endpoint did not answer with OAuth JSON".into(),
        retry_after: None,
    })?;
    match answer.access_token {
        Some(token) if status == 200 => Ok(Secret::new(token)),
        _ if status == 400 || status == 401 => Err(ExchangeError::Unauthorized {
            scheme: "OAuth client credentials",
        }),
        _ => Err(ExchangeError::Http {
            status,
            detail: format!(
                "{}: {}",
                answer.error.unwrap_or_default(),
                answer.error_description.unwrap_or_default()
            ),
            retry_after: None,
        }),
    }
}
