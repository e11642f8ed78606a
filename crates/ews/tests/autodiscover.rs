//! Autodiscover: POX, SOAP `GetUserSettings` and the v2 JSON endpoint.

mod common;

use common::fixture;
use impersync_ews::DecodeError;
use impersync_ews::autodiscover::{
    GetUserSettingsRequest, GetUserSettingsResponse, PoxRequest, PoxResponse, PoxSettings,
    UserResponse, V2Error, V2Response,
};
use impersync_ews::ns;

// -------------------------------------------------------------------- POX

#[test]
fn pox_request_round_trips() {
    let req = PoxRequest::new("alice@contoso.test");
    assert_eq!(req.acceptable_response_schema, ns::POX_OUTLOOK_RESPONSE);
    let xml = req.to_xml();
    assert!(xml.contains(ns::POX_REQUEST));
    assert_eq!(PoxRequest::from_xml(xml.as_bytes()).unwrap(), req);

    let odd = PoxRequest {
        email_address: "o'brien+crm@contoso.test".into(),
        acceptable_response_schema: "urn:x & y".into(),
    };
    assert_eq!(PoxRequest::from_xml(odd.to_xml().as_bytes()).unwrap(), odd);
}

#[test]
fn pox_request_as_outlook_sends_it() {
    let req = PoxRequest::from_xml(&fixture("autodiscover/pox_request.xml")).unwrap();
    assert_eq!(req, PoxRequest::new("alice@contoso.test"));
}

#[test]
fn pox_request_in_the_wrong_namespace_is_refused() {
    let xml = r#"<Autodiscover xmlns="urn:other"><Request><EMailAddress>a@b.test</EMailAddress></Request></Autodiscover>"#;
    assert!(matches!(
        PoxRequest::from_xml(xml.as_bytes()),
        Err(DecodeError::Missing { .. })
    ));
    assert!(matches!(
        PoxRequest::from_xml(b"<Discover/>"),
        Err(DecodeError::Unexpected { .. })
    ));
}

