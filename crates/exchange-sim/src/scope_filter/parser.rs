//! Recursive-descent parser for scope filters.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! or      := and ( "-or" and )*
//! and     := unary ( "-and" unary )*
//! unary   := "-not" unary | primary
//! primary := "(" or ")" | Property Operator Value
//! ```

use super::ast::{Comparison, Expr, Operator, Property, Value};
use super::error::FilterError;
use super::lexer::{Token, TokenKind, tokenize};

/// How deeply parentheses and `-not` may nest.
pub(super) const MAX_DEPTH: usize = 64;

/// Parses filter text into an expression.
pub(super) fn parse(text: &str) -> Result<Expr, FilterError> {
    let tokens = tokenize(text)?;
    if tokens.len() == 1 {
        return Err(FilterError::Empty);
    }
    let mut parser = Parser { tokens, next: 0 };
    let expr = parser.or(0)?;
    let rest = parser.peek();
    if rest.kind != TokenKind::End {
        return Err(FilterError::Unexpected {
            position: rest.position,
            expected: "-and, -or or the end of the filter",
            found: rest.describe(),
        });
    }
    Ok(expr)
}

/// Parser state: the tokens and the index of the next one.
struct Parser {
    tokens: Vec<Token>,
    next: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.next]
    }

    /// Takes the next token; the final `End` token is never passed.
    fn advance(&mut self) -> Token {
        let token = self.tokens[self.next].clone();
        if token.kind != TokenKind::End {
            self.next += 1;
        }
        token
    }

    /// Consumes the next token if it is the given logical keyword.
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let hit = matches!(&self.peek().kind,
            TokenKind::Operator(op) if op.eq_ignore_ascii_case(keyword));
        if hit {
            self.next += 1;
        }
        hit
    }

    fn or(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut operands = vec![self.and(depth)?];
        while self.eat_keyword("-or") {
            operands.push(self.and(depth)?);
        }
        Ok(join(operands, Junction::Any))
    }

    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut operands = vec![self.unary(depth)?];
        while self.eat_keyword("-and") {
            operands.push(self.unary(depth)?);
        }
        Ok(join(operands, Junction::All))
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let position = self.peek().position;
        if self.eat_keyword("-not") {
            let operand = self.unary(deeper(depth, position)?)?;
            return Ok(Expr::Not(Box::new(operand)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let token = self.advance();
        match token.kind {
            TokenKind::Open => {
                let inner = self.or(deeper(depth, token.position)?)?;
                let close = self.advance();
                if close.kind != TokenKind::Close {
                    return Err(FilterError::Unexpected {
                        position: close.position,
                        expected: "')'",
                        found: close.describe(),
                    });
                }
                Ok(inner)
            }
            TokenKind::Word(name) => {
                let property =
                    Property::from_name(&name).ok_or(FilterError::UnsupportedProperty {
                        name,
                        position: token.position,
                    })?;
                self.comparison(property)
            }
            _ => Err(FilterError::Unexpected {
                position: token.position,
                expected: "a property name, '(' or -not",
                found: token.describe(),
            }),
        }
    }

    fn comparison(&mut self, property: Property) -> Result<Expr, FilterError> {
        let token = self.advance();
        let operator = match &token.kind {
            TokenKind::Operator(text) => {
                Operator::from_name(text).ok_or_else(|| FilterError::UnsupportedOperator {
                    operator: text.clone(),
                    position: token.position,
                })?
            }
            _ => {
                return Err(FilterError::Unexpected {
                    position: token.position,
                    expected: "-eq, -ne or -like",
                    found: token.describe(),
                });
            }
        };
        let token = self.advance();
        let value = match token.kind {
            TokenKind::Quoted(text) | TokenKind::Word(text) => Value::Text(text),
            TokenKind::Variable(name) if name.eq_ignore_ascii_case("null") => {
                if operator == Operator::Like {
                    return Err(FilterError::NullPattern {
                        position: token.position,
                    });
                }
                Value::Null
            }
            TokenKind::Variable(name) => {
                return Err(FilterError::UnsupportedVariable {
                    name,
                    position: token.position,
                });
            }
            _ => {
                return Err(FilterError::Unexpected {
                    position: token.position,
                    expected: "a value",
                    found: token.describe(),
                });
            }
        };
        Ok(Expr::Compare(Comparison {
            property,
            operator,
            value,
        }))
    }
}

/// One level deeper, or an error past [`MAX_DEPTH`].
fn deeper(depth: usize, position: usize) -> Result<usize, FilterError> {
    if depth >= MAX_DEPTH {
        Err(FilterError::TooDeep {
            position,
            limit: MAX_DEPTH,
        })
    } else {
        Ok(depth + 1)
    }
}

/// Which logical combination [`join`] builds.
#[derive(Clone, Copy)]
enum Junction {
    /// `-and`.
    All,
    /// `-or`.
    Any,
}

/// Combines operands with `-and` or `-or`, splicing in operands already
/// combined the same way so the tree stays flat.
fn join(mut operands: Vec<Expr>, junction: Junction) -> Expr {
    if operands.len() == 1
        && let Some(only) = operands.pop()
    {
        return only;
    }
    let mut flat = Vec::with_capacity(operands.len());
    for operand in operands {
        match (junction, operand) {
            (Junction::All, Expr::And(inner)) | (Junction::Any, Expr::Or(inner)) => {
                flat.extend(inner);
            }
            (_, other) => flat.push(other),
        }
    }
    match junction {
        Junction::All => Expr::And(flat),
        Junction::Any => Expr::Or(flat),
    }
}
