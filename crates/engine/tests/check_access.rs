//! `check_access` against the real simulator over loopback HTTP: every outcome class produced
//! for real, the step tree, the remedies and hints, every impersonation id type, and the
//! throttling probe.

mod common;

use common::*;
use impersync_engine::access_check::{CheckReport, StepStatus, check_access};
use impersync_exchange::{GovernorConfig, IdType, Impersonate, OutcomeClass};
use impersync_exchange_sim::scenario::{FaultSpec, Http503Fault, ServerBusyFault, ThrottlingSpec};
use std::time::{Duration, Instant};

const ALICE: &str = "alice@contoso.test";

fn titles(report: &CheckReport) -> Vec<(String, StepStatus)> {
    report
        .steps
        .iter()
        .map(|s| (s.title.clone(), s.status))
        .collect()
}

/// The logon, impersonation and bind steps of a check that passed, with the Inbox's count.
fn assert_passed(report: &CheckReport, inbox_items: u32) {
    assert_eq!(
        report.verdict.class,
        OutcomeClass::Ok,
        "{:#?}",
        report.verdict
    );
    assert_eq!(report.verdict.code.as_deref(), Some("NoError"));
    assert_eq!(
        step(&report.steps, "Find the EWS URL").status,
        StepStatus::Ok
    );
    let connect = step(&report.steps, "Connect to the EWS server");
    assert_eq!(
        connect.status,
        StepStatus::Warning,
        "plain http is a warning"
    );
    assert_eq!(
        connect
            .children
            .iter()
            .map(|c| c.status)
            .collect::<Vec<_>>(),
        [StepStatus::Ok, StepStatus::Ok, StepStatus::Warning],
        "DNS, TCP, then TLS (none): {:#?}",
        connect.children
    );
    assert_eq!(
        step(&report.steps, "Impersonate the target").status,
        StepStatus::Ok
    );
    let bind = step(&report.steps, "Bind the folders");
    assert_eq!(bind.status, StepStatus::Ok);
    assert_eq!(bind.children[0].title, "Inbox");
    assert_eq!(bind.children[0].detail, format!("{inbox_items} items"));
    assert!(
        report
            .verdict
            .message
            .contains(&format!("Inbox ({inbox_items} items)")),
        "{}",
        report.verdict.message
    );
    assert!(
        report.warnings.iter().any(|w| w.contains("plain http://")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn alice_is_reachable_with_basic() {
    let server = start_demo().await;
    let report = check_access(server.options(ALICE, master_basic())).await;
    assert_passed(&report, 50);
    let logon = step(&report.steps, "Log on as the service account");
    assert_eq!(
        logon.title,
        "Log on as the service account (MasterImpersonation@contoso.test, Basic)"
    );
    assert_eq!(logon.status, StepStatus::Ok);
    assert!(
        logon.detail.contains("1 room list(s) readable"),
        "{}",
        logon.detail
    );
    assert_eq!(
        report.ews_url.as_deref(),
        Some(format!("http://{}/EWS/Exchange.asmx", server.addr).as_str())
    );
    assert_eq!(report.target, ALICE);
    let log = server.sim.log.entries();
    assert!(log.iter().all(|e| e.status == 200), "{log:#?}");
    assert!(
        log.iter()
            .all(|e| e.caller.as_deref() == Some("MasterImpersonation@contoso.test"))
    );
}

#[tokio::test]
async fn alice_is_reachable_with_a_real_ntlm_handshake() {
    let server = start_demo().await;
    let report = check_access(server.options(ALICE, ntlm(MASTER_DOWNLEVEL, MASTER_PASSWORD))).await;
    assert_passed(&report, 50);
    assert_eq!(
        step(&report.steps, "Log on as the service account").title,
        "Log on as the service account (CONTOSO\\MasterImpersonation, NTLM)"
    );
    let log = server.sim.log.entries();
    // The negotiate leg is answered 401 with the challenge; then the connection is signed in
    // and kept, so the three calls (logon, room lists, impersonated bind) need one handshake.
    let challenges = log.iter().filter(|e| e.status == 401).count();
    assert_eq!(challenges, 1, "{log:#?}");
    assert_eq!(log[0].status, 401);
    let served: Vec<_> = log.iter().filter(|e| e.status == 200).collect();
    assert_eq!(served.len(), 3, "{log:#?}");
    assert!(
        served
            .iter()
            .all(|e| e.caller.as_deref() == Some("MasterImpersonation@contoso.test")),
        "{served:#?}"
    );
    assert_eq!(
        served[2].impersonation.as_deref(),
        Some("SmtpAddress:alice@contoso.test")
    );
}

#[tokio::test]
async fn wrong_password_is_auth_failed() {
    let server = start_demo().await;
    for credentials in [
        basic(MASTER_UPN, "not-the-password"),
        ntlm(MASTER_DOWNLEVEL, "not-the-password"),
        ntlm(MASTER_UPN, "not-the-password"),
    ] {
        let scheme = credentials.scheme();
        let report = check_access(server.options(ALICE, credentials)).await;
        assert_eq!(
            report.verdict.class,
            OutcomeClass::AuthFailed,
            "{scheme}: {:#?}",
            report.verdict
        );
        assert_eq!(report.verdict.code.as_deref(), Some("HTTP 401"));
        assert!(
            report.verdict.message.contains(scheme),
            "{}",
            report.verdict.message
        );
        assert!(report.verdict.remedy.contains("DOMAIN\\user"));
        assert_eq!(
            titles(&report).iter().map(|(_, s)| *s).collect::<Vec<_>>(),
            [
                StepStatus::Ok,
                StepStatus::Warning,
                StepStatus::Failed,
                StepStatus::Skipped,
                StepStatus::Skipped
            ],
            "{:#?}",
            titles(&report)
        );
    }
    assert!(
        server.sim.log.entries().iter().all(|e| e.status == 401),
        "no request got in"
    );
}

#[tokio::test]
async fn a_upn_logon_that_fails_gets_the_down_level_hint() {
    let server = start_demo().await;
    let report = check_access(server.options(ALICE, basic(MASTER_UPN, "wrong"))).await;
    assert_eq!(report.verdict.class, OutcomeClass::AuthFailed);
    assert!(
        report
            .hints
            .iter()
            .any(|h| h.contains("is a UPN") && h.contains("DOMAIN\\user")),
        "{:?}",
        report.hints
    );
    let report = check_access(server.options(ALICE, ntlm(MASTER_DOWNLEVEL, "wrong"))).await;
    assert_eq!(report.verdict.class, OutcomeClass::AuthFailed);
    assert!(report.hints.is_empty(), "{:?}", report.hints);
}

#[tokio::test]
async fn unknown_account_is_auth_failed() {
    let server = start_demo().await;
    for credentials in [
        basic("nobody@contoso.test", MASTER_PASSWORD),
        ntlm("CONTOSO\\nobody", MASTER_PASSWORD),
    ] {
        let report = check_access(server.options(ALICE, credentials)).await;
        assert_eq!(
            report.verdict.class,
            OutcomeClass::AuthFailed,
            "{:#?}",
            report.verdict
        );
        assert_eq!(
            step(&report.steps, "Log on as the service account").status,
            StepStatus::Failed
        );
    }
}

#[tokio::test]
async fn nested_member_and_outsider_are_impersonation_denied() {
    let server = start_demo().await;
    for who in ["dave@contoso.test", "erin@contoso.test"] {
        let report = check_access(server.options(who, master_basic())).await;
        assert_eq!(
            report.verdict.class,
            OutcomeClass::ImpersonationDenied,
            "{who}: {:#?}",
            report.verdict
        );
        assert_eq!(
            report.verdict.code.as_deref(),
            Some("ErrorImpersonateUserDenied")
        );
        let remedy = &report.verdict.remedy;
        for needle in [
            "RIImpersonation",
            "ApplicationImpersonation",
            "RIusersScope",
            "MemberOfGroup",
            "Add-DistributionGroupMember RIapplicationGroup",
            "DIRECT member of RIapplicationGroup",
            "nested inside RIapplicationGroup are NOT in scope",
        ] {
            assert!(remedy.contains(needle), "remedy lacks {needle:?}: {remedy}");
        }
        assert!(
            report
                .hints
                .iter()
                .any(|h| h.contains("nested") && h.contains("direct members only")),
            "{:?}",
            report.hints
        );
        assert_eq!(
            step(&report.steps, "Log on as the service account").status,
            StepStatus::Ok
        );
        let impersonate = step(&report.steps, "Impersonate the target");
        assert_eq!(impersonate.status, StepStatus::Failed);
        assert!(
            impersonate.detail.contains("ErrorImpersonateUserDenied"),
            "{}",
            impersonate.detail
        );
        assert_eq!(
            step(&report.steps, "Bind the folders").status,
            StepStatus::Skipped
        );
    }
}

#[tokio::test]
async fn frank_has_no_mailbox() {
    let server = start_demo().await;
    let report = check_access(server.options("frank@contoso.test", master_basic())).await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::NoMailbox,
        "{:#?}",
        report.verdict
    );
    assert_eq!(
        report.verdict.code.as_deref(),
        Some("ErrorNonExistentMailbox")
    );
    assert!(report.verdict.remedy.contains("mailbox"));
    assert!(
        report.hints.iter().any(|h| h.contains("frank@contoso.test")
            && h.contains("UPN")
            && h.contains("primary SMTP address")
            && h.contains("PrincipalName")),
        "{:?}",
        report.hints
    );
    assert_eq!(
        step(&report.steps, "Impersonate the target").status,
        StepStatus::Failed
    );
}

#[tokio::test]
async fn endless_server_busy_is_throttled_once_the_wait_budget_is_spent() {
    let server = start_demo().await;
    server.sim.faults.set(FaultSpec {
        server_busy: Some(ServerBusyFault {
            count: 1000,
            back_off_ms: 100,
            as_response_message: false,
        }),
        ..FaultSpec::default()
    });
    let mut options = server.options(ALICE, master_basic());
    options.governor = GovernorConfig {
        max_total_wait: Duration::from_millis(300),
        ..GovernorConfig::default()
    };
    let started = Instant::now();
    let report = check_access(options).await;
    let elapsed = started.elapsed();
    assert_eq!(
        report.verdict.class,
        OutcomeClass::Throttled,
        "{:#?}",
        report.verdict
    );
    assert!(
        report.verdict.message.contains("ErrorServerBusy")
            && report.verdict.message.contains("gave up"),
        "{}",
        report.verdict.message
    );
    assert!(report.verdict.remedy.contains("EWSMaxConcurrency"));
    // Two back-offs of 100-120 ms fit in 300 ms; the third would not.
    let busy = server
        .sim
        .log
        .entries()
        .iter()
        .filter(|e| e.response_code.as_deref() == Some("ErrorServerBusy"))
        .count();
    assert_eq!(busy, 3);
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(
        step(&report.steps, "Log on as the service account").status,
        StepStatus::Failed
    );
}

#[tokio::test]
async fn a_short_burst_of_server_busy_is_waited_out() {
    for as_response_message in [false, true] {
        let server = start_demo().await;
        server.sim.faults.set(FaultSpec {
            server_busy: Some(ServerBusyFault {
                count: 3,
                back_off_ms: 100,
                as_response_message,
            }),
            ..FaultSpec::default()
        });
        let started = Instant::now();
        let report = check_access(server.options(ALICE, master_basic())).await;
        let elapsed = started.elapsed();
        assert_passed(&report, 50);
        let busy = server
            .sim
            .log
            .entries()
            .iter()
            .filter(|e| e.response_code.as_deref() == Some("ErrorServerBusy"))
            .count();
        assert_eq!(busy, 3, "as response message: {as_response_message}");
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert_eq!(server.sim.faults.get().server_busy.unwrap().count, 0);
    }
}

#[tokio::test]
async fn http_503_with_retry_after() {
    let server = start_demo().await;
    server.sim.faults.set(FaultSpec {
        http_503: Some(Http503Fault {
            count: 1,
            retry_after_s: 1,
        }),
        ..FaultSpec::default()
    });
    let started = Instant::now();
    let report = check_access(server.options(ALICE, master_basic())).await;
    assert_passed(&report, 50);
    assert!(started.elapsed() >= Duration::from_secs(1));

    server.sim.faults.set(FaultSpec {
        http_503: Some(Http503Fault {
            count: 1,
            retry_after_s: 30,
        }),
        ..FaultSpec::default()
    });
    let mut options = server.options(ALICE, master_basic());
    options.governor.max_total_wait = Duration::from_millis(300);
    let started = Instant::now();
    let report = check_access(options).await;
    assert_eq!(report.verdict.class, OutcomeClass::Throttled);
    assert!(
        report.verdict.message.contains("HTTP 503"),
        "{}",
        report.verdict.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a Retry-After beyond the budget is not waited for"
    );
}

#[tokio::test]
async fn ews_disabled_for_the_mailbox() {
    let server = start_demo().await;
    server.set_ews_enabled(ALICE, false);
    let report = check_access(server.options(ALICE, master_basic())).await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::EwsDisabled,
        "{:#?}",
        report.verdict
    );
    assert_eq!(report.verdict.code.as_deref(), Some("HTTP 403"));
    assert!(report.verdict.remedy.contains("Set-CASMailbox"));
    assert_eq!(
        step(&report.steps, "Log on as the service account").status,
        StepStatus::Ok
    );
    assert_eq!(
        step(&report.steps, "Impersonate the target").status,
        StepStatus::Failed
    );
    // Bob is still fine.
    let report = check_access(server.options("bob@contoso.test", master_basic())).await;
    assert_passed(&report, 50);
}

#[tokio::test]
async fn ews_disabled_for_the_service_account() {
    let server = start_demo().await;
    server.set_ews_enabled(MASTER_UPN, false);
    let report = check_access(server.options(ALICE, master_basic())).await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::EwsDisabled,
        "{:#?}",
        report.verdict
    );
    assert_eq!(report.verdict.code.as_deref(), Some("HTTP 403"));
    assert_eq!(
        step(&report.steps, "Log on as the service account").status,
        StepStatus::Failed
    );
    assert_eq!(
        step(&report.steps, "Impersonate the target").status,
        StepStatus::Skipped
    );
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = impersync_exchange::GuardedUrl::new(
        &format!("http://127.0.0.1:{port}/EWS/Exchange.asmx"),
        LAB,
    )
    .unwrap();
    let report = check_access(options_for(url, ALICE, master_basic())).await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::Unreachable,
        "{:#?}",
        report.verdict
    );
    assert!(
        report
            .verdict
            .message
            .contains(&format!("127.0.0.1:{port}")),
        "{}",
        report.verdict.message
    );
    let connect = step(&report.steps, "Connect to the EWS server");
    assert_eq!(connect.status, StepStatus::Failed);
    let tcp = connect
        .children
        .iter()
        .find(|c| c.title.starts_with("TCP"))
        .expect("a TCP step");
    assert_eq!(tcp.status, StepStatus::Failed);
    assert_eq!(
        titles(&report)
            .iter()
            .skip(2)
            .map(|(_, s)| *s)
            .collect::<Vec<_>>(),
        [StepStatus::Skipped; 3]
    );
}

