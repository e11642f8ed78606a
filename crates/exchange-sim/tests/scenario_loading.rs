//! Scenario loading: the demo loads, and every inconsistent scenario is refused
//! with a `ScenarioError` whose message names the problem.

use impersync_exchange_sim::scenario::{DEMO_TOML, ScenarioError};
use impersync_exchange_sim::{Scenario, Sim};

/// A valid organisation to which each case adds one mistake.
const BASE: &str = r#"
domain = "contoso.test"
netbios = "CONTOSO"

[[users]]
upn = "svc@contoso.test"
password = "Svc-1"

[[users]]
upn = "alice@contoso.test"
password = "Alice-1"

[[groups]]
name = "Apps"
members = ["alice@contoso.test"]

[[scopes]]
name = "AppsScope"
recipient_restriction_filter = "MemberOfGroup -eq 'CN=Apps,OU=Groups,DC=contoso,DC=test'"
"#;

/// Loads text as the simulator does: parse, then build the directory.
fn load(text: &str) -> Result<Sim, ScenarioError> {
    Sim::new(Scenario::from_toml(text)?)
}

/// Asserts that `extra` added to the base scenario is refused, naming every needle.
fn assert_refused(extra: &str, needles: &[&str]) -> ScenarioError {
    let text = format!("{BASE}\n{extra}");
    let error = match load(&text) {
        Ok(_) => panic!("scenario should be refused:\n{extra}"),
        Err(e) => e,
    };
    let message = error.to_string();
    for needle in needles {
        assert!(
            message.contains(needle),
            "{message:?} should mention {needle:?}"
        );
    }
    error
}

#[test]
fn the_demo_loads() {
    let demo = Scenario::demo();
    assert_eq!(demo.domain, "contoso.test");
    assert_eq!(demo.netbios, "CONTOSO");
    let sim = Sim::new(demo).expect("the demo builds");
    let dir = sim.read();
    for user in [
        "MasterImpersonation@contoso.test",
        "CONTOSO\\MasterImpersonation",
        "alice@contoso.test",
        "frank@contoso.test",
    ] {
        assert!(dir.find_user(user).is_some(), "{user}");
    }
    let master = dir.find_user("MasterImpersonation").unwrap();
    let alice = dir.find_user("alice@contoso.test").unwrap();
    let dave = dir.find_user("dave@contoso.test").unwrap();
    assert!(dir.may_impersonate(master, alice).is_ok());
    assert!(
        dir.may_impersonate(master, dave).is_err(),
        "nested members are out of scope"
    );
    assert!(
        dir.find_group("CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test")
            .is_some()
    );
}

