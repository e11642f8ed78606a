//! The control API under `/_sim/`: drive the simulated organisation from tests and demos.

use crate::autodiscover_control::AutodiscoverControl;
use crate::directory::{Directory, UserNo};
use crate::ews_ops::Ctx;
use crate::mailbox::{Content, ids};
use crate::scenario::{FaultSpec, ThrottlingSpec};
use crate::shell;
use crate::sim::Sim;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post, put};
use axum::{Json, Router};
use impersync_ews::types::{Body, Item, ItemCommon, Mailbox, Message};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The control routes, to be nested at `/_sim`.
pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/reset", post(reset))
        .route(
            "/mailboxes/{address}/items",
            axum::routing::get(super::control_contents::mailbox_items),
        )
        .route("/mailboxes/{address}/folders/{folder}/items", post(deliver))
        .route(
            "/mailboxes/{address}/items/{item}",
            axum::routing::patch(modify).delete(remove),
        )
        .route("/groups/{group}/members", post(add_member))
        .route("/groups/{group}/members/{member}", delete(remove_member))
        .route("/users/{user}/password", put(set_password))
        .route("/users/{user}/ews", put(set_ews))
        .route("/shell", post(run_shell))
        .route(
            "/requests",
            axum::routing::get(requests).delete(clear_requests),
        )
        .route(
            "/faults",
            axum::routing::get(get_faults)
                .post(set_faults)
                .delete(clear_faults),
        )
        .route("/throttling", put(set_throttling))
        .route(
            "/autodiscover",
            axum::routing::get(get_autodiscover).put(set_autodiscover),
        )
}

pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

pub(super) fn find_user(dir: &Directory, address: &str) -> Result<UserNo, Box<Response>> {
    dir.find_user(address)
        .ok_or_else(|| Box::new(error(StatusCode::NOT_FOUND, format!("no user {address}"))))
}

async fn reset(State(sim): State<Arc<Sim>>) -> Response {
    match sim.reset() {
        Ok(()) => Json(json!({ "reset": true })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// A message to deliver.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Delivery {
    subject: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_read: bool,
}

async fn deliver(
    State(sim): State<Arc<Sim>>,
    Path((address, folder)): Path<(String, String)>,
    Json(d): Json<Delivery>,
) -> Response {
    let mut dir = sim.write();
    let user = match find_user(&dir, &address) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let (me_name, me_smtp) = (
        dir.user(user).display_name.clone(),
        dir.user(user).primary_smtp.clone(),
    );
    let Some(mb) = dir.user_mut(user).mailbox.as_mut() else {
        return error(StatusCode::CONFLICT, format!("{address} has no mailbox"));
    };
    let Some(f) = mb.distinguished(&folder) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no distinguished folder {folder}"),
        );
    };
    let now = crate::mailbox::time::iso8601(crate::mailbox::time::now());
    let from = d.from.map(|a| Mailbox::smtp(a.clone(), a));
    let text = d.body.unwrap_or_default();
    let item = Item::Message(Message {
        item: ItemCommon {
            item_class: Some("IPM.Note".into()),
            subject: Some(d.subject),
            preview: Some(text.chars().take(120).collect()),
            body: Some(Body {
                body_type: "Text".into(),
                content: text,
            }),
            date_time_received: Some(now.clone()),
            date_time_sent: Some(now.clone()),
            date_time_created: Some(now.clone()),
            last_modified_time: Some(now),
            importance: Some("Normal".into()),
            has_attachments: Some(false),
            ..ItemCommon::default()
        },
        sender: from.clone(),
        to_recipients: vec![Mailbox::smtp(me_name, me_smtp)],
        from,
        internet_message_id: Some(format!("<{}@sim.{}>", rand::random::<u64>(), "invalid")),
        ..Message::default()
    });
    let serial = mb.add(f, Content::Stored(Box::new(item)), d.is_read);
    let id = ids::item_id(mb.number, serial);
    (StatusCode::CREATED, Json(json!({ "item_id": id }))).into_response()
}

/// Changes to an existing item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Modification {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    is_read: Option<bool>,
}

