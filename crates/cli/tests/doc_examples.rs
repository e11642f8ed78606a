//! Every command example in the admin guides runs: each ```` ```sh ```` block of
//! `docs/exchange-setup.md`, `docs/troubleshooting.md` and `docs/operations.md` runs with
//! `sh -e` against the real `impersync` binary and a simulator (`impersync sim` with the demo
//! organisation, over HTTPS with its own CA), in a fresh folder per document, and must exit
//! 0; a ```` ```text ```` block marked `<!-- output -->` must match what the block before it
//! printed. Blocks marked `<!-- postgres -->` run against the PostgreSQL test server. Every
//! other block must say what it is (`<!-- file: NAME -->`, `<!-- remedy: CLASS -->`,
//! PowerShell, or `<!-- not-run: why -->`), and the blocks not run are counted per document.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_impersync");
const DEMO_SCENARIO: &str = include_str!("../../exchange-sim/src/scenario/demo.toml");
/// The demo organisation's service-account password.
const SVC_PASSWORD: &str = "Demo-Impersonation-1";
/// An Entra-style app registration added to the demo organisation for the client-credentials examples.
const APP: &str = "\n[[oauth_clients]]\nclient_id = \"impersync-app\"\nclient_secret = \"Impersync-App-Secret-1\"\nservice_account = \"MasterImpersonation@contoso.test\"\n";
/// How long one block may run.
const BLOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The documents, each with the number of its blocks that are not run here.
const DOCS: [(&str, usize); 3] = [
    ("docs/exchange-setup.md", 8),
    ("docs/troubleshooting.md", 0),
    ("docs/operations.md", 2),
];

/// What a fenced block is, from its language and the `<!-- ... -->` line before it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `sh`: run with `sh -e`.
    Run,
    /// `sh` marked `postgres`: run against the PostgreSQL test server.
    RunPostgres,
    /// The expected output of the block before it.
    Output,
    /// A file the later blocks use, written into the working folder.
    File(String),
    /// A remedy text (checked by the exchange crate's troubleshooting test).
    Remedy,
    /// Not run, with why (PowerShell runs in Exchange, not here).
    NotRun(String),
}

#[derive(Debug)]
struct Block {
    line: usize,
    kind: Kind,
    body: String,
}

/// The document's fenced blocks; an error names every block that does not say what it is.
fn blocks(doc: &str) -> Result<Vec<Block>, Vec<String>> {
    let mut found = Vec::new();
    let mut refused = Vec::new();
    let lines: Vec<&str> = doc.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(lang) = lines[i].trim_end().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let body: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| l.trim_end() != "```")
            .copied()
            .collect();
        let marker = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().strip_prefix("<!--"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(str::trim);
        let kind = match (lang, marker) {
            (_, Some(m)) if m.starts_with("not-run:") => {
                let why = m["not-run:".len()..].trim();
                (!why.is_empty()).then(|| Kind::NotRun(why.to_string()))
            }
            (_, Some(m)) if m.starts_with("file:") => Some(Kind::File(m[5..].trim().to_string())),
            (_, Some(m)) if m.starts_with("remedy:") => Some(Kind::Remedy),
            ("text", Some("output")) => Some(Kind::Output),
            ("sh", Some("postgres")) => Some(Kind::RunPostgres),
            ("sh", None) => Some(Kind::Run),
            ("powershell", None) => Some(Kind::NotRun("PowerShell for Exchange".into())),
            _ => None,
        };
        match kind {
            Some(kind) => found.push(Block {
                line: i + 1,
                kind,
                body: body.join("\n") + "\n",
            }),
            None => refused.push(format!(
                "line {}: a ```{lang} block marked {marker:?} is neither run nor marked as not run",
                i + 1
            )),
        }
        i += body.len() + 2;
    }
    if refused.is_empty() {
        Ok(found)
    } else {
        Err(refused)
    }
}

/// Whether `line` matches `pattern`, in which `...` stands for any text.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return line == pattern;
    }
    if !line.starts_with(first) || line.len() < first.len() + last.len() || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The expected lines that do not appear, in order, in `actual`.
fn missing_lines(expected: &str, actual: &str) -> Vec<String> {
    let mut actual = actual.lines().map(str::trim_end);
    expected
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .filter(|want| !actual.any(|got| matches(want, got)))
        .map(str::to_string)
        .collect()
}

