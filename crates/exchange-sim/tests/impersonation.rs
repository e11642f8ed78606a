//! Impersonation decided the way Exchange decides it: roles, scopes, direct group membership.

mod common;

use common::*;
use impersync_ews::types::FolderRef;
use impersync_ews::{ConnectingSid, RequestHeader, ResponseCode, encode_request};
use reqwest::Method;
use serde_json::json;

/// GetFolder inbox as `creds`, impersonating `sid`.
async fn inbox_as(
    server: &Server,
    creds: Creds,
    sid: Option<ConnectingSid>,
) -> common::Reply<impersync_ews::ops::GetFolderResponse> {
    server
        .call(
            creds,
            sid,
            &get_folder(vec![FolderRef::distinguished("inbox")]),
        )
        .await
}

#[tokio::test]
async fn every_connecting_sid_kind_reaches_the_impersonated_users_mailbox() {
    let server = Server::demo().await;
    // Users are numbered in scenario order: MasterImpersonation 0, NoMailboxSvc 1, alice 2...
    let users = [
        ("alice@contoso.test", demo_sid(2)),
        ("bob@contoso.test", demo_sid(3)),
        ("carol@contoso.test", demo_sid(4)),
    ];
    let mut inbox_ids = Vec::new();
    for (address, sid) in &users {
        {
            let dir = server.sim.read();
            let no = dir.find_user(address).expect("demo user");
            assert_eq!(&dir.user(no).sid, sid, "the demo's SID rule");
        }
        let kinds = [
            ConnectingSid::PrincipalName(address.to_string()),
            ConnectingSid::Sid(sid.clone()),
            ConnectingSid::PrimarySmtpAddress(address.to_string()),
            ConnectingSid::SmtpAddress(address.to_string()),
            // Exchange compares addresses without regard to case.
            ConnectingSid::PrimarySmtpAddress(address.to_uppercase()),
        ];
        let mut seen = Vec::new();
        for kind in kinds {
            let inbox = only_folder(
                inbox_as(&server, MASTER, Some(kind.clone()))
                    .await
                    .ok()
                    .messages,
            );
            assert_eq!(inbox.total_count, Some(50), "{kind:?}");
            assert_eq!(inbox.display_name.as_deref(), Some("Inbox"));
            seen.push(inbox.folder_id.id);
        }
        seen.dedup();
        assert_eq!(seen.len(), 1, "all kinds reach the same mailbox");
        inbox_ids.push(seen.remove(0));
    }
    inbox_ids.sort();
    inbox_ids.dedup();
    assert_eq!(inbox_ids.len(), 3, "each user has their own inbox");
}

#[tokio::test]
async fn id_kinds_match_only_their_own_attribute() {
    // A user whose UPN, primary address and proxy address all differ.
    let server = Server::start(demo_with(
        r#"
[[users]]
upn = "gina.upn@contoso.test"
primary_smtp = "gina@contoso.test"
proxy_addresses = ["g.garcia@contoso.test"]
password = "Demo-User-1"
items = { inbox = 3 }
"#,
    ))
    .await;
    let (status, body) = server
        .control(
            Method::POST,
            "/groups/RIapplicationGroup/members",
            Some(json!({ "member": "gina@contoso.test" })),
        )
        .await;
    assert_eq!(status, 204, "{body}");

    let ok = [
        ConnectingSid::PrincipalName("gina.upn@contoso.test".into()),
        ConnectingSid::PrimarySmtpAddress("gina@contoso.test".into()),
        ConnectingSid::SmtpAddress("gina@contoso.test".into()),
        ConnectingSid::SmtpAddress("g.garcia@contoso.test".into()),
    ];
    for sid in ok {
        let inbox = only_folder(
            inbox_as(&server, MASTER, Some(sid.clone()))
                .await
                .ok()
                .messages,
        );
        assert_eq!(inbox.total_count, Some(3), "{sid:?}");
    }
    let refused = [
        // The primary SMTP address is not a UPN.
        ConnectingSid::PrincipalName("gina@contoso.test".into()),
        // A proxy address is not the primary address.
        ConnectingSid::PrimarySmtpAddress("g.garcia@contoso.test".into()),
        // A UPN is not an SMTP address of this user.
        ConnectingSid::SmtpAddress("gina.upn@contoso.test".into()),
    ];
    for sid in refused {
        inbox_as(&server, MASTER, Some(sid.clone()))
            .await
            .expect_fault(ResponseCode::ErrorNonExistentMailbox);
    }
}

