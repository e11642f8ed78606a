//! [`SetupScriptError`]: why no script was written, and what to change.

use std::fmt;

use super::names::NameKind;
use super::options::Target;

/// Why the setup script could not be generated. Each message names the field or
/// line at fault and says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupScriptError {
    /// A value breaks the rules for its kind of name.
    #[error("{field} {value:?} is not a valid {kind}: {problem}. {}", kind.rule())]
    InvalidValue {
        /// The option at fault, e.g. `group_name`.
        field: &'static str,
        /// The value as given.
        value: String,
        /// The kind of name the field holds.
        kind: NameKind,
        /// What exactly is wrong with it.
        problem: String,
    },
    /// The target needs an option that was not given.
    #[error("{field} is required for {target} scripts: {hint}")]
    Missing {
        /// The missing option.
        field: &'static str,
        /// The target that needs it.
        target: Target,
        /// Where to find the value.
        hint: &'static str,
    },
    /// An option was given that the target does not use.
    #[error("{field} does not apply to {target} scripts; leave it unset or change the target")]
    NotForTarget {
        /// The option that was given.
        field: &'static str,
        /// The target that does not use it.
        target: Target,
    },
    /// The target name is not known.
    #[error("unknown target {0:?}: use on-premises or exchange-online")]
    UnknownTarget(String),
    /// The group kind is not known.
    #[error("unknown group kind {0:?}: use distribution or security")]
    UnknownGroupKind(String),
    /// A members file's first line has several columns but none is the address.
    #[error(
        "line {line}: the CSV header {header:?} has no email column; name the address \
         column email (or PrimarySmtpAddress), or give one address per line"
    )]
    NoEmailColumn {
        /// The header's line number.
        line: usize,
        /// The header line.
        header: String,
    },
    /// Lines of a members file that hold no valid address.
    #[error(
        "the members list has {} invalid line(s); fix or remove them:\n{}\n{}",
        .0.len(),
        MemberProblems(.0),
        NameKind::Address.rule()
    )]
    InvalidMembers(Vec<MemberLineError>),
}

/// One bad line of a members file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {value:?} {problem}")]
pub struct MemberLineError {
    /// The 1-based line number.
    pub line: usize,
    /// The address (or row) as read.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Formats member problems one per line.
struct MemberProblems<'a>(&'a [MemberLineError]);

impl fmt::Display for MemberProblems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {problem}")?;
        }
        Ok(())
    }
}
