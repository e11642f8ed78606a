//! Caller authentication: Basic, NTLM (per connection) and OAuth bearer tokens.

pub mod ntlm;

use crate::directory::{Directory, UserNo};
use crate::sim::Sim;
use axum::http::{self, HeaderMap};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::Mutex;

/// Authentication state of one TCP connection, as IIS keeps it for NTLM.
#[derive(Debug, Default)]
pub struct ConnState {
    ntlm: Mutex<Option<ntlm::NtlmServer>>,
    identity: Mutex<Option<UserNo>>,
}

/// The result of authenticating one request.
#[derive(Debug)]
pub enum AuthOutcome {
    /// The caller is this user.
    User(UserNo),
    /// Continue the NTLM handshake with this `WWW-Authenticate` value.
    NtlmChallenge(String),
    /// No valid credentials: answer 401.
    Refused(&'static str),
}

/// Authenticates a request from its headers and its connection's state.
pub fn authenticate(sim: &Sim, conn: &ConnState, headers: &HeaderMap) -> AuthOutcome {
    let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return match *conn.identity.lock().expect("conn lock") {
            Some(user) => AuthOutcome::User(user),
            None => AuthOutcome::Refused("no credentials"),
        };
    };
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    let dir = sim.read();
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => basic(&dir, token),
        "ntlm" | "negotiate" => ntlm_step(&dir, conn, token),
        "bearer" => match sim
            .oauth
            .validate_bearer(token)
            .and_then(|upn| dir.find_user(&upn))
        {
            Some(user) if dir.user(user).enabled => AuthOutcome::User(user),
            _ => AuthOutcome::Refused("invalid or expired bearer token"),
        },
        _ => AuthOutcome::Refused("unsupported authorization scheme"),
    }
}

fn basic(dir: &Directory, token: &str) -> AuthOutcome {
    let Some(decoded) = STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return AuthOutcome::Refused("malformed Basic credentials");
    };
    let Some((name, password)) = decoded.split_once(':') else {
        return AuthOutcome::Refused("malformed Basic credentials");
    };
    match dir.find_user(name) {
        Some(u) if dir.user(u).enabled && dir.user(u).password == password => AuthOutcome::User(u),
        _ => AuthOutcome::Refused("wrong user name or password"),
    }
}

fn ntlm_step(dir: &Directory, conn: &ConnState, token: &str) -> AuthOutcome {
    let Ok(bytes) = STANDARD.decode(token) else {
        return AuthOutcome::Refused("malformed NTLM token");
    };
    let mut state = conn.ntlm.lock().expect("conn lock");
    if ntlm::is_negotiate(&bytes) {
        // A new handshake replaces whatever identity the connection had.
        *conn.identity.lock().expect("conn lock") = None;
        let mut server = ntlm::NtlmServer::new(&dir.netbios, &dir.domain, "EXCH01");
        return match server.challenge(&bytes) {
            Ok(challenge) => {
                *state = Some(server);
                AuthOutcome::NtlmChallenge(format!("NTLM {}", STANDARD.encode(challenge)))
            }
            Err(_) => AuthOutcome::Refused("malformed NTLM negotiate message"),
        };
    }
    let Some(mut server) = state.take() else {
        return AuthOutcome::Refused("NTLM authenticate message without a challenge");
    };
    let lookup = |domain: &str, user: &str| -> Option<UserNo> {
        if domain.is_empty() || domain.eq_ignore_ascii_case(&dir.domain) && !user.contains('@') {
            let upn;
            let name = if domain.is_empty() {
                user
            } else {
                upn = format!("{user}@{domain}");
                &upn
            };
            dir.find_user(name)
        } else {
            dir.find_user(&format!("{domain}\\{user}"))
        }
    };
    let result = server.authenticate(&bytes, |domain, user| {
        lookup(domain, user)
            .filter(|u| dir.user(*u).enabled)
            .map(|u| dir.user(u).password.clone())
    });
    match result.ok().and_then(|id| lookup(&id.domain, &id.user)) {
        Some(user) => {
            *conn.identity.lock().expect("conn lock") = Some(user);
            AuthOutcome::User(user)
        }
        None => AuthOutcome::Refused("NTLM authentication failed"),
    }
}