#[test]
fn the_demo_loads_by_name_and_from_a_file() {
    let by_name = Scenario::load("demo").unwrap();
    assert_eq!(by_name.users.len(), Scenario::demo().users.len());

    let dir = std::env::temp_dir().join(format!("impersync-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo-copy.toml");
    std::fs::write(&path, DEMO_TOML).unwrap();
    let from_file = Scenario::load(path.to_str().unwrap()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_file.users.len(), by_name.users.len());
    assert_eq!(from_file.seed, by_name.seed);
    Sim::new(from_file).unwrap();
}

#[test]
fn a_missing_file_is_an_io_error_naming_the_path() {
    let error = Scenario::load("/nonexistent/impersync/scenario.toml").unwrap_err();
    assert!(matches!(error, ScenarioError::Io { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("/nonexistent/impersync/scenario.toml")
    );
}

#[test]
fn the_base_scenario_is_valid() {
    load(BASE).expect("the base of the refusal cases must load");
}

#[test]
fn an_unsupported_scope_filter_property_is_refused() {
    let error = assert_refused(
        "[[scopes]]\nname = \"TitleScope\"\nrecipient_restriction_filter = \"Title -eq 'x'\"",
        &[
            "TitleScope",
            "unsupported filter property 'Title'",
            "MemberOfGroup",
        ],
    );
    assert!(matches!(error, ScenarioError::Invalid(_)), "{error:?}");
    assert_refused(
        "[[scopes]]\nname = \"Broken\"\nrecipient_restriction_filter = \"MemberOfGroup -eq 'CN=x\"",
        &["Broken", "unterminated"],
    );
}

#[test]
fn an_unknown_group_member_is_refused() {
    let error = assert_refused(
        "[[groups]]\nname = \"Team\"\nmembers = [\"alice@contoso.test\", \"ghost@contoso.test\"]",
        &["group Team", "ghost@contoso.test"],
    );
    assert!(matches!(error, ScenarioError::Invalid(_)), "{error:?}");
    assert_refused(
        "[[groups]]\nname = \"Team\"\nowners = [\"nobody@contoso.test\"]",
        &["group Team", "nobody@contoso.test"],
    );
    assert_refused(
        "[[role_groups]]\nname = \"RG\"\nroles = [\"ApplicationImpersonation\"]\nmembers = [\"phantom@contoso.test\"]",
        &["role group RG", "phantom@contoso.test"],
    );
    assert_refused(
        "[[role_assignments]]\nname = \"RA\"\nrole = \"ApplicationImpersonation\"\nuser = \"specter@contoso.test\"",
        &["role assignment RA", "specter@contoso.test"],
    );
    assert_refused(
        "[[user_sets]]\nprefix = \"u\"\ncount = 2\npassword = \"p\"\ngroups = [\"NoSuchGroup\"]",
        &["user set u", "NoSuchGroup"],
    );
}

#[test]
fn an_unknown_field_is_refused() {
    let error = assert_refused(
        "[[users]]\nupn = \"bob@contoso.test\"\npassword = \"p\"\ncolour = \"blue\"",
        &["unknown field", "colour"],
    );
    assert!(matches!(error, ScenarioError::Toml(_)), "{error:?}");
    assert_refused("mailbox_count = 3", &["unknown field", "mailbox_count"]);
    assert_refused(
        "[[users]]\nupn = \"bob@contoso.test\"",
        &["missing field", "password"],
    );
    assert_refused(
        "[[groups]]\nname = \"G\"\nkind = \"universal\"",
        &["universal"],
    );
}

#[test]
fn items_on_a_user_without_a_mailbox_are_refused() {
    let error = assert_refused(
        "[[users]]\nupn = \"nomail@contoso.test\"\npassword = \"p\"\nmailbox = false\nitems = { inbox = 3 }",
        &["nomail@contoso.test", "no mailbox"],
    );
    assert!(matches!(error, ScenarioError::Invalid(_)), "{error:?}");
    assert_refused(
        "[[users]]\nupn = \"bob@contoso.test\"\npassword = \"p\"\nitems = { junkfolder = 3 }",
        &["bob@contoso.test", "junkfolder"],
    );
}

#[test]
fn a_missing_write_scope_is_refused() {
    let error = assert_refused(
        "[[role_groups]]\nname = \"RIImpersonation\"\nroles = [\"ApplicationImpersonation\"]\nmembers = [\"svc@contoso.test\"]\nwrite_scope = \"NoSuchScope\"",
        &["role group RIImpersonation", "NoSuchScope"],
    );
    assert!(matches!(error, ScenarioError::Invalid(_)), "{error:?}");
    assert_refused(
        "[[role_assignments]]\nname = \"RA\"\nrole = \"ApplicationImpersonation\"\nuser = \"svc@contoso.test\"\nwrite_scope = \"MissingScope\"",
        &["role assignment RA", "MissingScope"],
    );
}

#[test]
fn duplicates_are_refused() {
    assert_refused(
        "[[users]]\nupn = \"ALICE@contoso.test\"\npassword = \"p\"",
        &["already used"],
    );
    assert_refused("[[groups]]\nname = \"Apps\"", &["already used"]);
    assert_refused(
        "[[scopes]]\nname = \"AppsScope\"\nrecipient_restriction_filter = \"Department -eq 'x'\"",
        &["AppsScope", "already used"],
    );
}