#[tokio::test]
async fn a_url_that_is_not_ews_is_a_server_error() {
    let server = start_demo().await;
    for credentials in [master_basic(), ntlm(MASTER_DOWNLEVEL, MASTER_PASSWORD)] {
        let options = options_for(server.url("/nothing"), ALICE, credentials);
        let report = check_access(options).await;
        assert_eq!(
            report.verdict.class,
            OutcomeClass::ServerError,
            "{:#?}",
            report.verdict
        );
        assert_eq!(report.verdict.code.as_deref(), Some("HTTP 404"));
        assert!(report.verdict.remedy.contains("/EWS/Exchange.asmx"));
    }
}

#[tokio::test]
async fn all_folders_are_bound_with_their_counts() {
    let server = start_demo().await;
    let mut options = server.options("carol@contoso.test", master_basic());
    options.folders = ["inbox", "sentitems", "calendar", "contacts"]
        .map(String::from)
        .to_vec();
    let report = check_access(options).await;
    assert_eq!(report.verdict.class, OutcomeClass::Ok, "{:#?}", report);
    let bind = step(&report.steps, "Bind the folders");
    assert_eq!(bind.detail, "4 folder(s) bound");
    let children: Vec<(&str, &str, StepStatus)> = bind
        .children
        .iter()
        .map(|c| (c.title.as_str(), c.detail.as_str(), c.status))
        .collect();
    assert_eq!(
        children,
        [
            ("Inbox", "50 items", StepStatus::Ok),
            ("Sent Items", "20 items", StepStatus::Ok),
            ("Calendar", "10 items", StepStatus::Ok),
            ("Contacts", "5 items", StepStatus::Ok),
        ]
    );
    assert!(
        report.verdict.message.contains(
            "Inbox (50 items), Sent Items (20 items), Calendar (10 items), Contacts (5 items)"
        ),
        "{}",
        report.verdict.message
    );
}

