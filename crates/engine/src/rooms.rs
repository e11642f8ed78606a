//! The room directory: [`Engine::sync_rooms`] reads an organisation's room lists and their
//! rooms (GetRoomLists, GetRooms) and replaces the stored directory;
//! [`Engine::sync_rooms_due`] does so for every configured organisation not refreshed within
//! [`ROOMS_REFRESH_EVERY`].
//!
//! Exchange answers both operations from the caller's own mailbox, so they are sent as the
//! service account itself, without impersonation. A service account without a mailbox gets
//! `ErrorNonExistentMailbox`; that is recorded with [`NO_SERVICE_MAILBOX_REMEDY`] and does not
//! touch the mailbox syncs, which impersonate the users.

use crate::Engine;
use crate::org_client::{ClientPlan, OrgClientError};
use impersync_ews::ResponseCode;
use impersync_ews::ResponseStatus;
use impersync_ews::ops::{GetRoomLists, GetRooms};
use impersync_ews::types::Mailbox;
use impersync_exchange::{ExchangeClient, ExchangeError, OutcomeClass};
use impersync_store::{
    AccessType, OrgId, OrgStore, Principal, Room, RoomDirectory, RoomList, StoreError, SyncFailure,
    now_millis,
};
use std::sync::Arc;
use std::time::Duration;

/// How long a room directory stays current before [`Engine::sync_rooms_due`] refreshes it.
pub const ROOMS_REFRESH_EVERY: Duration = Duration::from_secs(3600);

/// What to do when the service account has no mailbox of its own (as the setup guide warns).
pub const NO_SERVICE_MAILBOX_REMEDY: &str = "Give the service account a mailbox of its own: on Exchange Server create it with New-Mailbox (as the setup script does) or Enable-Mailbox; on Microsoft 365 assign the service account a license that includes an Exchange Online mailbox. Then refresh the rooms. Mailbox sync does not need it and goes on.";

/// The outcome recorded when the organisation's email configuration cannot be used.
const CONFIGURATION: &str = "ConfigurationInvalid";

/// How one organisation's refresh in a round ended.
#[derive(Debug)]
pub struct RoomsOutcome {
    /// The organisation.
    pub org: OrgId,
    /// Its directory after the refresh (with the failure, if the refresh failed), or why
    /// the store could not record it.
    pub result: Result<RoomDirectory, StoreError>,
}

impl Engine {
    /// Reads the organisation's room lists and rooms through the service account's own
    /// mailbox and replaces its stored room directory. A failure (no configuration, no
    /// mailbox, Exchange unreachable, ...) is recorded with its remedy and the last directory
    /// is kept. Returns the directory as now stored; errs only when the store fails.
    pub async fn sync_rooms(&self, org: OrgId) -> Result<RoomDirectory, StoreError> {
        let principal = Principal::system("rooms");
        let scope = self.store().org(&principal, org).await?;
        let now = now_millis();
        match self.read_rooms(&scope).await {
            Ok(lists) => scope.rooms().replace(&lists, now).await?,
            Err(failure) => {
                tracing::info!(%org, outcome = %failure.outcome, "rooms: refresh failed");
                scope.rooms().record_failure(&failure, now).await?;
            }
        }
        scope.rooms().directory().await
    }

    /// One round: refreshes the room directory of every organisation with a saved email
    /// configuration whose directory was not tried within [`ROOMS_REFRESH_EVERY`]. `owner`
    /// names the caller (a worker) in the logs.
    pub async fn sync_rooms_due(&self, owner: &str) -> Result<Vec<RoomsOutcome>, StoreError> {
        let principal = Principal::system(owner);
        let before = now_millis() - ROOMS_REFRESH_EVERY.as_millis() as i64;
        let due = self.store().rooms_due(&principal, before).await?;
        let mut outcomes = Vec::with_capacity(due.len());
        for org in due {
            let result = self.sync_rooms(org).await;
            if let Err(e) = &result {
                tracing::warn!(%org, %owner, error = %e, "rooms: cannot record the refresh");
            }
            outcomes.push(RoomsOutcome { org, result });
        }
        Ok(outcomes)
    }

    async fn read_rooms(&self, scope: &OrgStore<'_>) -> Result<Vec<RoomList>, SyncFailure> {
        let client = self.service_client(scope).await?;
        read_directory(&client)
            .await
            .map_err(|e| exchange_failure(&e))
    }

