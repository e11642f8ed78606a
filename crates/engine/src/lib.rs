//! Impersync's engine: the access checks that prove a service account can reach each
//! mailbox, one at a time with every step shown, or for many users at once; and the
//! Microsoft 365 OAuth sign-in and access-token cache of each organisation's service account.

pub mod access_check;
pub mod m365;
