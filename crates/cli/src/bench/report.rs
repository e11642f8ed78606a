//! Writing a benchmark's results into a marked section of `docs/benchmarks.md`.

use std::path::Path;

/// Replaces (or appends) the section between `<!-- bench:NAME -->` markers.
pub fn write_section(path: &Path, name: &str, body: &str) -> std::io::Result<()> {
    let start = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let current = std::fs::read_to_string(path).unwrap_or_else(|_| {
        "# Benchmarks\n\nEach section is written by the command it names.\n".into()
    });
    let section = format!("{start}\n{}\n{end}", body.trim_end());
    let updated = match (current.find(&start), current.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{section}{}", &current[..a], &current[b + end.len()..])
        }
        _ => format!("{}\n\n{section}\n", current.trim_end()),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, updated)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::write_section;

    #[test]
    fn replaces_only_its_own_section() {
        let dir = std::env::temp_dir().join(format!("impersync-report-{}", std::process::id()));
        let path = dir.join("b.md");
        write_section(&path, "a", "first").unwrap();
        write_section(&path, "b", "other").unwrap();
        write_section(&path, "a", "second").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("second") && text.contains("other") && !text.contains("first"));
        assert_eq!(text.matches("<!-- bench:a -->").count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
