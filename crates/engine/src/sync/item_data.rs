//! Turning an EWS item (as GetItem returns it) into the properties the store keeps: the
//! columns a CRM filters on, and everything else the EWS types expose as a JSON payload.

use impersync_ews::types::{CalendarItem, Contact, Item, ItemCommon, Mailbox, Message};
use impersync_store::{ItemData, ItemKind};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The store's view of `item`; `None` when the item carries no id.
pub fn item_data(item: &Item) -> Option<ItemData> {
    let common = item.common();
    let id = common.item_id.as_ref()?;
    let (kind, from, to, start_at, is_read, mut properties) = match item {
        Item::Message(m) => message_fields(m),
        Item::CalendarItem(c) => calendar_fields(c),
        Item::Contact(c) => contact_fields(c),
        Item::Other(_) => (ItemKind::Message, None, Vec::new(), None, true, Map::new()),
    };
    common_fields(common, &mut properties);
    let subject = match item {
        Item::Contact(c) => c.display_name.clone().or_else(|| common.subject.clone()),
        _ => common.subject.clone(),
    };
    Some(ItemData {
        item_id: id.id.clone(),
        change_key: id.change_key.clone().unwrap_or_default(),
        kind,
        item_class: common.item_class.clone().unwrap_or_default(),
        subject: subject.unwrap_or_default(),
        from,
        to,
        received_at: common.date_time_received.as_deref().and_then(unix_ms),
        start_at,
        is_read,
        properties: Value::Object(properties),
    })
}

type Fields = (
    ItemKind,
    Option<String>,
    Vec<String>,
    Option<i64>,
    bool,
    Map<String, Value>,
);

fn message_fields(m: &Message) -> Fields {
    let mut p = Map::new();
    p.insert("cc".into(), addresses(&m.cc_recipients).into());
    put(&mut p, "sender", m.sender.as_ref().map(mailbox));
    put(&mut p, "internet_message_id", m.internet_message_id.clone());
    let from = m.from.as_ref().or(m.sender.as_ref());
    (
        ItemKind::Message,
        from.map(|f| f.email_address.clone()),
        addresses(&m.to_recipients),
        None,
        m.is_read.unwrap_or(false),
        p,
    )
}

fn calendar_fields(c: &CalendarItem) -> Fields {
    let mut p = Map::new();
    put(&mut p, "uid", c.uid.clone());
    put(&mut p, "start", c.start.clone());
    put(&mut p, "end", c.end.clone());
    put(&mut p, "is_all_day_event", c.is_all_day_event);
    put(&mut p, "location", c.location.clone());
    put(&mut p, "is_recurring", c.is_recurring);
    put(&mut p, "calendar_item_type", c.calendar_item_type.clone());
    put(&mut p, "organizer", c.organizer.as_ref().map(mailbox));
    let attendees = |list: &[impersync_ews::types::Attendee]| -> Value {
        list.iter()
            .map(|a| json!({ "mailbox": mailbox(&a.mailbox), "response_type": a.response_type }))
            .collect()
    };
    p.insert(
        "required_attendees".into(),
        attendees(&c.required_attendees),
    );
    p.insert(
        "optional_attendees".into(),
        attendees(&c.optional_attendees),
    );
    let to = c
        .required_attendees
        .iter()
        .chain(&c.optional_attendees)
        .map(|a| a.mailbox.email_address.clone())
        .collect();
    (
        ItemKind::CalendarItem,
        c.organizer.as_ref().map(|o| o.email_address.clone()),
        to,
        c.start.as_deref().and_then(unix_ms),
        true,
        p,
    )
}

fn contact_fields(c: &Contact) -> Fields {
    let mut p = Map::new();
    put(&mut p, "given_name", c.given_name.clone());
    put(&mut p, "surname", c.surname.clone());
    put(&mut p, "company_name", c.company_name.clone());
    put(&mut p, "job_title", c.job_title.clone());
    let keyed = |list: &[impersync_ews::types::KeyedValue]| -> Value {
        list.iter()
            .map(|k| (k.key.clone(), Value::String(k.value.clone())))
            .collect::<Map<_, _>>()
            .into()
    };
    p.insert("email_addresses".into(), keyed(&c.email_addresses));
    p.insert("phone_numbers".into(), keyed(&c.phone_numbers));
    let to = c.email_addresses.iter().map(|k| k.value.clone()).collect();
    (ItemKind::Contact, None, to, None, true, p)
}

fn common_fields(c: &ItemCommon, p: &mut Map<String, Value>) {
    put(
        p,
        "parent_folder_id",
        c.parent_folder_id.as_ref().map(|f| f.id.clone()),
    );
    put(p, "body_type", c.body.as_ref().map(|b| b.body_type.clone()));
    put(p, "body", c.body.as_ref().map(|b| b.content.clone()));
    put(p, "size", c.size);
    p.insert("categories".into(), c.categories.clone().into());
    put(p, "importance", c.importance.clone());
    put(p, "date_time_sent", c.date_time_sent.clone());
    put(p, "date_time_created", c.date_time_created.clone());
    put(p, "has_attachments", c.has_attachments);
    put(p, "last_modified_time", c.last_modified_time.clone());
    put(p, "conversation_id", c.conversation_id.clone());
    put(p, "preview", c.preview.clone());
}

fn put(p: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        p.insert(key.into(), v.into());
    }
}

fn mailbox(m: &Mailbox) -> Value {
    json!({ "name": m.name, "email_address": m.email_address })
}

fn addresses(list: &[Mailbox]) -> Vec<String> {
    list.iter().map(|m| m.email_address.clone()).collect()
}

/// An EWS `xs:dateTime` (RFC 3339) as Unix milliseconds.
fn unix_ms(text: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_as_unix_milliseconds() {
        assert_eq!(unix_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(
            unix_ms("2024-03-01T10:00:00.5+01:00"),
            Some(1_709_283_600_500)
        );
        assert_eq!(unix_ms("yesterday"), None);
    }
}
