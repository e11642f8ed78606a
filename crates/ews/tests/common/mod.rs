//! Helpers shared by the integration tests: fixture loading and sample values.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use impersync_ews::ServerVersionInfo;
use impersync_ews::types::{
    Attendee, Body, CalendarItem, Contact, EntityId, Folder, FolderKind, Item, ItemCommon,
    KeyedValue, Mailbox, Message,
};

/// The fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The bytes of a fixture, by path relative to `tests/fixtures`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = fixtures_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file under `tests/fixtures`, recursively, sorted.
pub fn all_fixture_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&fixtures_dir(), &mut out);
    out.sort();
    out
}

/// A server version different from the default one, to prove it is carried.
pub fn version() -> ServerVersionInfo {
    ServerVersionInfo {
        major: 15,
        minor: 2,
        build: 1544,
        revision: 4,
        version: "V2017_07_11".into(),
    }
}

/// An SMTP mailbox.
pub fn mb(name: &str, address: &str) -> Mailbox {
    Mailbox::smtp(name, address)
}

/// An id with a change key.
pub fn id(id: &str, ck: &str) -> EntityId {
    EntityId::new(id, ck)
}

/// A fully populated email.
pub fn sample_message(n: u32) -> Item {
    Item::Message(Message {
        item: ItemCommon {
            item_id: Some(id(&format!("AAMkMsg{n:03}"), &format!("CQAAAB{n}"))),
            parent_folder_id: Some(id("AAMkInbox", "AQAAAA==")),
            item_class: Some("IPM.Note".into()),
            subject: Some(format!("Invoice #{n} & \"terms\" <v2>")),
            body: Some(Body {
                body_type: "HTML".into(),
                content: "<html><body>Line one\r\nLine two &amp; more\n\ttabbed</body></html>"
                    .into(),
            }),
            date_time_received: Some("2024-03-11T09:15:02Z".into()),
            size: Some(10_342),
            categories: vec!["Customer".into(), "Red category".into()],
            importance: Some("High".into()),
            date_time_sent: Some("2024-03-11T09:14:58Z".into()),
            date_time_created: Some("2024-03-11T09:15:01Z".into()),
            has_attachments: Some(false),
            last_modified_time: Some("2024-03-11T09:15:03Z".into()),
            conversation_id: Some("AAQkConv001".into()),
            preview: Some("Line one Line two & more".into()),
        },
        sender: Some(mb("Bob Baker", "bob@fabrikam.test")),
        to_recipients: vec![
            mb("Alice Archer", "alice@contoso.test"),
            mb("Ann Other", "ann@contoso.test"),
        ],
        cc_recipients: vec![Mailbox {
            name: None,
            email_address: "carol@contoso.test".into(),
            routing_type: None,
            mailbox_type: None,
        }],
        from: Some(mb("Bob Baker", "bob@fabrikam.test")),
        internet_message_id: Some("<CAB1234@mail.fabrikam.test>".into()),
        is_read: Some(false),
    })
}

/// A meeting with attendees who answered.
pub fn sample_meeting() -> Item {
    Item::CalendarItem(CalendarItem {
        item: ItemCommon {
            item_id: Some(id("AAMkCal001", "DwAAAB1")),
            item_class: Some("IPM.Appointment".into()),
            subject: Some("Contract review".into()),
            ..ItemCommon::default()
        },
        uid: Some("040000008200E00074C5B7101A82E0080000000010A5C2B0".into()),
        start: Some("2024-03-14T13:00:00Z".into()),
        end: Some("2024-03-14T14:00:00Z".into()),
        is_all_day_event: Some(false),
        location: Some("Room 4.01 / Teams".into()),
        is_recurring: Some(false),
        calendar_item_type: Some("Single".into()),
        organizer: Some(mb("Alice Archer", "alice@contoso.test")),
        required_attendees: vec![
            Attendee {
                mailbox: mb("Bob Baker", "bob@fabrikam.test"),
                response_type: Some("Accept".into()),
            },
            Attendee {
                mailbox: mb("Carol Chen", "carol@contoso.test"),
                response_type: Some("Decline".into()),
            },
        ],
        optional_attendees: vec![Attendee {
            mailbox: mb("Dave Dunn", "dave@contoso.test"),
            response_type: None,
        }],
    })
}

