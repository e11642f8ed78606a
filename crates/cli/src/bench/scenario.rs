//! The organisation benchmarks run against: one service account and N generated mailboxes.

/// The password of every generated account.
pub const PASSWORD: &str = "Bench-Password-1";

/// The service account, with organisation-wide ApplicationImpersonation.
pub const SERVICE_ACCOUNT: &str = "svc@bench.test";

/// Scenario TOML: `users` mailboxes `userNNNNN@bench.test`, each with `inbox_items` Inbox items.
pub fn toml(users: u32, inbox_items: u32) -> String {
    format!(
        r#"domain = "bench.test"
netbios = "BENCH"
seed = 7
[throttling]
ews_max_concurrency = 1000
[[users]]
upn = "{SERVICE_ACCOUNT}"
password = "{PASSWORD}"
[[user_sets]]
prefix = "user"
count = {users}
password = "{PASSWORD}"
items = {{ inbox = {inbox_items} }}
[[role_assignments]]
name = "svc-impersonation"
role = "ApplicationImpersonation"
user = "{SERVICE_ACCOUNT}"
"#
    )
}

/// The address of generated user `n` (1-based).
pub fn user(n: u32) -> String {
    format!("user{n:05}@bench.test")
}
