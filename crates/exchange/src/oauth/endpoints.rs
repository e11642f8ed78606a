//! Where an authority's endpoints are, in the Microsoft identity platform v2 layout.

use crate::url_guard::{GuardedUrl, UrlPolicy, UrlRefused};

/// The scope a service account signs in with for EWS: delegated EWS access, a refresh
/// token (`offline_access`) and an ID token naming who signed in (`openid profile`).
pub const EWS_DELEGATED_SCOPE: &str =
    "openid profile offline_access https://outlook.office365.com/EWS.AccessAsUser.All";

/// An authority's authorization and token endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `{authority}/{tenant}/oauth2/v2.0/authorize`.
    pub authorize_url: GuardedUrl,
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub token_url: GuardedUrl,
}

impl Endpoints {
    /// The endpoints of `tenant` at `authority` (e.g. `https://login.microsoftonline.com`),
    /// both checked by the URL guard.
    pub fn microsoft_v2(
        authority: &str,
        tenant: &str,
        policy: UrlPolicy,
    ) -> Result<Self, UrlRefused> {
        let base = format!(
            "{}/{}/oauth2/v2.0",
            authority.trim().trim_end_matches('/'),
            tenant.trim()
        );
        Ok(Self {
            authorize_url: GuardedUrl::new(&format!("{base}/authorize"), policy)?,
            token_url: GuardedUrl::new(&format!("{base}/token"), policy)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_v2_layout() {
        let strict = UrlPolicy {
            allow_insecure_http: false,
        };
        let e =
            Endpoints::microsoft_v2("https://login.microsoftonline.com/", "contoso.com", strict)
                .unwrap();
        assert_eq!(
            e.authorize_url.as_str(),
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize"
        );
        assert_eq!(
            e.token_url.as_str(),
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
        );
        assert!(matches!(
            Endpoints::microsoft_v2("http://login.example", "t", strict),
            Err(UrlRefused::InsecureHttp(_))
        ));
    }
}
