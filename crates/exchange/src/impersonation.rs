//! Whom the service account acts for, and how the header names them.

use impersync_ews::ConnectingSid;
use std::fmt;
use std::str::FromStr;

/// Which `ConnectingSID` element names the impersonated user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum IdType {
    /// Any SMTP address (the Remote Connectivity Analyzer's default).
    #[default]
    SmtpAddress,
    /// The primary SMTP address.
    PrimarySmtpAddress,
    /// The user principal name.
    PrincipalName,
    /// The security identifier.
    Sid,
}

impl FromStr for IdType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "smtpaddress" | "smtp" => Ok(Self::SmtpAddress),
            "primarysmtpaddress" | "primarysmtp" => Ok(Self::PrimarySmtpAddress),
            "principalname" | "upn" => Ok(Self::PrincipalName),
            "sid" => Ok(Self::Sid),
            _ => Err(format!(
                "`{s}` is not an id type; use SmtpAddress, PrimarySmtpAddress, PrincipalName or SID"
            )),
        }
    }
}

impl fmt::Display for IdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SmtpAddress => "SmtpAddress",
            Self::PrimarySmtpAddress => "PrimarySmtpAddress",
            Self::PrincipalName => "PrincipalName",
            Self::Sid => "SID",
        })
    }
}

/// The user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonate {
    /// How the user is named in the header.
    pub id_type: IdType,
    /// The name (address, UPN or SID).
    pub id: String,
    /// The SMTP address sent as `X-AnchorMailbox`.
    pub anchor_mailbox: String,
}

impl Impersonate {
    /// Impersonation of a mailbox named by one SMTP address (also used as anchor).
    pub fn smtp(id_type: IdType, address: impl Into<String>) -> Self {
        let address = address.into();
        Self {
            id_type,
            id: address.clone(),
            anchor_mailbox: address,
        }
    }

    /// The header value.
    pub fn connecting_sid(&self) -> ConnectingSid {
        let v = self.id.clone();
        match self.id_type {
            IdType::SmtpAddress => ConnectingSid::SmtpAddress(v),
            IdType::PrimarySmtpAddress => ConnectingSid::PrimarySmtpAddress(v),
            IdType::PrincipalName => ConnectingSid::PrincipalName(v),
            IdType::Sid => ConnectingSid::Sid(v),
        }
    }
}