#[test]
fn pox_responses_round_trip() {
    let cases = [
        PoxResponse::Settings(PoxSettings {
            display_name: Some("Alice Archer".into()),
            smtp_address: Some("alice@contoso.test".into()),
            internal_ews_url: Some("https://ex01.contoso.test/EWS/Exchange.asmx".into()),
            external_ews_url: Some("https://mail.contoso.test/EWS/Exchange.asmx".into()),
        }),
        PoxResponse::Settings(PoxSettings {
            display_name: None,
            smtp_address: None,
            internal_ews_url: Some("https://ex01.contoso.test/EWS/Exchange.asmx?a=1&b=2".into()),
            external_ews_url: None,
        }),
        PoxResponse::Settings(PoxSettings::default()),
        PoxResponse::RedirectAddr("alice.archer@contoso-online.test".into()),
        PoxResponse::RedirectUrl(
            "https://autodiscover.eu.contoso.test/autodiscover/autodiscover.xml".into(),
        ),
        PoxResponse::Error {
            code: "500".into(),
            message: "The email address can't be found.".into(),
        },
    ];
    for resp in cases {
        let xml = resp.to_xml();
        let back = PoxResponse::from_xml(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert_eq!(back, resp, "{xml}");
    }
}

#[test]
fn pox_settings_prefers_the_external_url() {
    let both = PoxSettings {
        internal_ews_url: Some("https://in".into()),
        external_ews_url: Some("https://out".into()),
        ..PoxSettings::default()
    };
    assert_eq!(both.ews_url(), Some("https://out"));
    let internal = PoxSettings {
        internal_ews_url: Some("https://in".into()),
        ..PoxSettings::default()
    };
    assert_eq!(internal.ews_url(), Some("https://in"));
    assert_eq!(PoxSettings::default().ews_url(), None);
}

#[test]
fn pox_settings_as_exchange_writes_them() {
    // With a UTF-8 byte-order mark, extra protocols, and a nested WEB/Internal/Protocol
    // whose EXCH entry must not be mistaken for the account's.
    let bytes = fixture("autodiscover/pox_settings.xml");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let resp = PoxResponse::from_xml(&bytes).unwrap();
    let PoxResponse::Settings(s) = resp else {
        panic!("expected settings, got {resp:?}");
    };
    assert_eq!(
        s,
        PoxSettings {
            display_name: Some("Alice Archer".into()),
            smtp_address: Some("alice@contoso.test".into()),
            internal_ews_url: Some("https://ex01.contoso.test/EWS/Exchange.asmx".into()),
            external_ews_url: Some("https://mail.contoso.test/EWS/Exchange.asmx".into()),
        }
    );
    assert_eq!(
        s.ews_url(),
        Some("https://mail.contoso.test/EWS/Exchange.asmx")
    );
}

#[test]
fn pox_redirects_and_errors_as_exchange_writes_them() {
    assert_eq!(
        PoxResponse::from_xml(&fixture("autodiscover/pox_redirect_addr.xml")).unwrap(),
        PoxResponse::RedirectAddr("alice.archer@contoso-online.test".into())
    );
    assert_eq!(
        PoxResponse::from_xml(&fixture("autodiscover/pox_redirect_url.xml")).unwrap(),
        PoxResponse::RedirectUrl(
            "https://autodiscover.eu.contoso.test/autodiscover/autodiscover.xml".into()
        )
    );
    assert_eq!(
        PoxResponse::from_xml(&fixture("autodiscover/pox_error.xml")).unwrap(),
        PoxResponse::Error {
            code: "500".into(),
            message: "The email address can't be found.".into(),
        }
    );
}

#[test]
fn pox_response_errors() {
    let wrap = |account: &str| {
        format!(
            "<Autodiscover xmlns=\"{}\"><Response xmlns=\"{}\"><Account>{account}</Account></Response></Autodiscover>",
            ns::POX_RESPONSE,
            ns::POX_OUTLOOK_RESPONSE
        )
    };
    assert!(matches!(
        PoxResponse::from_xml(wrap("<Action>redirectAddr</Action>").as_bytes()),
        Err(DecodeError::Missing { .. })
    ));
    assert!(matches!(
        PoxResponse::from_xml(wrap("<Action>redirectUrl</Action>").as_bytes()),
        Err(DecodeError::Missing { .. })
    ));
    assert!(matches!(
        PoxResponse::from_xml(wrap("<Action>teleport</Action>").as_bytes()),
        Err(DecodeError::Invalid { .. })
    ));
    // The request namespace is not a response.
    let req = PoxRequest::new("a@b.test").to_xml();
    assert!(matches!(
        PoxResponse::from_xml(req.as_bytes()),
        Err(DecodeError::Unexpected { .. })
    ));
    let no_response = format!("<Autodiscover xmlns=\"{}\"/>", ns::POX_RESPONSE);
    assert!(matches!(
        PoxResponse::from_xml(no_response.as_bytes()),
        Err(DecodeError::Missing { .. })
    ));
}

// ------------------------------------------------------------------- SOAP

const SVC: &str = "https://autodiscover.contoso.test/autodiscover/autodiscover.svc";

#[test]
fn get_user_settings_request_round_trips() {
    let req = GetUserSettingsRequest {
        requested_server_version: Some("Exchange2013".into()),
        mailboxes: vec!["alice@contoso.test".into(), "bob@contoso.test".into()],
        settings: vec![
            "UserDisplayName".into(),
            "InternalEwsUrl".into(),
            "ExternalEwsUrl".into(),
        ],
    };
    let xml = req.to_xml(SVC);
    assert!(xml.contains(&format!("<wsa:To>{SVC}</wsa:To>")), "{xml}");
    assert!(xml.contains("Autodiscover/Autodiscover/GetUserSettings</wsa:Action>"));
    assert_eq!(
        GetUserSettingsRequest::from_xml(xml.as_bytes()).unwrap(),
        req
    );

    let bare = GetUserSettingsRequest {
        requested_server_version: None,
        mailboxes: vec![],
        settings: vec![],
    };
    assert_eq!(
        GetUserSettingsRequest::from_xml(bare.to_xml(SVC).as_bytes()).unwrap(),
        bare
    );
}

#[test]
fn get_user_settings_request_as_the_managed_api_sends_it() {
    let req = GetUserSettingsRequest::from_xml(&fixture(
        "autodiscover/soap_get_user_settings_request.xml",
    ))
    .unwrap();
    assert_eq!(
        req,
        GetUserSettingsRequest {
            requested_server_version: Some("Exchange2013".into()),
            mailboxes: vec!["alice@contoso.test".into(), "bob@contoso.test".into()],
            settings: vec![
                "UserDisplayName".into(),
                "InternalEwsUrl".into(),
                "ExternalEwsUrl".into(),
            ],
        }
    );
}

#[test]
fn get_user_settings_response_round_trips() {
    let resp = GetUserSettingsResponse {
        error_code: "NoError".into(),
        error_message: String::new(),
        users: vec![
            UserResponse {
                error_code: "NoError".into(),
                error_message: "No error.".into(),
                redirect_target: None,
                settings: vec![
                    ("UserDisplayName".into(), "Alice Archer".into()),
                    (
                        "ExternalEwsUrl".into(),
                        "https://mail.contoso.test/EWS/Exchange.asmx".into(),
                    ),
                ],
            },
            UserResponse {
                error_code: "RedirectAddress".into(),
                error_message: "Redirection address.".into(),
                redirect_target: Some("bob@contoso-online.test".into()),
                settings: vec![],
            },
            UserResponse {
                error_code: "InvalidUser".into(),
                error_message: "Invalid user: 'carol@contoso.test' <unknown> & gone".into(),
                redirect_target: None,
                settings: vec![],
            },
        ],
    };
    let xml = resp.to_xml();
    assert!(xml.contains("<a:RedirectTarget i:nil=\"true\"/>"), "{xml}");
    // Managed-API clients match the setting class by its exact, unprefixed name.
    assert!(
        xml.contains("<a:UserSetting i:type=\"StringSetting\">"),
        "{xml}"
    );
    let back = GetUserSettingsResponse::from_xml(xml.as_bytes()).unwrap();
    assert_eq!(back, resp);
    assert_eq!(
        back.users[0].setting("ExternalEwsUrl"),
        Some("https://mail.contoso.test/EWS/Exchange.asmx")
    );
    assert_eq!(back.users[0].setting("InternalEwsUrl"), None);
}

#[test]
fn get_user_settings_response_as_exchange_writes_it() {
    // Exchange binds `a:` to WS-Addressing there and uses a default namespace in the body.
    let resp = GetUserSettingsResponse::from_xml(&fixture(
        "autodiscover/soap_get_user_settings_response.xml",
    ))
    .unwrap();
    assert_eq!(resp.error_code, "NoError");
    assert_eq!(resp.error_message, "");
    assert_eq!(resp.users.len(), 2);
    let alice = &resp.users[0];
    assert_eq!(alice.error_code, "NoError");
    assert_eq!(alice.error_message, "No error.");
    assert_eq!(alice.redirect_target, None);
    assert_eq!(
        alice.settings,
        vec![
            ("UserDisplayName".to_string(), "Alice Archer".to_string()),
            (
                "InternalEwsUrl".into(),
                "https://ex01.contoso.test/EWS/Exchange.asmx".into()
            ),
            (
                "ExternalEwsUrl".into(),
                "https://mail.contoso.test/EWS/Exchange.asmx".into()
            ),
        ]
    );
    assert_eq!(alice.setting("UserDisplayName"), Some("Alice Archer"));
    let bob = &resp.users[1];
    assert_eq!(bob.error_code, "InvalidUser");
    assert_eq!(bob.error_message, "Invalid user: 'bob@contoso.test'");
    assert!(bob.settings.is_empty());
}

#[test]
fn get_user_settings_redirect_as_exchange_writes_it() {
    let resp = GetUserSettingsResponse::from_xml(&fixture(
        "autodiscover/soap_get_user_settings_redirect.xml",
    ))
    .unwrap();
    assert_eq!(resp.users.len(), 1);
    assert_eq!(resp.users[0].error_code, "RedirectAddress");
    assert_eq!(
        resp.users[0].redirect_target.as_deref(),
        Some("alice.archer@contoso-online.test")
    );
}

#[test]
fn get_user_settings_framing_errors() {
    assert!(matches!(
        GetUserSettingsResponse::from_xml(b"<Envelope/>"),
        Err(DecodeError::Unexpected { .. })
    ));
    let no_body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>"#;
    assert!(matches!(
        GetUserSettingsResponse::from_xml(no_body.as_bytes()),
        Err(DecodeError::Missing { .. })
    ));
    assert!(matches!(
        GetUserSettingsRequest::from_xml(no_body.as_bytes()),
        Err(DecodeError::Missing { .. })
    ));
    // An EWS request is not an Autodiscover request.
    let ews = std::fs::read(common::fixtures_dir().join("clients/exchangelib_find_item.xml"));
    if let Ok(ews) = ews {
        assert!(matches!(
            GetUserSettingsRequest::from_xml(&ews),
            Err(DecodeError::Missing { .. })
        ));
    }
}

// ------------------------------------------------------------------- JSON

#[test]
fn v2_json_round_trips() {
    let ok = V2Response {
        protocol: "EWS".into(),
        url: "https://mail.contoso.test/EWS/Exchange.asmx".into(),
    };
    let json = serde_json::to_string(&ok).unwrap();
    assert_eq!(
        json,
        r#"{"Protocol":"EWS","Url":"https://mail.contoso.test/EWS/Exchange.asmx"}"#
    );
    assert_eq!(serde_json::from_str::<V2Response>(&json).unwrap(), ok);

    let err = V2Error {
        error_code: "MailboxNotFound".into(),
        error_message: "The mailbox was not found.".into(),
    };
    let json = serde_json::to_string(&err).unwrap();
    assert_eq!(
        json,
        r#"{"ErrorCode":"MailboxNotFound","ErrorMessage":"The mailbox was not found."}"#
    );
    assert_eq!(serde_json::from_str::<V2Error>(&json).unwrap(), err);
}

#[test]
fn v2_json_as_exchange_writes_it() {
    let ok: V2Response = serde_json::from_slice(&fixture("autodiscover/v2_ews.json")).unwrap();
    assert_eq!(ok.protocol, "EWS");
    assert_eq!(ok.url, "https://mail.contoso.test/EWS/Exchange.asmx");
    let err: V2Error = serde_json::from_slice(&fixture("autodiscover/v2_error.json")).unwrap();
    assert_eq!(err.error_code, "InvalidProtocol");
    assert!(
        err.error_message
            .starts_with("The given protocol value 'Foo'")
    );
    // The field names are Exchange's, not Rust's.
    assert!(serde_json::from_str::<V2Response>(r#"{"protocol":"EWS","url":"x"}"#).is_err());
    // Extra fields Exchange may add are ignored.
    let extra: V2Response =
        serde_json::from_str(r#"{"Protocol":"EWS","Url":"https://x","Extra":1}"#).unwrap();
    assert_eq!(extra.url, "https://x");
}
