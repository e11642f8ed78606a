//! The API's handlers, one file per resource.

pub mod activation;
pub mod audit;
pub mod changes;
pub mod check_runs;
mod csv;
pub mod email_config;
pub mod ews_url;
pub mod health;
pub mod items;
pub mod m365_oauth;
pub mod mailbox_sync;
pub mod mailboxes;
pub mod metrics;
pub mod oauth_callback;
pub mod orgs;
mod params;
pub mod rooms;
pub mod session;
pub mod tokens;
pub mod users;
pub mod webhooks;

use serde::Deserialize;
use utoipa::IntoParams;

/// `?page=&per_page=` (page from 1).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The page, from 1.
    pub page: Option<u64>,
    /// Rows per page (1 to 1000, default 50).
    pub per_page: Option<u32>,
}

impl Paging {
    /// The store's page request.
    pub fn request(&self) -> impersync_store::PageRequest {
        let per_page = self.per_page.unwrap_or(50).clamp(1, 1000);
        let page = self.page.unwrap_or(1).max(1);
        impersync_store::PageRequest::new((page - 1).saturating_mul(u64::from(per_page)), per_page)
    }
}
