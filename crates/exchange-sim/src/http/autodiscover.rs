//! Autodiscover: POX `autodiscover.xml`, SOAP `autodiscover.svc` and v2 `autodiscover.json`.

use super::Scheme;
use super::responses::{self, XML};
use crate::auth::{self, AuthOutcome, ConnState};
use crate::directory::Directory;
use crate::sim::Sim;
use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use impersync_ews::autodiscover::{
    GetUserSettingsRequest, GetUserSettingsResponse, PoxRequest, PoxResponse, PoxSettings,
    UserResponse, V2Error, V2Response,
};
use serde::Deserialize;
use std::sync::Arc;

/// The `Host` header as sent (name and port).
fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
}

/// The host name without the port.
fn host_name(headers: &HeaderMap) -> &str {
    let host = host(headers);
    host.rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
}

/// The EWS URL as seen by a client that reached us through `Host`.
fn ews_url(scheme: Scheme, headers: &HeaderMap) -> String {
    format!("{}://{}/EWS/Exchange.asmx", scheme.0, host(headers))
}

/// 404 when the control API switched this host's Autodiscover off.
fn refused(sim: &Sim, headers: &HeaderMap) -> Option<Response> {
    let control = sim.autodiscover.lock().expect("autodiscover lock");
    control
        .refuses(host_name(headers))
        .then(|| StatusCode::NOT_FOUND.into_response())
}