#[tokio::test]
async fn a_service_account_without_mailbox_warns_and_still_impersonates() {
    let server = start_demo().await;
    let options = server.options(
        "erin@contoso.test",
        basic(NO_MAILBOX_SVC, NO_MAILBOX_PASSWORD),
    );
    let report = check_access(options).await;
    let logon = step(&report.steps, "Log on as the service account");
    assert_eq!(logon.status, StepStatus::Warning, "{logon:#?}");
    assert!(logon.detail.contains("no mailbox"), "{}", logon.detail);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("room lists") && w.contains("will not be readable")),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.verdict.class, OutcomeClass::Ok, "{:#?}", report);
    assert_eq!(
        step(&report.steps, "Bind the folders").children[0].detail,
        "5 items"
    );
}

#[tokio::test]
async fn every_id_type_reaches_alice() {
    let server = start_demo().await;
    let sid = {
        let dir = server.sim.read();
        dir.user(dir.find_user(ALICE).expect("alice")).sid.clone()
    };
    assert!(sid.starts_with("S-1-5-21-"), "{sid}");
    for (id_type, id) in [
        (IdType::SmtpAddress, ALICE.to_string()),
        (IdType::PrimarySmtpAddress, ALICE.to_string()),
        (IdType::PrincipalName, ALICE.to_string()),
        (IdType::Sid, sid.clone()),
    ] {
        server.sim.log.clear();
        let mut options = server.options(ALICE, master_basic());
        options.impersonate = Impersonate {
            id_type,
            id: id.clone(),
            anchor_mailbox: ALICE.into(),
        };
        let report = check_access(options).await;
        assert_passed(&report, 50);
        assert_eq!(
            step(&report.steps, "Impersonate the target").title,
            format!("Impersonate the target ({id_type}: {id})")
        );
        let log = server.sim.log.entries();
        let impersonated = log.last().expect("a request");
        assert_eq!(
            impersonated.impersonation.as_deref(),
            Some(format!("{id_type}:{id}").as_str())
        );
        assert_eq!(impersonated.anchor_mailbox.as_deref(), Some(ALICE));
    }
}

