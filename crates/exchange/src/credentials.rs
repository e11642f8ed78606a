//! How the service account proves who it is.

use crate::secret::Secret;
use std::fmt;
use std::str::FromStr;

/// The service account's name, as `DOMAIN\user` or as a UPN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountName {
    /// `DOMAIN\user`.
    DownLevel {
        /// NetBIOS domain.
        domain: String,
        /// sAMAccountName.
        user: String,
    },
    /// `user@domain`.
    Upn(String),
}

/// Why an account name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an account name: write it as DOMAIN\\user or as user@domain (a UPN)")]
pub struct BadAccountName(pub String);

impl FromStr for AccountName {
    type Err = BadAccountName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || BadAccountName(s.to_string());
        if let Some((domain, user)) = s.split_once('\\') {
            if domain.is_empty() || user.is_empty() || user.contains(['\\', '@']) {
                return Err(bad());
            }
            return Ok(Self::DownLevel {
                domain: domain.to_string(),
                user: user.to_string(),
            });
        }
        match s.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@') =>
            {
                Ok(Self::Upn(s.to_string()))
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DownLevel { domain, user } => write!(f, "{domain}\\{user}"),
            Self::Upn(upn) => f.write_str(upn),
        }
    }
}

/// The service account's credentials and the HTTP authentication to use.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// HTTP Basic.
    Basic {
        /// Account name.
        account: AccountName,
        /// Password.
        password: Secret,
    },
    /// NTLM (NTLMv2) on a kept-alive connection.
    Ntlm {
        /// Account name.
        account: AccountName,
        /// Password.
        password: Secret,
    },
    /// An OAuth 2.0 access token.
    Bearer {
        /// The access token.
        token: Secret,
    },
}

impl Credentials {
    /// The account, when the credentials name one.
    pub fn account(&self) -> Option<&AccountName> {
        match self {
            Self::Basic { account, .. } | Self::Ntlm { account, .. } => Some(account),
            Self::Bearer { .. } => None,
        }
    }

    /// `Basic`, `NTLM` or `Bearer`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Self::Basic { .. } => "Basic",
            Self::Ntlm { .. } => "NTLM",
            Self::Bearer { .. } => "Bearer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_account_forms() {
        assert_eq!(
            "CONTOSO\\MasterImpersonation"
                .parse::<AccountName>()
                .unwrap(),
            AccountName::DownLevel {
                domain: "CONTOSO".into(),
                user: "MasterImpersonation".into()
            }
        );
        assert!(matches!(
            "svc@contoso.test".parse::<AccountName>().unwrap(),
            AccountName::Upn(_)
        ));
        for bad in [
            "",
            "svc",
            "\\svc",
            "CONTOSO\\",
            "a@b",
            "a\\b\\c",
            "@contoso.test",
        ] {
            assert!(bad.parse::<AccountName>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Credentials::Basic {
            account: "a@b.test".parse().unwrap(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
