//! `docs/troubleshooting.md` against the code: every outcome class has a section whose fix
//! is, byte for byte, the class's `remedy()` and whose exit code is the class's; every
//! response code the doc names exists and is reported under the class the doc says; the
//! sharper fixes are the ones the client prints.

use impersync_ews::{ResponseCode, SoapFault};
use impersync_exchange::{ALL_CLASSES, ExchangeError, OutcomeClass, UrlRefused, class_of_code};

const DOC: &str = include_str!("../../../docs/troubleshooting.md");

/// The class after `class` in declaration order. The match is exhaustive, so a new variant
/// does not compile until it is placed here, and then the test below demands it in
/// `ALL_CLASSES` and in the doc.
fn after(class: Option<OutcomeClass>) -> Option<OutcomeClass> {
    use OutcomeClass::*;
    match class {
        None => Some(Ok),
        Some(Ok) => Some(AuthFailed),
        Some(AuthFailed) => Some(ImpersonationDenied),
        Some(ImpersonationDenied) => Some(NoMailbox),
        Some(NoMailbox) => Some(Throttled),
        Some(Throttled) => Some(TlsUntrusted),
        Some(TlsUntrusted) => Some(AutodiscoverFailed),
        Some(AutodiscoverFailed) => Some(EwsDisabled),
        Some(EwsDisabled) => Some(Unreachable),
        Some(Unreachable) => Some(ServerError),
        Some(ServerError) => None,
    }
}

fn every_variant() -> Vec<OutcomeClass> {
    std::iter::successors(after(None), |c| after(Some(*c))).collect()
}

/// The lines of the section under the heading `### `name``, up to the next heading.
fn section(name: &str) -> Vec<&'static str> {
    let heading = format!("### `{name}`");
    let mut lines = DOC.lines().skip_while(|l| l.trim_end() != heading);
    assert!(
        lines.next().is_some(),
        "docs/troubleshooting.md has no section `{heading}`"
    );
    lines.take_while(|l| !l.starts_with('#')).collect()
}

/// The fenced blocks right after each `<!-- remedy: NAME -->` marker in `lines`.
fn remedy_blocks(lines: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(name) = lines[i]
            .trim()
            .strip_prefix("<!-- remedy:")
            .and_then(|r| r.strip_suffix("-->"))
        {
            assert_eq!(
                lines.get(i + 1).map(|l| l.trim_end()),
                Some("```text"),
                "the remedy marker for {name} must be followed by a ```text block"
            );
            let body: Vec<&str> = lines[i + 2..]
                .iter()
                .take_while(|l| l.trim_end() != "```")
                .copied()
                .collect();
            i += body.len() + 3;
            found.push((name.trim().to_string(), body.join("\n")));
        } else {
            i += 1;
        }
    }
    found
}

/// The lines of the `## ` section whose heading starts with `heading`, up to the next one.
fn chapter(heading: &str) -> Vec<&'static str> {
    let mut lines = DOC.lines().skip_while(|l| !l.starts_with(heading));
    assert!(
        lines.next().is_some(),
        "docs/troubleshooting.md has no section `{heading}`"
    );
    lines.take_while(|l| !l.starts_with("## ")).collect()
}

/// The table rows of a `## ` section whose first cell is code text, as their cells without
/// the backticks.
fn code_rows(heading: &str) -> Vec<Vec<String>> {
    chapter(heading)
        .into_iter()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

/// The library sources (without unit tests) of these crates, one text per file.
fn sources(crate_dirs: &[&str]) -> Vec<String> {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                found.push(text.split("#[cfg(test)]").next().unwrap_or_default().into());
            }
        }
    }
    let mut found = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for dir in crate_dirs {
        walk(&root.join(dir).join("src"), &mut found);
    }
    found
}