    /// A client acting as the organisation's service account.
    async fn service_client(
        &self,
        scope: &OrgStore<'_>,
    ) -> Result<Arc<ExchangeClient>, SyncFailure> {
        let settings = scope
            .email_config()
            .credentials()
            .await
            .map_err(|e| store_failure(&e))?
            .ok_or_else(|| configuration_failure(&OrgClientError::NoConfiguration))?;
        let bearer = match &settings.access {
            AccessType::M365OAuthImpersonation { .. } => Some(
                self.m365()
                    .tokens
                    .access_token(scope.id())
                    .await
                    .map_err(|e| SyncFailure {
                        outcome: CONFIGURATION.into(),
                        code: None,
                        message: format!("no Microsoft 365 access token: {e}"),
                        remedy: "Sign in with Microsoft 365 in the email configuration again, then refresh the rooms.".into(),
                    })?,
            ),
            AccessType::ExchangeImpersonation { .. } => None,
        };
        let plan =
            ClientPlan::new(&settings, bearer, None).map_err(|e| configuration_failure(&e))?;
        plan.connect(self.network(), self.governor(scope.id()))
            .await
            .map_err(|e| match e {
                OrgClientError::Client(e) => exchange_failure(&e),
                e => configuration_failure(&e),
            })
    }
}

/// Every room list with its rooms, as the service account itself.
async fn read_directory(client: &ExchangeClient) -> Result<Vec<RoomList>, ExchangeError> {
    let lists = client.call(None, &GetRoomLists).await?.response;
    succeeded(&lists.status)?;
    let mut directory = Vec::with_capacity(lists.room_lists.len());
    for list in lists.room_lists {
        let rooms = client
            .call(
                None,
                &GetRooms {
                    room_list: list.email_address.clone(),
                },
            )
            .await?
            .response;
        // Exchange answers an empty room list with ErrorNameResolutionNoResults.
        if rooms.status.code != ResponseCode::ErrorNameResolutionNoResults {
            succeeded(&rooms.status)?;
        }
        directory.push(RoomList {
            name: display_name(&list),
            rooms: rooms
                .rooms
                .iter()
                .map(|r| Room {
                    address: r.email_address.clone(),
                    name: display_name(r),
                })
                .collect(),
            address: list.email_address,
        });
    }
    Ok(directory)
}

fn display_name(mailbox: &Mailbox) -> String {
    mailbox
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| mailbox.email_address.clone())
}

/// The response's error, if it is one.
fn succeeded(status: &ResponseStatus) -> Result<(), ExchangeError> {
    if status.is_success() {
        return Ok(());
    }
    Err(ExchangeError::Response {
        code: status.code.clone(),
        message: status.message_text.clone().unwrap_or_default(),
        back_off_ms: status.back_off_ms,
    })
}

/// An Exchange failure with its remedy; a missing service-account mailbox gets the setup
/// guide's remedy.
fn exchange_failure(e: &ExchangeError) -> SyncFailure {
    let outcome = e.outcome();
    let unlicensed = outcome.message.contains("doesn't have a valid license");
    if outcome.class == OutcomeClass::NoMailbox || unlicensed {
        return SyncFailure {
            outcome: OutcomeClass::NoMailbox.as_str().into(),
            code: outcome.code,
            message: format!(
                "The service account has no mailbox of its own; Exchange reads room lists and rooms through it ({})",
                outcome.message
            ),
            remedy: NO_SERVICE_MAILBOX_REMEDY.into(),
        };
    }
    SyncFailure {
        outcome: outcome.class.as_str().into(),
        code: outcome.code,
        message: outcome.message,
        remedy: outcome.remedy,
    }
}

fn configuration_failure(e: &OrgClientError) -> SyncFailure {
    SyncFailure {
        outcome: CONFIGURATION.into(),
        code: None,
        message: e.to_string(),
        remedy: "Fix the organisation's email configuration, then refresh the rooms.".into(),
    }
}

fn store_failure(e: &StoreError) -> SyncFailure {
    SyncFailure {
        outcome: OutcomeClass::ServerError.as_str().into(),
        code: None,
        message: format!("the store could not read the email configuration: {e}"),
        remedy: "Check the database, then refresh the rooms.".into(),
    }
}
