//! `impersync bench all` at tiny sizes, on SQLite only, so the harness cannot rot: the real
//! binary starts the simulator, runs every scenario (with the exchangelib peer when a Python
//! with exchangelib is there; skipped loudly otherwise, a failure under
//! `IMPERSYNC_REQUIRE_ALL`) and writes the report section, the README table and the chart.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_impersync");
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Says loudly why a part is skipped; fails instead under `IMPERSYNC_REQUIRE_ALL`.
fn skipped(why: &str) {
    assert!(
        std::env::var_os("IMPERSYNC_REQUIRE_ALL").is_none(),
        "IMPERSYNC_REQUIRE_ALL is set but {why}"
    );
    eprintln!("\n*** skipped: {why} ***\n");
}

/// A Python that imports exchangelib: `IMPERSYNC_TEST_PYTHON`, else the repository's venv.
fn python() -> Option<PathBuf> {
    let candidate: PathBuf = std::env::var_os("IMPERSYNC_TEST_PYTHON")
        .map_or_else(|| Path::new(ROOT).join(".venv/bin/python"), PathBuf::from);
    let usable = Command::new(&candidate)
        .args(["-c", "import exchangelib"])
        .status()
        .is_ok_and(|s| s.success());
    if usable {
        return Some(candidate);
    }
    skipped(&format!(
        "the exchangelib peer: no Python with exchangelib at {} (run scripts/test-deps.sh, or set \
         IMPERSYNC_TEST_PYTHON)",
        candidate.display()
    ));
    None
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder.read_info().expect("the chart is a PNG");
    (reader.info().width, reader.info().height)
}

#[test]
fn bench_all_at_tiny_sizes_writes_report_readme_table_and_chart() {
    if !Path::new(FONT).exists() {
        skipped(&format!(
            "{FONT} is missing (apt-get install fonts-dejavu-core)"
        ));
        return;
    }
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("docs/benchmarks.md");
    let readme = dir.path().join("README.md");
    let chart = dir.path().join("docs/bench-throughput.png");
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        &report,
        "# Benchmarks\n\n<!-- bench:other -->\nkept\n<!-- /bench:other -->\n",
    )
    .unwrap();
    std::fs::write(
        &readme,
        "# Title\n\n<!-- bench:ratios -->\nold\n<!-- /bench:ratios -->\n\n## Next\n",
    )
    .unwrap();
    let python_arg = python
        .clone()
        .unwrap_or_else(|| dir.path().join("no-python"));
    let sizes = [
        "--check-users",
        "40",
        "--initial-mailboxes",
        "4",
        "--inbox",
        "10",
        "--sent",
        "3",
        "--calendar",
        "2",
        "--contacts",
        "1",
        "--batch",
        "2",
        "--concurrency",
        "2",
        "--sqlite-concurrency",
        "1",
        "--poll-mailboxes",
        "200",
        "--poll-batch",
        "50",
        "--poll-concurrency",
        "8",
        "--peer-initial-mailboxes",
        "2",
        "--peer-poll-mailboxes",
        "200",
    ];
    let output = Command::new(BIN)
        .current_dir(ROOT)
        .args(["bench", "all"])
        .args(sizes)
        .arg("--python")
        .arg(&python_arg)
        .arg("--write")
        .arg(&report)
        .arg("--readme")
        .arg(&readme)
        .arg("--chart")
        .arg(&chart)
        .env_remove("IMPERSYNC_DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench all failed:\n{stderr}");

    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("<!-- bench:other -->\nkept"), "{text}");
    for row in [
        "| Bulk access check, 40 users | ",
        "| Initial sync, 4 mailboxes × 16 items, SQLite | ",
        "| Poll, nothing changed, 200 mailboxes | ",
        "| Poll, 1 % changed, 200 mailboxes | ",
        "| Impersync, SQLite, 1 worker task | 1 | ",
        "| Impersync, SQLite, 1 worker task | 2 | ",
        "| Impersync, PostgreSQL | skipped: no `--database-url` |",
        "![Initial sync throughput against concurrency](bench-throughput.png)",
    ] {
        assert!(text.contains(row), "no {row:?} in\n{text}");
    }
    assert!(stderr.contains("skipped: the PostgreSQL initial syncs need --database-url"));
    let readme_text = std::fs::read_to_string(&readme).unwrap();
    assert!(readme_text.starts_with("# Title\n\n<!-- bench:ratios -->\n"));
    assert!(readme_text.ends_with("<!-- /bench:ratios -->\n\n## Next\n"));
    assert!(!readme_text.contains("\nold\n"));
    assert!(readme_text.contains("[docs/bench-throughput.png](docs/bench-throughput.png)"));
    let ratios = readme_text.matches("×** |").count();
    if python.is_some() {
        assert_eq!(ratios, 4, "a ratio for each scenario:\n{readme_text}");
        assert!(
            text.contains("| exchangelib 5.6.0, 16 threads, 200 mailboxes | "),
            "{text}"
        );
        assert!(!text.contains("skipped (no venv)"));
    } else {
        assert_eq!(ratios, 0);
        assert!(readme_text.contains("skipped (no venv)"));
    }
    assert_eq!(png_size(&chart), (900, 540));
}
