//! Turns tokens into commands, tracking `$name = 'value'` variables.

use std::collections::HashMap;

use super::command::{Arg, Command};
use super::error::{ParseError, ParseErrorKind};
use super::lexer::{Lexer, Token, TokenKind};

/// Parses a script into the commands it would run, in order.
///
/// Nothing is executed. Variables assigned earlier in the script are
/// substituted where they are used as whole values; `$` inside
/// double-quoted strings is kept literally, not expanded.
pub fn parse_script(script: &str) -> Result<Vec<Command>, ParseError> {
    let mut lexer = Lexer::new(script);
    let mut parser = Parser {
        lookahead: lexer.next_token()?,
        lexer,
        variables: HashMap::new(),
    };
    parser.script()
}

/// True for a `Verb-Noun` name: letters, one dash, then letters or digits.
fn is_cmdlet_name(word: &str) -> bool {
    word.split_once('-').is_some_and(|(verb, noun)| {
        !verb.is_empty()
            && !noun.is_empty()
            && verb.chars().all(|c| c.is_ascii_alphabetic())
            && noun.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

struct Parser {
    lexer: Lexer,
    /// The next token, already read from the lexer.
    lookahead: Token,
    /// Assigned variables, keyed by lower-cased name.
    variables: HashMap<String, Arg>,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.lookahead
    }

    /// Takes the next token and reads the one after it.
    fn advance(&mut self) -> Result<Token, ParseError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.lookahead, next))
    }

    /// True when the next token can start a value.
    fn at_value(&self) -> bool {
        matches!(
            self.peek().kind,
            TokenKind::Word(_)
                | TokenKind::Quoted(_)
                | TokenKind::Variable(_)
                | TokenKind::ScriptBlock(_)
        )
    }

    /// True when the next token ends a statement.
    fn at_statement_end(&self) -> bool {
        matches!(
            self.peek().kind,
            TokenKind::Newline | TokenKind::Semicolon | TokenKind::End
        )
    }

    fn script(&mut self) -> Result<Vec<Command>, ParseError> {
        let mut commands = Vec::new();
        loop {
            let token = self.peek().clone();
            match token.kind {
                TokenKind::End => return Ok(commands),
                TokenKind::Newline | TokenKind::Semicolon => {
                    self.advance()?;
                }
                TokenKind::Variable(name) => {
                    self.advance()?;
                    self.assignment(name, token.line)?;
                }
                TokenKind::Word(word) if is_cmdlet_name(&word) => {
                    self.advance()?;
                    commands.push(self.command(word, token.line)?);
                }
                _ => {
                    return Err(ParseError {
                        line: token.line,
                        kind: ParseErrorKind::ExpectedCommand {
                            found: token.describe(),
                        },
                    });
                }
            }
        }
    }

    fn assignment(&mut self, name: String, line: usize) -> Result<(), ParseError> {
        if self.peek().kind != TokenKind::Equals {
            return Err(ParseError {
                line,
                kind: ParseErrorKind::NotAnAssignment { name },
            });
        }
        self.advance()?;
        if ["true", "false", "null"].contains(&name.to_ascii_lowercase().as_str()) {
            return Err(ParseError {
                line,
                kind: ParseErrorKind::ReadOnlyVariable { name },
            });
        }
        let value = self.value("'='", false)?;
        self.expect_statement_end()?;
        self.variables.insert(name.to_lowercase(), value);
        Ok(())
    }

    fn command(&mut self, name: String, line: usize) -> Result<Command, ParseError> {
        let mut params: Vec<(String, Arg)> = Vec::new();
        let mut positional = Vec::new();
        while !self.at_statement_end() {
            let token = self.peek().clone();
            match token.kind {
                TokenKind::Parameter {
                    name: parameter,
                    colon,
                } => {
                    self.advance()?;
                    let arg = if colon || self.at_value() {
                        self.value(&format!("-{parameter}:"), true)?
                    } else {
                        Arg::Switch
                    };
                    if params
                        .iter()
                        .any(|(p, _)| p.eq_ignore_ascii_case(&parameter))
                    {
                        return Err(ParseError {
                            line: token.line,
                            kind: ParseErrorKind::DuplicateParameter { parameter },
                        });
                    }
                    params.push((parameter, arg));
                }
                _ if self.at_value() => positional.push(self.value(&name, true)?),
                _ => {
                    return Err(ParseError {
                        line: token.line,
                        kind: ParseErrorKind::UnexpectedToken {
                            found: token.describe(),
                        },
                    });
                }
            }
        }
        Ok(Command {
            name,
            line,
            params,
            positional,
        })
    }

    fn expect_statement_end(&mut self) -> Result<(), ParseError> {
        if self.at_statement_end() {
            return Ok(());
        }
        let token = self.peek();
        Err(ParseError {
            line: token.line,
            kind: ParseErrorKind::UnexpectedToken {
                found: token.describe(),
            },
        })
    }

    /// Reads one value, or a comma-separated list of them; `after` names
    /// what required the value, for the error when there is none.
    fn value(&mut self, after: &str, allow_bare: bool) -> Result<Arg, ParseError> {
        let mut line = self.peek().line;
        let first = self.element(after, allow_bare)?;
        if self.peek().kind != TokenKind::Comma {
            return Ok(first);
        }
        let mut items = Vec::new();
        push_list_item(&mut items, first, line)?;
        while self.peek().kind == TokenKind::Comma {
            self.advance()?;
            while self.peek().kind == TokenKind::Newline {
                self.advance()?;
            }
            line = self.peek().line;
            let item = self.element("','", allow_bare)?;
            push_list_item(&mut items, item, line)?;
        }
        Ok(Arg::List(items))
    }

    /// Reads a single value: a word, string, variable or script block.
    fn element(&mut self, after: &str, allow_bare: bool) -> Result<Arg, ParseError> {
        let token = self.peek().clone();
        let value = match token.kind {
            TokenKind::Word(word) if allow_bare => Ok(Arg::String(word)),
            TokenKind::Word(word) => Err(ParseErrorKind::UnquotedAssignment { word }),
            TokenKind::Quoted(text) => Ok(Arg::String(text)),
            TokenKind::ScriptBlock(text) => Ok(Arg::ScriptBlock(text)),
            TokenKind::Variable(name) => self.variable(name),
            _ => Err(ParseErrorKind::ExpectedValue {
                after: after.to_owned(),
                found: token.describe(),
            }),
        };
        let value = value.map_err(|kind| ParseError {
            line: token.line,
            kind,
        })?;
        self.advance()?;
        Ok(value)
    }

    /// The value of `$name`: a constant or an earlier assignment.
    fn variable(&self, name: String) -> Result<Arg, ParseErrorKind> {
        let key = name.to_lowercase();
        match key.as_str() {
            "true" => Ok(Arg::Bool(true)),
            "false" => Ok(Arg::Bool(false)),
            "null" => Ok(Arg::Null),
            _ => self
                .variables
                .get(&key)
                .cloned()
                .ok_or(ParseErrorKind::UndefinedVariable { name }),
        }
    }
}

/// Adds a value to a list being built; lists held in variables are spliced.
fn push_list_item(items: &mut Vec<String>, item: Arg, line: usize) -> Result<(), ParseError> {
    match item {
        Arg::String(text) => items.push(text),
        Arg::List(inner) => items.extend(inner),
        other => {
            return Err(ParseError {
                line,
                kind: ParseErrorKind::ListElementNotString {
                    found: other.kind(),
                },
            });
        }
    }
    Ok(())
}
