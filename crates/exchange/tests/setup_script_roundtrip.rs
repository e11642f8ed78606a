//! The generated on-premises script, run by the simulator's shell against an
//! organisation that has only its users, makes impersonation work for the group's
//! direct members and for no one else.

use impersync_exchange::setup_script::{GroupKind, SetupOptions, generate};
use impersync_exchange_sim::Scenario;
use impersync_exchange_sim::directory::{Directory, ImpersonationRefusal, UserNo};
use impersync_exchange_sim::scenario::GroupKind as SimGroupKind;
use impersync_exchange_sim::shell::run_script;

const SERVICE: &str = "MasterImpersonation@contoso.test";
const LAB_PASSWORD: &str = "Lab-Only-1";

/// Users with mailboxes, an owner, and no service account, group, scope or role.
fn users_only() -> Directory {
    let scenario = Scenario::from_toml(
        r#"
domain = "contoso.test"
netbios = "CONTOSO"

[[users]]
upn = "admin@contoso.test"
password = "Admin-1"

[[users]]
upn = "alice@contoso.test"
password = "User-1"

[[users]]
upn = "bob@contoso.test"
password = "User-1"

[[users]]
upn = "dave@contoso.test"
password = "User-1"

[[users]]
upn = "erin@contoso.test"
password = "User-1"
"#,
    )
    .expect("the scenario loads");
    Directory::from_scenario(&scenario).expect("the directory builds")
}

fn lab_options() -> SetupOptions {
    let mut options = SetupOptions::new("contoso.test");
    options.members = vec!["alice@contoso.test".into(), "bob@contoso.test".into()];
    options.owners = vec!["admin@contoso.test".into()];
    options.lab_password = Some(LAB_PASSWORD.into());
    options
}

/// Generates the script and applies it; panics with the script on failure.
fn apply(options: &SetupOptions) -> Directory {
    let script = generate(options).expect("the options are valid");
    let (directory, _) = run_script(&users_only(), &script)
        .unwrap_or_else(|e| panic!("the simulator refused the script: {e}\n{script}"));
    directory
}

fn user(directory: &Directory, address: &str) -> UserNo {
    directory
        .find_user(address)
        .unwrap_or_else(|| panic!("{address} exists"))
}

fn may_impersonate(directory: &Directory, target: &str) -> Result<(), ImpersonationRefusal> {
    directory.may_impersonate(user(directory, SERVICE), user(directory, target))
}

fn assert_only_members_in_scope(directory: &Directory) {
    assert_eq!(may_impersonate(directory, "alice@contoso.test"), Ok(()));
    assert_eq!(may_impersonate(directory, "bob@contoso.test"), Ok(()));
    assert_eq!(
        may_impersonate(directory, "erin@contoso.test"),
        Err(ImpersonationRefusal::OutOfScope)
    );
}

#[test]
fn distribution_group_script_scopes_impersonation_to_members() {
    let directory = apply(&lab_options());
    assert_only_members_in_scope(&directory);

    let service = directory.user(user(&directory, SERVICE));
    assert_eq!(service.password, LAB_PASSWORD);
    assert!(service.mailbox.is_some(), "the script creates the mailbox");
    let group = directory.group(directory.find_group("RIAG").expect("RIAG exists"));
    assert_eq!(group.name, "RIapplicationGroup");
    assert_eq!(
        group.dn,
        "CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test"
    );
    assert_eq!(group.kind, SimGroupKind::Distribution);
    assert_eq!(
        (
            group.join_restriction.as_str(),
            group.depart_restriction.as_str()
        ),
        ("Closed", "Closed")
    );
    assert_eq!(group.owners, vec![user(&directory, "admin@contoso.test")]);
}

#[test]
fn security_group_script_scopes_impersonation_to_members() {
    let mut options = lab_options();
    options.group_kind = GroupKind::Security;
    let directory = apply(&options);
    assert_only_members_in_scope(&directory);

    let group = directory.group(directory.find_group("RISG").expect("RISG exists"));
    assert_eq!(group.kind, SimGroupKind::Security);
    assert_eq!(group.join_restriction, "ApprovalRequired");
    assert_eq!(group.depart_restriction, "Closed");
}

#[test]
fn a_member_of_a_nested_group_is_not_in_scope() {
    let directory = apply(&lab_options());
    let nesting = "\
New-DistributionGroup -Name 'Nested' -Alias 'Nested'
Add-DistributionGroupMember -Identity 'Nested' -Member 'dave@contoso.test'
Add-DistributionGroupMember -Identity 'RIAG' -Member 'Nested'
";
    let (directory, _) = run_script(&directory, nesting).expect("nesting applies");
    assert_eq!(
        may_impersonate(&directory, "dave@contoso.test"),
        Err(ImpersonationRefusal::OutOfScope)
    );
    assert_only_members_in_scope(&directory);
}

#[test]
fn custom_names_and_organizational_unit_line_up() {
    let mut options = lab_options();
    options.service_account = "svc.impersync".into();
    options.group_name = "Impersync Users".into();
    options.group_alias = Some("impersync-users".into());
    options.organizational_unit = Some("OU=Mail Groups,OU=Corp,DC=contoso,DC=test".into());
    options.scope_name = "Impersync scope".into();
    options.role_group = "Impersync Impersonation".into();
    let directory = apply(&options);

    let group = directory.group(
        directory
            .find_group("impersync-users")
            .expect("group exists"),
    );
    assert_eq!(
        group.dn,
        "CN=Impersync Users,OU=Mail Groups,OU=Corp,DC=contoso,DC=test"
    );
    let service = user(&directory, "svc.impersync@contoso.test");
    let member = user(&directory, "alice@contoso.test");
    let outsider = user(&directory, "erin@contoso.test");
    assert_eq!(directory.may_impersonate(service, member), Ok(()));
    assert_eq!(
        directory.may_impersonate(service, outsider),
        Err(ImpersonationRefusal::OutOfScope)
    );
}
