//! The cmdlet shell endpoint (`POST /_sim/shell`): an Exchange setup-guide script
//! run against an empty organisation makes impersonation work exactly for the
//! group's members; a failing script applies nothing; quoted names stay data.

mod support;

use impersync_ews::ResponseCode;
use impersync_exchange_sim::Scenario;
use impersync_exchange_sim::cmdlet::single_quote;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use serde_json::Value;
use support::{TestSim, assert_ews_fault, assert_ews_ok, basic, ews_get_inbox, shell};

const SVC: &str = "MasterImpersonation@contoso.test";
const SVC_PASSWORD: &str = "P@ss-1";

/// An organisation with nothing but its domain and one administrator.
fn empty() -> Scenario {
    Scenario::from_toml(
        r#"
domain = "contoso.test"
netbios = "CONTOSO"

[[users]]
upn = "admin@contoso.test"
password = "Admin-1"
"#,
    )
    .expect("the minimal scenario loads")
}

/// Part one of the setup guide: the service account, users and the group.
const MAILBOXES_AND_GROUP: &str = "\
# Stage I: service account, users and the application group
New-Mailbox -Name MasterImpersonation -UserPrincipalName MasterImpersonation@contoso.test -Password 'P@ss-1'
New-Mailbox -Name alice -UserPrincipalName alice@contoso.test -Password 'Alice-1' -DisplayName 'Alice Archer'
New-Mailbox -Name bob -UserPrincipalName bob@contoso.test -Password 'Bob-1'
New-Mailbox -Name outsider -UserPrincipalName outsider@contoso.test -Password 'Out-1'
New-DistributionGroup -Name RIapplicationGroup -Alias RIAG -Type Distribution `
    -ManagedBy MasterImpersonation -MemberJoinRestriction Closed -MemberDepartRestriction Closed
Add-DistributionGroupMember -Identity RIAG -Member alice@contoso.test
Add-DistributionGroupMember -Identity RIapplicationGroup -Member bob
";

/// Part two: the scope on the group's DN, and the role group.
fn scope_and_role_group(dn: &str) -> String {
    format!(
        "New-ManagementScope -Name RIusersScope -RecipientRestrictionFilter \"MemberOfGroup -eq '{dn}'\"\n\
         New-RoleGroup -Name RIImpersonation -Roles ApplicationImpersonation -Members MasterImpersonation -CustomRecipientWriteScope RIusersScope\n"
    )
}

fn applied(answer: &Value) -> Vec<(u64, String, String)> {
    answer["applied"]
        .as_array()
        .unwrap_or_else(|| panic!("no applied list in {answer}"))
        .iter()
        .map(|o| {
            (
                o["line"].as_u64().unwrap(),
                o["command"].as_str().unwrap().to_string(),
                o["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn as_service_account(sim: &TestSim, target: &str) -> (StatusCode, String) {
    ews_get_inbox(sim, Some(&basic(SVC, SVC_PASSWORD)), Some(target)).await
}

/// Whether a group with this identity exists, asked through the control API.
async fn group_exists(sim: &TestSim, identity: &str) -> bool {
    let path = format!(
        "/_sim/groups/{}/members",
        utf8_percent_encode(identity, NON_ALPHANUMERIC)
    );
    let response = support::client()
        .post(sim.url(&path))
        .json(&serde_json::json!({ "member": "admin@contoso.test" }))
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        204 => true,
        404 => false,
        other => panic!("unexpected {other} for group {identity}"),
    }
}

#[tokio::test]
async fn the_setup_guide_script_makes_impersonation_work_for_group_members_only() {
    let sim = TestSim::start(empty()).await;
    let (status, answer) = shell(&sim, MAILBOXES_AND_GROUP).await;
    assert_eq!(status, 200, "{answer}");
    let outcomes = applied(&answer);
    let commands: Vec<_> = outcomes.iter().map(|(l, c, _)| (*l, c.as_str())).collect();
    assert_eq!(
        commands,
        [
            (2, "New-Mailbox"),
            (3, "New-Mailbox"),
            (4, "New-Mailbox"),
            (5, "New-Mailbox"),
            (6, "New-DistributionGroup"),
            (8, "Add-DistributionGroupMember"),
            (9, "Add-DistributionGroupMember"),
        ]
    );
    let group = &outcomes[4].2;
    let dn = group
        .split_once(" with DN ")
        .unwrap_or_else(|| panic!("no DN in {group:?}"))
        .1;
    assert_eq!(dn, "CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test");

    // The service account exists and signs in, but has no role yet.
    let (status, body) = ews_get_inbox(&sim, Some(&basic(SVC, SVC_PASSWORD)), None).await;
    assert_ews_ok(status, &body);
    let (status, body) = as_service_account(&sim, "alice@contoso.test").await;
    assert_ews_fault(status, &body, ResponseCode::ErrorImpersonateUserDenied);

    let (status, answer) = shell(&sim, &scope_and_role_group(dn)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(applied(&answer).len(), 2);

    for member in ["alice@contoso.test", "bob@contoso.test"] {
        let (status, body) = as_service_account(&sim, member).await;
        assert_ews_ok(status, &body);
    }
    for outsider in ["outsider@contoso.test", "admin@contoso.test"] {
        let (status, body) = as_service_account(&sim, outsider).await;
        assert_ews_fault(status, &body, ResponseCode::ErrorImpersonateUserDenied);
    }
    let (status, body) = as_service_account(&sim, "ghost@contoso.test").await;
    assert_ews_fault(status, &body, ResponseCode::ErrorNonExistentMailbox);

    // Membership changes take effect at once.
    let (status, answer) = shell(
        &sim,
        "Remove-DistributionGroupMember -Identity RIAG -Member bob -Confirm:$false\n\
         Add-DistributionGroupMember -Identity RIAG -Member outsider",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, body) = as_service_account(&sim, "bob@contoso.test").await;
    assert_ews_fault(status, &body, ResponseCode::ErrorImpersonateUserDenied);
    let (status, body) = as_service_account(&sim, "outsider@contoso.test").await;
    assert_ews_ok(status, &body);
}

/// Runs a script that must fail on `line`; its message must contain every one
/// of `needles`, and the group `Temp` created on line 1 must not exist after.
async fn assert_refused_whole(script: &str, line: usize, needles: &[&str]) {
    let sim = TestSim::start(empty()).await;
    let script = format!("New-DistributionGroup -Name Temp -Alias TempAlias\n{script}");
    let (status, answer) = shell(&sim, &script).await;
    assert_eq!(status, 400, "{script}: {answer}");
    let error = answer["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {answer}"));
    assert!(error.contains(&format!("line {line}")), "{error}");
    for needle in needles {
        assert!(
            error.contains(needle),
            "{error:?} should mention {needle:?}"
        );
    }
    assert!(answer.get("applied").is_none(), "{answer}");
    assert!(
        !group_exists(&sim, "Temp").await,
        "a refused script must apply nothing: {script}"
    );
    // A mailbox the script created before failing does not exist either.
    let (status, _) =
        ews_get_inbox(&sim, Some(&basic("early@contoso.test", "Early-1")), None).await;
    assert_eq!(status, 401, "{script}");
}

const EARLY_MAILBOX: &str = "New-Mailbox -Name early -Password 'Early-1'\n";

#[tokio::test]
async fn an_unsupported_cmdlet_refuses_the_whole_script() {
    assert_refused_whole(
        &format!("{EARLY_MAILBOX}Get-Mailbox -Identity admin"),
        3,
        &["Get-Mailbox", "not recognized"],
    )
    .await;
    assert_refused_whole(
        &format!("{EARLY_MAILBOX}Remove-Mailbox -Identity admin -Confirm:$false"),
        3,
        &["Remove-Mailbox"],
    )
    .await;
}

#[tokio::test]
async fn a_bad_filter_property_refuses_the_whole_script() {
    assert_refused_whole(
        &format!(
            "{EARLY_MAILBOX}New-ManagementScope -Name BadScope -RecipientRestrictionFilter \"Title -eq 'x'\""
        ),
        3,
        &["New-ManagementScope", "BadScope", "Title", "unsupported filter property"],
    )
    .await;
    assert_refused_whole(
        &format!(
            "{EARLY_MAILBOX}New-ManagementScope -Name BadScope -RecipientRestrictionFilter \"MemberOfGroup -gt 'x'\""
        ),
        3,
        &["-gt"],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_member_refuses_the_whole_script() {
    assert_refused_whole(
        &format!(
            "{EARLY_MAILBOX}Add-DistributionGroupMember -Identity Temp -Member ghost@contoso.test"
        ),
        3,
        &["ghost@contoso.test"],
    )
    .await;
    assert_refused_whole(
        &format!("{EARLY_MAILBOX}Add-DistributionGroupMember -Identity NoSuchGroup -Member admin"),
        3,
        &["NoSuchGroup"],
    )
    .await;
    assert_refused_whole(
        &format!(
            "{EARLY_MAILBOX}New-RoleGroup -Name RG -Roles ApplicationImpersonation -Members ghost"
        ),
        3,
        &["ghost"],
    )
    .await;
}

#[tokio::test]
async fn other_mistakes_refuse_the_whole_script_and_name_the_line() {
    // A write scope that does not exist.
    assert_refused_whole(
        &format!(
            "{EARLY_MAILBOX}New-RoleGroup -Name RG -Roles ApplicationImpersonation -Members admin -CustomRecipientWriteScope NoScope"
        ),
        3,
        &["NoScope"],
    )
    .await;
    // A missing required parameter, on a continued line.
    assert_refused_whole(
        &format!("{EARLY_MAILBOX}New-ManagementScope `\n  -Name S"),
        3,
        &["RecipientRestrictionFilter"],
    )
    .await;
    // The SecureString form the real shell needs is not emulated: refused, not misread.
    assert_refused_whole(
        &format!(
            "{EARLY_MAILBOX}New-Mailbox -Name x -Password (ConvertTo-SecureString 'a' -AsPlainText -Force)"
        ),
        3,
        &["parenthesised"],
    )
    .await;
    // A pipeline.
    assert_refused_whole(
        &format!("{EARLY_MAILBOX}Get-User admin | Set-User -Department x"),
        3,
        &["pipelines"],
    )
    .await;
    // A duplicate name.
    assert_refused_whole(
        &format!("{EARLY_MAILBOX}New-DistributionGroup -Name Temp"),
        3,
        &["already used"],
    )
    .await;
}

