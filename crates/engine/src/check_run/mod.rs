//! Check runs: a bulk access check over an organisation's users as a background job,
//! with its results stored in batches as they complete.

mod settings;

pub use settings::CheckRunSettings;
