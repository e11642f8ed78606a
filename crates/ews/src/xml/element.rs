//! A namespace-resolved XML element tree, the input of every decoder.

use crate::error::DecodeError;

/// One XML element with its namespace URI resolved, whatever prefix the sender used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI, empty when the element is not in a namespace.
    pub ns: String,
    /// Local name, without any prefix.
    pub name: String,
    /// Attributes by local name (namespace declarations are not kept).
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Concatenated text content directly inside this element.
    pub text: String,
}

impl Element {
    /// Whether this element has the given namespace and local name.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The first child with this namespace and local name.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// The first child with this namespace and local name, or a decode error naming it.
    pub fn require(&self, ns: &str, name: &str) -> Result<&Element, DecodeError> {
        self.child(ns, name)
            .ok_or_else(|| DecodeError::missing(name, &self.name))
    }

    /// All children with this namespace and local name.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// The trimmed text of the first matching child, if present.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<String> {
        self.child(ns, name).map(|c| c.text.trim().to_string())
    }

    /// The text of a required child.
    pub fn require_text(&self, ns: &str, name: &str) -> Result<String, DecodeError> {
        self.require(ns, name).map(|c| c.text.trim().to_string())
    }

    /// A child's text parsed into a number or boolean; absent gives `None`.
    pub fn child_parse<T: std::str::FromStr>(
        &self,
        ns: &str,
        name: &str,
    ) -> Result<Option<T>, DecodeError> {
        match self.child(ns, name) {
            None => Ok(None),
            Some(c) => parse_value(c.text.trim(), name).map(Some),
        }
    }

    /// The value of an attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// An attribute parsed into a number or boolean; absent gives `None`.
    pub fn attr_parse<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, DecodeError> {
        match self.attr(name) {
            None => Ok(None),
            Some(v) => parse_value(v.trim(), name).map(Some),
        }
    }

    /// The first child element, whatever its name.
    pub fn first_child(&self) -> Option<&Element> {
        self.children.first()
    }
}

/// Parses an XML scalar; booleans accept `true`/`false`/`1`/`0` as XML Schema does.
pub fn parse_value<T: std::str::FromStr>(raw: &str, name: &str) -> Result<T, DecodeError> {
    let normalised = match raw {
        "1" if std::any::type_name::<T>() == "bool" => "true",
        "0" if std::any::type_name::<T>() == "bool" => "false",
        other => other,
    };
    normalised
        .parse()
        .map_err(|_| DecodeError::invalid(name, raw))
}