async fn modify(
    State(sim): State<Arc<Sim>>,
    Path((address, item)): Path<(String, String)>,
    Json(m): Json<Modification>,
) -> Response {
    let mut dir = sim.write();
    let user = match find_user(&dir, &address) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let Some((mailbox, serial)) = ids::parse_item_id(&item) else {
        return error(StatusCode::BAD_REQUEST, "malformed item id");
    };
    if dir.user(user).mailbox.as_ref().map(|mb| mb.number) != Some(mailbox) {
        return error(
            StatusCode::NOT_FOUND,
            format!("no such item in {address}'s mailbox"),
        );
    }
    let updated = m.subject.map(|subject| {
        let ctx = Ctx {
            dir: &dir,
            sim: &sim,
            acting: user,
        };
        ctx.mailbox()
            .ok()
            .and_then(|mb| mb.items.get(&serial).filter(|r| r.is_live()))
            .map(|rec| {
                let mut current = ctx.item(serial, rec);
                current.common_mut().subject = Some(subject);
                current
            })
    });
    let Some(mb) = dir.user_mut(user).mailbox.as_mut() else {
        return error(StatusCode::CONFLICT, format!("{address} has no mailbox"));
    };
    let mut found = true;
    if let Some(item) = updated {
        found &= item.is_some_and(|i| mb.update(serial, i));
    }
    if let Some(read) = m.is_read {
        found &= mb.set_read(serial, read);
    }
    if found {
        Json(json!({ "item_id": item })).into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such item")
    }
}

async fn remove(
    State(sim): State<Arc<Sim>>,
    Path((address, item)): Path<(String, String)>,
) -> Response {
    let mut dir = sim.write();
    let user = match find_user(&dir, &address) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let deleted = ids::parse_item_id(&item)
        .zip(dir.user_mut(user).mailbox.as_mut())
        .is_some_and(|((mailbox, serial), mb)| mailbox == mb.number && mb.delete(serial));
    if deleted {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such item")
    }
}

#[derive(Debug, Deserialize)]
struct MemberRef {
    member: String,
}

async fn add_member(
    State(sim): State<Arc<Sim>>,
    Path(group): Path<String>,
    Json(m): Json<MemberRef>,
) -> Response {
    let mut dir = sim.write();
    let Some(g) = dir.find_group(&group) else {
        return error(StatusCode::NOT_FOUND, format!("no group {group}"));
    };
    match dir.find_member(&m.member) {
        Ok(member) => {
            dir.add_member(g, member);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

async fn remove_member(
    State(sim): State<Arc<Sim>>,
    Path((group, member)): Path<(String, String)>,
) -> Response {
    let mut dir = sim.write();
    let Some(g) = dir.find_group(&group) else {
        return error(StatusCode::NOT_FOUND, format!("no group {group}"));
    };
    match dir.find_member(&member) {
        Ok(m) if dir.remove_member(g, m) => StatusCode::NO_CONTENT.into_response(),
        Ok(_) => error(
            StatusCode::NOT_FOUND,
            format!("{member} is not a direct member of {group}"),
        ),
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct Password {
    password: String,
}

async fn set_password(
    State(sim): State<Arc<Sim>>,
    Path(user): Path<String>,
    Json(p): Json<Password>,
) -> Response {
    let mut dir = sim.write();
    match find_user(&dir, &user) {
        Ok(u) => {
            dir.user_mut(u).password = p.password;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => *r,
    }
}

#[derive(Debug, Deserialize)]
struct Ews {
    enabled: bool,
}

async fn set_ews(
    State(sim): State<Arc<Sim>>,
    Path(user): Path<String>,
    Json(e): Json<Ews>,
) -> Response {
    let mut dir = sim.write();
    match find_user(&dir, &user) {
        Ok(u) => {
            dir.user_mut(u).ews_enabled = e.enabled;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => *r,
    }
}

async fn run_shell(State(sim): State<Arc<Sim>>, script: String) -> Response {
    let mut dir = sim.write();
    match shell::run_script(&dir, &script) {
        Ok((next, outcomes)) => {
            *dir = next;
            Json(json!({ "applied": outcomes })).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn requests(State(sim): State<Arc<Sim>>) -> Response {
    Json(sim.log.entries()).into_response()
}

async fn clear_requests(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.log.clear();
    StatusCode::NO_CONTENT
}

async fn get_faults(State(sim): State<Arc<Sim>>) -> Json<FaultSpec> {
    Json(sim.faults.get())
}

async fn set_faults(State(sim): State<Arc<Sim>>, Json(f): Json<FaultSpec>) -> StatusCode {
    sim.faults.set(f);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.faults.set(FaultSpec::default());
    StatusCode::NO_CONTENT
}

async fn set_throttling(State(sim): State<Arc<Sim>>, Json(t): Json<ThrottlingSpec>) -> StatusCode {
    sim.throttle.reset(t);
    StatusCode::NO_CONTENT
}

async fn get_autodiscover(State(sim): State<Arc<Sim>>) -> Json<AutodiscoverControl> {
    Json(sim.autodiscover.lock().expect("autodiscover lock").clone())
}

async fn set_autodiscover(
    State(sim): State<Arc<Sim>>,
    Json(a): Json<AutodiscoverControl>,
) -> StatusCode {
    *sim.autodiscover.lock().expect("autodiscover lock") = a;
    StatusCode::NO_CONTENT
}