#[tokio::test]
async fn id_types_tell_upn_and_smtp_addresses_apart() {
    // Grace's UPN differs from her primary SMTP address, and she has a proxy address.
    let server = start(demo_with(
        r#"
[[users]]
upn = "ghopper@contoso.test"
primary_smtp = "grace.hopper@contoso.test"
proxy_addresses = ["grace@contoso.test"]
password = "Demo-User-1"
items = { inbox = 7 }
"#,
    ))
    .await;
    let credentials = || basic(NO_MAILBOX_SVC, NO_MAILBOX_PASSWORD);
    let check = |id_type, id: &str| {
        let mut options = server.options("grace.hopper@contoso.test", credentials());
        options.impersonate = Impersonate {
            id_type,
            id: id.into(),
            anchor_mailbox: "grace.hopper@contoso.test".into(),
        };
        check_access(options)
    };
    for (id_type, id, expected) in [
        (
            IdType::PrincipalName,
            "ghopper@contoso.test",
            OutcomeClass::Ok,
        ),
        (
            IdType::PrimarySmtpAddress,
            "grace.hopper@contoso.test",
            OutcomeClass::Ok,
        ),
        (IdType::SmtpAddress, "grace@contoso.test", OutcomeClass::Ok),
        (
            IdType::PrimarySmtpAddress,
            "grace@contoso.test",
            OutcomeClass::NoMailbox,
        ),
        (
            IdType::PrimarySmtpAddress,
            "ghopper@contoso.test",
            OutcomeClass::NoMailbox,
        ),
    ] {
        let report = check(id_type, id).await;
        assert_eq!(
            report.verdict.class, expected,
            "{id_type} {id}: {:#?}",
            report.verdict
        );
        if expected == OutcomeClass::Ok {
            assert_eq!(
                step(&report.steps, "Bind the folders").children[0].detail,
                "7 items"
            );
        } else {
            assert!(
                report
                    .hints
                    .iter()
                    .any(|h| h.contains(id) && h.contains("UPN")),
                "{:?}",
                report.hints
            );
        }
    }
}

