//! The real `impersync check-access` binary against an in-process simulator: exit codes per
//! outcome class, `--json`, plain output in a pipe, bulk reports and `--retry-failed`, refused
//! input, and no password in any output.

use impersync_exchange_sim::{Scenario, Sim};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use tokio::sync::oneshot;

const BIN: &str = env!("CARGO_BIN_EXE_impersync");
const PASSWORD: &str = "Demo-Impersonation-1";
const PASSWORD_VAR: &str = "IMPERSYNC_TEST_SVC_PASSWORD";

/// The simulator on its own runtime thread; it stops when dropped.
struct SimProcess {
    addr: SocketAddr,
    sim: Arc<Sim>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn start_sim() -> SimProcess {
    let sim = Arc::new(Sim::new(Scenario::demo()).expect("demo builds"));
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, bound) = std::sync::mpsc::channel();
    let served = Arc::clone(&sim);
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            ready.send(listener.local_addr().expect("addr")).unwrap();
            impersync_exchange_sim::run(listener, served, async {
                let _ = stopped.await;
            })
            .await;
        });
    });
    SimProcess {
        addr: bound.recv().expect("simulator started"),
        sim,
        stop: Some(stop),
        thread: Some(thread),
    }
}

impl SimProcess {
    fn ews_url(&self) -> String {
        format!("http://{}/EWS/Exchange.asmx", self.addr)
    }

    /// `check-access` with the demo service account over `auth`, plus `extra` arguments.
    fn check(&self, auth: &str, extra: &[&str]) -> Command {
        check_at(&self.ews_url(), auth, extra)
    }

    fn set_ews_enabled(&self, user: &str, enabled: bool) {
        let mut dir = self.sim.write();
        let no = dir.find_user(user).expect("user exists");
        dir.user_mut(no).ews_enabled = enabled;
    }

    /// The impersonated requests the simulator answered (not NTLM handshake legs).
    fn impersonated_targets(&self) -> Vec<String> {
        self.sim
            .log
            .entries()
            .into_iter()
            .filter(|e| e.status != 401)
            .filter_map(|e| e.anchor_mailbox)
            .collect()
    }
}

fn check_at(url: &str, auth: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "check-access",
        "--ews-url",
        url,
        "--allow-insecure-http",
        "--auth",
        auth,
        "--service-account",
        if auth == "ntlm" {
            "CONTOSO\\MasterImpersonation"
        } else {
            "MasterImpersonation@contoso.test"
        },
        "--password-env",
        PASSWORD_VAR,
    ])
    .args(extra)
    .env(PASSWORD_VAR, PASSWORD)
    .env_remove("IMPERSYNC_LOG")
    .env_remove("NO_COLOR");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the binary runs");
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        )
    })
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "impersync-cli-{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn exit_codes_follow_the_outcome_class() {
    let sim = start_sim();
    for (auth, target, code, class) in [
        ("basic", "alice@contoso.test", 0, "Ok"),
        ("ntlm", "alice@contoso.test", 0, "Ok"),
        ("ntlm", "dave@contoso.test", 11, "ImpersonationDenied"),
        ("basic", "erin@contoso.test", 11, "ImpersonationDenied"),
        ("ntlm", "frank@contoso.test", 12, "NoMailbox"),
    ] {
        let r = run(&mut sim.check(auth, &["--target", target, "--json"]));
        assert_eq!(r.code, code, "{auth} {target}: {}\n{}", r.stdout, r.stderr);
        assert_eq!(json(&r)["verdict"]["class"], class, "{auth} {target}");
    }
    let r = run(sim
        .check("ntlm", &["--target", "alice@contoso.test"])
        .env(PASSWORD_VAR, "wrong-password"));
    assert_eq!(r.code, 10, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("Verdict: AuthFailed (HTTP 401)"),
        "{}",
        r.stdout
    );
}

