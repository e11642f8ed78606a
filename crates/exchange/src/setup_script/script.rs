//! Building a script line by line, with every value quoted on the way in.
//!
//! Only `&'static str` text (cmdlet names, parameter names, keywords written in this
//! module's callers) is written bare. Anything that came from options goes through
//! [`quote::powershell`], and comment text is kept on one line.

use super::quote;

/// A cmdlet call being built.
pub(super) struct Cmdlet {
    text: String,
}

impl Cmdlet {
    /// Starts a call to the named cmdlet.
    pub fn new(name: &'static str) -> Self {
        Self {
            text: name.to_owned(),
        }
    }

    /// `-Name 'value'`, quoted.
    pub fn value(mut self, parameter: &'static str, value: &str) -> Self {
        self.push(parameter, &quote::powershell(value));
        self
    }

    /// `-Name 'a','b'`, each quoted.
    pub fn values(mut self, parameter: &'static str, values: &[String]) -> Self {
        let list: Vec<String> = values.iter().map(|v| quote::powershell(v)).collect();
        self.push(parameter, &list.join(","));
        self
    }

    /// `-Name Keyword`, for fixed values such as `Closed` or `ApplicationImpersonation`.
    pub fn keyword(mut self, parameter: &'static str, keyword: &'static str) -> Self {
        self.push(parameter, keyword);
        self
    }

    /// `-Name $variable`, for a variable the script assigned earlier.
    pub fn variable(mut self, parameter: &'static str, variable: &'static str) -> Self {
        self.push(parameter, &format!("${variable}"));
        self
    }

    /// `-Name` with no value.
    pub fn switch(mut self, parameter: &'static str) -> Self {
        self.text.push_str(" -");
        self.text.push_str(parameter);
        self
    }

    fn push(&mut self, parameter: &str, value: &str) {
        self.text.push_str(" -");
        self.text.push_str(parameter);
        self.text.push(' ');
        self.text.push_str(value);
    }
}

/// A script under construction.
#[derive(Default)]
pub(super) struct Script {
    text: String,
    steps: usize,
}

impl Script {
    /// Starts the next numbered step: a blank line and `# Step n: title`.
    pub fn step(&mut self, title: &str) {
        self.steps += 1;
        self.blank();
        self.comment(&format!("Step {}: {title}", self.steps));
    }

    /// A `# ...` comment; line breaks and control characters become spaces so the
    /// text cannot start a new statement.
    pub fn comment(&mut self, text: &str) {
        let one_line: String = text
            .chars()
            .map(|c| {
                if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        self.line(&format!("# {one_line}"));
    }

    /// An empty line between steps.
    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// A cmdlet call on a line of its own.
    pub fn run(&mut self, cmdlet: Cmdlet) {
        self.line(&cmdlet.text);
    }

    /// `$name = Cmdlet ...`, assigning what the cmdlet returns.
    pub fn assign(&mut self, variable: &'static str, cmdlet: Cmdlet) {
        self.line(&format!("${variable} = {}", cmdlet.text));
    }

    /// `Write-Host 'message'`, a progress line.
    pub fn progress(&mut self, message: &str) {
        self.line(&format!("Write-Host {}", quote::powershell(message)));
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.text
    }

    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::{Cmdlet, Script};
    use impersync_exchange_sim::cmdlet::parse_script;

    #[test]
    fn comments_stay_on_one_line_and_values_are_quoted() {
        let mut script = Script::default();
        script.step("x\nRemove-Mailbox -Identity a\r\nRemove-Mailbox -Identity b\u{2028}c");
        script.run(
            Cmdlet::new("Set-User")
                .value("Identity", "a'; Remove-Mailbox b; '")
                .values("Members", &["c\u{2019}d".to_owned(), "$(e)".to_owned()])
                .keyword("Type", "Security")
                .switch("Force"),
        );
        let text = script.finish();
        assert_eq!(text.lines().count(), 3, "{text}");
        let commands = parse_script(&text).expect("parses");
        assert_eq!(commands.len(), 1);
        assert_eq!(
            commands[0].string("Identity"),
            Ok("a'; Remove-Mailbox b; '")
        );
        assert_eq!(
            commands[0].list("Members"),
            Ok(vec!["c\u{2019}d".to_owned(), "$(e)".to_owned()])
        );
    }
}
