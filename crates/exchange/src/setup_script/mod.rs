//! The Exchange setup script (Stage I of the setup guide), written for an admin to run.
//!
//! - [`Target::OnPremises`]: an Exchange Management Shell script that creates the service
//!   account's mailbox, the group, the management scope over the group's direct members
//!   and a role group granting `ApplicationImpersonation` within that scope.
//! - [`Target::ExchangeOnline`]: RBAC for Applications, since `ApplicationImpersonation`
//!   is retired there: the same group and scope, the app's service principal, scoped
//!   EWS (or Graph) role assignments and `Test-ServicePrincipalAuthorization` checks.
//!
//! Every name is checked against the rules of its kind ([`NameKind`]) and then written
//! as a PowerShell single-quoted string, so a name such as `x'; Remove-Mailbox` is
//! refused, and would stay text even if it were not.

mod error;
mod exchange_online;
mod group;
mod members;
mod names;
mod on_premises;
mod options;
mod plan;
mod quote;
mod script;

pub use error::{MemberLineError, SetupScriptError};
pub use members::read_members;
pub use names::NameKind;
pub use options::{
    DEFAULT_APP_DISPLAY_NAME, DEFAULT_GROUP_NAME, DEFAULT_ROLE_GROUP, DEFAULT_SCOPE_NAME,
    DEFAULT_SERVICE_ACCOUNT, GroupKind, SetupOptions, Target,
};

use plan::{Plan, Principal};

/// Writes the setup script for the options' target, or says which option is wrong.
pub fn generate(options: &SetupOptions) -> Result<String, SetupScriptError> {
    let plan = Plan::new(options)?;
    Ok(match &plan.principal {
        Principal::ServiceAccount { lab_password } => {
            on_premises::write(&plan, lab_password.as_deref())
        }
        Principal::App(app) => exchange_online::write(&plan, app),
    })
}
