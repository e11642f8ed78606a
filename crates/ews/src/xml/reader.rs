//! Namespace-aware parsing of bytes into an [`Element`] tree.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::element::Element;
use crate::error::DecodeError;

/// Deepest nesting accepted; real EWS messages stay far below it.
const MAX_DEPTH: usize = 96;

/// Parses a whole document into its root element.
///
/// Accepts any prefixes, a missing XML declaration and empty-element forms.
/// Refuses DTDs (and with them entity declarations) and undeclared entities.
pub fn parse(bytes: &[u8]) -> Result<Element, DecodeError> {
    let mut reader = NsReader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (resolved, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| DecodeError::Xml(e.to_string()))?;
        let ns = match resolved {
            ResolveResult::Bound(ns) => ns.as_ref().to_string(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(prefix) => {
                return Err(DecodeError::Xml(format!(
                    "namespace prefix `{prefix}` is not declared"
                )));
            }
        };
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err(DecodeError::Xml("content after the root element".into()));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(DecodeError::Xml(format!(
                        "elements nested deeper than {MAX_DEPTH}"
                    )));
                }
                stack.push(open(ns, &start)?);
            }
            Event::Empty(start) => {
                let el = open(ns, &start)?;
                close(el, &mut stack, &mut root);
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| DecodeError::Xml("unbalanced end tag".into()))?;
                close(el, &mut stack, &mut root);
            }
            Event::Text(text) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text.xml10_content());
                } else if !text.xml10_content().trim().is_empty() {
                    return Err(DecodeError::Xml("text outside the root element".into()));
                }
            }
            Event::CData(data) => {
                if let Some(top) = stack.last_mut() {
                    let raw = data.into_inner();
                    top.text.push_str(&raw);
                } else {
                    return Err(DecodeError::Xml("CDATA outside the root element".into()));
                }
            }
            Event::GeneralRef(reference) => {
                let ch = match reference
                    .resolve_char_ref()
                    .map_err(|e| DecodeError::Xml(e.to_string()))?
                {
                    Some(ch) => ch,
                    None => predefined_entity(&reference.xml10_content())?,
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                } else {
                    return Err(DecodeError::Xml("text outside the root element".into()));
                }
            }
            Event::DocType(_) => return Err(DecodeError::DtdRefused),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(DecodeError::Xml("document ends inside an element".into()));
    }
    root.ok_or_else(|| DecodeError::Xml("document has no root element".into()))
}

fn open(ns: String, start: &quick_xml::events::BytesStart<'_>) -> Result<Element, DecodeError> {
    let name = start.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| DecodeError::Xml(e.to_string()))?;
        let key = attr.key;
        if key.as_ref() == "xmlns" || key.prefix().is_some_and(|p| p.as_ref() == "xmlns") {
            continue;
        }
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| DecodeError::Xml(e.to_string()))?
            .into_owned();
        attrs.push((key.local_name().as_ref().to_string(), value));
    }
    Ok(Element {
        ns,
        name,
        attrs,
        ..Element::default()
    })
}

fn close(el: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn predefined_entity(name: &str) -> Result<char, DecodeError> {
    match name {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(DecodeError::UndeclaredEntity(other.to_string())),
    }
}
