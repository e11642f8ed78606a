//! Users: accounts that sign in, and optionally own a mailbox.

use crate::mailbox::Mailbox;
use crate::scope_filter::FilterSubject;
use std::collections::BTreeMap;

/// Index of a user in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserNo(pub u32);

/// Index of a group in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupNo(pub u32);

/// A directory user.
#[derive(Debug, Clone)]
pub struct User {
    /// User principal name.
    pub upn: String,
    /// Primary SMTP address.
    pub primary_smtp: String,
    /// Further SMTP addresses.
    pub proxy_addresses: Vec<String>,
    /// Security identifier.
    pub sid: String,
    /// Display name.
    pub display_name: String,
    /// Password.
    pub password: String,
    /// Whether the account may sign in.
    pub enabled: bool,
    /// Whether EWS is enabled for the user.
    pub ews_enabled: bool,
    /// `Department`.
    pub department: Option<String>,
    /// `CustomAttribute1`..`15`.
    pub custom_attributes: BTreeMap<u8, String>,
    /// Groups the user is a direct member of.
    pub member_of: Vec<GroupNo>,
    /// The mailbox, if the user has one.
    pub mailbox: Option<Mailbox>,
}

impl User {
    /// The pre-Windows 2000 logon name: the UPN's local part.
    pub fn sam_account_name(&self) -> &str {
        self.upn.split('@').next().unwrap_or(&self.upn)
    }

    /// Exchange's `RecipientType` for the user.
    pub fn recipient_type(&self) -> &'static str {
        if self.mailbox.is_some() {
            "UserMailbox"
        } else {
            "MailUser"
        }
    }
}

/// A user seen through the directory, for scope-filter evaluation.
pub struct Recipient<'a> {
    /// The user.
    pub user: &'a User,
    /// DNs of the user's direct groups.
    pub group_dns: Vec<String>,
}

impl FilterSubject for Recipient<'_> {
    fn direct_group_dns(&self) -> Vec<String> {
        self.group_dns.clone()
    }

    fn recipient_type(&self) -> &str {
        self.user.recipient_type()
    }

    fn department(&self) -> Option<&str> {
        self.user.department.as_deref()
    }

    fn custom_attribute(&self, n: u8) -> Option<&str> {
        self.user.custom_attributes.get(&n).map(String::as_str)
    }
}