#[tokio::test]
async fn users_outside_the_scope_are_denied_with_a_fault() {
    let server = Server::demo().await;
    // dave is only in RIAG-Nested, a group nested in RIapplicationGroup: MemberOfGroup
    // matches direct members only. erin is in no group at all.
    for user in ["dave@contoso.test", "erin@contoso.test"] {
        for sid in [
            ConnectingSid::PrimarySmtpAddress(user.into()),
            ConnectingSid::PrincipalName(user.into()),
            ConnectingSid::SmtpAddress(user.into()),
        ] {
            let reply = inbox_as(&server, MASTER, Some(sid)).await;
            let (faultcode, detail) = fault_codes(&reply.body);
            assert_eq!(faultcode, "ErrorImpersonateUserDenied", "{user}");
            assert_eq!(detail.as_deref(), Some("ErrorImpersonateUserDenied"));
            let fault = reply.expect_fault(ResponseCode::ErrorImpersonateUserDenied);
            assert!(fault.message.contains("impersonate"), "{}", fault.message);
        }
    }
    let dave_sid = ConnectingSid::Sid(demo_sid(5));
    inbox_as(&server, MASTER, Some(dave_sid))
        .await
        .expect_fault(ResponseCode::ErrorImpersonateUserDenied);
}

#[tokio::test]
async fn users_without_a_mailbox_and_unknown_addresses_have_no_mailbox() {
    let server = Server::demo().await;
    // frank is a direct member (in scope) but has no mailbox.
    for sid in [
        ConnectingSid::PrimarySmtpAddress("frank@contoso.test".into()),
        ConnectingSid::PrincipalName("frank@contoso.test".into()),
        ConnectingSid::PrimarySmtpAddress("nobody@contoso.test".into()),
        ConnectingSid::SmtpAddress("alice@fabrikam.test".into()),
        ConnectingSid::Sid("S-1-5-21-1-2-3-4".into()),
    ] {
        let f = inbox_as(&server, MASTER, Some(sid.clone()))
            .await
            .expect_fault(ResponseCode::ErrorNonExistentMailbox);
        assert!(f.message.contains(sid.value()), "{}", f.message);
    }
}

#[tokio::test]
async fn a_malformed_connecting_sid_is_invalid_header_data() {
    let server = Server::demo().await;
    let good = encode_request(
        &RequestHeader {
            server_version: Some("Exchange2016".into()),
            impersonation: Some(smtp("alice@contoso.test")),
            time_zone: None,
        },
        &get_folder(vec![FolderRef::distinguished("inbox")]),
    );
    let id = "<t:PrimarySmtpAddress>alice@contoso.test</t:PrimarySmtpAddress>";
    assert!(good.contains(id), "{good}");
    let variants = [
        ("an empty id", "<t:PrimarySmtpAddress/>".to_string()),
        (
            "a blank id",
            "<t:PrimarySmtpAddress>  </t:PrimarySmtpAddress>".into(),
        ),
        (
            "two ids",
            format!("{id}<t:PrincipalName>bob@contoso.test</t:PrincipalName>"),
        ),
        ("no id at all", String::new()),
    ];
    for (what, replacement) in variants {
        let body = good.replace(id, &replacement);
        assert_ne!(body, good);
        let raw = server
            .post_raw(Some(MASTER), Some("alice@contoso.test"), body)
            .await;
        let fault = check_ews_reply::<impersync_ews::ops::GetFolder>(raw)
            .expect_fault(ResponseCode::ErrorInvalidExchangeImpersonationHeaderData);
        assert!(!fault.message.is_empty(), "{what}");
    }
    // An ExchangeImpersonation header without ConnectingSID is no better.
    let body = good.replace(&format!("<t:ConnectingSID>{id}</t:ConnectingSID>"), "");
    assert!(body.contains("<t:ExchangeImpersonation></t:ExchangeImpersonation>"));
    let raw = server.post_raw(Some(MASTER), None, body).await;
    check_ews_reply::<impersync_ews::ops::GetFolder>(raw)
        .expect_fault(ResponseCode::ErrorInvalidExchangeImpersonationHeaderData);
}