/// `GET /autodiscover/autodiscover.xml`: the unauthenticated redirect to the HTTPS endpoint.
pub async fn http_redirect(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    let control = sim.autodiscover.lock().expect("autodiscover lock").clone();
    if control.disable_http_redirect {
        return StatusCode::NOT_FOUND.into_response();
    }
    match sim.https_port() {
        Some(port) => {
            let to = control
                .http_redirect_to
                .as_deref()
                .unwrap_or(host_name(&headers));
            let location = format!("https://{to}:{port}/autodiscover/autodiscover.xml");
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The checks every POX and SOAP request passes: the host's Autodiscover is on, and the caller signs in.
fn gate(sim: &Sim, conn: &ConnState, headers: &HeaderMap) -> Option<Response> {
    refused(sim, headers).or_else(|| require_auth(sim, conn, headers).err().map(|r| *r))
}

fn require_auth(sim: &Sim, conn: &ConnState, headers: &HeaderMap) -> Result<(), Box<Response>> {
    match auth::authenticate(sim, conn, headers) {
        AuthOutcome::User(_) => Ok(()),
        AuthOutcome::NtlmChallenge(v) => Err(Box::new(responses::ntlm_challenge(&v))),
        AuthOutcome::Refused(_) => Err(Box::new(responses::unauthorized(&sim.read().domain))),
    }
}

fn mailbox_settings(dir: &Directory, address: &str, url: &str) -> Option<PoxSettings> {
    let user = dir.user(dir.find_user(address)?);
    user.mailbox.as_ref()?;
    Some(PoxSettings {
        display_name: Some(user.display_name.clone()),
        smtp_address: Some(user.primary_smtp.clone()),
        internal_ews_url: Some(url.to_string()),
        external_ews_url: Some(url.to_string()),
    })
}

/// `POST /autodiscover/autodiscover.xml`.
pub async fn pox(
    State(sim): State<Arc<Sim>>,
    Extension(conn): Extension<Arc<ConnState>>,
    Extension(scheme): Extension<Scheme>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = gate(&sim, &conn, &headers) {
        return r;
    }
    let request = match PoxRequest::from_xml(&body) {
        Ok(r) => r,
        Err(e) => {
            let answer = PoxResponse::Error {
                code: "600".into(),
                message: format!("Invalid Request: {e}"),
            };
            return ([(header::CONTENT_TYPE, XML)], answer.to_xml()).into_response();
        }
    };
    let url = ews_url(scheme, &headers);
    let redirect = {
        let control = sim.autodiscover.lock().expect("autodiscover lock");
        control
            .url_redirect(host_name(&headers))
            .map(|u| PoxResponse::RedirectUrl(u.to_string()))
            .or_else(|| {
                control
                    .address_redirect(&request.email_address)
                    .map(|a| PoxResponse::RedirectAddr(a.to_string()))
            })
    };
    let answer = match redirect {
        Some(r) => r,
        None => match mailbox_settings(&sim.read(), &request.email_address, &url) {
            Some(s) => PoxResponse::Settings(s),
            None => PoxResponse::Error {
                code: "500".into(),
                message: "The email address can't be found.".into(),
            },
        },
    };
    ([(header::CONTENT_TYPE, XML)], answer.to_xml()).into_response()
}

/// `POST /autodiscover/autodiscover.svc` (`GetUserSettings`).
pub async fn soap(
    State(sim): State<Arc<Sim>>,
    Extension(conn): Extension<Arc<ConnState>>,
    Extension(scheme): Extension<Scheme>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = gate(&sim, &conn, &headers) {
        return r;
    }
    let request = match GetUserSettingsRequest::from_xml(&body) {
        Ok(r) => r,
        Err(e) => {
            return responses::xml(
                StatusCode::OK,
                GetUserSettingsResponse {
                    error_code: "InvalidRequest".into(),
                    error_message: e.to_string(),
                    users: Vec::new(),
                }
                .to_xml(),
            );
        }
    };
    let url = ews_url(scheme, &headers);
    let control = sim.autodiscover.lock().expect("autodiscover lock").clone();
    let dir = sim.read();
    let users = request
        .mailboxes
        .iter()
        .map(|m| {
            if let Some(target) = control.url_redirect(host_name(&headers)) {
                return redirect_user("RedirectUrl", target);
            }
            if let Some(target) = control.address_redirect(m) {
                return redirect_user("RedirectAddress", target);
            }
            user_settings(&dir, m, &url, &request.settings)
        })
        .collect();
    let answer = GetUserSettingsResponse {
        error_code: "NoError".into(),
        error_message: "No error.".into(),
        users,
    };
    responses::xml(StatusCode::OK, answer.to_xml())
}

fn redirect_user(code: &str, target: &str) -> UserResponse {
    UserResponse {
        error_code: code.into(),
        error_message: "Redirection.".into(),
        redirect_target: Some(target.to_string()),
        ..UserResponse::default()
    }
}

fn user_settings(dir: &Directory, m: &str, url: &str, settings: &[String]) -> UserResponse {
    match mailbox_settings(dir, m, url) {
            Some(s) => UserResponse {
                error_code: "NoError".into(),
                error_message: "No error.".into(),
                redirect_target: None,
                settings: settings
                    .iter()
                    .filter_map(|name| {
                        let value = match name.as_str() {
                            "ExternalEwsUrl" | "InternalEwsUrl" => url.to_string(),
                            "EwsSupportedSchemas" => "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016".into(),
                            "UserDisplayName" => s.display_name.clone().unwrap_or_default(),
                            "AutoDiscoverSMTPAddress" => s.smtp_address.clone().unwrap_or_default(),
                            _ => return None,
                        };
                        Some((name.clone(), value))
                    })
                    .collect(),
            },
            None => UserResponse {
                error_code: "InvalidUser".into(),
                error_message: format!("Invalid user: '{m}'"),
                ..UserResponse::default()
        },
    }
}

/// Query of the v2 endpoint.
#[derive(Debug, Deserialize)]
pub struct V2Query {
    #[serde(rename = "Protocol", alias = "protocol")]
    protocol: Option<String>,
}

/// `GET /autodiscover/autodiscover.json/v1.0/{smtp}?Protocol=EWS` (unauthenticated).
pub async fn json(
    State(sim): State<Arc<Sim>>,
    Extension(scheme): Extension<Scheme>,
    Path(address): Path<String>,
    Query(query): Query<V2Query>,
    headers: HeaderMap,
) -> Response {
    if sim
        .autodiscover
        .lock()
        .expect("autodiscover lock")
        .refuse_json
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let protocol = query.protocol.unwrap_or_default();
    if !protocol.eq_ignore_ascii_case("EWS") {
        let e = V2Error {
            error_code: "InvalidProtocol".into(),
            error_message: format!(
                "The given protocol value '{protocol}' is invalid. Supported values are 'ActiveSync, EWS'"
            ),
        };
        return (StatusCode::BAD_REQUEST, Json(e)).into_response();
    }
    if mailbox_settings(&sim.read(), &address, "").is_none() {
        let e = V2Error {
            error_code: "MailboxNotFound".into(),
            error_message: format!("No mailbox was found for {address}"),
        };
        return (StatusCode::NOT_FOUND, Json(e)).into_response();
    }
    Json(V2Response {
        protocol: "EWS".into(),
        url: ews_url(scheme, &headers),
    })
    .into_response()
}