/// Every `ResponseCode::Other("...")` literal in the library sources of `crate_dirs`.
fn own_codes(crate_dirs: &[&str]) -> std::collections::BTreeSet<String> {
    sources(crate_dirs)
        .iter()
        .flat_map(|text| {
            text.split("ResponseCode::Other(\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `text` with every run of white space made one space.
fn one_spaced(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn class_named(name: &str) -> OutcomeClass {
    *ALL_CLASSES
        .iter()
        .find(|c| c.as_str() == name)
        .unwrap_or_else(|| panic!("`{name}` in docs/troubleshooting.md is no outcome class"))
}

/// The error the client raises for a code as the doc writes it (`ErrorX` or `HTTP 401`).
fn error_for(code: &str) -> ExchangeError {
    match code.strip_prefix("HTTP ") {
        Some("401") => ExchangeError::Unauthorized { scheme: "NTLM" },
        Some("403") => ExchangeError::Forbidden {
            detail: "Forbidden".into(),
        },
        Some(status) => ExchangeError::Http {
            status: status.parse().expect("an HTTP status"),
            detail: String::new(),
            retry_after: None,
        },
        None => {
            let parsed = ResponseCode::parse(code);
            assert!(
                !matches!(parsed, ResponseCode::Other(_)),
                "`{code}` in docs/troubleshooting.md is not a response code Impersync knows"
            );
            ExchangeError::Fault(SoapFault::new(parsed, "from the doc"))
        }
    }
}

#[test]
fn every_class_is_in_all_classes_in_order() {
    assert_eq!(every_variant(), ALL_CLASSES.to_vec());
}

#[test]
fn every_class_has_a_section_with_its_exit_code_and_its_remedy_verbatim() {
    for class in every_variant() {
        let lines = section(class.as_str());
        let exit = format!("`check-access` exit code {}.", class.exit_code());
        assert!(
            lines.iter().any(|l| l.starts_with(&exit)),
            "the section of {class} must start with `{exit}`"
        );
        let blocks = remedy_blocks(&lines);
        assert_eq!(
            blocks,
            vec![(class.as_str().to_string(), class.remedy().to_string())],
            "the section of {class} must hold exactly its remedy() text"
        );
    }
    let all: Vec<&str> = DOC.lines().collect();
    assert_eq!(
        remedy_blocks(&all).len(),
        ALL_CLASSES.len(),
        "one remedy block per class, no others"
    );
}

#[test]
fn every_listed_code_exists_under_the_class_the_doc_names() {
    let rows = code_rows("## Exchange response codes");
    assert!(rows.len() > 20, "the code tables are found: {rows:?}");
    for cells in &rows {
        let (code, class) = (&cells[0], class_named(&cells[1]));
        assert_eq!(
            error_for(code).class(),
            class,
            "docs/troubleshooting.md reports {code} under {class}"
        );
        if !code.starts_with("HTTP ") {
            assert_eq!(class_of_code(&ResponseCode::parse(code)), class);
        }
    }
    for named in ResponseCode::NAMED {
        assert!(
            rows.iter().any(|cells| cells[0] == named.as_str()),
            "docs/troubleshooting.md does not list {named}"
        );
    }
}

#[test]
fn the_codes_impersync_writes_itself_are_exactly_those_in_the_code() {
    let rows = code_rows("## Codes Impersync writes itself");
    for cells in &rows {
        assert_eq!(cells[1], OutcomeClass::ServerError.as_str(), "{cells:?}");
        assert_eq!(
            class_of_code(&ResponseCode::parse(&cells[0])),
            OutcomeClass::ServerError
        );
    }
    let listed: std::collections::BTreeSet<String> =
        rows.into_iter().map(|cells| cells[0].clone()).collect();
    assert_eq!(listed, own_codes(&["exchange", "engine", "admin", "cli"]));
}

#[test]
fn every_code_named_in_the_text_exists() {
    let named: Vec<&str> = DOC
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| t.starts_with("Error") && t.chars().all(char::is_alphanumeric))
        .collect();
    assert!(named.len() > 20);
    for code in named {
        assert!(
            !matches!(ResponseCode::parse(code), ResponseCode::Other(_)),
            "`{code}` in docs/troubleshooting.md is not a response code Impersync knows"
        );
    }
}

#[test]
fn the_sharper_fixes_are_the_ones_printed() {
    let rows: Vec<_> = DOC
        .lines()
        .skip_while(|l| !l.starts_with("## Sharper fixes"))
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with("| ") && !l.starts_with("| code") && !l.starts_with("|--"))
        .map(|l| {
            let (code, first) = l.trim_matches('|').split_once(" | ").expect("two cells");
            (code.trim().to_string(), first.trim().to_string())
        })
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (code, first) in rows {
        let error = if code.contains("http://") {
            ExchangeError::UrlRefused(UrlRefused::InsecureHttp(
                "http://mail.contoso.test/EWS/Exchange.asmx".into(),
            ))
        } else {
            error_for(code.trim_matches('`'))
        };
        let outcome = error.outcome();
        assert_eq!(
            outcome.remedy,
            format!("{first} {}", outcome.class.remedy()),
            "the fix printed for {code}"
        );
    }
}

/// The fixes the doc quotes for the sync's and the room directory's own outcomes are the
/// engine's text; `...` in a quote stands for a part the doc leaves out.
#[test]
fn the_quoted_fixes_of_the_sync_and_the_rooms_are_the_engines() {
    let engine = one_spaced(&sources(&["engine"]).join("\n"));
    let mut quoted = Vec::new();
    for lines in [
        section("NoMailbox"),
        section("ServerError"),
        chapter("## Outcomes of the sync"),
    ] {
        let text = one_spaced(&lines.join(" "));
        quoted.extend(
            text.split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
    }
    assert!(quoted.len() >= 5, "{quoted:?}");
    for quote in quoted {
        for piece in quote.split("...") {
            let piece = piece.trim_matches([',', ' ']);
            assert!(
                piece.is_empty() || engine.contains(piece),
                "docs/troubleshooting.md quotes a fix the engine does not print: {piece:?}"
            );
        }
    }
}
