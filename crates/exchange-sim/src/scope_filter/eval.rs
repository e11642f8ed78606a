//! Evaluating a scope filter against a recipient.

use super::ast::{Comparison, Expr, Operator, Property, Value};
use super::wildcard::{equals_ignore_case, like};

/// The recipient facts a scope filter can test.
pub trait FilterSubject {
    /// Distinguished names of the groups the recipient is a direct member of;
    /// groups reached only through nesting must not be listed.
    fn direct_group_dns(&self) -> Vec<String>;
    /// The recipient type, such as `UserMailbox`.
    fn recipient_type(&self) -> &str;
    /// The department, if set.
    fn department(&self) -> Option<&str>;
    /// `CustomAttribute{n}` for `n` in 1..=15, if set.
    fn custom_attribute(&self, n: u8) -> Option<&str>;
}

/// Evaluates an expression against a subject.
pub(super) fn evaluate(expr: &Expr, subject: &impl FilterSubject) -> bool {
    match expr {
        Expr::Compare(comparison) => compare(comparison, subject),
        Expr::Not(operand) => !evaluate(operand, subject),
        Expr::And(operands) => operands.iter().all(|e| evaluate(e, subject)),
        Expr::Or(operands) => operands.iter().any(|e| evaluate(e, subject)),
    }
}

fn compare(comparison: &Comparison, subject: &impl FilterSubject) -> bool {
    let Comparison {
        property,
        operator,
        value,
    } = comparison;
    match property {
        Property::MemberOfGroup => compare_many(&subject.direct_group_dns(), *operator, value),
        Property::RecipientType => compare_one(Some(subject.recipient_type()), *operator, value),
        Property::Department => compare_one(subject.department(), *operator, value),
        Property::CustomAttribute(n) => compare_one(subject.custom_attribute(*n), *operator, value),
    }
}

/// Compares a single-valued property; an empty value counts as unset.
fn compare_one(actual: Option<&str>, operator: Operator, value: &Value) -> bool {
    let actual = actual.filter(|text| !text.is_empty());
    match (operator, value) {
        (Operator::Eq, Value::Null) => actual.is_none(),
        (Operator::Ne, Value::Null) => actual.is_some(),
        (Operator::Eq, Value::Text(wanted)) => {
            actual.is_some_and(|a| equals_ignore_case(a, wanted))
        }
        (Operator::Ne, Value::Text(wanted)) => {
            !actual.is_some_and(|a| equals_ignore_case(a, wanted))
        }
        (Operator::Like, Value::Text(pattern)) => actual.is_some_and(|a| like(a, pattern)),
        (Operator::Like, Value::Null) => false,
    }
}

/// Compares a multi-valued property: `-eq` and `-like` hold when any value
/// matches, `-ne` when none equals.
fn compare_many(actual: &[String], operator: Operator, value: &Value) -> bool {
    match (operator, value) {
        (Operator::Eq, Value::Null) => actual.is_empty(),
        (Operator::Ne, Value::Null) => !actual.is_empty(),
        (Operator::Eq, Value::Text(wanted)) => actual.iter().any(|a| equals_ignore_case(a, wanted)),
        (Operator::Ne, Value::Text(wanted)) => {
            !actual.iter().any(|a| equals_ignore_case(a, wanted))
        }
        (Operator::Like, Value::Text(pattern)) => actual.iter().any(|a| like(a, pattern)),
        (Operator::Like, Value::Null) => false,
    }
}
