//! What the generated scripts say: the setup guide's defaults, the password prompt,
//! the Exchange Online RBAC-for-Applications steps, and the errors for options that
//! are missing, malformed or meant for the other target.

use impersync_exchange::setup_script::{
    GroupKind, NameKind, SetupOptions, SetupScriptError, Target, generate,
};

const APP_ID: &str = "6f1d2e3c-4b5a-4c7d-8e9f-0a1b2c3d4e5f";
const OBJECT_ID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const TENANT_OU: &str = "OU=contoso.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM";

fn on_premises() -> SetupOptions {
    let mut options = SetupOptions::new("contoso.test");
    options.owners = vec!["admin@contoso.test".into()];
    options.members = vec!["alice@contoso.test".into()];
    options
}

fn exchange_online() -> SetupOptions {
    let mut options = on_premises();
    options.target = Target::ExchangeOnline;
    options.organizational_unit = Some(TENANT_OU.into());
    options.app_id = Some(APP_ID.into());
    options.object_id = Some(OBJECT_ID.into());
    options
}

fn script(options: &SetupOptions) -> String {
    generate(options).unwrap_or_else(|e| panic!("{e}"))
}

fn lines_starting(script: &str, prefix: &str) -> Vec<String> {
    script
        .lines()
        .filter(|line| line.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_default_on_premises_script_follows_the_setup_guide() {
    let expected = "\
# Impersync setup script for Exchange Server (on-premises), Stage I of the setup guide.
# Run it in the Exchange Management Shell as a member of Organization Management.
# The service account MasterImpersonation@contoso.test gets ApplicationImpersonation,
# limited to the direct members of the group RIapplicationGroup.

# Step 1: the service account's mailbox
# The password is typed in when the script runs; it is not stored in this file.
$Password = Read-Host -AsSecureString -Prompt 'Password for the service account MasterImpersonation@contoso.test'
Write-Host 'Creating the mailbox MasterImpersonation@contoso.test'
New-Mailbox -Name 'MasterImpersonation' -UserPrincipalName 'MasterImpersonation@contoso.test' -Password $Password

# Step 2: the distribution group whose direct members are in scope
# Only direct members are in scope: members of a group nested inside it are NOT.
# Join and leave are closed: only the owners change who is in it.
# The scope below names it by its distinguished name, which must be:
#   CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test
# Check with: Get-DistributionGroup -Identity 'RIAG' | Format-List DistinguishedName
Write-Host 'Creating the distribution group RIapplicationGroup (RIAG)'
New-DistributionGroup -Name 'RIapplicationGroup' -Alias 'RIAG' -Type Distribution -OrganizationalUnit 'OU=Groups,DC=contoso,DC=test' -ManagedBy 'admin@contoso.test' -MemberJoinRestriction Closed -MemberDepartRestriction Closed
Write-Host 'Adding 1 member(s)'
Add-DistributionGroupMember -Identity 'RIAG' -Member 'alice@contoso.test'

# Step 3: the management scope: the group's direct members
# The filter Exchange stores is: MemberOfGroup -eq 'CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test'
Write-Host 'Creating the management scope RIusersScope'
New-ManagementScope -Name 'RIusersScope' -RecipientRestrictionFilter 'MemberOfGroup -eq ''CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test'''

# Step 4: the role group that grants ApplicationImpersonation within the scope
Write-Host 'Creating the role group RIImpersonation'
New-RoleGroup -Name 'RIImpersonation' -Roles ApplicationImpersonation -Members 'MasterImpersonation@contoso.test' -CustomRecipientWriteScope 'RIusersScope'

Write-Host 'Done. Next, run Stage II: impersync check-access.'
";
    assert_eq!(script(&on_premises()), expected);
}

#[test]
fn a_lab_password_replaces_the_prompt_and_is_flagged() {
    let mut options = on_premises();
    options.lab_password = Some("Lab-1".into());
    let text = script(&options);
    assert!(
        !text.contains("Read-Host") && !text.contains("$Password"),
        "{text}"
    );
    assert_eq!(
        lines_starting(&text, "New-Mailbox"),
        [
            "New-Mailbox -Name 'MasterImpersonation' -UserPrincipalName \
          'MasterImpersonation@contoso.test' -Password 'Lab-1'"
        ]
    );
    assert!(text.contains("# LAB ONLY: the password is written below in plain text."));
    assert_eq!(lines_starting(&text, "Write-Warning").len(), 1);
}

#[test]
fn a_security_group_needs_owner_approval_and_is_called_risg() {
    let mut options = on_premises();
    options.group_kind = GroupKind::Security;
    let text = script(&options);
    assert_eq!(
        lines_starting(&text, "New-DistributionGroup"),
        [
            "New-DistributionGroup -Name 'RIapplicationGroup' -Alias 'RISG' -Type Security \
          -OrganizationalUnit 'OU=Groups,DC=contoso,DC=test' -ManagedBy 'admin@contoso.test' \
          -MemberJoinRestriction ApprovalRequired -MemberDepartRestriction Closed"
        ]
    );
    assert_eq!(
        lines_starting(&text, "Add-DistributionGroupMember"),
        ["Add-DistributionGroupMember -Identity 'RISG' -Member 'alice@contoso.test'"]
    );

    options.group_alias = Some("Impersync-SG".into());
    assert!(script(&options).contains("-Alias 'Impersync-SG'"));
}

#[test]
fn owners_and_members_are_listed_once_each() {
    let mut options = on_premises();
    options.owners = vec![
        "a@contoso.test".into(),
        "b@contoso.test".into(),
        "A@contoso.test".into(),
    ];
    options.members = vec!["bob@contoso.test".into(), "BOB@contoso.test".into()];
    let text = script(&options);
    assert!(
        text.contains(" -ManagedBy 'a@contoso.test','b@contoso.test' "),
        "{text}"
    );
    assert_eq!(
        lines_starting(&text, "Add-DistributionGroupMember").len(),
        1
    );

    options.owners.clear();
    options.members.clear();
    let text = script(&options);
    assert!(!text.contains("-ManagedBy"));
    assert!(text.contains("# No members were given"));
}

#[test]
fn exchange_online_uses_rbac_for_applications() {
    let text = script(&exchange_online());
    for absent in [
        "New-Mailbox",
        "New-RoleGroup",
        "ApplicationImpersonation",
        "-OrganizationalUnit",
    ] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }
    assert_eq!(
        lines_starting(&text, "New-ServicePrincipal"),
        [format!(
            "New-ServicePrincipal -AppId '{APP_ID}' -ObjectId '{OBJECT_ID}' -DisplayName 'Impersync'"
        )]
    );
    assert_eq!(
        lines_starting(&text, "New-ManagementScope"),
        [format!(
            "New-ManagementScope -Name 'RIusersScope' -RecipientRestrictionFilter \
             'MemberOfGroup -eq ''CN=RIapplicationGroup,{TENANT_OU}'''"
        )]
    );
    assert_eq!(
        lines_starting(&text, "New-ManagementRoleAssignment"),
        [format!(
            "New-ManagementRoleAssignment -App '{APP_ID}' -Role 'Application EWS.AccessAsApp' \
             -CustomResourceScope 'RIusersScope'"
        )]
    );
    assert_eq!(
        lines_starting(&text, "Test-ServicePrincipalAuthorization"),
        [format!(
            "Test-ServicePrincipalAuthorization -Identity '{APP_ID}' -Resource 'alice@contoso.test'"
        )]
    );
    assert!(text.contains("# IMPORTANT: in Entra ID, remove any tenant-wide"));
    assert!(
        text.contains("#   full_access_as_app or EWS.AccessAsApp (Office 365 Exchange Online)")
    );
    assert!(text.contains("A tenant-wide grant overrides the scope below"));
}

#[test]
fn graph_assigns_mail_calendar_and_contacts_read() {
    let mut options = exchange_online();
    options.graph = true;
    let text = script(&options);
    let roles: Vec<String> = lines_starting(&text, "New-ManagementRoleAssignment")
        .iter()
        .map(|line| {
            line.split("-Role '")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        roles,
        [
            "Application Mail.Read",
            "Application Calendars.Read",
            "Application Contacts.Read"
        ]
    );
    assert!(!text.contains("EWS.AccessAsApp"));
    assert!(text.contains("#   Mail.Read (Microsoft Graph)"));
}

#[test]
fn verification_checks_the_first_five_members() {
    let mut options = exchange_online();
    options.members = (1..=8).map(|n| format!("user{n}@contoso.test")).collect();
    let text = script(&options);
    let tested = lines_starting(&text, "Test-ServicePrincipalAuthorization");
    assert_eq!(tested.len(), 5);
    assert!(tested[4].ends_with("-Resource 'user5@contoso.test'"));
    assert!(text.contains("# 3 more member(s) can be checked the same way."));
}

#[test]
fn exchange_online_needs_the_app_and_the_tenant_ou() {
    let missing = |clear: fn(&mut SetupOptions)| {
        let mut options = exchange_online();
        clear(&mut options);
        match generate(&options) {
            Err(SetupScriptError::Missing { field, target, .. }) => {
                assert_eq!(target, Target::ExchangeOnline);
                field
            }
            other => panic!("expected a missing field, got {other:?}"),
        }
    };
    assert_eq!(missing(|o| o.app_id = None), "app_id");
    assert_eq!(missing(|o| o.object_id = None), "object_id");
    assert_eq!(
        missing(|o| o.organizational_unit = None),
        "organizational_unit"
    );

    let mut options = exchange_online();
    options.app_id = None;
    assert_eq!(
        generate(&options).unwrap_err().to_string(),
        "app_id is required for exchange-online scripts: give the Application (client) ID \
         of the app registration in Entra ID"
    );

    options.app_id = Some("{6f1d2e3c-4b5a-4c7d-8e9f-0a1b2c3d4e5f}".into());
    assert!(matches!(
        generate(&options),
        Err(SetupScriptError::InvalidValue {
            field: "app_id",
            kind: NameKind::Guid,
            ..
        })
    ));
}

#[test]
fn options_for_the_other_target_are_refused() {
    let not_for = |options: SetupOptions| match generate(&options) {
        Err(SetupScriptError::NotForTarget { field, .. }) => field,
        other => panic!("expected NotForTarget, got {other:?}"),
    };
    let mut options = on_premises();
    options.app_id = Some(APP_ID.into());
    assert_eq!(not_for(options), "app_id");
    let mut options = on_premises();
    options.graph = true;
    assert_eq!(not_for(options), "graph");
    let mut options = exchange_online();
    options.lab_password = Some("Lab-1".into());
    assert_eq!(not_for(options.clone()), "lab_password");
    assert_eq!(
        generate(&options).unwrap_err().to_string(),
        "lab_password does not apply to exchange-online scripts; leave it unset or change \
         the target"
    );
}

#[test]
fn targets_and_group_kinds_parse_from_their_names() {
    for (text, target) in [
        ("on-premises", Target::OnPremises),
        ("On-Prem", Target::OnPremises),
        ("exchange-online", Target::ExchangeOnline),
        ("EXO", Target::ExchangeOnline),
    ] {
        assert_eq!(text.parse(), Ok(target));
    }
    assert_eq!(Target::ExchangeOnline.to_string(), "exchange-online");
    assert_eq!(
        "cloud".parse::<Target>().unwrap_err().to_string(),
        "unknown target \"cloud\": use on-premises or exchange-online"
    );
    assert_eq!("Security".parse(), Ok(GroupKind::Security));
    assert_eq!("distribution".parse(), Ok(GroupKind::Distribution));
    assert_eq!(GroupKind::Security.to_string(), "security");
    assert_eq!(
        "m365".parse::<GroupKind>().unwrap_err().to_string(),
        "unknown group kind \"m365\": use distribution or security"
    );
}
