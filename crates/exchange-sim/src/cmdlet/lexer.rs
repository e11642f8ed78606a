//! Splits a script into tokens, resolving quoting, escapes, comments and
//! line continuations.

use super::error::{ParseError, ParseErrorKind};
use super::quote::{is_dash, is_double_quote, is_single_quote};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// An unquoted word with backtick escapes resolved.
    Word(String),
    /// The content of a single- or double-quoted string.
    Quoted(String),
    /// `-Name` or `-Name:`; the name is kept without dash or colon.
    Parameter {
        /// The parameter name.
        name: String,
        /// Whether a colon joined the value, as in `-Confirm:$false`.
        colon: bool,
    },
    /// `$name`, holding the name.
    Variable(String),
    /// The trimmed text between the braces of `{ ... }`.
    ScriptBlock(String),
    /// `,`.
    Comma,
    /// `=`.
    Equals,
    /// A line break that ends a statement.
    Newline,
    /// `;`.
    Semicolon,
    /// The end of the script.
    End,
}

/// A token and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub line: usize,
}

impl Token {
    /// Describes the token for an error message.
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Word(word) => format!("'{word}'"),
            TokenKind::Quoted(text) => format!("the string '{text}'"),
            TokenKind::Parameter { name, .. } => format!("parameter -{name}"),
            TokenKind::Variable(name) => format!("${name}"),
            TokenKind::ScriptBlock(_) => "a script block".to_owned(),
            TokenKind::Comma => "','".to_owned(),
            TokenKind::Equals => "'='".to_owned(),
            TokenKind::Newline => "the end of the line".to_owned(),
            TokenKind::Semicolon => "';'".to_owned(),
            TokenKind::End => "the end of the script".to_owned(),
        }
    }
}

/// Turns `\r\n` and lone `\r` into `\n`.
fn normalize_line_breaks(script: &str) -> Vec<char> {
    let mut chars = Vec::with_capacity(script.len());
    let mut iter = script.chars().peekable();
    while let Some(c) = iter.next() {
        if c == '\r' {
            iter.next_if_eq(&'\n');
            chars.push('\n');
        } else {
            chars.push(c);
        }
    }
    chars
}

/// True for characters that end an unquoted word.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, ';' | ',' | '|' | '&' | '(' | ')' | '{' | '}' | '<' | '>')
}

/// True for characters allowed in variable and parameter names.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// What a backtick does at a given place.
enum Backtick {
    /// It sits right before a line break: the line continues.
    Continuation,
    /// Only blanks (or nothing) follow it on its line: a broken continuation.
    Dangling,
    /// It escapes the next character.
    Escape,
}

/// Reads a script one token at a time, so errors surface in script order.
pub(super) struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: usize,
}