#[test]
fn ews_disabled_exits_16() {
    let sim = start_sim();
    sim.set_ews_enabled("alice@contoso.test", false);
    let r = run(&mut sim.check("basic", &["--target", "alice@contoso.test", "--json"]));
    assert_eq!(r.code, 16, "{}\n{}", r.stdout, r.stderr);
    let report = json(&r);
    assert_eq!(report["verdict"]["class"], "EwsDisabled");
    assert_eq!(report["verdict"]["code"], "HTTP 403");

    // Through the control API this time, for the service account itself.
    sim.set_ews_enabled("alice@contoso.test", true);
    let status = http_put(
        sim.addr,
        "/_sim/users/MasterImpersonation@contoso.test/ews",
        r#"{"enabled": false}"#,
    );
    assert_eq!(status, 204);
    let r = run(&mut sim.check("ntlm", &["--target", "alice@contoso.test", "--json"]));
    assert_eq!(r.code, 16, "{}\n{}", r.stdout, r.stderr);
    let report = json(&r);
    let logon = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["title"]
                .as_str()
                .unwrap()
                .starts_with("Log on as the service account")
        })
        .expect("logon step");
    assert_eq!(logon["status"], "Failed");
}

/// A minimal HTTP/1.1 PUT of a JSON body; returns the status code.
fn http_put(addr: SocketAddr, path: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP reply: {reply:?}"))
}

#[test]
fn unreachable_exits_17_and_not_ews_exits_18() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/EWS/Exchange.asmx");
    let r = run(&mut check_at(
        &url,
        "basic",
        &["--target", "alice@contoso.test", "--json"],
    ));
    assert_eq!(r.code, 17, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(json(&r)["verdict"]["class"], "Unreachable");

    let sim = start_sim();
    let url = format!("http://{}/nothing", sim.addr);
    let r = run(&mut check_at(
        &url,
        "ntlm",
        &["--target", "alice@contoso.test"],
    ));
    assert_eq!(r.code, 18, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("Verdict: ServerError (HTTP 404)"),
        "{}",
        r.stdout
    );
}

#[test]
fn json_output_is_the_whole_report() {
    let sim = start_sim();
    let r = run(&mut sim.check(
        "ntlm",
        &["--target", "carol@contoso.test", "--all-folders", "--json"],
    ));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report = json(&r);
    assert_eq!(report["verdict"]["class"], "Ok");
    assert_eq!(report["verdict"]["code"], "NoError");
    assert_eq!(report["target"], "carol@contoso.test");
    assert_eq!(report["ews_url"], sim.ews_url());
    let steps = report["steps"].as_array().expect("steps");
    let bind = steps
        .iter()
        .find(|s| s["title"] == "Bind the folders")
        .expect("bind step");
    let counts: Vec<(&str, &str)> = bind["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["title"].as_str().unwrap(), c["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        counts,
        [
            ("Inbox", "50 items"),
            ("Sent Items", "20 items"),
            ("Calendar", "10 items"),
            ("Contacts", "5 items")
        ]
    );
    assert!(
        steps
            .iter()
            .all(|s| s["status"].is_string() && s["elapsed_ms"].is_u64())
    );
    assert!(
        r.stderr.is_empty() || !r.stderr.contains("error"),
        "{}",
        r.stderr
    );
}

