//! Hostile names cannot run: every name field refuses them with an error naming the
//! field and the value, and the one free-text value (the lab password) stays data
//! when the simulator's parser reads the script.

use impersync_exchange::setup_script::{
    NameKind, SetupOptions, SetupScriptError, Target, generate,
};
use impersync_exchange_sim::Scenario;
use impersync_exchange_sim::cmdlet::parse_script;
use impersync_exchange_sim::directory::Directory;
use impersync_exchange_sim::shell::run_script;

const APP_ID: &str = "6f1d2e3c-4b5a-4c7d-8e9f-0a1b2c3d4e5f";
const OBJECT_ID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// Values that try to leave a quoted string or run something.
const HOSTILE: &[&str] = &[
    "x'; Remove-Mailbox -Identity alice; '",
    "x\u{2019}; Remove-Mailbox -Identity alice; \u{2018}",
    "x\u{201A}; Remove-Mailbox -Identity alice; \u{201B}",
    "$(Remove-Mailbox -Identity alice)",
    "x`; Remove-Mailbox",
    "x\nRemove-Mailbox -Identity alice",
    "x\r\nRemove-Mailbox -Identity alice",
    "x\" ; Remove-Mailbox -Identity alice; \"",
    "x | Remove-Mailbox",
    "x'') -or (MemberOfGroup -ne ''",
    "CN=x,DC=y' -or Department -ne 'z",
];

fn on_premises() -> SetupOptions {
    let mut options = SetupOptions::new("contoso.test");
    options.members = vec!["alice@contoso.test".into()];
    options
}

fn exchange_online() -> SetupOptions {
    let mut options = on_premises();
    options.target = Target::ExchangeOnline;
    options.organizational_unit =
        Some("OU=contoso.onmicrosoft.com,DC=PROD,DC=OUTLOOK,DC=COM".into());
    options.app_id = Some(APP_ID.into());
    options.object_id = Some(OBJECT_ID.into());
    options
}

/// The cmdlet names of a script, in order, as the simulator's parser reads them.
fn cmdlets(script: &str) -> Vec<String> {
    parse_script(script)
        .unwrap_or_else(|e| panic!("{e}\n{script}"))
        .into_iter()
        .map(|c| c.name)
        .collect()
}

/// Sets one field to a hostile value and expects that field to be refused.
fn assert_refused(base: &SetupOptions, field: &str, set: impl Fn(&mut SetupOptions, String)) {
    for hostile in HOSTILE {
        let mut options = base.clone();
        set(&mut options, (*hostile).to_owned());
        match generate(&options) {
            Err(SetupScriptError::InvalidValue {
                field: named,
                value,
                ..
            }) => {
                assert_eq!(named, field, "{hostile:?}");
                assert!(value.contains(hostile), "{value:?} names {hostile:?}");
            }
            other => panic!("{field} = {hostile:?} gave {other:?}"),
        }
    }
}

#[test]
fn every_name_field_refuses_hostile_values() {
    let base = on_premises();
    assert_refused(&base, "domain", |o, v| o.domain = v);
    assert_refused(&base, "service_account", |o, v| o.service_account = v);
    assert_refused(&base, "group_name", |o, v| o.group_name = v);
    assert_refused(&base, "group_alias", |o, v| o.group_alias = Some(v));
    assert_refused(&base, "organizational_unit", |o, v| {
        o.organizational_unit = Some(v)
    });
    assert_refused(&base, "organizational_unit", |o, v| {
        o.organizational_unit = Some(format!("OU={v},DC=contoso,DC=test"))
    });
    assert_refused(&base, "scope_name", |o, v| o.scope_name = v);
    assert_refused(&base, "role_group", |o, v| o.role_group = v);
    assert_refused(&base, "owners", |o, v| o.owners = vec![v]);
    assert_refused(&base, "members", |o, v| o.members.push(v));
    assert_refused(&base, "members", |o, v| {
        o.members.push(format!("{v}@contoso.test"))
    });

    let online = exchange_online();
    assert_refused(&online, "app_id", |o, v| o.app_id = Some(v));
    assert_refused(&online, "object_id", |o, v| o.object_id = Some(v));
    assert_refused(&online, "app_display_name", |o, v| o.app_display_name = v);
}

