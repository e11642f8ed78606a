//! A small, fast XML writer for SOAP messages with fixed prefixes.

use std::fmt::Display;

/// Builds an XML document into a string. Tags are written with their prefix (`t:Subject`).
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: String::with_capacity(capacity),
        }
    }

    /// Writes the XML declaration.
    pub fn declaration(&mut self) {
        self.buf
            .push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    }

    /// Opens `<tag attr="v" ...>`.
    pub fn start(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.open(tag, attrs);
        self.buf.push('>');
    }

    /// Writes `<tag attr="v" .../>`.
    pub fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.open(tag, attrs);
        self.buf.push_str("/>");
    }

    /// Closes `</tag>`.
    pub fn end(&mut self, tag: &str) {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    /// Writes `<tag>text</tag>` with the text escaped.
    pub fn leaf(&mut self, tag: &str, text: impl Display) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self.text(text);
        self.end(tag);
    }

    /// Writes `<tag>text</tag>` only when there is a value.
    pub fn opt_leaf<T: Display>(&mut self, tag: &str, value: Option<T>) {
        if let Some(v) = value {
            self.leaf(tag, v);
        }
    }

    /// Writes escaped text content.
    pub fn text(&mut self, text: impl Display) {
        use std::fmt::Write;
        let start = self.buf.len();
        let _ = write!(self.buf, "{text}");
        if self.buf[start..].contains(['&', '<', '>', '"', '\r']) {
            let raw = self.buf.split_off(start);
            escape_into(&mut self.buf, &raw);
        }
    }

    /// Appends already-serialised XML verbatim.
    pub fn raw(&mut self, xml: &str) {
        self.buf.push_str(xml);
    }

    /// The document written so far.
    pub fn finish(self) -> String {
        self.buf
    }

    fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            escape_attr_into(&mut self.buf, v);
            self.buf.push('"');
        }
    }
}

fn escape_into(out: &mut String, raw: &str) {
    for ch in raw.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // A raw CR would be normalised away by the reader; keep it as a reference.
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Escapes an attribute value; tabs and line breaks become references, as a reader
/// would otherwise normalise them to spaces.
fn escape_attr_into(out: &mut String, raw: &str) {
    for ch in raw.chars() {
        match ch {
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            c => escape_into(out, c.encode_utf8(&mut [0; 4])),
        }
    }
}
