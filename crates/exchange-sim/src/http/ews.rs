//! `POST /EWS/Exchange.asmx`: authentication, throttling, impersonation and dispatch.

use super::responses::{self, fault};
use crate::auth::{self, AuthOutcome, ConnState};
use crate::directory::{Directory, ImpersonationRefusal, UserNo};
use crate::ews_ops::{self, Ctx};
use crate::faults::{FaultAction, InjectedLatency};
use crate::request_log::LogEntry;
use crate::sim::Sim;
use crate::throttle::{Budget, Slot, Throttled};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use impersync_ews::ops::{
    ConvertIdResponse, FindFolderResponse, FindItemResponse, FolderChanges, GetFolderResponse,
    GetItemResponse, GetRoomListsResponse, GetRoomsResponse, ItemChanges, MAX_CHANGES_PER_CALL,
    Request, SyncFolderHierarchyResponse, SyncFolderItemsResponse,
};
use impersync_ews::{
    ConnectingSid, DecodeError, ResponseCode, ResponseMessage, ResponseStatus, SoapFault,
    encode_response, read_request,
};
use std::sync::Arc;

/// Handles one EWS request.
pub async fn handle(
    State(sim): State<Arc<Sim>>,
    Extension(conn): Extension<Arc<ConnState>>,
    Extension(action): Extension<FaultAction>,
    Extension(InjectedLatency(latency)): Extension<InjectedLatency>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut entry = LogEntry {
        seq: 0,
        method: "POST".into(),
        path: "/EWS/Exchange.asmx".into(),
        operation: None,
        caller: None,
        impersonation: None,
        anchor_mailbox: headers
            .get("x-anchormailbox")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        status: 200,
        response_code: None,
        request_bytes: body.len() as u64,
    };
    let mut slot = None;
    let response = serve(&sim, &conn, action, &headers, &body, &mut entry, &mut slot);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    drop(slot);
    entry.status = response.status().as_u16();
    sim.log.push(entry);
    response
}

