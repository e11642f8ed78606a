//! The OAuth app an organisation's email configuration describes.

use impersync_exchange::oauth::{EWS_DELEGATED_SCOPE, Endpoints, OAuthApp};
use impersync_exchange::{Secret, UrlPolicy};
use impersync_store::{AccessType, EmailCredentials};

use super::error::M365Error;

/// The app of an `M365OAuthImpersonation` configuration, asking for delegated EWS access.
/// A lab configuration may name a plain-http authority.
pub fn m365_app(settings: &EmailCredentials) -> Result<OAuthApp, M365Error> {
    let AccessType::M365OAuthImpersonation {
        authority,
        tenant,
        client_id,
        redirect_url,
        client_secret,
        ..
    } = &settings.access
    else {
        return Err(M365Error::NotM365);
    };
    let policy = UrlPolicy {
        allow_insecure_http: settings.lab,
    };
    Ok(OAuthApp {
        endpoints: Endpoints::microsoft_v2(authority, tenant, policy)?,
        client_id: client_id.clone(),
        client_secret: client_secret.as_ref().map(|s| Secret::new(s.expose())),
        redirect_uri: redirect_url.clone(),
        scope: EWS_DELEGATED_SCOPE.to_string(),
    })
}
