//! The real `impersync soak` for a quarter of a minute, on SQLite and on PostgreSQL: it
//! passes, records its section, and has exercised every kind of change; bad arguments are
//! refused by name. (That each check fails when it should is shown by the unit tests over
//! the checking functions, with synthetic samples and feed rows.)

use impersync_testdb::{TestDb, backend_test};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_impersync");

/// The number in the report's row `| label | N ...`.
fn figure(report: &str, label: &str) -> u64 {
    let row = report
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap_or_else(|| panic!("no row {label:?} in\n{report}"));
    let cell = row.split('|').nth(2).unwrap().trim();
    cell.split_whitespace().next().unwrap().parse().unwrap()
}

/// The number before `word` in the report's row `| label | ...`.
fn count_before(report: &str, label: &str, word: &str) -> u64 {
    let row = report
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap();
    let at = row
        .find(word)
        .unwrap_or_else(|| panic!("no {word:?} in {row}"));
    let before: String = row[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    before.chars().rev().collect::<String>().parse().unwrap()
}

async fn a_short_soak_passes_and_records_its_section(db: &TestDb) {
    let out_dir = tempfile::tempdir().unwrap();
    let report_path = out_dir.path().join("benchmarks.md");
    let output = Command::new(BIN)
        .args([
            "soak",
            "--minutes",
            "0.25",
            "--mailboxes",
            "8",
            "--rate",
            "8",
            "--record",
        ])
        .arg("--database-url")
        .arg(&db.url)
        .arg("--write")
        .arg(&report_path)
        .env("IMPERSYNC_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the soak failed:\n{stderr}");
    assert!(
        stderr.contains("delivered") && stderr.contains("RSS"),
        "progress lines:\n{stderr}"
    );
    let report = std::fs::read_to_string(&report_path).unwrap();
    assert!(report.contains("<!-- bench:soak -->") && report.contains("<!-- /bench:soak -->"));
    assert!(report.contains("| verdict | **passed** |"), "{report}");
    let delivered = figure(&report, "items delivered");
    assert!(
        delivered >= 40,
        "{delivered} items delivered in 15 s at 8 changes/s"
    );
    assert!(figure(&report, "faults injected") > 0, "{report}");
    let created = count_before(&report, "change feed rows", "created");
    assert!(
        created >= delivered + 8 * 8,
        "every delivered and generated item is created"
    );
    for kind in ["updated", "read flag", "deleted"] {
        assert!(
            count_before(&report, "change feed rows", kind) > 0,
            "no {kind} rows:\n{report}"
        );
    }
    assert!(figure(&report, "items compared with the simulator") > 0);
}

backend_test!(a_short_soak_passes_and_records_its_section);

#[test]
fn bad_arguments_are_refused_by_name() {
    for (flag, value) in [
        ("--minutes", "0"),
        ("--minutes", "NaN"),
        ("--rate", "0"),
        ("--mailboxes", "0"),
    ] {
        let output = Command::new(BIN)
            .args(["soak", flag, value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("error: {flag}:")),
            "{flag} {value}: {stderr}"
        );
    }
}
