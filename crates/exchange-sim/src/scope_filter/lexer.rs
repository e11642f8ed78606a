//! Splits scope filter text into tokens.

use super::error::FilterError;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// A dash followed by letters, such as `-eq` or `-and`.
    Operator(String),
    /// An unquoted run of text: a property name or a bare value.
    Word(String),
    /// A single- or double-quoted value with escapes resolved.
    Quoted(String),
    /// `$name`, holding the name.
    Variable(String),
    /// The end of the text.
    End,
}

/// A token and the 1-based character position where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub position: usize,
}

impl Token {
    /// Describes the token for an error message.
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Open => "'('".to_owned(),
            TokenKind::Close => "')'".to_owned(),
            TokenKind::Operator(text) | TokenKind::Word(text) => format!("'{text}'"),
            TokenKind::Quoted(text) => format!("quoted value '{text}'"),
            TokenKind::Variable(name) => format!("'${name}'"),
            TokenKind::End => "end of filter".to_owned(),
        }
    }
}

/// Tokenizes the whole filter, ending with a [`TokenKind::End`] token.
pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let position = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let kind = match c {
            '(' => {
                i += 1;
                TokenKind::Open
            }
            ')' => {
                i += 1;
                TokenKind::Close
            }
            '\'' | '"' => {
                let (value, next) = quoted(&chars, i)?;
                i = next;
                TokenKind::Quoted(value)
            }
            '$' => {
                let end = word_end(&chars, i + 1);
                let name: String = chars[i + 1..end].iter().collect();
                i = end;
                TokenKind::Variable(name)
            }
            '-' if chars.get(i + 1).is_some_and(|c| c.is_alphabetic()) => {
                let end = word_end(&chars, i + 1);
                let name: String = chars[i..end].iter().collect();
                i = end;
                TokenKind::Operator(name)
            }
            _ => {
                let end = word_end(&chars, i);
                let word: String = chars[i..end].iter().collect();
                i = end;
                TokenKind::Word(word)
            }
        };
        tokens.push(Token { kind, position });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        position: chars.len() + 1,
    });
    Ok(tokens)
}

/// Index just past the unquoted word starting at `start`.
fn word_end(chars: &[char], start: usize) -> usize {
    chars[start..]
        .iter()
        .position(|&c| c.is_whitespace() || matches!(c, '(' | ')' | '\'' | '"'))
        .map_or(chars.len(), |offset| start + offset)
}

/// Reads the quoted value opening at `start`; a doubled quote stands for one.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let quote = chars[start];
    let mut value = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(FilterError::UnterminatedString {
                    position: start + 1,
                });
            }
            Some(&c) if c == quote => {
                if chars.get(i + 1) == Some(&quote) {
                    value.push(quote);
                    i += 2;
                } else {
                    return Ok((value, i + 1));
                }
            }
            Some(&c) => {
                value.push(c);
                i += 1;
            }
        }
    }
}
