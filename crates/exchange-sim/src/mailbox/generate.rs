//! Deterministic generated items: the same seed always gives the same mailbox.

use super::time::iso8601;
use impersync_ews::types::{
    Attendee, Body, CalendarItem, Contact, FolderKind, Item, ItemCommon, KeyedValue, Mailbox,
    Message,
};

/// Who owns the mailbox being generated.
pub struct Owner<'a> {
    /// Display name.
    pub name: &'a str,
    /// Primary SMTP address.
    pub smtp: &'a str,
    /// The organisation's domain.
    pub domain: &'a str,
}

const FIRST: &[&str] = &[
    "Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Hugo", "Iris", "Jack", "Kim", "Leo",
];
const LAST: &[&str] = &[
    "Novak", "Osei", "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda", "Vance", "Weber",
];
const COMPANIES: &[&str] = &[
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Litware",
    "Adventure Works",
    "Wingtip",
];
const TOPICS: &[&str] = &[
    "Quarterly review",
    "Contract renewal",
    "Pricing question",
    "Support ticket",
    "Meeting follow-up",
    "Proposal draft",
    "Invoice",
    "Onboarding plan",
];
const ROOMS: &[&str] = &["Room 1", "Room 2", "Teams call", "Customer site"];
/// 2026-01-05T08:00:00Z, the start of generated time.
const EPOCH: i64 = 1_767_600_000;

/// A 64-bit mix of the inputs (SplitMix64 finaliser).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pick<'a>(list: &[&'a str], h: u64) -> &'a str {
    list[(h % list.len() as u64) as usize]
}

fn person(h: u64) -> (String, String, String) {
    let first = pick(FIRST, h);
    let last = pick(LAST, h >> 8);
    let company = pick(COMPANIES, h >> 16);
    let domain = company.to_lowercase().replace(' ', "");
    (
        format!("{first} {last}"),
        format!(
            "{}.{}@{domain}.test",
            first.to_lowercase(),
            last.to_lowercase()
        ),
        company.to_string(),
    )
}

/// Generates item number `index` of a folder of the given kind.
pub fn item(
    seed: u64,
    mailbox: u32,
    kind: FolderKind,
    sent: bool,
    index: u32,
    owner: &Owner<'_>,
) -> Item {
    let h = mix(seed
        ^ (u64::from(mailbox) << 32)
        ^ u64::from(index)
        ^ ((sent as u64) << 63)
        ^ kind as u64);
    let at = EPOCH + i64::from(index) * 2_221 + (h % 600) as i64;
    let (name, address, company) = person(h);
    let topic = pick(TOPICS, h >> 24);
    let common = ItemCommon {
        subject: Some(format!("{topic} #{index}")),
        date_time_received: Some(iso8601(at)),
        date_time_sent: Some(iso8601(at - 30)),
        date_time_created: Some(iso8601(at - 30)),
        last_modified_time: Some(iso8601(at)),
        importance: Some(
            if h.is_multiple_of(11) {
                "High"
            } else {
                "Normal"
            }
            .into(),
        ),
        categories: if h.is_multiple_of(5) {
            vec!["Customer".into()]
        } else {
            Vec::new()
        },
        has_attachments: Some(h.is_multiple_of(7)),
        conversation_id: Some(format!("AAQkA{:016x}", mix(h ^ 1) >> 8)),
        ..ItemCommon::default()
    };
    match kind {
        FolderKind::Calendar => calendar(common, h, at, index, owner, (name, address)),
        FolderKind::Contacts => contact(common, h, index, name, address, company),
        _ => message(common, h, index, sent, owner, (name, address), topic),
    }
}

fn message(
    mut common: ItemCommon,
    h: u64,
    index: u32,
    sent: bool,
    owner: &Owner<'_>,
    (name, address): (String, String),
    topic: &str,
) -> Item {
    let me = Mailbox::smtp(owner.name, owner.smtp);
    let them = Mailbox::smtp(name.clone(), address);
    let text = format!(
        "Hello {},\n\nFollowing up on the {} (reference {index}). Please let me know.\n\nBest regards",
        if sent { &name } else { owner.name },
        topic.to_lowercase()
    );
    common.item_class = Some("IPM.Note".into());
    common.size = Some(2_000 + h % 30_000);
    common.preview = Some(text.chars().take(120).collect());
    common.body = Some(Body {
        body_type: "Text".into(),
        content: text,
    });
    let (from, to) = if sent { (me, them) } else { (them, me) };
    Item::Message(Message {
        item: common,
        sender: Some(from.clone()),
        to_recipients: vec![to],
        cc_recipients: Vec::new(),
        from: Some(from),
        internet_message_id: Some(format!("<{:016x}.{index}@{}>", h, owner.domain)),
        is_read: Some(false),
    })
}

fn calendar(
    mut common: ItemCommon,
    h: u64,
    at: i64,
    index: u32,
    owner: &Owner<'_>,
    (name, address): (String, String),
) -> Item {
    let all_day = index % 9 == 4;
    let start = at + 86_400 * 3;
    let end = if all_day {
        start + 86_400
    } else {
        start + 1_800 * (1 + (h % 4) as i64)
    };
    common.item_class = Some("IPM.Appointment".into());
    common.size = Some(4_000 + h % 8_000);
    let responses = ["Accept", "Tentative", "Decline", "NoResponseReceived"];
    Item::CalendarItem(CalendarItem {
        item: common,
        uid: Some(format!("{:032x}", u128::from(h) << 64 | u128::from(mix(h)))),
        start: Some(iso8601(start)),
        end: Some(iso8601(end)),
        is_all_day_event: Some(all_day),
        location: Some(pick(ROOMS, h >> 32).to_string()),
        is_recurring: Some(index % 5 == 2),
        calendar_item_type: Some(
            if index % 5 == 2 {
                "RecurringMaster"
            } else {
                "Single"
            }
            .into(),
        ),
        organizer: Some(Mailbox::smtp(owner.name, owner.smtp)),
        required_attendees: vec![Attendee {
            mailbox: Mailbox::smtp(name, address),
            response_type: Some(responses[(h % 4) as usize].into()),
        }],
        optional_attendees: Vec::new(),
    })
}

fn contact(
    mut common: ItemCommon,
    h: u64,
    index: u32,
    name: String,
    address: String,
    company: String,
) -> Item {
    let (given, surname) = name
        .split_once(' ')
        .map(|(g, s)| (g.to_string(), s.to_string()))
        .unwrap_or_default();
    common.item_class = Some("IPM.Contact".into());
    common.subject = Some(name.clone());
    common.size = Some(1_500 + h % 1_000);
    Item::Contact(Contact {
        item: common,
        display_name: Some(name),
        given_name: Some(given),
        surname: Some(surname),
        company_name: Some(company),
        email_addresses: vec![KeyedValue {
            key: "EmailAddress1".into(),
            value: address,
        }],
        phone_numbers: vec![KeyedValue {
            key: "BusinessPhone".into(),
            value: format!("+1 555 {:04}", (h >> 40) % 10_000 + u64::from(index)),
        }],
        job_title: Some(pick(&["Buyer", "CTO", "Account Manager", "Engineer"], h >> 48).into()),
    })
}
