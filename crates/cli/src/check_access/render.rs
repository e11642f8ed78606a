//! Printing a check report as a tree, in colour on a terminal.

use impersync_engine::access_check::{CheckReport, Step, StepStatus};
use impersync_exchange::{OutcomeClass, OutcomeClass as C};

/// ANSI colours, or none.
#[derive(Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colours only on a terminal, and never with `NO_COLOR`.
    pub fn detect() -> Self {
        use std::io::IsTerminal;
        Self {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Green, yellow or red by outcome.
    pub fn class(self, class: OutcomeClass) -> String {
        self.paint(if class == C::Ok { "32;1" } else { "31;1" }, class.as_str())
    }

    fn status(self, s: StepStatus) -> String {
        match s {
            StepStatus::Ok => self.paint("32", "[ok]  "),
            StepStatus::Warning => self.paint("33", "[warn]"),
            StepStatus::Failed => self.paint("31", "[FAIL]"),
            StepStatus::Skipped => self.paint("2", "[skip]"),
        }
    }

    /// Bold text.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// The report as text.
pub fn report(r: &CheckReport, style: Style) -> String {
    let mut out = format!(
        "{}\n",
        style.bold(&format!("Service Account Access check for {}", r.target))
    );
    for step in &r.steps {
        step_lines(step, 1, style, &mut out);
    }
    for w in &r.warnings {
        out.push_str(&format!("{} {w}\n", style.paint("33", "warning:")));
    }
    for h in &r.hints {
        out.push_str(&format!("{} {h}\n", style.paint("36", "hint:")));
    }
    out.push_str(&format!(
        "\nVerdict: {}{}\n  Cause:  {}\n  Remedy: {}\n  ({} ms)\n",
        style.class(r.verdict.class),
        r.verdict
            .code
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default(),
        r.verdict.message,
        r.verdict.remedy,
        r.elapsed_ms
    ));
    out
}

fn step_lines(step: &Step, depth: usize, style: Style, out: &mut String) {
    let indent = "  ".repeat(depth);
    out.push_str(&format!(
        "{indent}{} {} ({} ms)\n",
        style.status(step.status),
        step.title,
        step.elapsed_ms
    ));
    if !step.detail.is_empty() {
        out.push_str(&format!("{indent}       {}\n", step.detail));
    }
    for child in &step.children {
        step_lines(child, depth + 1, style, out);
    }
}
