//! A benchmark stopped with SIGTERM stops the simulator process it started, says why, and
//! exits with status 1.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_impersync");

/// The ids of the running processes whose parent is `parent`.
fn children(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the command name (which may hold spaces) start at its ")".
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        if fields[1] == parent.to_string() && fields[0] != "Z" {
            found.push(pid);
        }
    }
    found
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat[stat.rfind(')').unwrap() + 2..].starts_with('Z'))
        .unwrap_or(false)
}

#[test]
fn sigterm_stops_a_benchmark_and_its_simulator() {
    let data = tempfile::tempdir().unwrap();
    let bench = Command::new(BIN)
        .args([
            "bench",
            "sync-initial",
            "--mailboxes",
            "3000",
            "--peer-mailboxes",
            "0",
        ])
        .env("TMPDIR", data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let sim = loop {
        if let Some(&pid) = children(bench.id()).first() {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the benchmark started no simulator"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let sent = Command::new("kill")
        .args(["-TERM", &bench.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = bench.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stopped by a signal"), "{stderr}");
    assert!(!alive(sim), "the simulator {sim} outlived the benchmark");
}