/// `impersync sim` with the demo organisation and an app registration, over HTTP and HTTPS.
struct SimProcess {
    child: Child,
    https: String,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl SimProcess {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let scenario = dir.path().join("contoso.toml");
        std::fs::write(&scenario, format!("{DEMO_SCENARIO}{APP}")).expect("scenario");
        let ca = dir.path().join("ca.pem");
        let mut child = Command::new(BIN)
            .args([
                "sim",
                "--listen",
                "127.0.0.1:0",
                "--tls-listen",
                "127.0.0.1:0",
            ])
            .arg("--tls-ca-out")
            .arg(&ca)
            .arg("--scenario")
            .arg(&scenario)
            .env_remove("IMPERSYNC_SIM_LISTEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("impersync sim starts");
        let stdout = child.stdout.take().expect("stdout");
        let (found, address) = std::sync::mpsc::channel();
        // Reads on to the end, so the simulator never writes into a closed pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let https = line
                    .trim()
                    .strip_prefix("HTTPS:")
                    .and_then(|u| u.trim().strip_prefix("https://"))
                    .and_then(|u| u.split('/').next());
                if let Some(https) = https {
                    let _ = found.send(https.to_string());
                }
            }
        });
        let https = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the simulator prints its HTTPS address");
        Self {
            child,
            https,
            ca,
            _dir: dir,
        }
    }

    /// The variables the examples read, as the docs describe them.
    fn env(&self) -> BTreeMap<&'static str, String> {
        let port = self.https.rsplit(':').next().expect("port");
        let base = format!("https://localhost:{port}");
        BTreeMap::from([
            ("EWS_URL", format!("{base}/EWS/Exchange.asmx")),
            (
                "TOKEN_URL",
                format!("{base}/contoso.test/oauth2/v2.0/token"),
            ),
            ("SVC_PASSWORD", SVC_PASSWORD.to_string()),
            ("APP_ID", "impersync-app".to_string()),
            ("APP_SECRET", "Impersync-App-Secret-1".to_string()),
            ("SSL_CERT_FILE", self.ca.display().to_string()),
        ])
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").to_string()
}