#[test]
fn plain_output_in_a_pipe_has_no_colours() {
    let sim = start_sim();
    for target in ["alice@contoso.test", "dave@contoso.test"] {
        let r = run(&mut sim.check("basic", &["--target", target]));
        assert!(!r.stdout.contains('\x1b'), "ANSI escape in {:?}", r.stdout);
        assert!(!r.stderr.contains('\x1b'), "ANSI escape in {:?}", r.stderr);
        assert!(
            r.stdout
                .starts_with(&format!("Service Account Access check for {target}\n")),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("[ok]   Find the EWS URL"), "{}", r.stdout);
    }
    // Log lines on a piped stderr are plain too.
    let r = run(sim
        .check("ntlm", &["--target", "alice@contoso.test"])
        .env("IMPERSYNC_LOG", "debug"));
    assert!(r.stderr.contains("DEBUG"), "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "ANSI escape in {:?}", r.stderr);
    let r = run(&mut sim.check("basic", &["--target", "dave@contoso.test"]));
    assert!(
        r.stdout
            .contains("Verdict: ImpersonationDenied (ErrorImpersonateUserDenied)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("[FAIL] Impersonate the target"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("[skip] Bind the folders"), "{}", r.stdout);
    assert!(
        r.stdout.contains("hint: Members of groups nested"),
        "{}",
        r.stdout
    );
}

#[test]
fn bulk_report_then_retry_only_the_failed_users() {
    let sim = start_sim();
    let dir = temp_dir("bulk");
    let users = dir.join("users.txt");
    std::fs::write(
        &users,
        "# the demo organisation\nalice@contoso.test\ndave@contoso.test\nbob@contoso.test\n\nerin@contoso.test\ncarol@contoso.test\nfrank@contoso.test\n",
    )
    .unwrap();
    let json_report = dir.join("out.json");
    let r = run(&mut sim.check(
        "basic",
        &[
            "--users",
            path_str(&users),
            "--report",
            path_str(&json_report),
        ],
    ));
    assert_eq!(r.code, 20, "some users failed: {}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("Checked 6 users in "), "{}", r.stdout);
    for line in [
        "Ok                           3",
        "ImpersonationDenied          2",
        "NoMailbox                    1",
    ] {
        assert!(
            r.stdout.contains(line),
            "{line:?} missing from:\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .contains("ImpersonationDenied: dave@contoso.test, erin@contoso.test"),
        "{}",
        r.stdout
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_report).unwrap()).unwrap();
    let results = report["results"].as_array().unwrap();
    let got: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["email"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("alice@contoso.test", "Ok"),
            ("dave@contoso.test", "ImpersonationDenied"),
            ("bob@contoso.test", "Ok"),
            ("erin@contoso.test", "ImpersonationDenied"),
            ("carol@contoso.test", "Ok"),
            ("frank@contoso.test", "NoMailbox"),
        ]
    );
    assert!(results.iter().all(|r| r["latency_ms"].is_u64()));
    assert_eq!(sim.impersonated_targets().len(), 6);

    sim.sim.log.clear();
    let csv_report = dir.join("out.csv");
    let r = run(&mut sim.check(
        "ntlm",
        &[
            "--retry-failed",
            path_str(&json_report),
            "--report",
            path_str(&csv_report),
        ],
    ));
    assert_eq!(r.code, 20, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("Checked 3 users in "), "{}", r.stdout);
    let mut checked = sim.impersonated_targets();
    checked.sort();
    assert_eq!(
        checked,
        [
            "dave@contoso.test",
            "erin@contoso.test",
            "frank@contoso.test"
        ]
    );
    let csv = std::fs::read_to_string(&csv_report).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert_eq!(lines[0], "email,outcome,code,message,remedy,latency_ms");
    let rows: Vec<(&str, &str, &str)> = lines[1..]
        .iter()
        .map(|l| {
            let mut cells = l.splitn(4, ',');
            (
                cells.next().unwrap(),
                cells.next().unwrap(),
                cells.next().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "dave@contoso.test",
                "ImpersonationDenied",
                "ErrorImpersonateUserDenied"
            ),
            (
                "erin@contoso.test",
                "ImpersonationDenied",
                "ErrorImpersonateUserDenied"
            ),
            ("frank@contoso.test", "NoMailbox", "ErrorNonExistentMailbox"),
        ]
    );
    for line in &lines[1..] {
        let latency = line.rsplit(',').next().unwrap();
        assert!(latency.parse::<u64>().is_ok(), "{line}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bulk_json_on_stdout() {
    let sim = start_sim();
    let dir = temp_dir("bulk-json");
    let users = dir.join("users.csv");
    std::fs::write(
        &users,
        "name,email\nAlice,alice@contoso.test\nBob,bob@contoso.test\n",
    )
    .unwrap();
    let r = run(&mut sim.check("basic", &["--users", path_str(&users), "--json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let result = json(&r);
    let emails: Vec<&str> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["alice@contoso.test", "bob@contoso.test"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_users_file_with_a_bad_line_is_refused_and_nothing_is_written() {
    let sim = start_sim();
    let dir = temp_dir("bad-users");
    let users = dir.join("users.txt");
    std::fs::write(
        &users,
        "alice@contoso.test\nbob@contoso.test\nnot an address\ncarol@contoso.test\n",
    )
    .unwrap();
    let report = dir.join("out.json");
    let r = run(&mut sim.check(
        "basic",
        &["--users", path_str(&users), "--report", path_str(&report)],
    ));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("line 3"), "{}", r.stderr);
    assert!(r.stderr.contains("not an address"), "{}", r.stderr);
    assert!(r.stderr.contains(path_str(&users)), "{}", r.stderr);
    assert!(!report.exists(), "a report was written");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "only the users file is there"
    );
    assert!(sim.sim.log.entries().is_empty(), "nobody was checked");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unset_password_variable_is_a_clear_error() {
    let sim = start_sim();
    let r = run(sim
        .check("basic", &["--target", "alice@contoso.test"])
        .env_remove(PASSWORD_VAR));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "the environment variable {PASSWORD_VAR} (from --password-env) is not set"
        )),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(sim.sim.log.entries().is_empty(), "nothing was sent");
}

#[test]
fn the_password_never_appears_in_the_output() {
    let sim = start_sim();
    let dir = temp_dir("secrets");
    let users = dir.join("users.txt");
    std::fs::write(&users, "alice@contoso.test\ndave@contoso.test\n").unwrap();
    let wrong = "Wrong-Secret-Pa55word";
    let mut runs = Vec::new();
    for (auth, level) in [
        ("basic", "debug"),
        ("ntlm", "debug"),
        ("basic", "trace"),
        ("ntlm", "trace"),
    ] {
        for (password, extra) in [
            (PASSWORD, vec!["--target", "alice@contoso.test"]),
            (PASSWORD, vec!["--target", "alice@contoso.test", "--json"]),
            (wrong, vec!["--target", "alice@contoso.test"]),
            (PASSWORD, vec!["--users", path_str(&users)]),
            (
                PASSWORD,
                vec!["--target", "alice@contoso.test", "--probe-throttling"],
            ),
        ] {
            let r = run(sim
                .check(auth, &extra)
                .env(PASSWORD_VAR, password)
                .env("IMPERSYNC_LOG", level));
            runs.push((auth, password, extra, r));
        }
    }
    for (auth, password, extra, r) in &runs {
        assert!(
            !r.stderr.is_empty(),
            "{auth} {extra:?}: debug logging produced nothing, so the test proves nothing"
        );
        let account = if *auth == "ntlm" {
            "CONTOSO\\MasterImpersonation"
        } else {
            "MasterImpersonation@contoso.test"
        };
        let basic_token = base64(format!("{account}:{password}").as_bytes());
        for output in [&r.stdout, &r.stderr] {
            assert!(
                !output.contains(password),
                "{auth} {extra:?}: the password is in the output:\n{output}"
            );
            assert!(
                !output.contains(&basic_token[..basic_token.len() - 4]),
                "{auth} {extra:?}: the Basic credentials are in the output:\n{output}"
            );
            // An NTLM AUTHENTICATE message (hex or base64) holds the NTLMv2 response, from
            // which the password can be cracked offline.
            let upper = output.to_ascii_uppercase();
            assert!(
                !upper.contains("4E544C4D5353500003000000") && !output.contains("TlRMTVNTUAADAAAA"),
                "{auth} {extra:?}: an NTLM AUTHENTICATE message is in the output:\n{output}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Standard base64, to look for encoded credentials in the output.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn every_id_type_anchors_on_the_target_address() {
    let sim = start_sim();
    let sid = {
        let dir = sim.sim.read();
        dir.user(dir.find_user("alice@contoso.test").unwrap())
            .sid
            .clone()
    };
    for (id_type, id) in [
        ("SmtpAddress", "alice@contoso.test"),
        ("PrimarySmtpAddress", "alice@contoso.test"),
        ("PrincipalName", "alice@contoso.test"),
        ("SID", sid.as_str()),
    ] {
        sim.sim.log.clear();
        let r = run(&mut sim.check(
            "ntlm",
            &[
                "--target",
                "alice@contoso.test",
                "--impersonate",
                id,
                "--id-type",
                id_type,
                "--json",
            ],
        ));
        assert_eq!(r.code, 0, "{id_type}: {}\n{}", r.stdout, r.stderr);
        let log = sim.sim.log.entries();
        let last = log.last().expect("requests");
        assert_eq!(
            last.impersonation.as_deref(),
            Some(format!("{id_type}:{id}").as_str())
        );
        assert_eq!(
            last.anchor_mailbox.as_deref(),
            Some("alice@contoso.test"),
            "{id_type}"
        );
    }
}
