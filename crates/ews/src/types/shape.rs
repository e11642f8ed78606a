//! Response shapes: which properties a request asks for.

use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// `t:BaseShape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaseShape {
    /// Only ids (plus any additional properties).
    IdOnly,
    /// The default set.
    #[default]
    Default,
    /// Every property the server has.
    AllProperties,
}

impl BaseShape {
    fn as_str(self) -> &'static str {
        match self {
            Self::IdOnly => "IdOnly",
            Self::Default => "Default",
            Self::AllProperties => "AllProperties",
        }
    }
}

/// `m:ItemShape` or `m:FolderShape`: a base shape plus extra field URIs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape {
    /// The base set of properties.
    pub base: BaseShape,
    /// `t:AdditionalProperties/t:FieldURI/@FieldURI` values, e.g. `item:Subject`.
    pub additional: Vec<String>,
}

impl Shape {
    /// A shape with only the given base.
    pub fn base(base: BaseShape) -> Self {
        Self {
            base,
            additional: Vec::new(),
        }
    }

    /// Whether a property (by field URI) belongs in the response.
    pub fn wants(&self, field_uri: &str) -> bool {
        self.base != BaseShape::IdOnly || self.additional.iter().any(|f| f == field_uri)
    }

    /// Writes the shape under `tag` (`m:ItemShape` or `m:FolderShape`).
    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.start(tag, &[]);
        w.leaf("t:BaseShape", self.base.as_str());
        if !self.additional.is_empty() {
            w.start("t:AdditionalProperties", &[]);
            for f in &self.additional {
                w.empty("t:FieldURI", &[("FieldURI", f)]);
            }
            w.end("t:AdditionalProperties");
        }
        w.end(tag);
    }

    /// Reads a shape element.
    pub fn read(el: &Element) -> Result<Self, DecodeError> {
        let base = match el.require_text(ns::TYPES, "BaseShape")?.as_str() {
            "IdOnly" => BaseShape::IdOnly,
            "Default" => BaseShape::Default,
            "AllProperties" => BaseShape::AllProperties,
            other => return Err(DecodeError::invalid("BaseShape", other)),
        };
        let additional = el
            .child(ns::TYPES, "AdditionalProperties")
            .map(|a| {
                a.children
                    .iter()
                    .filter_map(|f| f.attr("FieldURI").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self { base, additional })
    }
}