#[tokio::test]
async fn without_the_header_the_caller_acts_on_its_own_mailbox() {
    let server = Server::demo().await;
    let own = only_folder(inbox_as(&server, MASTER, None).await.ok().messages);
    assert_eq!(
        own.total_count,
        Some(0),
        "the service account's own inbox is empty"
    );
    let alice = only_folder(
        inbox_as(&server, MASTER, Some(smtp("alice@contoso.test")))
            .await
            .ok()
            .messages,
    );
    assert_ne!(own.folder_id.id, alice.folder_id.id);

    // alice signing in as herself reads her own inbox without any role.
    let herself = only_folder(inbox_as(&server, ALICE, None).await.ok().messages);
    assert_eq!(herself.folder_id.id, alice.folder_id.id);
    assert_eq!(herself.total_count, Some(50));

    // A caller without a mailbox gets an operation error, not a fault.
    let r = inbox_as(&server, NO_MAILBOX, None).await.ok();
    assert_eq!(r.messages.len(), 1);
    let text = error_of(&r.messages[0], ResponseCode::ErrorNonExistentMailbox);
    assert!(text.contains("NoMailboxSvc@contoso.test"), "{text}");
}

#[tokio::test]
async fn an_organisation_wide_assignment_reaches_everyone_with_a_mailbox() {
    let server = Server::demo().await;
    for (user, count) in [
        ("erin@contoso.test", 5),
        ("dave@contoso.test", 5),
        ("alice@contoso.test", 50),
    ] {
        let inbox = only_folder(
            inbox_as(&server, NO_MAILBOX, Some(smtp(user)))
                .await
                .ok()
                .messages,
        );
        assert_eq!(inbox.total_count, Some(count), "{user}");
    }
    inbox_as(&server, NO_MAILBOX, Some(smtp("frank@contoso.test")))
        .await
        .expect_fault(ResponseCode::ErrorNonExistentMailbox);
}

#[tokio::test]
async fn a_user_without_the_role_cannot_impersonate() {
    let server = Server::demo().await;
    for target in [
        "bob@contoso.test",
        "erin@contoso.test",
        "alice@contoso.test",
    ] {
        inbox_as(&server, ALICE, Some(smtp(target)))
            .await
            .expect_fault(ResponseCode::ErrorImpersonateUserDenied);
    }
}