#[tokio::test]
async fn x_anchor_mailbox_is_sent_with_every_impersonated_request() {
    let server = start_demo().await;
    let mut options = server.options("bob@contoso.test", ntlm(MASTER_DOWNLEVEL, MASTER_PASSWORD));
    options.folders = vec!["inbox".into(), "calendar".into()];
    let report = check_access(options).await;
    assert_eq!(report.verdict.class, OutcomeClass::Ok, "{:#?}", report);
    let log = server.sim.log.entries();
    let impersonated: Vec<_> = log
        .iter()
        .filter(|e| e.status == 200 && e.impersonation.is_some())
        .collect();
    assert_eq!(impersonated.len(), 2, "{log:#?}");
    for e in &impersonated {
        assert_eq!(e.anchor_mailbox.as_deref(), Some("bob@contoso.test"));
        assert_eq!(e.operation.as_deref(), Some("GetFolder"));
    }
    // The service account's own calls carry no anchor.
    assert!(
        log.iter()
            .filter(|e| e.status == 200 && e.impersonation.is_none())
            .all(|e| e.anchor_mailbox.is_none()),
        "{log:#?}"
    );
    assert!(
        step(&report.steps, "Impersonate the target")
            .detail
            .contains("X-AnchorMailbox: bob@contoso.test")
    );
}

