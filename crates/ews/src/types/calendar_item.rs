//! `t:CalendarItem`: a meeting or appointment.

use super::item_common::ItemCommon;
use super::mailbox::Mailbox;
use super::shape::Shape;
use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// `t:Attendee`: an invitee and how they answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attendee {
    /// Who.
    pub mailbox: Mailbox,
    /// `t:ResponseType`: `Unknown`, `Organizer`, `Tentative`, `Accept`, `Decline`, `NoResponseReceived`.
    pub response_type: Option<String>,
}

/// A calendar entry with the properties a CRM activity needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarItem {
    /// Base item properties.
    pub item: ItemCommon,
    /// `t:UID`, the iCalendar UID.
    pub uid: Option<String>,
    /// `t:Start`.
    pub start: Option<String>,
    /// `t:End`.
    pub end: Option<String>,
    /// `t:IsAllDayEvent`.
    pub is_all_day_event: Option<bool>,
    /// `t:Location`.
    pub location: Option<String>,
    /// `t:IsRecurring`.
    pub is_recurring: Option<bool>,
    /// `t:CalendarItemType`: `Single`, `Occurrence`, `Exception`, `RecurringMaster`.
    pub calendar_item_type: Option<String>,
    /// `t:Organizer`.
    pub organizer: Option<Mailbox>,
    /// `t:RequiredAttendees`.
    pub required_attendees: Vec<Attendee>,
    /// `t:OptionalAttendees`.
    pub optional_attendees: Vec<Attendee>,
}

impl CalendarItem {
    pub(crate) fn write_fields(&self, w: &mut XmlWriter, shape: &Shape) {
        let leaf = |w: &mut XmlWriter, uri: &str, tag: &str, v: Option<&str>| {
            if shape.wants(uri) {
                w.opt_leaf(tag, v);
            }
        };
        leaf(w, "calendar:UID", "t:UID", self.uid.as_deref());
        leaf(w, "calendar:Start", "t:Start", self.start.as_deref());
        leaf(w, "calendar:End", "t:End", self.end.as_deref());
        if shape.wants("calendar:IsAllDayEvent") {
            w.opt_leaf("t:IsAllDayEvent", self.is_all_day_event);
        }
        leaf(
            w,
            "calendar:Location",
            "t:Location",
            self.location.as_deref(),
        );
        if shape.wants("calendar:IsRecurring") {
            w.opt_leaf("t:IsRecurring", self.is_recurring);
        }
        leaf(
            w,
            "calendar:CalendarItemType",
            "t:CalendarItemType",
            self.calendar_item_type.as_deref(),
        );
        if shape.wants("calendar:Organizer")
            && let Some(o) = &self.organizer
        {
            o.write_wrapped(w, "t:Organizer");
        }
        write_attendees(
            w,
            shape,
            "calendar:RequiredAttendees",
            "t:RequiredAttendees",
            &self.required_attendees,
        );
        write_attendees(
            w,
            shape,
            "calendar:OptionalAttendees",
            "t:OptionalAttendees",
            &self.optional_attendees,
        );
    }

    pub(crate) fn read(el: &Element) -> Result<Self, DecodeError> {
        let t = |name: &str| el.child_text(ns::TYPES, name);
        let attendees = |name: &str| -> Result<Vec<Attendee>, DecodeError> {
            el.child(ns::TYPES, name)
                .map(|list| {
                    list.children_named(ns::TYPES, "Attendee")
                        .map(|a| {
                            Ok(Attendee {
                                mailbox: a
                                    .child(ns::TYPES, "Mailbox")
                                    .map(Mailbox::read)
                                    .transpose()?
                                    .unwrap_or_default(),
                                response_type: a.child_text(ns::TYPES, "ResponseType"),
                            })
                        })
                        .collect()
                })
                .transpose()
                .map(Option::unwrap_or_default)
        };
        Ok(Self {
            item: ItemCommon::read(el)?,
            uid: t("UID"),
            start: t("Start"),
            end: t("End"),
            is_all_day_event: el.child_parse(ns::TYPES, "IsAllDayEvent")?,
            location: el.child(ns::TYPES, "Location").map(|l| l.text.clone()),
            is_recurring: el.child_parse(ns::TYPES, "IsRecurring")?,
            calendar_item_type: t("CalendarItemType"),
            organizer: el
                .child(ns::TYPES, "Organizer")
                .map(Mailbox::read_wrapped)
                .transpose()?
                .flatten(),
            required_attendees: attendees("RequiredAttendees")?,
            optional_attendees: attendees("OptionalAttendees")?,
        })
    }
}

fn write_attendees(w: &mut XmlWriter, shape: &Shape, uri: &str, tag: &str, list: &[Attendee]) {
    if shape.wants(uri) && !list.is_empty() {
        w.start(tag, &[]);
        for a in list {
            w.start("t:Attendee", &[]);
            a.mailbox.write(w);
            w.opt_leaf("t:ResponseType", a.response_type.as_deref());
            w.end("t:Attendee");
        }
        w.end(tag);
    }
}
