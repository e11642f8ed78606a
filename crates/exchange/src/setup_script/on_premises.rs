//! The Exchange Management Shell script for Exchange Server: `ApplicationImpersonation`
//! through a role group, limited to the group's direct members.

use super::group::{Placement, write_group, write_scope};
use super::plan::Plan;
use super::script::{Cmdlet, Script};

/// The variable the real script reads the password into.
const PASSWORD_VARIABLE: &str = "Password";

/// Writes the on-premises script; `lab_password`, if given, is written in plain text.
pub(super) fn write(plan: &Plan, lab_password: Option<&str>) -> String {
    let mut script = Script::default();
    script.comment(
        "Impersync setup script for Exchange Server (on-premises), Stage I of the setup guide.",
    );
    script
        .comment("Run it in the Exchange Management Shell as a member of Organization Management.");
    script.comment(&format!(
        "The service account {} gets ApplicationImpersonation,",
        plan.service_upn
    ));
    script.comment(&format!(
        "limited to the direct members of the group {}.",
        plan.group.name
    ));
    write_service_account(&mut script, plan, lab_password);
    write_group(&mut script, plan, Placement::InOrganizationalUnit);
    write_scope(&mut script, plan);
    script.step("the role group that grants ApplicationImpersonation within the scope");
    script.progress(&format!("Creating the role group {}", plan.role_group));
    script.run(
        Cmdlet::new("New-RoleGroup")
            .value("Name", &plan.role_group)
            .keyword("Roles", "ApplicationImpersonation")
            .value("Members", &plan.service_upn)
            .value("CustomRecipientWriteScope", &plan.scope_name),
    );
    script.blank();
    script.progress("Done. Next, run Stage II: impersync check-access.");
    script.finish()
}

fn write_service_account(script: &mut Script, plan: &Plan, lab_password: Option<&str>) {
    script.step("the service account's mailbox");
    let mailbox = Cmdlet::new("New-Mailbox")
        .value("Name", &plan.service_account)
        .value("UserPrincipalName", &plan.service_upn);
    let mailbox = match lab_password {
        None => {
            script.comment(
                "The password is typed in when the script runs; it is not stored in this file.",
            );
            script.assign(
                PASSWORD_VARIABLE,
                Cmdlet::new("Read-Host").switch("AsSecureString").value(
                    "Prompt",
                    &format!("Password for the service account {}", plan.service_upn),
                ),
            );
            mailbox.variable("Password", PASSWORD_VARIABLE)
        }
        Some(password) => {
            script.comment("LAB ONLY: the password is written below in plain text.");
            script.run(Cmdlet::new("Write-Warning").value(
                "Message",
                "Lab script: it holds a password in plain text. Never use it for a real organisation.",
            ));
            mailbox.value("Password", password)
        }
    };
    script.progress(&format!("Creating the mailbox {}", plan.service_upn));
    script.run(mailbox);
}