#[tokio::test]
async fn the_throttling_probe_runs_only_when_asked() {
    let server = start_demo().await;
    let report = check_access(server.options(ALICE, master_basic())).await;
    assert!(
        !report
            .steps
            .iter()
            .any(|s| s.title == "Throttling headroom"),
        "{:#?}",
        titles(&report)
    );

    server.sim.log.clear();
    let mut options = server.options(ALICE, master_basic());
    options.probe_throttling = true;
    let report = check_access(options).await;
    assert_eq!(report.verdict.class, OutcomeClass::Ok);
    let probe = step(&report.steps, "Throttling headroom");
    assert_eq!(probe.status, StepStatus::Ok, "{probe:#?}");
    assert!(
        probe.detail.starts_with("8 parallel requests answered in")
            && probe.detail.ends_with("none throttled"),
        "{}",
        probe.detail
    );
    assert_eq!(report.steps.last().unwrap().title, "Throttling headroom");
    // logon + room lists + bind, then the burst of 8.
    assert_eq!(server.sim.log.entries().len(), 3 + 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttling_probe_reports_a_tight_policy() {
    let server = start_demo().await;
    server.sim.throttle.reset(ThrottlingSpec {
        ews_max_concurrency: 2,
        ..ThrottlingSpec::default()
    });
    // Each request holds its slot for 300 ms, so the burst overlaps.
    server.sim.faults.set(FaultSpec {
        latency_ms: 300,
        ..FaultSpec::default()
    });
    let mut options = server.options(ALICE, master_basic());
    options.probe_throttling = true;
    let report = check_access(options).await;
    assert_eq!(report.verdict.class, OutcomeClass::Ok, "{:#?}", report);
    let probe = step(&report.steps, "Throttling headroom");
    assert_eq!(probe.status, StepStatus::Warning, "{probe:#?}");
    let throttled: usize = probe
        .detail
        .strip_suffix(" of 8 parallel requests throttled")
        .unwrap_or_else(|| panic!("{}", probe.detail))
        .parse()
        .unwrap();
    assert!((1..=6).contains(&throttled), "{}", probe.detail);
    assert!(
        report.warnings.iter().any(|w| w.contains(&format!(
            "{throttled} of 8 parallel requests were throttled"
        ))),
        "{:?}",
        report.warnings
    );
    let refused = server
        .sim
        .log
        .entries()
        .iter()
        .filter(|e| e.response_code.as_deref() == Some("ErrorExceededConnectionCount"))
        .count();
    assert_eq!(refused, throttled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_handshakes_stay_on_their_connection() {
    // NTLM signs in a connection: the AUTHENTICATE leg must reuse the connection that got
    // the challenge, even when the client could open a new one faster than the first
    // returns to its pool (as on loopback).
    let server = start_demo().await;
    let mut failures = Vec::new();
    for _ in 0..60 {
        let report = check_access(
            server.options("bob@contoso.test", ntlm(MASTER_DOWNLEVEL, MASTER_PASSWORD)),
        )
        .await;
        if report.verdict.class != OutcomeClass::Ok {
            failures.push(report.verdict);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed: {failures:#?}",
        failures.len()
    );
    // One challenge per check: every later request rode the signed-in connection.
    let log = server.sim.log.entries();
    assert_eq!(log.iter().filter(|e| e.status == 401).count(), 60);
    assert_eq!(log.iter().filter(|e| e.status == 200).count(), 60 * 3);
}