/// A fresh PostgreSQL database on the test server, dropped afterwards; `None` without one.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create() -> Option<Self> {
        let admin_url = std::env::var("IMPERSYNC_TEST_POSTGRES_URL").ok()?;
        let name = format!("impersync_docs_{}", std::process::id());
        psql(&admin_url, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let (server, _) = admin_url.rsplit_once('/').expect("a database URL");
        Some(Self {
            url: format!("{server}/{name}"),
            admin_url,
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        psql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-qc", sql])
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql: {sql}");
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `script` with `sh -e` in `dir`, the binary first on PATH, in its own process group
/// that is killed when the block ends or times out.
fn run_block(script: &str, dir: &Path, env: &BTreeMap<&str, String>) -> Ran {
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("IMPERSYNC_")) {
        cmd.env_remove(name);
    }
    cmd.envs(env);
    let mut child = cmd.spawn().expect("sh runs");
    let out = read_all(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = read_all(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > BLOCK_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    Ran {
        code,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Reads a pipe to its end on a thread of its own.
fn read_all(pipe: Option<Box<dyn Read + Send>>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

#[derive(Default)]
struct Tally {
    run: usize,
    not_run: Vec<String>,
    skipped: Vec<String>,
}

/// Runs one document's blocks in order in a fresh folder; failures are collected.
fn run_doc(name: &str, sim: &SimProcess, failures: &mut Vec<String>) -> Tally {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join(name)).expect("the document exists");
    let blocks = match blocks(&text) {
        Ok(blocks) => blocks,
        Err(refused) => {
            failures.extend(refused.into_iter().map(|r| format!("{name} {r}")));
            return Tally::default();
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env = sim.env();
    env.insert(
        "IMPERSYNC_DATA_DIR",
        dir.path().join("data").display().to_string(),
    );
    env.insert("IMPERSYNC_LISTEN", free_addr());
    let postgres = blocks
        .iter()
        .any(|b| b.kind == Kind::RunPostgres)
        .then(PgDatabase::create)
        .flatten();
    let mut tally = Tally::default();
    let mut last: Option<Ran> = None;
    let mut last_skipped = false;
    for block in &blocks {
        let at = format!("{name}:{}", block.line);
        match &block.kind {
            Kind::File(file) => std::fs::write(dir.path().join(file), &block.body).expect("write"),
            Kind::Remedy => {}
            Kind::NotRun(why) => tally.not_run.push(format!("{at} ({why})")),
            Kind::Output if last_skipped => {}
            Kind::Output => match &last {
                Some(ran) => {
                    let missing = missing_lines(&block.body, &ran.stdout);
                    if !missing.is_empty() {
                        failures.push(format!(
                            "{at}: the output lacks {missing:?}; it was:\n{}--- stderr\n{}",
                            ran.stdout, ran.stderr
                        ));
                    }
                }
                None => failures.push(format!("{at}: an output block after no block that ran")),
            },
            Kind::Run | Kind::RunPostgres => {
                let mut block_env = env.clone();
                if block.kind == Kind::RunPostgres {
                    let Some(db) = &postgres else {
                        tally.skipped.push(at);
                        last_skipped = true;
                        continue;
                    };
                    block_env.insert("IMPERSYNC_DATABASE_URL", db.url.clone());
                }
                last_skipped = false;
                let ran = run_block(&block.body, dir.path(), &block_env);
                tally.run += 1;
                if ran.code != Some(0) {
                    failures.push(format!(
                        "{at}: exit {:?}\n--- script\n{}--- stdout\n{}--- stderr\n{}",
                        ran.code, block.body, ran.stdout, ran.stderr
                    ));
                }
                last = Some(ran);
            }
        }
    }
    tally
}

/// The tools the examples call besides `impersync` (scripts/test-deps.sh installs them).
const TOOLS: [&str; 3] = ["curl", "jq", "sqlite3"];

#[test]
fn every_command_example_in_the_docs_runs() {
    for tool in TOOLS {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "the docs' examples need `{tool}` on PATH; scripts/test-deps.sh installs it"
        );
    }
    let sim = SimProcess::start();
    let mut failures = Vec::new();
    let require_all = std::env::var_os("IMPERSYNC_REQUIRE_ALL").is_some();
    for (name, not_run) in DOCS {
        let tally = run_doc(name, &sim, &mut failures);
        eprintln!(
            "{name}: {} block(s) run, {} not run: {:?}",
            tally.run,
            tally.not_run.len(),
            tally.not_run
        );
        if tally.run == 0 {
            failures.push(format!("{name}: no example ran"));
        }
        if tally.not_run.len() != not_run {
            failures.push(format!(
                "{name}: {} block(s) are not run, {not_run} expected: {:?}",
                tally.not_run.len(),
                tally.not_run
            ));
        }
        if !tally.skipped.is_empty() {
            eprintln!(
                "SKIPPED: {name}: {} PostgreSQL example(s) not run, because IMPERSYNC_TEST_POSTGRES_URL is not set \
                 (run under scripts/with-postgres.sh): {:?}",
                tally.skipped.len(),
                tally.skipped
            );
            if require_all {
                failures.push(format!(
                    "{name}: PostgreSQL examples skipped with IMPERSYNC_REQUIRE_ALL set"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_block_that_says_nothing_is_refused_and_output_patterns_match() {
    let doc = "```sh\ntrue\n```\n\n```bash\nrm -rf /\n```\n\n<!-- not-run: -->\n```sh\nx\n```\n";
    let refused = blocks(doc).unwrap_err();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].starts_with("line 5:"), "{refused:?}");
    let doc =
        "<!-- not-run: needs Exchange -->\n```sh\nx\n```\n<!-- output -->\n```text\nok\n```\n";
    let kinds: Vec<Kind> = blocks(doc).unwrap().into_iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        vec![Kind::NotRun("needs Exchange".into()), Kind::Output]
    );
    assert!(matches(
        "Verdict: Ok ... (... ms)",
        "Verdict: Ok (NoError) (12 ms)"
    ));
    assert!(!matches("Verdict: Ok ...", "Verdict: AuthFailed"));
    assert_eq!(
        missing_lines("a\n\nc...\n", "a\nb\ncd\n"),
        Vec::<String>::new()
    );
    assert_eq!(missing_lines("c\na\n", "a\nb\nc\n"), vec!["a".to_string()]);
}
