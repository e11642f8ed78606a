//! NTLM through the simulator's HTTP server: real clients (the `sspi` crate,
//! and Python's pyspnego and requests_ntlm, which exchangelib uses) complete
//! the handshake on one keep-alive connection, which then stays authenticated
//! as IIS keeps it.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use impersync_ews::ResponseCode;
use impersync_exchange_sim::Scenario;
use impersync_exchange_sim::scenario::UserSpec;
use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, ClientRequestFlags, CredentialUse,
    DataRepresentation, Ntlm, SecurityBuffer, Sspi, SspiImpl, Username,
};
use std::process::Stdio;
use support::{MASTER, MASTER_PASSWORD, RawConn, RawResponse, TestSim, get_folder_code, get_inbox};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const ALICE: &str = "alice@contoso.test";

/// The client side of one handshake: the `sspi` crate, through its public SSPI API.
struct SspiClient {
    ntlm: Ntlm,
    credentials: Option<AuthIdentityBuffers>,
    requirements: ClientRequestFlags,
}

impl SspiClient {
    /// `user` is `DOMAIN\name` or a UPN; `seal` requests confidentiality, which makes
    /// sspi negotiate key exchange (an encrypted random session key).
    fn new(user: &str, password: &str, seal: bool) -> Self {
        let mut ntlm = Ntlm::new();
        let identity = AuthIdentity {
            username: Username::parse(user).unwrap(),
            password: password.to_owned().into(),
        };
        let credentials = ntlm
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .unwrap()
            .credentials_handle;
        let requirements = if seal {
            ClientRequestFlags::CONFIDENTIALITY
        } else {
            ClientRequestFlags::empty()
        };
        Self {
            ntlm,
            credentials,
            requirements,
        }
    }

    /// The NEGOTIATE message.
    fn negotiate(&mut self) -> Vec<u8> {
        self.step(None)
    }

    /// The AUTHENTICATE message answering `challenge`.
    fn authenticate(&mut self, challenge: &[u8]) -> Vec<u8> {
        self.step(Some(challenge))
    }

    fn step(&mut self, input: Option<&[u8]>) -> Vec<u8> {
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let mut input: Vec<_> = input
            .map(|token| SecurityBuffer::new(token.to_vec(), BufferType::Token))
            .into_iter()
            .collect();
        let mut builder = self
            .ntlm
            .initialize_security_context()
            .with_credentials_handle(&mut self.credentials)
            .with_context_requirements(self.requirements)
            .with_target_data_representation(DataRepresentation::Native)
            .with_target_name("HTTP/exch01.contoso.test")
            .with_output(&mut output);
        if !input.is_empty() {
            builder = builder.with_input(&mut input);
        }
        self.ntlm
            .initialize_security_context_impl(&mut builder)
            .unwrap()
            .resolve_to_result()
            .unwrap();
        output.remove(0).buffer
    }
}

fn ntlm(token: &[u8]) -> String {
    format!("NTLM {}", STANDARD.encode(token))
}

fn assert_ok(response: &RawResponse) {
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        get_folder_code(&response.body),
        ResponseCode::NoError,
        "{response:?}"
    );
}

/// A 401 that ends an attempt: NTLM and Basic offered, no challenge, connection kept.
fn assert_refused(response: &RawResponse) {
    assert_eq!(response.status, 401, "{response:?}");
    let offers = response.all("www-authenticate");
    assert!(offers.contains(&"NTLM"), "{offers:?}");
    assert!(offers.iter().any(|o| o.starts_with("Basic")), "{offers:?}");
    assert_eq!(response.header("content-length"), Some("0"));
    assert!(response.header("connection").is_none(), "{response:?}");
}

/// Type 1 then Type 3 on `conn`, impersonating alice; returns both answers.
async fn handshake(conn: &mut RawConn, client: &mut SspiClient) -> (RawResponse, RawResponse) {
    let challenge = conn
        .ews(Some(&ntlm(&client.negotiate())), Some(ALICE))
        .await;
    let authenticate = client.authenticate(&challenge.ntlm_challenge());
    let answer = conn.ews(Some(&ntlm(&authenticate)), Some(ALICE)).await;
    (challenge, answer)
}

