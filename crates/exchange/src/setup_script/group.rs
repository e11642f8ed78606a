//! The steps both targets share: the group and the management scope over it.

use super::options::GroupKind;
use super::plan::Plan;
use super::quote;
use super::script::{Cmdlet, Script};

/// Where the group goes: on-premises the script names the OU; Exchange Online
/// picks the tenant's own OU, which the plan's DN already names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    InOrganizationalUnit,
    TenantDefault,
}

/// Creates the group with its owners, rules and direct members.
pub(super) fn write_group(script: &mut Script, plan: &Plan, placement: Placement) {
    let group = &plan.group;
    let (kind_text, type_keyword, join) = match group.kind {
        GroupKind::Distribution => ("distribution group", "Distribution", "Closed"),
        GroupKind::Security => (
            "mail-enabled security group",
            "Security",
            "ApprovalRequired",
        ),
    };
    script.step(&format!(
        "the {kind_text} whose direct members are in scope"
    ));
    script
        .comment("Only direct members are in scope: members of a group nested inside it are NOT.");
    script.comment(match group.kind {
        GroupKind::Distribution => {
            "Join and leave are closed: only the owners change who is in it."
        }
        GroupKind::Security => "New members need an owner's approval; leaving is closed.",
    });
    script.comment("The scope below names it by its distinguished name, which must be:");
    script.comment(&format!("  {}", group.dn));
    script.comment(&format!(
        "Check with: Get-DistributionGroup -Identity {} | Format-List DistinguishedName",
        quote::powershell(&group.alias)
    ));
    script.progress(&format!(
        "Creating the {kind_text} {} ({})",
        group.name, group.alias
    ));
    let mut create = Cmdlet::new("New-DistributionGroup")
        .value("Name", &group.name)
        .value("Alias", &group.alias)
        .keyword("Type", type_keyword);
    if placement == Placement::InOrganizationalUnit {
        create = create.value("OrganizationalUnit", &group.organizational_unit);
    }
    if !plan.owners.is_empty() {
        create = create.values("ManagedBy", &plan.owners);
    }
    script.run(
        create
            .keyword("MemberJoinRestriction", join)
            .keyword("MemberDepartRestriction", "Closed"),
    );
    if plan.members.is_empty() {
        script.comment("No members were given: add each mailbox with Add-DistributionGroupMember.");
    } else {
        script.progress(&format!("Adding {} member(s)", plan.members.len()));
    }
    for member in &plan.members {
        script.run(
            Cmdlet::new("Add-DistributionGroupMember")
                .value("Identity", &group.alias)
                .value("Member", member),
        );
    }
}

/// Creates the management scope: recipients that are direct members of the group.
pub(super) fn write_scope(script: &mut Script, plan: &Plan) {
    let filter = format!("MemberOfGroup -eq {}", quote::opath(&plan.group.dn));
    script.step("the management scope: the group's direct members");
    script.comment(&format!("The filter Exchange stores is: {filter}"));
    script.progress(&format!(
        "Creating the management scope {}",
        plan.scope_name
    ));
    script.run(
        Cmdlet::new("New-ManagementScope")
            .value("Name", &plan.scope_name)
            .value("RecipientRestrictionFilter", &filter),
    );
}
