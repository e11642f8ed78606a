//! The rooms tab: the organisation's room lists and their rooms, when they were last read,
//! a refresh button, and, when the service account has no mailbox of its own, what to do.

use axum::extract::{Path, State};
use axum::response::Redirect;
use impersync_store::RoomDirectory;
use maud::{Markup, html};

use super::error::PanelError;
use super::form::{CsrfForm, NoFields};
use super::layout::{self, Tab, csrf_field};
use super::session::PanelUser;
use crate::api::rooms::refresh_and_audit;
use crate::auth::session::FlashLevel;
use crate::state::AdminState;

/// The failure of the last refresh, with its remedy.
fn failure(directory: &RoomDirectory) -> Markup {
    html! {
        @if let Some(e) = &directory.error {
            div.card.rooms-error role="alert" {
                @if e.outcome == "NoMailbox" {
                    h2 { "The service account has no mailbox of its own" }
                    p { "Exchange reads room lists and rooms through the service account's own mailbox, so they cannot be read. Mailbox sync is not affected." }
                } @else {
                    h2 { "The rooms could not be read" }
                }
                p { (layout::outcome_badge(&e.outcome)) @if let Some(code) = &e.code { " " code { (code) } } }
                p.message { (e.message) }
                p.remedy { strong { "What to do: " } (e.remedy) }
            }
        }
    }
}

/// The room lists with their rooms.
fn lists(directory: &RoomDirectory) -> Markup {
    html! {
        @if directory.lists.is_empty() {
            p.muted { "No room lists." }
        }
        @for list in &directory.lists {
            section.room-list {
                h2 { (list.name) " " small.muted { (list.address) } }
                @if list.rooms.is_empty() {
                    p.muted { "No rooms in this list." }
                } @else {
                    table {
                        thead { tr { th { "Room" } th { "Address" } } }
                        tbody {
                            @for room in &list.rooms {
                                tr { td { (room.name) } td { (room.address) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The tab.
pub async fn show(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
) -> Result<Markup, PanelError> {
    let org = user.org(&state, &org).await?;
    let organisation = org.get().await?;
    let directory = org.rooms().directory().await?;
    let flash = user.take_flashes(&state);
    let body = html! {
        p {
            @match directory.refreshed_at {
                Some(at) => { "Last read from Exchange " (layout::time(at)) "." }
                None => { "Not read from Exchange yet." }
            }
            " Rooms are read through the service account's own mailbox and refreshed every hour."
        }
        (failure(&directory))
        form method="post" action={ "/orgs/" (org.id()) "/rooms" } {
            (csrf_field(&user))
            button.primary type="submit" { "Refresh now" }
        }
        (lists(&directory))
    };
    Ok(layout::org_page(
        &user,
        &flash,
        &organisation,
        Tab::Rooms,
        body,
    ))
}

/// Reads the rooms from Exchange now and shows the tab again.
pub async fn refresh(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<NoFields>,
) -> Result<Redirect, PanelError> {
    let org = post.user.org(&state, &org).await?;
    let directory = refresh_and_audit(&state, &org).await?;
    let (level, text) = match &directory.error {
        None => (
            FlashLevel::Success,
            format!("Rooms refreshed: {} room list(s).", directory.lists.len()),
        ),
        Some(_) => (
            FlashLevel::Error,
            "The rooms could not be refreshed; see below.".to_string(),
        ),
    };
    post.user.flash(&state, level, text);
    Ok(Redirect::to(&format!("/orgs/{}/rooms", org.id())))
}