/// Serves one request; `slot` receives the throttling slot the request holds.
fn serve(
    sim: &Sim,
    conn: &ConnState,
    action: FaultAction,
    headers: &HeaderMap,
    body: &[u8],
    entry: &mut LogEntry,
    slot: &mut Option<Slot>,
) -> Response {
    let caller = match auth::authenticate(sim, conn, headers) {
        AuthOutcome::User(u) => u,
        AuthOutcome::NtlmChallenge(v) => {
            // A handshake leg is not a request that got in: the fault waits for one.
            sim.faults.put_back(action);
            return responses::ntlm_challenge(&v);
        }
        AuthOutcome::Refused(why) => {
            tracing::debug!(why, "EWS request refused with 401");
            sim.faults.put_back(action);
            return responses::unauthorized(&sim.read().domain);
        }
    };
    entry.caller = Some(sim.read().user(caller).upn.clone());
    match action {
        FaultAction::Http503 { retry_after_s } => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, retry_after_s.to_string())],
                "",
            )
                .into_response();
        }
        FaultAction::ServerBusy {
            back_off_ms,
            as_response_message: false,
        } => {
            entry.response_code = Some(ResponseCode::ErrorServerBusy.to_string());
            return responses::fault_of(&sim.version, &server_busy(back_off_ms));
        }
        _ => {}
    }
    let envelope = match read_request(body) {
        Ok(e) => e,
        Err(e) => return decode_failure(sim, e, entry),
    };
    entry.impersonation = envelope
        .header
        .impersonation
        .as_ref()
        .map(|s| format!("{}:{}", s.kind(), s.value()));
    let request = match Request::read(&envelope.body) {
        Ok(r) => r,
        Err(e) => return decode_failure(sim, e, entry),
    };
    entry.operation = Some(request.name().to_string());
    if let Err(why) = schema_check(&request) {
        entry.response_code = Some(ResponseCode::ErrorSchemaValidation.to_string());
        return fault(
            &sim.version,
            ResponseCode::ErrorSchemaValidation,
            format!("The request failed schema validation: {why}"),
        );
    }
    let dir = sim.read();
    let acting = match &envelope.header.impersonation {
        None => caller,
        Some(sid) => match resolve_impersonation(&dir, caller, sid) {
            Ok(u) => u,
            Err(f) => {
                entry.response_code = Some(f.code.to_string());
                return responses::fault_of(&sim.version, &f);
            }
        },
    };
    if !dir.user(caller).ews_enabled || !dir.user(acting).ews_enabled {
        return (
            StatusCode::FORBIDDEN,
            "EWS is disabled for this mailbox (EwsEnabled is False).",
        )
            .into_response();
    }
    // Impersonated requests are charged to the target mailbox's budget for service
    // accounts, as in Exchange 2010 SP2 RU4 and later.
    let budget = match envelope.header.impersonation {
        Some(_) => Budget::Impersonated(acting),
        None => Budget::Own(caller),
    };
    *slot = match sim.throttle.admit(budget) {
        Ok(slot) => Some(slot),
        Err(Throttled::Concurrency(max)) => {
            entry.response_code = Some(ResponseCode::ErrorExceededConnectionCount.to_string());
            return fault(
                &sim.version,
                ResponseCode::ErrorExceededConnectionCount,
                format!(
                    "You have exceeded the available concurrent connections for your account (EWSMaxConcurrency is {max}). Try again once your other requests have completed."
                ),
            );
        }
        Err(Throttled::Budget(ms)) => {
            entry.response_code = Some(ResponseCode::ErrorServerBusy.to_string());
            return responses::fault_of(&sim.version, &server_busy(ms));
        }
    };
    if let FaultAction::ServerBusy {
        back_off_ms,
        as_response_message: true,
    } = action
    {
        entry.response_code = Some(ResponseCode::ErrorServerBusy.to_string());
        return busy_message(sim, &request, back_off_ms);
    }
    let ctx = Ctx {
        dir: &dir,
        sim,
        acting,
    };
    let xml = ews_ops::dispatch(&ctx, &sim.version, request);
    drop(dir);
    if action == FaultAction::Truncate {
        return responses::truncated(StatusCode::OK, xml);
    }
    responses::xml(StatusCode::OK, xml)
}

fn server_busy(back_off_ms: u64) -> SoapFault {
    SoapFault {
        back_off_ms: Some(back_off_ms),
        ..SoapFault::new(
            ResponseCode::ErrorServerBusy,
            "The server cannot service this request right now. Try again later.",
        )
    }
}

/// What the XML schema refuses before any processing.
fn schema_check(request: &Request) -> Result<(), String> {
    match request {
        Request::SyncFolderItems(r)
            if !(1..=MAX_CHANGES_PER_CALL).contains(&r.max_changes_returned) =>
        {
            Err(format!(
                "The 'MaxChangesReturned' element is invalid - The value '{}' is invalid according to its datatype 'MaxSyncChangesReturnedType': it must be between 1 and {MAX_CHANGES_PER_CALL}.",
                r.max_changes_returned
            ))
        }
        _ => Ok(()),
    }
}

