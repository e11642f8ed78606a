//! Parsing Exchange Management Shell scripts into cmdlet invocations.
//!
//! The simulator receives PowerShell text and runs a subset of cmdlets. This
//! module turns the text into a list of [`Command`]s without executing
//! anything: it understands quoting, comments, line continuation, `;`,
//! switches, `-Param:$value`, comma lists, script blocks and simple
//! `$name = 'value'` variables, and rejects with a line-numbered
//! [`ParseError`] every construct that would need a real PowerShell engine
//! (pipelines, subexpressions, control flow, splatting, ...).

mod command;
mod error;
mod lexer;
mod parser;
mod quote;

#[cfg(test)]
mod tests;

pub use command::{Arg, Command};
pub use error::{CmdletError, ParseError, ParseErrorKind};
pub use parser::parse_script;
pub use quote::single_quote;
