//! Indexed paging (`IndexedPageItemView`, `IndexedPageFolderView`) and paged results.

use crate::error::DecodeError;
use crate::xml::{Element, XmlWriter};

/// Where an indexed page's offset counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasePoint {
    /// From the first entry.
    #[default]
    Beginning,
    /// From the last entry backwards.
    End,
}

/// A request for one page: at most `max_entries` from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexedPage {
    /// `@MaxEntriesReturned`; `None` means all.
    pub max_entries: Option<u32>,
    /// `@Offset`.
    pub offset: u32,
    /// `@BasePoint`.
    pub base_point: BasePoint,
}

impl IndexedPage {
    /// Writes the view element (`m:IndexedPageItemView` or `m:IndexedPageFolderView`).
    pub(crate) fn write(&self, w: &mut XmlWriter, tag: &str) {
        let offset = self.offset.to_string();
        let base = match self.base_point {
            BasePoint::Beginning => "Beginning",
            BasePoint::End => "End",
        };
        match self.max_entries {
            Some(max) => {
                let max = max.to_string();
                w.empty(
                    tag,
                    &[
                        ("MaxEntriesReturned", &max),
                        ("Offset", &offset),
                        ("BasePoint", base),
                    ],
                );
            }
            None => w.empty(tag, &[("Offset", &offset), ("BasePoint", base)]),
        }
    }

    /// Reads a view element.
    pub(crate) fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            max_entries: el.attr_parse("MaxEntriesReturned")?,
            offset: el.attr_parse("Offset")?.unwrap_or(0),
            base_point: match el.attr("BasePoint") {
                None | Some("Beginning") => BasePoint::Beginning,
                Some("End") => BasePoint::End,
                Some(other) => return Err(DecodeError::invalid("BasePoint", other)),
            },
        })
    }

    /// The half-open index range this page selects out of `total` entries.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let max = self.max_entries.map_or(total, |m| m as usize);
        let offset = (self.offset as usize).min(total);
        match self.base_point {
            BasePoint::Beginning => offset..(offset + max).min(total),
            BasePoint::End => {
                let end = total - offset;
                end.saturating_sub(max)..end
            }
        }
    }
}

/// `m:RootFolder`: one page of results and where it sits in the whole view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page<T> {
    /// `@IndexedPagingOffset`: the offset of the next page.
    pub next_offset: Option<u32>,
    /// `@TotalItemsInView`.
    pub total_items_in_view: u32,
    /// `@IncludesLastItemInRange`.
    pub includes_last_item_in_range: bool,
    /// The entries of this page.
    pub entries: Vec<T>,
}

impl<T> Page<T> {
    /// Writes `<m:RootFolder ...><{list_tag}>entries</{list_tag}></m:RootFolder>`.
    pub(crate) fn write(
        &self,
        w: &mut XmlWriter,
        list_tag: &str,
        entry: impl Fn(&mut XmlWriter, &T),
    ) {
        let total = self.total_items_in_view.to_string();
        let last = if self.includes_last_item_in_range {
            "true"
        } else {
            "false"
        };
        let offset = self.next_offset.map(|o| o.to_string());
        let mut attrs = Vec::with_capacity(3);
        if let Some(o) = &offset {
            attrs.push(("IndexedPagingOffset", o.as_str()));
        }
        attrs.push(("TotalItemsInView", total.as_str()));
        attrs.push(("IncludesLastItemInRange", last));
        w.start("m:RootFolder", &attrs);
        w.start(list_tag, &[]);
        for e in &self.entries {
            entry(w, e);
        }
        w.end(list_tag);
        w.end("m:RootFolder");
    }

    /// Reads `m:RootFolder` from a response message.
    pub(crate) fn read(
        message: &Element,
        list_name: &str,
        entries: impl Fn(&Element) -> Result<Vec<T>, DecodeError>,
    ) -> Result<Self, DecodeError> {
        let root = message.require(crate::ns::MESSAGES, "RootFolder")?;
        Ok(Self {
            next_offset: root.attr_parse("IndexedPagingOffset")?,
            total_items_in_view: root.attr_parse("TotalItemsInView")?.unwrap_or(0),
            includes_last_item_in_range: root
                .attr_parse("IncludesLastItemInRange")?
                .unwrap_or(true),
            entries: match root.child(crate::ns::TYPES, list_name) {
                Some(list) => entries(list)?,
                None => Vec::new(),
            },
        })
    }
}