#[tokio::test]
async fn sspi_handshake_authenticates_the_connection() {
    let sim = TestSim::demo().await;
    for user in ["CONTOSO\\MasterImpersonation", MASTER] {
        for seal in [false, true] {
            let case = format!("{user}, seal {seal}");
            let mut conn = sim.connect().await;
            assert_refused(&conn.ews(None, Some(ALICE)).await);

            let mut client = SspiClient::new(user, MASTER_PASSWORD, seal);
            let (challenge, answer) = handshake(&mut conn, &mut client).await;
            assert_eq!(challenge.status, 401, "{case}");
            assert_eq!(challenge.all("www-authenticate").len(), 1, "{case}");
            assert_eq!(challenge.header("content-length"), Some("0"), "{case}");
            let type2 = challenge.ntlm_challenge();
            assert_eq!(&type2[..12], b"NTLMSSP\0\x02\0\0\0", "{case}");
            assert_ok(&answer);
            assert_eq!(sim.last_caller().as_deref(), Some(MASTER), "{case}");

            // IIS keeps the identity for the connection: no header needed any more.
            for _ in 0..2 {
                assert_ok(&conn.ews(None, Some(ALICE)).await);
                assert_eq!(sim.last_caller().as_deref(), Some(MASTER), "{case}");
            }

            // A new connection starts unauthenticated.
            let mut other = sim.connect().await;
            assert_refused(&other.ews(None, Some(ALICE)).await);
        }
    }
}

