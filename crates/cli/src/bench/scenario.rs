//! The organisation benchmarks run against: one service account and N generated mailboxes.

/// The password of every generated account.
pub const PASSWORD: &str = "Bench-Password-1";

/// The service account, with organisation-wide ApplicationImpersonation.
pub const SERVICE_ACCOUNT: &str = "svc@bench.test";

/// Scenario TOML: `users` mailboxes `userNNNNN@bench.test`, each with `inbox_items` Inbox items.
pub fn toml(users: u32, inbox_items: u32) -> String {
    with_items(users, &format!("inbox = {inbox_items}"))
}

/// Scenario TOML: `users` mailboxes, each with the generated items of `items` (the inside
/// of a TOML inline table, e.g. `inbox = 3, calendar = 2`).
fn with_items(users: u32, items: &str) -> String {
    with_sets(&[("user", users, items.to_string())])
}

/// Scenario TOML with one generated user set per `(prefix, count, items)`.
fn with_sets(sets: &[(&str, u32, String)]) -> String {
    let mut toml = format!(
        r#"domain = "bench.test"
netbios = "BENCH"
seed = 7
[throttling]
ews_max_concurrency = 1000
[[users]]
upn = "{SERVICE_ACCOUNT}"
password = "{PASSWORD}"
[[role_assignments]]
name = "svc-impersonation"
role = "ApplicationImpersonation"
user = "{SERVICE_ACCOUNT}"
"#
    );
    for (prefix, count, items) in sets {
        toml.push_str(&format!(
            "[[user_sets]]\nprefix = \"{prefix}\"\ncount = {count}\npassword = \"{PASSWORD}\"\nitems = {{ {items} }}\n"
        ));
    }
    toml
}

/// The address of generated user `n` (1-based).
pub fn user(n: u32) -> String {
    address(SMALL_PREFIX, n)
}

/// The prefix of the small mailboxes (`userNNNNN`): access checks and polls.
pub const SMALL_PREFIX: &str = "user";

/// The prefix of the large mailboxes (`bigNNNNN`) of `bench all`'s initial syncs.
pub const LARGE_PREFIX: &str = "big";

/// The address of generated user `n` (1-based) of the set named `prefix`.
pub fn address(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:05}@bench.test")
}

/// The addresses of the first `count` users of the set named `prefix`.
pub fn addresses(prefix: &str, count: u32) -> Vec<String> {
    (1..=count).map(|n| address(prefix, n)).collect()
}

/// Generated items per folder of each mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderItems {
    /// Inbox items.
    pub inbox: u32,
    /// Sent Items items.
    pub sent: u32,
    /// Calendar items.
    pub calendar: u32,
    /// Contacts.
    pub contacts: u32,
}

impl FolderItems {
    /// `n` items in each folder.
    pub fn each(n: u32) -> Self {
        Self {
            inbox: n,
            sent: n,
            calendar: n,
            contacts: n,
        }
    }

    /// Items of one mailbox, over all four folders.
    pub fn per_mailbox(&self) -> u64 {
        u64::from(self.inbox + self.sent + self.calendar + self.contacts)
    }

    /// `(distinguished folder name, items)` of each folder.
    pub fn folders(&self) -> [(&'static str, u32); 4] {
        [
            ("inbox", self.inbox),
            ("sentitems", self.sent),
            ("calendar", self.calendar),
            ("contacts", self.contacts),
        ]
    }
}

/// Scenario TOML for the sync benchmarks: `users` mailboxes `userNNNNN@bench.test`, each
/// with `items` generated items in its four synced folders.
pub fn sync_toml(users: u32, items: &FolderItems) -> String {
    with_items(users, &folder_table(items))
}

/// The inside of a TOML inline table naming each folder's items.
fn folder_table(items: &FolderItems) -> String {
    let folders: Vec<String> = items
        .folders()
        .iter()
        .map(|(name, n)| format!("{name} = {n}"))
        .collect();
    folders.join(", ")
}

/// Scenario TOML for `bench all`'s one simulator: `small` mailboxes `userNNNNN` holding
/// `small_items` and `large` mailboxes `bigNNNNN` holding `large_items`.
pub fn all_toml(
    small: u32,
    small_items: &FolderItems,
    large: u32,
    large_items: &FolderItems,
) -> String {
    with_sets(&[
        (SMALL_PREFIX, small, folder_table(small_items)),
        (LARGE_PREFIX, large, folder_table(large_items)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use impersync_exchange_sim::{Scenario, Sim};

    #[test]
    fn the_sync_scenario_fills_each_folder_of_each_mailbox() {
        let items = FolderItems {
            inbox: 3,
            sent: 2,
            calendar: 1,
            contacts: 4,
        };
        let scenario = Scenario::from_toml(&sync_toml(2, &items)).unwrap();
        let sim = Sim::new(scenario).unwrap();
        let dir = sim.read();
        for n in 1..=2 {
            let no = dir.find_user(&user(n)).unwrap();
            let mailbox = dir.user(no).mailbox.as_ref().unwrap();
            for (folder, count) in items.folders() {
                let f = mailbox.distinguished(folder).unwrap();
                assert_eq!(mailbox.live_items(f).len(), count as usize, "{folder}");
            }
        }
        assert_eq!(items.per_mailbox(), 10);
        let both =
            Sim::new(Scenario::from_toml(&all_toml(2, &items, 1, &FolderItems::each(6))).unwrap())
                .unwrap();
        let dir = both.read();
        for (address, count) in [(user(2), 3), (address(LARGE_PREFIX, 1), 6)] {
            let no = dir.find_user(&address).unwrap();
            let mailbox = dir.user(no).mailbox.as_ref().unwrap();
            let inbox = mailbox.distinguished("inbox").unwrap();
            assert_eq!(mailbox.live_items(inbox).len(), count, "{address}");
        }
        assert_eq!(FolderItems::each(5).per_mailbox(), 20);
    }
}