/// An all-day event.
pub fn sample_all_day() -> Item {
    Item::CalendarItem(CalendarItem {
        item: ItemCommon {
            item_id: Some(id("AAMkCal002", "DwAAAB2")),
            subject: Some("Company holiday".into()),
            ..ItemCommon::default()
        },
        start: Some("2024-05-01T00:00:00Z".into()),
        end: Some("2024-05-02T00:00:00Z".into()),
        is_all_day_event: Some(true),
        calendar_item_type: Some("Single".into()),
        ..CalendarItem::default()
    })
}

/// A recurring series master.
pub fn sample_recurring() -> Item {
    Item::CalendarItem(CalendarItem {
        item: ItemCommon {
            item_id: Some(id("AAMkCal003", "DwAAAB3")),
            subject: Some("Weekly pipeline sync".into()),
            ..ItemCommon::default()
        },
        uid: Some("040000008200E00074C5B7101A82E00800000000A0B1C2D3".into()),
        start: Some("2024-01-08T09:00:00Z".into()),
        end: Some("2024-01-08T09:30:00Z".into()),
        is_all_day_event: Some(false),
        location: Some("Teams".into()),
        is_recurring: Some(true),
        calendar_item_type: Some("RecurringMaster".into()),
        organizer: Some(mb("Alice Archer", "alice@contoso.test")),
        ..CalendarItem::default()
    })
}

/// A contact with emails and phones.
pub fn sample_contact() -> Item {
    Item::Contact(Contact {
        item: ItemCommon {
            item_id: Some(id("AAMkCon001", "EQAAAB1")),
            item_class: Some("IPM.Contact".into()),
            subject: Some("Erin Evans".into()),
            ..ItemCommon::default()
        },
        display_name: Some("Erin Evans".into()),
        given_name: Some("Erin".into()),
        company_name: Some("Fabrikam & Sons".into()),
        email_addresses: vec![
            KeyedValue {
                key: "EmailAddress1".into(),
                value: "erin@fabrikam.test".into(),
            },
            KeyedValue {
                key: "EmailAddress2".into(),
                value: "erin.evans@home.test".into(),
            },
        ],
        phone_numbers: vec![
            KeyedValue {
                key: "BusinessPhone".into(),
                value: "+1 555 0100".into(),
            },
            KeyedValue {
                key: "MobilePhone".into(),
                value: "+1 555 0199".into(),
            },
        ],
        job_title: Some("Head of Procurement".into()),
        surname: Some("Evans".into()),
    })
}

/// An item of a kind this crate does not model (written as `t:Item`).
pub fn sample_other() -> Item {
    Item::Other(ItemCommon {
        item_id: Some(id("AAMkTask001", "EgAAAB1")),
        item_class: Some("IPM.Task".into()),
        subject: Some("Call Erin back".into()),
        ..ItemCommon::default()
    })
}

/// A folder of a kind, with the counts its kind carries on the wire.
pub fn sample_folder(kind: FolderKind, n: u32) -> Folder {
    Folder {
        kind,
        folder_id: id(&format!("AAMkFld{n:03}"), &format!("AQAAAB{n}")),
        parent_folder_id: Some(EntityId {
            id: "AAMkTop".into(),
            change_key: None,
        }),
        folder_class: Some(
            match kind {
                FolderKind::Folder => "IPF.Note",
                FolderKind::Calendar => "IPF.Appointment",
                FolderKind::Contacts => "IPF.Contact",
                FolderKind::Tasks => "IPF.Task",
                FolderKind::Search => "IPF.Note",
            }
            .into(),
        ),
        display_name: Some(format!("Folder {n} <&>")),
        total_count: Some(10 + n),
        child_folder_count: Some(n % 3),
        unread_count: (kind == FolderKind::Folder).then_some(n % 5),
    }
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce from the seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Characters that stress escaping: markup, quotes, whitespace XML normalises, non-ASCII.
const ALPHABET: &[char] = &[
    'a',
    'Z',
    '0',
    ' ',
    ' ',
    '&',
    '<',
    '>',
    '"',
    '\'',
    '\r',
    '\n',
    '\t',
    ']',
    ';',
    '#',
    'x',
    '=',
    '/',
    '?',
    '!',
    '-',
    ':',
    '\u{e9}',
    '\u{6f22}',
    '\u{1f600}',
    '\u{2028}',
    '\u{85}',
    '\u{a0}',
];

impl Rng {
    /// A random string of up to `max` characters that XML 1.0 can carry.
    pub fn text(&mut self, max: usize) -> String {
        let len = self.below(max + 1);
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
}
