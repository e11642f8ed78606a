//! The parsed form of a scope filter and its canonical text.

use std::fmt;

/// Supported property names, as listed in error messages.
pub(super) const SUPPORTED_PROPERTIES: &str =
    "MemberOfGroup, RecipientType, Department, CustomAttribute1 .. CustomAttribute15";

/// A recipient property that a scope filter can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Property {
    /// Distinguished names of the groups the recipient is a direct member of.
    MemberOfGroup,
    /// The recipient's type, such as `UserMailbox`.
    RecipientType,
    /// The recipient's department.
    Department,
    /// One of `CustomAttribute1` .. `CustomAttribute15`; holds the number.
    CustomAttribute(u8),
}

impl Property {
    /// Looks a property up by name, ignoring case; `None` if unsupported.
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "memberofgroup" => Some(Self::MemberOfGroup),
            "recipienttype" => Some(Self::RecipientType),
            "department" => Some(Self::Department),
            _ => {
                let digits = lower.strip_prefix("customattribute")?;
                if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let n: u8 = digits.parse().ok()?;
                (1..=15).contains(&n).then_some(Self::CustomAttribute(n))
            }
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MemberOfGroup => f.write_str("MemberOfGroup"),
            Self::RecipientType => f.write_str("RecipientType"),
            Self::Department => f.write_str("Department"),
            Self::CustomAttribute(n) => write!(f, "CustomAttribute{n}"),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `-eq`: equal, ignoring case.
    Eq,
    /// `-ne`: not equal, ignoring case.
    Ne,
    /// `-like`: matches a pattern where `*` stands for any run of characters.
    Like,
}

impl Operator {
    /// Looks an operator up by its spelling including the dash, ignoring case.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "-eq" => Some(Self::Eq),
            "-ne" => Some(Self::Ne),
            "-like" => Some(Self::Like),
            _ => None,
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eq => "-eq",
            Self::Ne => "-ne",
            Self::Like => "-like",
        })
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A text value, quoted or bare in the source.
    Text(String),
    /// `$null`: the property has no value.
    Null,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "'{}'", text.replace('\'', "''")),
            Self::Null => f.write_str("$null"),
        }
    }
}

/// One `Property -op Value` test.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Comparison {
    /// The property tested.
    pub property: Property,
    /// How it is compared.
    pub operator: Operator,
    /// What it is compared with.
    pub value: Value,
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.property, self.operator, self.value)
    }
}

/// A filter expression.
///
/// The parser keeps `And` and `Or` flat (no `And` directly inside an `And`,
/// no `Or` directly inside an `Or`) with at least two operands each, so that
/// the canonical text parses back to the same tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A single comparison.
    Compare(Comparison),
    /// `-not`: true when the operand is false.
    Not(Box<Expr>),
    /// `-and`: true when every operand is true.
    And(Vec<Expr>),
    /// `-or`: true when any operand is true.
    Or(Vec<Expr>),
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare(comparison) => comparison.fmt(f),
            Self::Not(operand) => write!(f, "-not ({operand})"),
            Self::And(operands) => {
                for (i, operand) in operands.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" -and ")?;
                    }
                    if matches!(operand, Self::Or(_)) {
                        write!(f, "({operand})")?;
                    } else {
                        operand.fmt(f)?;
                    }
                }
                Ok(())
            }
            Self::Or(operands) => {
                for (i, operand) in operands.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" -or ")?;
                    }
                    operand.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}
