//! Outcome classes: every result of talking to Exchange, with its cause and its fix.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The class of an access check's or a request's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OutcomeClass {
    /// It worked.
    Ok,
    /// The service account's credentials were refused.
    AuthFailed,
    /// The service account may not impersonate this user.
    ImpersonationDenied,
    /// The user has no mailbox.
    NoMailbox,
    /// Exchange throttled the requests and they did not get through in time.
    Throttled,
    /// The server's TLS certificate is not trusted.
    TlsUntrusted,
    /// No EWS URL could be discovered.
    AutodiscoverFailed,
    /// EWS is disabled for the account or the mailbox.
    EwsDisabled,
    /// The server could not be reached.
    Unreachable,
    /// The server answered with an error or with something that is not EWS.
    ServerError,
}

/// Every class, in the order reports list them.
pub const ALL_CLASSES: [OutcomeClass; 10] = [
    OutcomeClass::Ok,
    OutcomeClass::AuthFailed,
    OutcomeClass::ImpersonationDenied,
    OutcomeClass::NoMailbox,
    OutcomeClass::Throttled,
    OutcomeClass::TlsUntrusted,
    OutcomeClass::AutodiscoverFailed,
    OutcomeClass::EwsDisabled,
    OutcomeClass::Unreachable,
    OutcomeClass::ServerError,
];

impl OutcomeClass {
    /// The class name, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "Ok",
            Self::AuthFailed => "AuthFailed",
            Self::ImpersonationDenied => "ImpersonationDenied",
            Self::NoMailbox => "NoMailbox",
            Self::Throttled => "Throttled",
            Self::TlsUntrusted => "TlsUntrusted",
            Self::AutodiscoverFailed => "AutodiscoverFailed",
            Self::EwsDisabled => "EwsDisabled",
            Self::Unreachable => "Unreachable",
            Self::ServerError => "ServerError",
        }
    }

    /// The process exit code `impersync check-access` uses for this class.
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::AuthFailed => 10,
            Self::ImpersonationDenied => 11,
            Self::NoMailbox => 12,
            Self::Throttled => 13,
            Self::TlsUntrusted => 14,
            Self::AutodiscoverFailed => 15,
            Self::EwsDisabled => 16,
            Self::Unreachable => 17,
            Self::ServerError => 18,
        }
    }

    /// What to do about it.
    pub fn remedy(self) -> &'static str {
        match self {
            Self::Ok => "Nothing to do.",
            Self::AuthFailed => {
                "Check the service account's logon and password (write the logon as DOMAIN\\user or as its UPN), that the account is enabled and its password has not expired, and that the server allows the authentication method used (Basic or NTLM on the EWS virtual directory)."
            }
            Self::ImpersonationDenied => {
                "Give the service account impersonation rights over this user: (1) the service account must be a member of the role group that holds the ApplicationImpersonation role (RIImpersonation in the setup guide: Get-RoleGroupMember RIImpersonation); (2) that role group's write scope must be the management scope RIusersScope, whose filter is MemberOfGroup -eq '<DN of RIapplicationGroup>' (Get-ManagementScope RIusersScope | Format-List RecipientFilter); (3) the user must be a DIRECT member of RIapplicationGroup (Add-DistributionGroupMember RIapplicationGroup -Member <user>). Members of a group nested inside RIapplicationGroup are NOT in scope. Exchange may take a while to apply RBAC changes."
            }
            Self::NoMailbox => {
                "This user has no mailbox (or the address is wrong). Create or license the mailbox, or remove the user from the list; check the address and the id type (SmtpAddress, PrimarySmtpAddress, PrincipalName, SID)."
            }
            Self::Throttled => {
                "Exchange throttled the requests. Lower the concurrency, retry later, or ask the Exchange admin for a throttling policy for the service account (EWSMaxConcurrency, EwsMaxBurst, EwsRechargeRate)."
            }
            Self::TlsUntrusted => {
                "The server's certificate is not trusted. Install a certificate issued by a trusted CA on Exchange, add the issuing CA to this machine's trust store, pin the certificate's SHA-256 (--tls pin:...), or, in a lab only, --tls ignore-trust."
            }
            Self::AutodiscoverFailed => {
                "Autodiscover found no EWS URL for this address. Check the Autodiscover DNS records (autodiscover.<domain> or the SRV record _autodiscover._tcp.<domain>), or give the EWS URL directly (usually https://mail.<domain>/EWS/Exchange.asmx)."
            }
            Self::EwsDisabled => {
                "EWS is disabled for the service account or for the mailbox. Enable it: Set-CASMailbox <user> -EwsEnabled $true (and check the organisation-wide EWS settings)."
            }
            Self::Unreachable => {
                "The EWS server could not be reached. Check the URL, DNS, firewalls and proxies between this machine and Exchange, and that the server is running."
            }
            Self::ServerError => {
                "The server answered with an error. Check that the URL points at EWS (/EWS/Exchange.asmx), look at the code and message, and at the Exchange server's logs."
            }
        }
    }
}

impl fmt::Display for OutcomeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified result: class, the EWS or HTTP code if any, what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The class.
    pub class: OutcomeClass,
    /// The response code (`ErrorImpersonateUserDenied`, `HTTP 401`, ...), if there was one.
    pub code: Option<String>,
    /// What happened.
    pub message: String,
    /// What to do.
    pub remedy: String,
}

impl Outcome {
    /// A success.
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            class: OutcomeClass::Ok,
            code: Some("NoError".into()),
            message: message.into(),
            remedy: OutcomeClass::Ok.remedy().into(),
        }
    }

    /// A failure of a class, with the class's remedy.
    pub fn failed(class: OutcomeClass, code: Option<String>, message: impl Into<String>) -> Self {
        Self {
            class,
            code,
            message: message.into(),
            remedy: class.remedy().into(),
        }
    }
}
