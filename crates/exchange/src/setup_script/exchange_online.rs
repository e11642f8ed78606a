//! The Exchange Online PowerShell script: RBAC for Applications, since
//! `ApplicationImpersonation` is retired there. The Entra app itself gets EWS (or
//! Graph) roles, limited to the group's direct members.

use super::group::{Placement, write_group, write_scope};
use super::plan::{App, Plan};
use super::script::{Cmdlet, Script};

/// How many members the verification step checks by name.
const VERIFIED_MEMBERS: usize = 5;

/// The roles assigned to the app, and the Entra permission each one mirrors.
fn roles(app: &App) -> &'static [(&'static str, &'static str)] {
    if app.graph {
        &[
            ("Application Mail.Read", "Mail.Read (Microsoft Graph)"),
            (
                "Application Calendars.Read",
                "Calendars.Read (Microsoft Graph)",
            ),
            (
                "Application Contacts.Read",
                "Contacts.Read (Microsoft Graph)",
            ),
        ]
    } else {
        &[(
            "Application EWS.AccessAsApp",
            "full_access_as_app or EWS.AccessAsApp (Office 365 Exchange Online)",
        )]
    }
}

/// Writes the Exchange Online script for the plan's app.
pub(super) fn write(plan: &Plan, app: &App) -> String {
    let roles = roles(app);
    let mut script = Script::default();
    script.comment("Impersync setup script for Exchange Online: RBAC for Applications.");
    script.comment("Run it in Exchange Online PowerShell, after Connect-ExchangeOnline,");
    script.comment("as an Exchange administrator.");
    script.comment(&format!(
        "The Entra app {} ({}) gets access,",
        app.display_name, app.id
    ));
    script.comment(&format!(
        "limited to the direct members of the group {}.",
        plan.group.name
    ));
    script.comment("IMPORTANT: in Entra ID, remove any tenant-wide (admin-consented) grant of");
    for (_, permission) in roles {
        script.comment(&format!("  {permission}"));
    }
    script.comment(
        "from this app. A tenant-wide grant overrides the scope below and opens every mailbox.",
    );
    write_group(&mut script, plan, Placement::TenantDefault);
    script.step("the app's service principal in Exchange Online");
    script.comment("ObjectId is the object id of the Enterprise application (service principal),");
    script.comment("not of the app registration.");
    script.progress(&format!(
        "Registering the service principal {}",
        app.display_name
    ));
    script.run(
        Cmdlet::new("New-ServicePrincipal")
            .value("AppId", &app.id)
            .value("ObjectId", &app.object_id)
            .value("DisplayName", &app.display_name),
    );
    write_scope(&mut script, plan);
    script.step("the app's roles, limited to the scope");
    script.progress(&format!(
        "Assigning {} role(s) within {}",
        roles.len(),
        plan.scope_name
    ));
    for (role, _) in roles {
        script.run(
            Cmdlet::new("New-ManagementRoleAssignment")
                .value("App", &app.id)
                .value("Role", role)
                .value("CustomResourceScope", &plan.scope_name),
        );
    }
    write_verification(&mut script, plan, app);
    script.finish()
}

fn write_verification(script: &mut Script, plan: &Plan, app: &App) {
    script.step("verify: InScope must be True for members and False for anyone else");
    script.comment("Changes can take 30 minutes to 2 hours to apply to the app.");
    if plan.members.is_empty() {
        script.comment("No members were given: test one with -Resource <address>.");
    }
    for member in plan.members.iter().take(VERIFIED_MEMBERS) {
        script.run(
            Cmdlet::new("Test-ServicePrincipalAuthorization")
                .value("Identity", &app.id)
                .value("Resource", member),
        );
    }
    if plan.members.len() > VERIFIED_MEMBERS {
        script.comment(&format!(
            "{} more member(s) can be checked the same way.",
            plan.members.len() - VERIFIED_MEMBERS
        ));
    }
}
