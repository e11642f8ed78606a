//! The admin guides' links hold: every relative link in `docs/exchange-setup.md`,
//! `docs/troubleshooting.md`, `docs/operations.md` and `docs/scaling.md` (and the README's
//! links to them) names a file that exists and, with `#anchor`, a heading of that file.

use std::path::{Path, PathBuf};

const GUIDES: [&str; 4] = [
    "docs/exchange-setup.md",
    "docs/troubleshooting.md",
    "docs/operations.md",
    "docs/scaling.md",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, other punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside fenced blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// The targets of `](target)` links that are not web addresses.
fn relative_links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| !target.contains("://"))
        .map(str::to_string)
        .collect()
}

fn check(file: &str, failures: &mut Vec<String>) -> usize {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).expect("the file exists");
    let links = relative_links(&text);
    for link in &links {
        let (target, fragment) = link.split_once('#').unwrap_or((link, ""));
        let target = if target.is_empty() {
            path.clone()
        } else {
            path.parent().expect("a folder").join(target)
        };
        let Ok(linked) = std::fs::read(&target) else {
            failures.push(format!("{file}: `{link}` names no file"));
            continue;
        };
        let linked = String::from_utf8_lossy(&linked);
        if !fragment.is_empty() && !anchors(&linked).iter().any(|a| a == fragment) {
            failures.push(format!("{file}: `{link}` names no heading"));
        }
    }
    links.len()
}

#[test]
fn every_link_of_the_guides_holds() {
    let mut failures = Vec::new();
    let mut count = 0;
    for guide in GUIDES {
        count += check(guide, &mut failures);
    }
    assert!(count >= 10, "the guides' links are found ({count})");
    check("README.md", &mut failures);
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for guide in GUIDES {
        assert!(
            readme.contains(&format!("]({guide})")),
            "README.md links {guide}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(
        anchor(" Stage I on-premises: ApplicationImpersonation"),
        "stage-i-on-premises-applicationimpersonation"
    );
    assert_eq!(anchor(" `NoMailbox`"), "nomailbox");
    assert_eq!(
        relative_links("[a](x.md#y) [b](https://e.test) [c](#z)"),
        vec!["x.md#y", "#z"]
    );
}