#[test]
fn the_error_says_what_is_wrong_and_how_to_fix_it() {
    let mut options = on_premises();
    options.group_name = "x'; Remove-Mailbox -Identity alice; '".into();
    let error = generate(&options).expect_err("refused");
    assert!(matches!(
        error,
        SetupScriptError::InvalidValue {
            kind: NameKind::Name,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "group_name \"x'; Remove-Mailbox -Identity alice; '\" is not a valid name: the \
         character '\\'' is not allowed. Use 1 to 64 of the characters A-Z, a-z, 0-9, \
         space, '.', '_' and '-', not starting or ending with a space"
    );
}

#[test]
fn a_hostile_lab_password_stays_a_string() {
    let directory = Directory::from_scenario(
        &Scenario::from_toml(
            "domain = \"contoso.test\"\nnetbios = \"CONTOSO\"\n\
             [[users]]\nupn = \"alice@contoso.test\"\npassword = \"User-1\"\n",
        )
        .expect("scenario loads"),
    )
    .expect("directory builds");
    let passwords = HOSTILE
        .iter()
        .filter(|p| !p.contains(['\n', '\r']))
        .chain(&[
            "''",
            "\u{2019}\u{2019}\u{2019}",
            "`",
            "$Password",
            "#",
            "<#",
        ]);
    for password in passwords {
        let mut options = on_premises();
        options.lab_password = Some((*password).to_owned());
        let script = generate(&options).expect("a lab password may hold any printable text");
        let commands = parse_script(&script).unwrap_or_else(|e| panic!("{e}\n{script}"));
        let mailbox = commands
            .iter()
            .find(|c| c.is("New-Mailbox"))
            .expect("the script creates the mailbox");
        assert_eq!(mailbox.string("Password"), Ok(*password), "{script}");
        assert!(!cmdlets(&script).iter().any(|c| c == "Remove-Mailbox"));

        let (after, _) = run_script(&directory, &script).unwrap_or_else(|e| panic!("{e}"));
        let service = after
            .find_user("MasterImpersonation@contoso.test")
            .expect("service account created");
        assert_eq!(after.user(service).password, *password);
    }
}

#[test]
fn lab_passwords_with_line_breaks_are_refused() {
    let mut options = on_premises();
    options.lab_password = Some("x\nRemove-Mailbox -Identity alice".into());
    assert!(matches!(
        generate(&options),
        Err(SetupScriptError::InvalidValue {
            field: "lab_password",
            kind: NameKind::Password,
            ..
        })
    ));
}

#[test]
fn scripts_contain_only_the_expected_cmdlets() {
    let mut options = on_premises();
    options.members.push("bob@contoso.test".into());
    options.owners = vec!["admin@contoso.test".into()];
    options.lab_password = Some("Lab-1".into());
    assert_eq!(
        cmdlets(&generate(&options).expect("valid")),
        [
            "Write-Warning",
            "Write-Host",
            "New-Mailbox",
            "Write-Host",
            "New-DistributionGroup",
            "Write-Host",
            "Add-DistributionGroupMember",
            "Add-DistributionGroupMember",
            "Write-Host",
            "New-ManagementScope",
            "Write-Host",
            "New-RoleGroup",
            "Write-Host",
        ]
    );

    let mut options = exchange_online();
    options.graph = true;
    assert_eq!(
        cmdlets(&generate(&options).expect("valid")),
        [
            "Write-Host",
            "New-DistributionGroup",
            "Write-Host",
            "Add-DistributionGroupMember",
            "Write-Host",
            "New-ServicePrincipal",
            "Write-Host",
            "New-ManagementScope",
            "Write-Host",
            "New-ManagementRoleAssignment",
            "New-ManagementRoleAssignment",
            "New-ManagementRoleAssignment",
            "Test-ServicePrincipalAuthorization",
        ]
    );
}

#[test]
fn the_scope_filter_names_exactly_the_group() {
    let mut options = on_premises();
    options.lab_password = Some("Lab-1".into());
    let commands = parse_script(&generate(&options).expect("valid")).expect("parses");
    let scope = commands
        .iter()
        .find(|c| c.is("New-ManagementScope"))
        .expect("a scope");
    assert_eq!(
        scope.string("RecipientRestrictionFilter"),
        Ok("MemberOfGroup -eq 'CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test'")
    );
}
