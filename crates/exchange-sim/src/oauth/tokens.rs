//! Authorization codes, access tokens and refresh tokens.
//!
//! Only the SHA-256 digest of each code and token is kept, so a lookup
//! never compares the secret itself and a memory dump reveals none.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::crypto::{random_token, sha256};

/// How long an authorization code can be redeemed.
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// How long a refresh token stays valid if it is never used.
pub(crate) const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// The digest under which a code or token is kept.
type Key = [u8; 32];

/// Identifies the tokens descended from one authorization, so they can be
/// revoked together.
pub(crate) type GrantId = u64;

/// Who a token acts as, for which client and with which scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Subject {
    /// The user principal name the token acts as.
    pub(crate) upn: String,
    /// The client the token was issued to.
    pub(crate) client_id: String,
    /// The granted scope, as sent by the client.
    pub(crate) scope: Option<String>,
}

/// What an authorization code was issued for.
#[derive(Clone, Debug)]
pub(crate) struct PendingCode {
    /// Who signed in, for which client and scope.
    pub(crate) subject: Subject,
    /// The redirect URI of the authorization request.
    pub(crate) redirect_uri: String,
    /// The PKCE S256 challenge of the authorization request.
    pub(crate) code_challenge: String,
}

/// Why an authorization code cannot be redeemed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum RedeemError {
    /// The code was never issued or has expired.
    #[error("authorization code is unknown or expired")]
    Unknown,
    /// The code was presented before; the tokens issued for it are revoked.
    #[error("authorization code was already used; tokens issued for it are revoked")]
    Reused,
}

/// A code awaiting, or remembered after, its redemption.
struct CodeEntry {
    pending: PendingCode,
    expires: Instant,
    redeemed_as: Option<GrantId>,
}

/// A live access token.
struct AccessEntry {
    upn: String,
    grant: GrantId,
    expires: Option<Instant>,
}

/// A live refresh token.
struct RefreshEntry {
    subject: Subject,
    grant: GrantId,
    expires: Instant,
}

/// Tokens issued by one token response.
#[derive(Debug)]
pub(crate) struct Issued {
    /// The new access token.
    pub(crate) access_token: String,
    /// The new refresh token, for grants that have one.
    pub(crate) refresh_token: Option<String>,
}

/// Every outstanding code and token.
#[derive(Default)]
pub(crate) struct TokenStore {
    codes: HashMap<Key, CodeEntry>,
    access: HashMap<Key, AccessEntry>,
    refresh: HashMap<Key, RefreshEntry>,
    next_grant: GrantId,
}

impl TokenStore {
    /// Issues a single-use authorization code for `pending`.
    pub(crate) fn issue_code(&mut self, now: Instant, pending: PendingCode) -> String {
        self.purge(now);
        let code = random_token();
        let entry = CodeEntry {
            pending,
            expires: now + CODE_LIFETIME,
            redeemed_as: None,
        };
        self.codes.insert(key(&code), entry);
        code
    }

    /// Spends `code`, returning what it was issued for and the grant its
    /// tokens belong to. Presenting a spent code revokes that grant's tokens
    /// (RFC 6749 §4.1.2).
    pub(crate) fn redeem_code(
        &mut self,
        now: Instant,
        code: &str,
    ) -> Result<(PendingCode, GrantId), RedeemError> {
        let fresh_grant = self.next_grant;
        let entry = self
            .codes
            .get_mut(&key(code))
            .filter(|entry| now < entry.expires)
            .ok_or(RedeemError::Unknown)?;
        if let Some(grant) = entry.redeemed_as {
            self.revoke(grant);
            return Err(RedeemError::Reused);
        }
        entry.redeemed_as = Some(fresh_grant);
        let pending = entry.pending.clone();
        self.next_grant += 1;
        Ok((pending, fresh_grant))
    }

    /// A grant for tokens that do not descend from a code.
    pub(crate) fn new_grant(&mut self) -> GrantId {
        self.next_grant += 1;
        self.next_grant - 1
    }

    /// Issues an access token for `subject` lasting `lifetime`, and a refresh
    /// token too if `with_refresh`.
    pub(crate) fn issue(
        &mut self,
        now: Instant,
        subject: &Subject,
        grant: GrantId,
        lifetime: Duration,
        with_refresh: bool,
    ) -> Issued {
        self.purge(now);
        let access_token = random_token();
        let access = AccessEntry {
            upn: subject.upn.clone(),
            grant,
            expires: now.checked_add(lifetime),
        };
        self.access.insert(key(&access_token), access);
        let refresh_token = with_refresh.then(|| {
            let token = random_token();
            let entry = RefreshEntry {
                subject: subject.clone(),
                grant,
                expires: now + REFRESH_TOKEN_LIFETIME,
            };
            self.refresh.insert(key(&token), entry);
            token
        });
        Issued {
            access_token,
            refresh_token,
        }
    }

    /// What the live refresh token `token` of `client_id` was issued for.
    pub(crate) fn refresh_grant(
        &self,
        now: Instant,
        token: &str,
        client_id: &str,
    ) -> Option<(Subject, GrantId)> {
        self.refresh
            .get(&key(token))
            .filter(|entry| now < entry.expires && entry.subject.client_id == client_id)
            .map(|entry| (entry.subject.clone(), entry.grant))
    }

    /// Invalidates the refresh token `token`.
    pub(crate) fn retire_refresh(&mut self, token: &str) {
        self.refresh.remove(&key(token));
    }

    /// The UPN the access token `token` acts as, if it is live.
    pub(crate) fn principal(&self, now: Instant, token: &str) -> Option<String> {
        self.access
            .get(&key(token))
            .filter(|entry| entry.expires.is_none_or(|expires| now < expires))
            .map(|entry| entry.upn.clone())
    }

    /// Invalidates every token of `grant`.
    fn revoke(&mut self, grant: GrantId) {
        self.access.retain(|_, entry| entry.grant != grant);
        self.refresh.retain(|_, entry| entry.grant != grant);
    }

    /// Forgets everything that has expired.
    fn purge(&mut self, now: Instant) {
        self.codes.retain(|_, entry| now < entry.expires);
        self.access
            .retain(|_, entry| entry.expires.is_none_or(|expires| now < expires));
        self.refresh.retain(|_, entry| now < entry.expires);
    }
}

/// The key under which `token` is kept.
fn key(token: &str) -> Key {
    sha256(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingCode {
        PendingCode {
            subject: Subject {
                upn: "alice@contoso.com".to_owned(),
                client_id: "app".to_owned(),
                scope: None,
            },
            redirect_uri: "http://localhost/cb".to_owned(),
            code_challenge: "challenge".to_owned(),
        }
    }

    #[test]
    fn codes_expire_after_five_minutes() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let code = store.issue_code(now, pending());
        let later = now + CODE_LIFETIME;
        assert_eq!(
            store.redeem_code(later, &code).unwrap_err(),
            RedeemError::Unknown
        );
    }

    #[test]
    fn refresh_tokens_are_bound_to_their_client() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let subject = pending().subject;
        let grant = store.new_grant();
        let issued = store.issue(now, &subject, grant, Duration::from_secs(60), true);
        let refresh = issued.refresh_token.unwrap();
        assert_eq!(store.refresh_grant(now, &refresh, "other"), None);
        assert_eq!(
            store.refresh_grant(now, &refresh, "app"),
            Some((subject, grant))
        );
    }

    #[test]
    fn a_huge_lifetime_never_expires() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let grant = store.new_grant();
        let issued = store.issue(now, &pending().subject, grant, Duration::MAX, false);
        assert!(store.principal(now, &issued.access_token).is_some());
    }
}
