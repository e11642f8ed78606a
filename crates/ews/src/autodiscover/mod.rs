//! Autodiscover in its three forms: POX, SOAP `GetUserSettings` and the v2 JSON endpoint.

mod json;
mod pox;
mod soap;

pub use json::{V2Error, V2Response};
pub use pox::{PoxRequest, PoxResponse, PoxSettings};
pub use soap::{GetUserSettingsRequest, GetUserSettingsResponse, UserResponse};
