//! Errors from parsing a script and from reading a command's parameters.

use thiserror::Error;

/// A script that could not be parsed, with the 1-based line of the problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    /// The line where the problem was found.
    pub line: usize,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

/// What made a script unparsable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    /// A quoted string has no closing quote.
    #[error("unterminated {quote}-quoted string")]
    UnterminatedString {
        /// `single` or `double`.
        quote: &'static str,
    },
    /// A `<# ... #>` comment has no closing `#>`.
    #[error("unterminated <# block comment")]
    UnterminatedComment,
    /// A `{ ... }` script block has no closing brace.
    #[error("unterminated {{ script block")]
    UnterminatedScriptBlock,
    /// A backtick meant to continue the line is followed by something other
    /// than the line break (spaces, or the end of the script).
    #[error(
        "a line-continuation backtick must be the last character on its line \
         and be followed by another line"
    )]
    DanglingBacktick,
    /// A PowerShell feature this parser deliberately does not handle.
    #[error("{construct} are not supported")]
    Unsupported {
        /// The feature, in the plural.
        construct: &'static str,
    },
    /// A quote inside an unquoted word, such as `ab'c'`.
    #[error("quote character inside the unquoted word '{word}'; quote the whole value")]
    QuoteInBareWord {
        /// The word up to the quote.
        word: String,
    },
    /// A `$` inside an unquoted word, such as `CN=$name`.
    #[error(
        "'$' inside the unquoted word '{word}'; pass the variable on its own or quote the value"
    )]
    VariableInBareWord {
        /// The word up to the `$`.
        word: String,
    },
    /// Characters glued to a variable, such as `$x.Name` or `$x[0]`.
    #[error("unexpected text right after ${name}; member access and indexing are not supported")]
    TextAfterVariable {
        /// The variable name.
        name: String,
    },
    /// A parameter name with characters PowerShell does not allow.
    #[error("invalid parameter '{text}'")]
    InvalidParameter {
        /// The offending text.
        text: String,
    },
    /// A statement that does not start with a `Verb-Noun` cmdlet name.
    #[error("expected a Verb-Noun cmdlet name or a $variable assignment, found {found}")]
    ExpectedCommand {
        /// What was there instead.
        found: String,
    },
    /// A statement starting with a variable that is not an assignment.
    #[error("a statement starting with ${name} must assign it, as in ${name} = 'value'")]
    NotAnAssignment {
        /// The variable name.
        name: String,
    },
    /// Assigning to `$true`, `$false` or `$null`.
    #[error("${name} is read-only")]
    ReadOnlyVariable {
        /// The variable name.
        name: String,
    },
    /// An unquoted word on the right of `=`, which PowerShell would run as a
    /// command.
    #[error("assign a quoted string: '{word}' unquoted would run as a command")]
    UnquotedAssignment {
        /// The unquoted word.
        word: String,
    },
    /// A variable used before any assignment.
    #[error("variable ${name} is used before it is assigned")]
    UndefinedVariable {
        /// The variable name.
        name: String,
    },
    /// A place needing a value had none.
    #[error("{after} must be followed by a value, found {found}")]
    ExpectedValue {
        /// What needed the value, such as `-Name:` or `','`.
        after: String,
        /// What was there instead.
        found: String,
    },
    /// A list element that is not text.
    #[error("list elements must be strings, found {found}")]
    ListElementNotString {
        /// The kind of value found.
        found: &'static str,
    },
    /// The same parameter given twice (names compare case-insensitively).
    #[error("parameter -{parameter} is given more than once")]
    DuplicateParameter {
        /// The parameter name as written the second time.
        parameter: String,
    },
    /// A token that cannot appear where it does.
    #[error("unexpected {found}")]
    UnexpectedToken {
        /// The token.
        found: String,
    },
}

/// A parsed command whose parameters do not fit what the caller needs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CmdletError {
    /// A required parameter is absent.
    #[error("line {line}: {command} is missing the required parameter -{parameter}")]
    MissingParameter {
        /// The cmdlet name.
        command: String,
        /// The line the command starts on.
        line: usize,
        /// The parameter name.
        parameter: String,
    },
    /// A parameter holds the wrong kind of value.
    #[error("line {line}: {command} -{parameter} needs {expected}, but was given {found}")]
    WrongType {
        /// The cmdlet name.
        command: String,
        /// The line the command starts on.
        line: usize,
        /// The parameter name.
        parameter: String,
        /// The kind of value needed.
        expected: &'static str,
        /// The kind of value given.
        found: &'static str,
    },
}
