//! [`Command`], one parsed cmdlet invocation, and its [`Arg`] values.

use super::error::CmdletError;

/// A parameter or positional value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text: an unquoted word, a quoted string, or a variable holding one.
    String(String),
    /// A parameter given with no value, such as `-Force`.
    Switch,
    /// `$true` or `$false`, as in `-Confirm:$false`.
    Bool(bool),
    /// Comma-separated values, as in `-Members alice,bob,'c d'`.
    List(Vec<String>),
    /// `$null`.
    Null,
    /// The text between the braces of a `{ ... }` script block, trimmed.
    ScriptBlock(String),
}

impl Arg {
    /// The text of a string or script block.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(text) | Self::ScriptBlock(text) => Some(text),
            _ => None,
        }
    }

    /// Names the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::String(_) => "a string",
            Self::Switch => "a switch",
            Self::Bool(_) => "a boolean",
            Self::List(_) => "a list",
            Self::Null => "$null",
            Self::ScriptBlock(_) => "a script block",
        }
    }
}

/// One cmdlet invocation from a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The cmdlet name as written, such as `New-ManagementScope`.
    pub name: String,
    /// The 1-based line the command starts on.
    pub line: usize,
    /// Named parameters in order, names without the dash and as written.
    pub params: Vec<(String, Arg)>,
    /// Values not preceded by a parameter name, in order.
    pub positional: Vec<Arg>,
}

impl Command {
    /// True when this is the named cmdlet, ignoring case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value of a parameter, by name without the dash, ignoring case.
    pub fn get(&self, name: &str) -> Option<&Arg> {
        self.params
            .iter()
            .find(|(param, _)| param.eq_ignore_ascii_case(name))
            .map(|(_, arg)| arg)
    }

    /// The text of a required string (or script block) parameter.
    pub fn string(&self, name: &str) -> Result<&str, CmdletError> {
        self.optional_string(name)?
            .ok_or_else(|| self.missing(name))
    }

    /// The text of an optional string (or script block) parameter.
    pub fn optional_string(&self, name: &str) -> Result<Option<&str>, CmdletError> {
        match self.get(name) {
            None => Ok(None),
            Some(arg) => arg
                .as_str()
                .map(Some)
                .ok_or_else(|| self.wrong_type(name, "a string", arg)),
        }
    }

    /// The values of a required list parameter; a single string counts as a
    /// list of one, as PowerShell binds it.
    pub fn list(&self, name: &str) -> Result<Vec<String>, CmdletError> {
        match self.get(name) {
            None => Err(self.missing(name)),
            Some(Arg::List(items)) => Ok(items.clone()),
            Some(Arg::String(text)) => Ok(vec![text.clone()]),
            Some(arg) => Err(self.wrong_type(name, "a list of strings", arg)),
        }
    }

    /// Whether a switch is on: absent is off, `-Name` is on, and
    /// `-Name:$true` / `-Name:$false` say which.
    pub fn switch(&self, name: &str) -> Result<bool, CmdletError> {
        match self.get(name) {
            None => Ok(false),
            Some(Arg::Switch) => Ok(true),
            Some(Arg::Bool(on)) => Ok(*on),
            Some(arg) => Err(self.wrong_type(name, "a switch or boolean", arg)),
        }
    }

    fn missing(&self, parameter: &str) -> CmdletError {
        CmdletError::MissingParameter {
            command: self.name.clone(),
            line: self.line,
            parameter: parameter.to_owned(),
        }
    }

    fn wrong_type(&self, parameter: &str, expected: &'static str, arg: &Arg) -> CmdletError {
        CmdletError::WrongType {
            command: self.name.clone(),
            line: self.line,
            parameter: parameter.to_owned(),
            expected,
            found: arg.kind(),
        }
    }
}
