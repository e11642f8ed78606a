//! Access checks: the "Service Account Access" test, step by step, and its bulk form.

mod bulk;
mod csv;
mod probe;
mod single;
mod step;

pub use bulk::{BulkOptions, BulkResult, UserResult, bulk_check, check_stream, summarize};
pub use csv::{CSV_HEADER, csv_line};
pub use single::{CheckOptions, CheckReport, EwsSource, check_access};
pub use step::{Step, StepStatus};