#[tokio::test]
async fn a_hostile_quoted_name_is_one_literal_string() {
    let sim = TestSim::start(empty()).await;
    let (status, answer) = shell(
        &sim,
        "New-Mailbox -Name alice -UserPrincipalName alice@contoso.test -Password 'Alice-1'\n\
         New-DistributionGroup -Name 'x''; Remove-Mailbox -Identity alice; ''' -Alias hostile",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let outcomes = applied(&answer);
    assert_eq!(outcomes.len(), 2, "{answer}");
    let literal = "x'; Remove-Mailbox -Identity alice; '";
    assert_eq!(outcomes[1].1, "New-DistributionGroup");
    assert!(
        outcomes[1]
            .2
            .starts_with(&format!("group {literal} created")),
        "{}",
        outcomes[1].2
    );
    assert!(group_exists(&sim, literal).await);
    assert!(!group_exists(&sim, "x").await);
    // alice is still there and signs in.
    let (status, body) =
        ews_get_inbox(&sim, Some(&basic("alice@contoso.test", "Alice-1")), None).await;
    assert_ews_ok(status, &body);

    // Names quoted with the shared quoting helper read back exactly, typographic
    // quotes included.
    let name = "a\u{2019}; Remove-Mailbox -Identity alice; \u{2018}b'";
    let script = format!(
        "New-DistributionGroup -Name {} -Alias typographic\nAdd-DistributionGroupMember -Identity {} -Member alice",
        single_quote(name),
        single_quote(name)
    );
    let (status, answer) = shell(&sim, &script).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(applied(&answer).len(), 2);
    assert!(group_exists(&sim, name).await);
    let (status, body) =
        ews_get_inbox(&sim, Some(&basic("alice@contoso.test", "Alice-1")), None).await;
    assert_ews_ok(status, &body);
}

#[tokio::test]
async fn a_script_with_windows_line_endings_and_a_script_block_filter_runs() {
    let sim = TestSim::start(empty()).await;
    let script = [
        "<# copied from the setup guide on Windows #>",
        "$svc = 'MasterImpersonation'",
        "New-Mailbox -Name $svc -UserPrincipalName MasterImpersonation@contoso.test -Password 'P@ss-1'",
        "New-Mailbox -Name carol -Password 'Carol-1'; New-Mailbox -Name dan -Password 'Dan-1'",
        "New-DistributionGroup -Name Apps -Type Security -Members carol `",
        "  -ManagedBy $svc",
        "New-ManagementScope -Name AppsScope `",
        "  -RecipientRestrictionFilter {MemberOfGroup -eq 'CN=Apps,OU=Groups,DC=contoso,DC=test'}",
        "New-ManagementRoleAssignment -Name SvcImpersonation -Role ApplicationImpersonation -User $svc -CustomRecipientWriteScope AppsScope",
        "",
    ]
    .join("\r\n");
    let (status, answer) = shell(&sim, &script).await;
    assert_eq!(status, 200, "{answer}");
    let lines: Vec<_> = applied(&answer).iter().map(|(l, _, _)| *l).collect();
    assert_eq!(lines, [3, 4, 4, 5, 7, 9]);
    let (status, body) = as_service_account(&sim, "carol@contoso.test").await;
    assert_ews_ok(status, &body);
    let (status, body) = as_service_account(&sim, "dan@contoso.test").await;
    assert_ews_fault(status, &body, ResponseCode::ErrorImpersonateUserDenied);
}

#[tokio::test]
async fn an_empty_or_comment_only_script_applies_nothing() {
    let sim = TestSim::start(empty()).await;
    for script in ["", "\n\n", "# nothing to do\n<# really\nnothing #>"] {
        let (status, answer) = shell(&sim, script).await;
        assert_eq!(status, 200, "{script:?}: {answer}");
        assert_eq!(answer["applied"], serde_json::json!([]), "{script:?}");
    }
}
