//! `GET /_sim/mailboxes/{address}/items`: what a mailbox holds now, as a sync should see it,
//! so tests compare a synced copy with the simulator programmatically. [`MailboxItems`] is
//! the answer's JSON, for its readers too.

use crate::ews_ops::Ctx;
use crate::sim::Sim;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use impersync_ews::types::Item;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a mailbox holds: the answer of `GET /_sim/mailboxes/{address}/items`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailboxItems {
    /// The address asked for.
    pub address: String,
    /// Its live items, by folder and item id.
    pub items: Vec<MailboxItem>,
}

/// One live item of a mailbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailboxItem {
    /// The folder's distinguished name (`inbox`, `calendar`, ...), else its display name.
    pub folder: String,
    /// The EWS item id.
    pub item_id: String,
    /// Its current change key.
    pub change_key: String,
    /// `IPM.Note`, `IPM.Appointment`, ...
    pub item_class: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// The read flag (messages only).
    pub is_read: Option<bool>,
    /// The sender's address (messages only).
    pub from: Option<String>,
    /// The recipients' addresses (messages only).
    pub to: Vec<String>,
    /// When it was received.
    pub received: Option<String>,
    /// When it starts (calendar items only).
    pub start: Option<String>,
}

/// Lists every live item of the mailbox of `address`, by folder and item id.
pub(super) async fn mailbox_items(
    State(sim): State<Arc<Sim>>,
    Path(address): Path<String>,
) -> Response {
    let dir = sim.read();
    let user = match super::control::find_user(&dir, &address) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let ctx = Ctx {
        dir: &dir,
        sim: &sim,
        acting: user,
    };
    let Ok(mailbox) = ctx.mailbox() else {
        return super::control::error(StatusCode::CONFLICT, format!("{address} has no mailbox"));
    };
    let mut items: Vec<MailboxItem> = mailbox
        .items
        .iter()
        .filter(|(_, rec)| rec.is_live())
        .map(|(&serial, rec)| {
            let folder = &mailbox.folders[rec.folder as usize];
            let id = mailbox.item_id(serial, rec);
            let item = ctx.item(serial, rec);
            let (is_read, from, to, start) = match &item {
                Item::Message(m) => (
                    m.is_read,
                    m.from.as_ref().map(|f| f.email_address.clone()),
                    m.to_recipients
                        .iter()
                        .map(|t| t.email_address.clone())
                        .collect(),
                    None,
                ),
                Item::CalendarItem(c) => (None, None, Vec::new(), c.start.clone()),
                Item::Contact(_) | Item::Other(_) => (None, None, Vec::new(), None),
            };
            let common = item.common();
            MailboxItem {
                folder: folder
                    .distinguished
                    .map_or_else(|| folder.display_name.clone(), str::to_string),
                item_id: id.id,
                change_key: id.change_key.unwrap_or_default(),
                item_class: common.item_class.clone(),
                subject: common.subject.clone(),
                is_read,
                from,
                to,
                received: common.date_time_received.clone(),
                start,
            }
        })
        .collect();
    items.sort_by(|a, b| (&a.folder, &a.item_id).cmp(&(&b.folder, &b.item_id)));
    Json(MailboxItems { address, items }).into_response()
}
