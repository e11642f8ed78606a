//! `docs/operations.md` against the code: its configuration file names every setting, it
//! lists every `IMPERSYNC_*` variable the server, the worker and the store read (and no
//! other), and its metrics table names exactly the metrics the engine registers.

use std::collections::BTreeSet;
use std::path::Path;

const DOC: &str = include_str!("../../../docs/operations.md");

/// The source of a file of this workspace, without its unit tests.
fn source(path: &str) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Every `IMPERSYNC_NAME` in `text`.
fn variables(text: &str) -> BTreeSet<String> {
    text.match_indices("IMPERSYNC_")
        .map(|(at, _)| {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            name.trim_end_matches('_').to_string()
        })
        .filter(|name| name != "IMPERSYNC")
        .collect()
}

/// The fenced block after `<!-- file: impersync.toml -->`.
fn config_block() -> &'static str {
    let start = DOC
        .find("<!-- file: impersync.toml -->\n```toml\n")
        .expect("operations.md has the configuration file");
    let body = &DOC[start..];
    let body = &body[body.find("```toml\n").expect("fence") + 8..];
    &body[..body.find("\n```").expect("closing fence")]
}

#[test]
fn the_configuration_file_names_every_setting() {
    let fields: Vec<String> = source("src/config.rs")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub "))
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| name.trim().to_string())
        .filter(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    assert!(fields.len() >= 15, "{fields:?}");
    let block = config_block();
    for field in fields {
        let named = block.lines().any(|l| {
            let l = l.trim_start_matches(['#', ' ']);
            l.starts_with(&format!("{field} =")) || l == format!("[{field}]")
        });
        assert!(
            named,
            "the configuration file in operations.md lacks `{field}`"
        );
    }
}

#[test]
fn every_variable_is_documented_and_every_documented_one_exists() {
    let mut read = BTreeSet::new();
    for file in [
        "src/config.rs",
        "src/main.rs",
        "src/serve_cmd.rs",
        "src/worker_cmd.rs",
        "src/store_cmd.rs",
    ] {
        read.extend(variables(&source(file)));
    }
    read.insert(impersync_store::DATABASE_URL_ENV.to_string());
    read.insert(impersync_store::MASTER_KEY_ENV.to_string());
    let documented = variables(DOC);
    let undocumented: Vec<_> = read.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "operations.md does not mention {undocumented:?}"
    );
    let unknown: Vec<_> = documented.difference(&read).collect();
    assert!(
        unknown.is_empty(),
        "operations.md names variables Impersync does not read: {unknown:?}"
    );
}

#[test]
fn the_metrics_table_names_exactly_the_registered_metrics() {
    let code = source("../engine/src/sync/metrics.rs");
    let registered: BTreeSet<String> = code
        .split("register(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"'))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect();
    assert!(registered.len() >= 8, "{registered:?}");
    let documented: BTreeSet<String> = DOC
        .lines()
        .filter_map(|l| l.strip_prefix("| `impersync_"))
        .map(|l| {
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            name.strip_suffix("_total").unwrap_or(&name).to_string()
        })
        .collect();
    assert_eq!(documented, registered);
}