#[tokio::test]
async fn the_ntlm_identity_is_the_signed_in_user() {
    let sim = TestSim::demo().await;
    let mut conn = sim.connect().await;
    let mut client = SspiClient::new("CONTOSO\\alice", "Demo-User-1", false);
    let challenge = conn.ews(Some(&ntlm(&client.negotiate())), None).await;
    let authenticate = client.authenticate(&challenge.ntlm_challenge());
    assert_ok(&conn.ews(Some(&ntlm(&authenticate)), None).await);
    assert_eq!(sim.last_caller().as_deref(), Some(ALICE));
    // alice holds no ApplicationImpersonation role.
    let denied = conn.ews(None, Some("bob@contoso.test")).await;
    assert_eq!(denied.status, 500);
    assert_eq!(
        get_folder_code(&denied.body),
        ResponseCode::ErrorImpersonateUserDenied
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_connection_stays_usable() {
    let sim = TestSim::demo().await;
    let mut conn = sim.connect().await;
    for user in ["CONTOSO\\MasterImpersonation", MASTER] {
        let mut client = SspiClient::new(user, "not the password", true);
        let (challenge, answer) = handshake(&mut conn, &mut client).await;
        assert_eq!(challenge.status, 401);
        assert_refused(&answer);
        assert_refused(&conn.ews(None, Some(ALICE)).await);
    }
    // A fresh handshake on the very same connection then succeeds.
    let mut client = SspiClient::new(MASTER, MASTER_PASSWORD, false);
    let (_, answer) = handshake(&mut conn, &mut client).await;
    assert_ok(&answer);
}

#[tokio::test]
async fn a_new_handshake_replaces_the_connections_identity() {
    let sim = TestSim::demo().await;
    let mut conn = sim.connect().await;
    let mut master = SspiClient::new(MASTER, MASTER_PASSWORD, false);
    assert_ok(&handshake(&mut conn, &mut master).await.1);
    assert_ok(&conn.ews(None, Some(ALICE)).await);

    // A failed re-authentication leaves the connection anonymous, not as before.
    let mut wrong = SspiClient::new("CONTOSO\\alice", "wrong", false);
    let challenge = conn.ews(Some(&ntlm(&wrong.negotiate())), None).await;
    let authenticate = wrong.authenticate(&challenge.ntlm_challenge());
    assert_refused(&conn.ews(Some(&ntlm(&authenticate)), None).await);
    assert_refused(&conn.ews(None, Some(ALICE)).await);

    // A successful one switches the connection to the new user.
    let mut alice = SspiClient::new("CONTOSO\\alice", "Demo-User-1", false);
    let challenge = conn.ews(Some(&ntlm(&alice.negotiate())), None).await;
    let authenticate = alice.authenticate(&challenge.ntlm_challenge());
    assert_ok(&conn.ews(Some(&ntlm(&authenticate)), None).await);
    assert_ok(&conn.ews(None, None).await);
    assert_eq!(sim.last_caller().as_deref(), Some(ALICE));
}

#[tokio::test]
async fn ntlm_works_on_autodiscover_and_carries_over_to_ews() {
    let sim = TestSim::demo().await;
    let mut conn = sim.connect().await;
    let pox = impersync_ews::autodiscover::PoxRequest::new(ALICE).to_xml();
    let path = "/autodiscover/autodiscover.xml";
    let mut client = SspiClient::new("CONTOSO\\MasterImpersonation", MASTER_PASSWORD, false);
    let negotiate = ntlm(&client.negotiate());
    let challenge = conn
        .post(path, &[("Authorization", negotiate.as_str())], &pox)
        .await;
    assert_eq!(challenge.status, 401);
    let authenticate = ntlm(&client.authenticate(&challenge.ntlm_challenge()));
    let answer = conn
        .post(path, &[("Authorization", authenticate.as_str())], &pox)
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let settings = impersync_ews::autodiscover::PoxResponse::from_xml(answer.body.as_bytes());
    assert!(
        matches!(
            settings,
            Ok(impersync_ews::autodiscover::PoxResponse::Settings(_))
        ),
        "{settings:?}"
    );
    // The connection is authenticated for EWS too.
    assert_ok(&conn.ews(None, Some(ALICE)).await);
    assert_eq!(sim.last_caller().as_deref(), Some(MASTER));
}

#[tokio::test]
async fn unknown_and_disabled_accounts_are_refused() {
    let mut scenario = Scenario::demo();
    let disabled: UserSpec =
        toml::from_str("upn = 'disabled@contoso.test'\npassword = 'Disabled-1'\nenabled = false")
            .unwrap();
    scenario.users.push(disabled);
    let sim = TestSim::start(scenario).await;
    for (user, password) in [
        ("CONTOSO\\mallory", MASTER_PASSWORD),
        ("mallory@contoso.test", MASTER_PASSWORD),
        ("FABRIKAM\\MasterImpersonation", MASTER_PASSWORD),
        ("CONTOSO\\disabled", "Disabled-1"),
        ("disabled@contoso.test", "Disabled-1"),
    ] {
        let mut conn = sim.connect().await;
        let mut client = SspiClient::new(user, password, false);
        let (_, answer) = handshake(&mut conn, &mut client).await;
        assert_refused(&answer);
    }
}

#[tokio::test]
async fn out_of_order_replayed_and_tampered_messages_are_refused() {
    let sim = TestSim::demo().await;
    let mut victim = sim.connect().await;
    let mut client = SspiClient::new(MASTER, MASTER_PASSWORD, false);
    let challenge = victim.ews(Some(&ntlm(&client.negotiate())), None).await;
    let authenticate = client.authenticate(&challenge.ntlm_challenge());

    // Type 3 on a connection that never got a challenge.
    let mut fresh = sim.connect().await;
    assert_refused(&fresh.ews(Some(&ntlm(&authenticate)), None).await);
    assert_refused(&fresh.ews(None, None).await);

    // On its own connection it works, once: a challenge is answered only once.
    assert_ok(&victim.ews(Some(&ntlm(&authenticate)), None).await);
    assert_refused(&victim.ews(Some(&ntlm(&authenticate)), None).await);

    // Replayed against a new challenge, it fails the proof.
    let mut other = sim.connect().await;
    let mut other_client = SspiClient::new(MASTER, MASTER_PASSWORD, false);
    let challenge = other
        .ews(Some(&ntlm(&other_client.negotiate())), None)
        .await;
    assert_eq!(challenge.status, 401);
    assert_refused(&other.ews(Some(&ntlm(&authenticate)), None).await);
    assert_refused(&other.ews(None, None).await);

    // A flag flipped in transit breaks the MIC.
    let mut conn = sim.connect().await;
    let mut client = SspiClient::new("CONTOSO\\MasterImpersonation", MASTER_PASSWORD, false);
    let challenge = conn.ews(Some(&ntlm(&client.negotiate())), None).await;
    let mut tampered = client.authenticate(&challenge.ntlm_challenge());
    tampered[60] ^= 0x10; // NegotiateFlags: toggle NTLMSSP_NEGOTIATE_SIGN
    assert_refused(&conn.ews(Some(&ntlm(&tampered)), None).await);
    assert_refused(&conn.ews(None, None).await);
}

#[tokio::test]
async fn malformed_ntlm_tokens_get_401_not_a_crash() {
    let sim = TestSim::demo().await;
    let mut conn = sim.connect().await;
    let negotiate_cut = ntlm(b"NTLMSSP\0\x01\0\0\0");
    let wrong_type = ntlm(b"NTLMSSP\0\x02\0\0\0\0\0\0\0\0\0\0\0");
    for token in [
        "NTLM",
        "NTLM !!!",
        "NTLM TlRMTVNTUAA=",
        &negotiate_cut,
        &wrong_type,
        "NTLM AAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_refused(&conn.ews(Some(token), None).await);
    }
    // Truncated and garbled AUTHENTICATE messages after a real challenge.
    for garbage in [
        b"NTLMSSP\0\x03\0\0\0".to_vec(),
        [b"NTLMSSP\0\x03\0\0\0".as_slice(), &[0xff; 80]].concat(),
        [b"NTLMSSP\0\x03\0\0\0".as_slice(), &[0; 80]].concat(),
    ] {
        let mut client = SspiClient::new(MASTER, MASTER_PASSWORD, false);
        let challenge = conn.ews(Some(&ntlm(&client.negotiate())), None).await;
        assert_eq!(challenge.status, 401);
        assert_refused(&conn.ews(Some(&ntlm(&garbage)), None).await);
    }
    // The server is alive and the connection still usable.
    let mut client = SspiClient::new(MASTER, MASTER_PASSWORD, false);
    let (_, answer) = handshake(&mut conn, &mut client).await;
    assert_ok(&answer);
}

/// Drives pyspnego's NTLM client (exchangelib's) through a Python subprocess:
/// it prints NEGOTIATE as hex, reads CHALLENGE as hex, prints AUTHENTICATE.
const PYSPNEGO_CLIENT: &str = r#"
import sys
import spnego

user, password = sys.argv[1], sys.argv[2]
context = spnego.client(
    user, password, hostname="exch01.contoso.test", service="HTTP", protocol="ntlm"
)
print(context.step().hex(), flush=True)
challenge = bytes.fromhex(sys.stdin.readline())
print(context.step(challenge).hex(), flush=True)
"#;

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex from the client"))
        .collect()
}

/// One pyspnego handshake relayed over `conn`; `lm_compat_level` 3 is NTLMv2 only,
/// 2 makes pyspnego send an NTLMv1 response. Returns the answer to Type 3.
async fn pyspnego_handshake(
    python: &std::path::Path,
    conn: &mut RawConn,
    user: &str,
    password: &str,
    lm_compat_level: u8,
) -> RawResponse {
    let mut child = tokio::process::Command::new(python)
        .args(["-c", PYSPNEGO_CLIENT, user, password])
        .env("LM_COMPAT_LEVEL", lm_compat_level.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the pyspnego client");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).await.unwrap();
    let negotiate = from_hex(line.trim());
    let challenge = conn.ews(Some(&ntlm(&negotiate)), Some(ALICE)).await;
    assert_eq!(challenge.status, 401);
    stdin
        .write_all(format!("{}\n", to_hex(&challenge.ntlm_challenge())).as_bytes())
        .await
        .unwrap();
    line.clear();
    stdout.read_line(&mut line).await.unwrap();
    assert!(child.wait().await.unwrap().success(), "pyspnego failed");
    conn.ews(Some(&ntlm(&from_hex(line.trim()))), Some(ALICE))
        .await
}

#[tokio::test]
async fn pyspnego_handshake_authenticates_the_connection() {
    let Some(python) = support::python() else {
        return;
    };
    let sim = TestSim::demo().await;
    for user in ["CONTOSO\\MasterImpersonation", MASTER] {
        let mut conn = sim.connect().await;
        let answer = pyspnego_handshake(&python, &mut conn, user, MASTER_PASSWORD, 3).await;
        assert_ok(&answer);
        assert_eq!(sim.last_caller().as_deref(), Some(MASTER));
        assert_ok(&conn.ews(None, Some(ALICE)).await);
        assert_refused(&sim.connect().await.ews(None, Some(ALICE)).await);
    }
}

#[tokio::test]
async fn pyspnego_wrong_password_and_ntlmv1_are_refused() {
    let Some(python) = support::python() else {
        return;
    };
    let sim = TestSim::demo().await;
    let mut conn = sim.connect().await;
    for (user, password, level) in [
        ("CONTOSO\\MasterImpersonation", "wrong", 3),
        (MASTER, "wrong", 3),
        ("CONTOSO\\MasterImpersonation", MASTER_PASSWORD, 2),
    ] {
        let answer = pyspnego_handshake(&python, &mut conn, user, password, level).await;
        assert_refused(&answer);
        assert_refused(&conn.ews(None, Some(ALICE)).await);
    }
}

/// requests + requests_ntlm, exchangelib's HTTP transport: two EWS requests on
/// one session; prints a JSON list of [status, body].
const REQUESTS_NTLM_CLIENT: &str = r#"
import json
import sys

import requests
from requests_ntlm import HttpNtlmAuth

url, user, password, body = sys.argv[1:5]
answers = []
with requests.Session() as session:
    session.auth = HttpNtlmAuth(user, password)
    for _ in range(2):
        response = session.post(
            url, data=body.encode(), headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30
        )
        answers.append([response.status_code, response.text])
print(json.dumps(answers))
"#;

async fn requests_ntlm(
    python: &std::path::Path,
    sim: &TestSim,
    user: &str,
    password: &str,
) -> Vec<(u16, String)> {
    let output = tokio::process::Command::new(python)
        .args([
            "-c",
            REQUESTS_NTLM_CLIENT,
            &sim.ews(),
            user,
            password,
            &get_inbox(Some(ALICE)),
        ])
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the requests_ntlm client");
    assert!(output.status.success(), "requests_ntlm client failed");
    serde_json::from_slice(&output.stdout).expect("JSON from the client")
}

#[tokio::test]
async fn requests_ntlm_authenticates_once_per_connection() {
    let Some(python) = support::python() else {
        return;
    };
    let sim = TestSim::demo().await;
    let answers = requests_ntlm(
        &python,
        &sim,
        "CONTOSO\\MasterImpersonation",
        MASTER_PASSWORD,
    )
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(get_folder_code(body), ResponseCode::NoError);
    }
    // Anonymous 401, Type 1 → 401, Type 3 → 200, then the second request rides
    // on the connection's identity without any Authorization header.
    let seen: Vec<_> = sim
        .sim
        .log
        .entries()
        .into_iter()
        .map(|e| (e.status, e.caller))
        .collect();
    let master = Some(MASTER.to_string());
    assert_eq!(
        seen,
        [
            (401, None),
            (401, None),
            (200, master.clone()),
            (200, master)
        ]
    );
}

#[tokio::test]
async fn requests_ntlm_with_a_wrong_password_gets_401() {
    let Some(python) = support::python() else {
        return;
    };
    let sim = TestSim::demo().await;
    let answers = requests_ntlm(&python, &sim, MASTER, "wrong").await;
    assert_eq!(answers.len(), 2);
    assert!(
        answers.iter().all(|(status, _)| *status == 401),
        "{answers:?}"
    );
    assert!(sim.sim.log.entries().iter().all(|e| e.caller.is_none()));
}