/// ErrorServerBusy as the response message of the operation that was asked for.
fn busy_message(sim: &Sim, request: &Request, back_off_ms: u64) -> Response {
    let mut status = ResponseStatus::error(
        ResponseCode::ErrorServerBusy,
        "The server cannot service this request right now. Try again later.",
    );
    status.back_off_ms = Some(back_off_ms);
    fn one<T>(status: &ResponseStatus, payload: Option<T>) -> Vec<ResponseMessage<T>> {
        vec![ResponseMessage {
            status: status.clone(),
            payload,
        }]
    }
    let v = &sim.version;
    let body = match request {
        Request::GetFolder(r) => encode_response(
            v,
            &GetFolderResponse {
                messages: one(&status, None),
                shape: r.shape.clone(),
            },
        ),
        Request::FindFolder(r) => encode_response(
            v,
            &FindFolderResponse {
                messages: one(&status, None),
                shape: r.shape.clone(),
            },
        ),
        Request::FindItem(r) => encode_response(
            v,
            &FindItemResponse {
                messages: one(&status, None),
                shape: r.shape.clone(),
            },
        ),
        Request::GetItem(r) => encode_response(
            v,
            &GetItemResponse {
                messages: one(&status, None),
                shape: r.shape.clone(),
            },
        ),
        // Sync errors still carry an empty SyncState and IncludesLast...InRange.
        Request::SyncFolderItems(r) => encode_response(
            v,
            &SyncFolderItemsResponse {
                messages: one(
                    &status,
                    Some(ItemChanges {
                        includes_last_item_in_range: true,
                        ..ItemChanges::default()
                    }),
                ),
                shape: r.shape.clone(),
            },
        ),
        Request::SyncFolderHierarchy(r) => encode_response(
            v,
            &SyncFolderHierarchyResponse {
                messages: one(
                    &status,
                    Some(FolderChanges {
                        includes_last_folder_in_range: true,
                        ..FolderChanges::default()
                    }),
                ),
                shape: r.shape.clone(),
            },
        ),
        Request::ConvertId(_) => encode_response(
            v,
            &ConvertIdResponse {
                messages: one(&status, None),
            },
        ),
        Request::GetRoomLists(_) => encode_response(
            v,
            &GetRoomListsResponse {
                status,
                room_lists: Vec::new(),
            },
        ),
        Request::GetRooms(_) => encode_response(
            v,
            &GetRoomsResponse {
                status,
                rooms: Vec::new(),
            },
        ),
    };
    responses::xml(StatusCode::OK, body)
}

fn decode_failure(sim: &Sim, e: DecodeError, entry: &mut LogEntry) -> Response {
    let code = match e {
        DecodeError::InvalidImpersonationHeader(_) => {
            ResponseCode::ErrorInvalidExchangeImpersonationHeaderData
        }
        DecodeError::UnsupportedOperation(_) => ResponseCode::ErrorInvalidRequest,
        _ => ResponseCode::ErrorSchemaValidation,
    };
    entry.response_code = Some(code.to_string());
    fault(
        &sim.version,
        code,
        format!("The request failed schema validation: {e}"),
    )
}

fn resolve_impersonation(
    dir: &Directory,
    caller: UserNo,
    sid: &ConnectingSid,
) -> Result<UserNo, SoapFault> {
    let no_mailbox = || {
        SoapFault::new(
            ResponseCode::ErrorNonExistentMailbox,
            format!(
                "The SMTP address has no mailbox associated with it: {}",
                sid.value()
            ),
        )
    };
    let target = dir.find_user(sid.value()).filter(|u| {
        let user = dir.user(*u);
        match sid {
            ConnectingSid::PrimarySmtpAddress(a) => user.primary_smtp.eq_ignore_ascii_case(a),
            ConnectingSid::PrincipalName(a) => user.upn.eq_ignore_ascii_case(a),
            ConnectingSid::Sid(a) => user.sid.eq_ignore_ascii_case(a),
            ConnectingSid::SmtpAddress(a) => {
                user.primary_smtp.eq_ignore_ascii_case(a)
                    || user
                        .proxy_addresses
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(a))
            }
        }
    });
    let target = target.ok_or_else(no_mailbox)?;
    if let Err(refusal) = dir.may_impersonate(caller, target) {
        let why = match refusal {
            ImpersonationRefusal::NoRole => {
                "The account does not have permission to impersonate the requested user."
            }
            ImpersonationRefusal::OutOfScope => {
                "The account does not have permission to impersonate the requested user. The user is outside the management scope of the ApplicationImpersonation role assignment."
            }
        };
        return Err(SoapFault::new(
            ResponseCode::ErrorImpersonateUserDenied,
            why,
        ));
    }
    if dir.user(target).mailbox.is_none() {
        return Err(no_mailbox());
    }
    Ok(target)
}
