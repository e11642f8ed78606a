//! Management-scope `RecipientRestrictionFilter` parsing and evaluation.
//!
//! Exchange management scopes restrict which recipients a role assignment
//! reaches with an OPATH filter such as
//! `MemberOfGroup -eq 'CN=Apps,OU=Groups,DC=contoso,DC=test'`. This module
//! parses the subset of OPATH that scopes use in Impersync and evaluates it
//! against a recipient the way Exchange does: case-insensitively, and with
//! `MemberOfGroup` looking only at the groups a recipient belongs to directly.

mod ast;
mod error;
mod eval;
mod filter;
mod lexer;
mod parser;
mod wildcard;

#[cfg(test)]
mod tests;

pub use ast::{Comparison, Expr, Operator, Property, Value};
pub use error::FilterError;
pub use eval::FilterSubject;
pub use filter::ScopeFilter;
