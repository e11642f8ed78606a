//! Impersync's engine: the access checks that prove a service account can reach each
//! mailbox, one at a time with every step shown, or for many users at once.

pub mod access_check;