impl Lexer {
    /// Starts reading a script.
    pub fn new(script: &str) -> Self {
        Self {
            chars: normalize_line_breaks(script),
            i: 0,
            line: 1,
        }
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.i + offset).copied()
    }

    fn unsupported(&self, construct: &'static str) -> ParseError {
        error_at(self.line, ParseErrorKind::Unsupported { construct })
    }

    /// Classifies the backtick at the current position.
    fn backtick(&self) -> Backtick {
        match self.peek_at(1) {
            Some('\n') => Backtick::Continuation,
            None => Backtick::Dangling,
            Some(next) if !next.is_whitespace() => Backtick::Escape,
            Some(_) => {
                let blanks_then = self.chars[self.i + 1..]
                    .iter()
                    .find(|&&c| c == '\n' || !c.is_whitespace());
                if blanks_then.is_none_or(|&c| c == '\n') {
                    Backtick::Dangling
                } else {
                    Backtick::Escape
                }
            }
        }
    }

    /// The next token; after the end of the script, [`TokenKind::End`] again.
    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        loop {
            let line = self.line;
            let Some(c) = self.peek_at(0) else {
                return Ok(Token {
                    kind: TokenKind::End,
                    line,
                });
            };
            let kind = match c {
                '\n' => {
                    self.i += 1;
                    self.line += 1;
                    TokenKind::Newline
                }
                c if c.is_whitespace() => {
                    self.i += 1;
                    continue;
                }
                '#' => {
                    self.skip_line_comment();
                    continue;
                }
                '<' if self.peek_at(1) == Some('#') => {
                    self.skip_block_comment()?;
                    continue;
                }
                '`' => match self.backtick() {
                    Backtick::Continuation => {
                        self.i += 2;
                        self.line += 1;
                        continue;
                    }
                    Backtick::Dangling => {
                        return Err(error_at(line, ParseErrorKind::DanglingBacktick));
                    }
                    Backtick::Escape => self.word()?,
                },
                ';' => self.single(TokenKind::Semicolon),
                ',' => self.single(TokenKind::Comma),
                '=' => self.single(TokenKind::Equals),
                '$' => self.variable()?,
                '{' => self.script_block()?,
                c if is_single_quote(c) => self.single_quoted()?,
                c if is_double_quote(c) => self.double_quoted()?,
                c if is_dash(c) && self.peek_at(1).is_some_and(char::is_alphabetic) => {
                    self.parameter()?
                }
                '|' => return Err(self.unsupported("pipelines (|)")),
                '&' => return Err(self.unsupported("call operators and && chains (&)")),
                '(' | ')' => return Err(self.unsupported("parenthesised expressions")),
                '}' => {
                    return Err(error_at(
                        line,
                        ParseErrorKind::UnexpectedToken {
                            found: "'}'".to_owned(),
                        },
                    ));
                }
                '<' | '>' => return Err(self.unsupported("redirections (<, >)")),
                '@' => return Err(self.unsupported("splatting, arrays and hashtables (@...)")),
                '[' => return Err(self.unsupported("type literals and casts ([...])")),
                _ => self.word()?,
            };
            return Ok(Token { kind, line });
        }
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.i += 1;
        kind
    }

    fn skip_line_comment(&mut self) {
        while self.peek_at(0).is_some_and(|c| c != '\n') {
            self.i += 1;
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), ParseError> {
        let start = self.line;
        self.i += 2;
        loop {
            match self.peek_at(0) {
                None => return Err(error_at(start, ParseErrorKind::UnterminatedComment)),
                Some('#') if self.peek_at(1) == Some('>') => {
                    self.i += 2;
                    return Ok(());
                }
                Some(c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    self.i += 1;
                }
            }
        }
    }

    fn word(&mut self) -> Result<TokenKind, ParseError> {
        let line = self.line;
        let mut word = String::new();
        while let Some(c) = self.peek_at(0) {
            if ends_word(c) {
                break;
            }
            if c == '`' {
                match self.backtick() {
                    Backtick::Continuation => break,
                    Backtick::Dangling => {
                        return Err(error_at(line, ParseErrorKind::DanglingBacktick));
                    }
                    Backtick::Escape => {
                        word.extend(self.peek_at(1));
                        self.i += 2;
                        continue;
                    }
                }
            }
            if is_single_quote(c) || is_double_quote(c) {
                return Err(error_at(line, ParseErrorKind::QuoteInBareWord { word }));
            }
            if c == '$' {
                return Err(error_at(line, ParseErrorKind::VariableInBareWord { word }));
            }
            word.push(c);
            self.i += 1;
        }
        Ok(TokenKind::Word(word))
    }

    /// Reads a run of name characters starting at the current position.
    fn name(&mut self) -> String {
        let start = self.i;
        while self.peek_at(0).is_some_and(is_name_char) {
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect()
    }

    fn parameter(&mut self) -> Result<TokenKind, ParseError> {
        let line = self.line;
        self.i += 1;
        let name = self.name();
        let colon = self.peek_at(0) == Some(':');
        if colon {
            self.i += 1;
        } else if let Some(c) = self.peek_at(0).filter(|&c| !ends_word(c)) {
            return Err(error_at(
                line,
                ParseErrorKind::InvalidParameter {
                    text: format!("-{name}{c}"),
                },
            ));
        }
        Ok(TokenKind::Parameter { name, colon })
    }

    fn variable(&mut self) -> Result<TokenKind, ParseError> {
        let line = self.line;
        self.i += 1;
        match self.peek_at(0) {
            Some('(') => return Err(self.unsupported("subexpressions ($(...))")),
            Some('{') => return Err(self.unsupported("braced variable names (${...})")),
            _ => {}
        }
        let name = self.name();
        if name.is_empty() {
            return Err(
                self.unsupported("special variables such as $? and $$, and lone '$' characters")
            );
        }
        match self.peek_at(0) {
            Some(':') => {
                return Err(
                    self.unsupported("scoped and drive variables ($env:NAME, $script:NAME)")
                );
            }
            Some(c) if !ends_word(c) && c != '=' => {
                return Err(error_at(line, ParseErrorKind::TextAfterVariable { name }));
            }
            _ => {}
        }
        Ok(TokenKind::Variable(name))
    }

    fn single_quoted(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.line;
        self.i += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek_at(0) else {
                return Err(error_at(
                    start,
                    ParseErrorKind::UnterminatedString { quote: "single" },
                ));
            };
            self.i += 1;
            if is_single_quote(c) {
                match self.peek_at(0) {
                    Some(next) if is_single_quote(next) => {
                        text.push(next);
                        self.i += 1;
                    }
                    _ => break,
                }
            } else {
                if c == '\n' {
                    self.line += 1;
                }
                text.push(c);
            }
        }
        Ok(TokenKind::Quoted(text))
    }

    fn double_quoted(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.line;
        self.i += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek_at(0) else {
                return Err(error_at(
                    start,
                    ParseErrorKind::UnterminatedString { quote: "double" },
                ));
            };
            self.i += 1;
            if is_double_quote(c) {
                match self.peek_at(0) {
                    Some(next) if is_double_quote(next) => {
                        text.push(next);
                        self.i += 1;
                    }
                    _ => break,
                }
            } else if c == '`' {
                let Some(escaped) = self.peek_at(0) else {
                    return Err(error_at(
                        start,
                        ParseErrorKind::UnterminatedString { quote: "double" },
                    ));
                };
                self.i += 1;
                if escaped == '\n' {
                    self.line += 1;
                }
                text.push(backtick_escape(escaped));
            } else {
                if c == '\n' {
                    self.line += 1;
                }
                text.push(c);
            }
        }
        Ok(TokenKind::Quoted(text))
    }

    /// Reads `{ ... }`, honouring nested braces and braces inside strings.
    fn script_block(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.line;
        self.i += 1;
        let body_start = self.i;
        let mut depth = 1;
        let mut quote: Option<char> = None;
        loop {
            let Some(c) = self.peek_at(0) else {
                return Err(error_at(start, ParseErrorKind::UnterminatedScriptBlock));
            };
            self.i += 1;
            if c == '\n' {
                self.line += 1;
            }
            match quote {
                Some('"') if c == '`' => {
                    if self.peek_at(0) == Some('\n') {
                        self.line += 1;
                    }
                    self.i += 1;
                }
                Some('"') if is_double_quote(c) => quote = None,
                Some('\'') if is_single_quote(c) => quote = None,
                Some(_) => {}
                None if is_single_quote(c) => quote = Some('\''),
                None if is_double_quote(c) => quote = Some('"'),
                None if c == '{' => depth += 1,
                None if c == '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                None => {}
            }
        }
        let body: String = self.chars[body_start..self.i - 1].iter().collect();
        Ok(TokenKind::ScriptBlock(body.trim().to_owned()))
    }
}

/// Builds a parse error for a line.
fn error_at(line: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { line, kind }
}

/// The character a backtick escape stands for inside a double-quoted string.
fn backtick_escape(c: char) -> char {
    match c {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'e' => '\u{1b}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        other => other,
    }
}