#[tokio::test]
async fn group_membership_changes_take_effect_at_once() {
    let server = Server::demo().await;
    let alice = || smtp("alice@contoso.test");
    let erin = || smtp("erin@contoso.test");
    inbox_as(&server, MASTER, Some(alice())).await.ok();
    inbox_as(&server, MASTER, Some(erin()))
        .await
        .expect_fault(ResponseCode::ErrorImpersonateUserDenied);

    let (status, _) = server
        .control(
            Method::DELETE,
            "/groups/RIapplicationGroup/members/alice@contoso.test",
            None,
        )
        .await;
    assert_eq!(status, 204);
    inbox_as(&server, MASTER, Some(alice()))
        .await
        .expect_fault(ResponseCode::ErrorImpersonateUserDenied);
    // Removing her again: she is no longer a direct member.
    let (status, _) = server
        .control(
            Method::DELETE,
            "/groups/RIapplicationGroup/members/alice@contoso.test",
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, _) = server
        .control(
            Method::POST,
            "/groups/RIapplicationGroup/members",
            Some(json!({ "member": "erin@contoso.test" })),
        )
        .await;
    assert_eq!(status, 204);
    let inbox = only_folder(inbox_as(&server, MASTER, Some(erin())).await.ok().messages);
    assert_eq!(inbox.total_count, Some(5));

    // Adding dave directly puts him in scope; nesting alone did not.
    let (status, _) = server
        .control(
            Method::POST,
            "/groups/RIAG/members",
            Some(json!({ "member": "dave@contoso.test" })),
        )
        .await;
    assert_eq!(status, 204, "groups are found by alias too");
    inbox_as(&server, MASTER, Some(smtp("dave@contoso.test")))
        .await
        .ok();

    let (status, _) = server
        .control(
            Method::POST,
            "/groups/NoSuchGroup/members",
            Some(json!({ "member": "erin@contoso.test" })),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn ews_disabled_for_a_user_is_http_403() {
    let server = Server::demo().await;
    let set_ews = |user: &'static str, enabled: bool| {
        let server = &server;
        async move {
            let (status, _) = server
                .control(
                    Method::PUT,
                    &format!("/users/{user}/ews"),
                    Some(json!({ "enabled": enabled })),
                )
                .await;
            assert_eq!(status, 204);
        }
    };
    let raw_inbox = |creds: Creds, target: Option<&'static str>| {
        let server = &server;
        async move {
            let body = encode_request(
                &RequestHeader {
                    server_version: Some("Exchange2016".into()),
                    impersonation: target.map(smtp),
                    time_zone: None,
                },
                &get_folder(vec![FolderRef::distinguished("inbox")]),
            );
            server.post_raw(Some(creds), target, body).await.status
        }
    };

    set_ews("alice@contoso.test", false).await;
    assert_eq!(raw_inbox(MASTER, Some("alice@contoso.test")).await, 403);
    assert_eq!(raw_inbox(ALICE, None).await, 403);
    assert_eq!(raw_inbox(MASTER, Some("bob@contoso.test")).await, 200);
    set_ews("alice@contoso.test", true).await;
    assert_eq!(raw_inbox(MASTER, Some("alice@contoso.test")).await, 200);

    // EWS disabled for the service account itself blocks every request it makes.
    set_ews("MasterImpersonation@contoso.test", false).await;
    assert_eq!(raw_inbox(MASTER, Some("bob@contoso.test")).await, 403);
    assert_eq!(raw_inbox(MASTER, None).await, 403);
    assert_eq!(raw_inbox(NO_MAILBOX, Some("bob@contoso.test")).await, 200);

    let (status, _) = server
        .control(
            Method::PUT,
            "/users/nobody@contoso.test/ews",
            Some(json!({ "enabled": false })),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401_before_anything_else() {
    let server = Server::demo().await;
    let body = encode_request(
        &RequestHeader {
            server_version: None,
            impersonation: Some(smtp("erin@contoso.test")),
            time_zone: None,
        },
        &get_folder(vec![FolderRef::distinguished("inbox")]),
    );
    let raw = server.post_raw(None, None, body.clone()).await;
    assert_eq!(raw.status, 401);
    let offered: Vec<_> = raw
        .headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(offered.contains(&"NTLM"), "{offered:?}");
    assert!(
        offered.iter().any(|v| v.starts_with("Basic")),
        "{offered:?}"
    );
    let raw = server
        .post_raw(
            Some(("MasterImpersonation@contoso.test", "wrong")),
            None,
            body,
        )
        .await;
    assert_eq!(raw.status, 401);
}
