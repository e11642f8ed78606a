//! `GET /_sim/mailboxes/{address}/items`: what a mailbox holds now, as a sync should see it,
//! so tests compare a synced copy with the simulator programmatically.

use crate::ews_ops::Ctx;
use crate::sim::Sim;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use impersync_ews::types::Item;
use serde::Serialize;
use std::sync::Arc;

/// One live item of a mailbox.
#[derive(Debug, Serialize)]
struct Contents {
    /// The folder's distinguished name (`inbox`, `calendar`, ...), else its display name.
    folder: String,
    item_id: String,
    change_key: String,
    item_class: Option<String>,
    subject: Option<String>,
    is_read: Option<bool>,
    from: Option<String>,
    to: Vec<String>,
    received: Option<String>,
    start: Option<String>,
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
    let mut items: Vec<Contents> = mailbox
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
            Contents {
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
    Json(serde_json::json!({ "address": address, "items": items })).into_response()
}
