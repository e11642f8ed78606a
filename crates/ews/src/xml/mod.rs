//! XML plumbing shared by every message: a namespace-resolved tree and a writer.

mod element;
mod reader;
mod writer;

pub use element::{Element, parse_value};
pub use reader::parse;
pub use writer::XmlWriter;
