//! [`ScopeFilter`], the parsed `RecipientRestrictionFilter` of a scope.

use std::fmt;
use std::str::FromStr;

use super::ast::{Expr, Operator, Property, Value};
use super::error::FilterError;
use super::eval::{FilterSubject, evaluate};
use super::parser::parse;

/// A parsed management-scope recipient filter.
///
/// Parse with [`str::parse`]; [`Display`](fmt::Display) gives canonical text
/// that parses back to an equal filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopeFilter {
    expr: Expr,
}

impl ScopeFilter {
    /// Wraps an already-built expression. Its canonical text keeps the
    /// meaning, but parses back to the flat form the parser builds.
    pub fn new(expr: Expr) -> Self {
        Self { expr }
    }

    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// True when the recipient is inside this scope.
    pub fn matches(&self, subject: &impl FilterSubject) -> bool {
        evaluate(&self.expr, subject)
    }

    /// The group DNs that `MemberOfGroup -eq`/`-ne` comparisons name, in
    /// order of appearance, so a caller can check that each group exists.
    pub fn group_dns(&self) -> Vec<&str> {
        let mut dns = Vec::new();
        collect_group_dns(&self.expr, &mut dns);
        dns
    }
}

fn collect_group_dns<'a>(expr: &'a Expr, dns: &mut Vec<&'a str>) {
    match expr {
        Expr::Compare(comparison) => {
            if let (Property::MemberOfGroup, Operator::Eq | Operator::Ne, Value::Text(dn)) =
                (comparison.property, comparison.operator, &comparison.value)
            {
                dns.push(dn);
            }
        }
        Expr::Not(operand) => collect_group_dns(operand, dns),
        Expr::And(operands) | Expr::Or(operands) => {
            for operand in operands {
                collect_group_dns(operand, dns);
            }
        }
    }
}

impl FromStr for ScopeFilter {
    type Err = FilterError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text).map(Self::new)
    }
}

impl fmt::Display for ScopeFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}
