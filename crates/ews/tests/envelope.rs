//! The SOAP envelope: request headers (impersonation, version, time zone) and body framing.

mod common;

use impersync_ews::ops::{GetRoomLists, Request};
use impersync_ews::{
    ConnectingSid, DecodeError, RequestHeader, ServerVersionInfo, encode_request, read_request,
    read_response,
};

const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

/// A request envelope with the given header content and a GetRoomLists body.
fn request_with_header(header: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"{SOAP}\" xmlns:m=\"{M}\" xmlns:t=\"{T}\">\
         <soap:Header>{header}</soap:Header>\
         <soap:Body><m:GetRoomLists/></soap:Body></soap:Envelope>"
    )
}

fn impersonation(inner: &str) -> String {
    request_with_header(&format!(
        "<t:RequestServerVersion Version=\"Exchange2016\"/>\
         <t:ExchangeImpersonation><t:ConnectingSID>{inner}</t:ConnectingSID></t:ExchangeImpersonation>"
    ))
}

#[test]
fn every_connecting_sid_kind_round_trips() {
    let kinds = [
        ConnectingSid::PrincipalName("alice@corp.contoso.test".into()),
        ConnectingSid::Sid("S-1-5-21-3623811015-3361044348-30300820-1013".into()),
        ConnectingSid::PrimarySmtpAddress("alice@contoso.test".into()),
        ConnectingSid::SmtpAddress("a.archer@contoso.test".into()),
    ];
    for sid in kinds {
        let header = RequestHeader {
            server_version: Some("Exchange2016".into()),
            impersonation: Some(sid.clone()),
            time_zone: None,
        };
        let xml = encode_request(&header, &GetRoomLists);
        assert!(
            xml.contains(&format!(
                "<t:{}>{}</t:{}>",
                sid.kind(),
                sid.value(),
                sid.kind()
            )),
            "{xml}"
        );
        let env = read_request(xml.as_bytes()).expect("decodes");
        assert_eq!(env.header, header);
        assert_eq!(
            env.header.impersonation.as_ref().unwrap().kind(),
            sid.kind()
        );
        assert_eq!(
            Request::read(&env.body).unwrap(),
            Request::GetRoomLists(GetRoomLists)
        );
    }
}

#[test]
fn connecting_sid_kind_names_match_the_wire() {
    let cases = [
        ("PrincipalName", ConnectingSid::PrincipalName("x".into())),
        ("SID", ConnectingSid::Sid("x".into())),
        (
            "PrimarySmtpAddress",
            ConnectingSid::PrimarySmtpAddress("x".into()),
        ),
        ("SmtpAddress", ConnectingSid::SmtpAddress("x".into())),
    ];
    for (name, sid) in cases {
        assert_eq!(sid.kind(), name);
        assert_eq!(sid.value(), "x");
        assert_eq!(ConnectingSid::from_kind(name, "x".into()), Some(sid));
    }
    assert_eq!(ConnectingSid::from_kind("Sid", "x".into()), None);
    assert_eq!(ConnectingSid::from_kind("", "x".into()), None);
}

#[test]
fn impersonation_written_by_hand_with_whitespace_is_trimmed() {
    let xml = impersonation("\n  <t:SID>\n    S-1-5-21-1\n  </t:SID>\n");
    let env = read_request(xml.as_bytes()).unwrap();
    assert_eq!(
        env.header.impersonation,
        Some(ConnectingSid::Sid("S-1-5-21-1".into()))
    );
    assert_eq!(env.header.server_version.as_deref(), Some("Exchange2016"));
}

fn assert_invalid_header(xml: &str) {
    match read_request(xml.as_bytes()) {
        Err(DecodeError::InvalidImpersonationHeader(_)) => {}
        other => panic!("expected InvalidImpersonationHeader, got {other:?} for {xml}"),
    }
}

#[test]
fn empty_connecting_sid_value_is_refused() {
    assert_invalid_header(&impersonation(
        "<t:PrimarySmtpAddress></t:PrimarySmtpAddress>",
    ));
    assert_invalid_header(&impersonation("<t:PrimarySmtpAddress/>"));
    assert_invalid_header(&impersonation("<t:SmtpAddress>   </t:SmtpAddress>"));
}

#[test]
fn connecting_sid_without_child_is_refused() {
    assert_invalid_header(&impersonation(""));
    assert_invalid_header(&request_with_header(
        "<t:ExchangeImpersonation><t:ConnectingSID/></t:ExchangeImpersonation>",
    ));
    // A child in another namespace names nobody either.
    assert_invalid_header(&impersonation(
        "<m:PrimarySmtpAddress>alice@contoso.test</m:PrimarySmtpAddress>",
    ));
}

#[test]
fn exchange_impersonation_without_connecting_sid_is_refused() {
    assert_invalid_header(&request_with_header(
        "<t:ExchangeImpersonation></t:ExchangeImpersonation>",
    ));
}

#[test]
fn two_ids_in_connecting_sid_are_refused() {
    assert_invalid_header(&impersonation(
        "<t:PrimarySmtpAddress>alice@contoso.test</t:PrimarySmtpAddress>\
         <t:SmtpAddress>bob@contoso.test</t:SmtpAddress>",
    ));
    assert_invalid_header(&impersonation(
        "<t:SID>S-1-5-21-1</t:SID><t:SID>S-1-5-21-2</t:SID>",
    ));
}

#[test]
fn unknown_id_kind_is_refused() {
    assert_invalid_header(&impersonation(
        "<t:UserPrincipalName>alice@contoso.test</t:UserPrincipalName>",
    ));
}

#[test]
fn time_zone_context_is_accepted() {
    let xml = request_with_header(
        "<t:RequestServerVersion Version=\"Exchange2013_SP1\"/>\
         <t:ExchangeImpersonation><t:ConnectingSID>\
         <t:PrincipalName>alice@corp.contoso.test</t:PrincipalName>\
         </t:ConnectingSID></t:ExchangeImpersonation>\
         <t:TimeZoneContext><t:TimeZoneDefinition Id=\"W. Europe Standard Time\">\
         <t:Periods><t:Period Bias=\"-P0DT1H0M0.0S\" Name=\"Standard\" Id=\"trule:Microsoft/Registry/W. Europe Standard Time/1-Standard\"/></t:Periods>\
         </t:TimeZoneDefinition></t:TimeZoneContext>",
    );
    let env = read_request(xml.as_bytes()).unwrap();
    assert_eq!(
        env.header,
        RequestHeader {
            server_version: Some("Exchange2013_SP1".into()),
            impersonation: Some(ConnectingSid::PrincipalName(
                "alice@corp.contoso.test".into()
            )),
            time_zone: Some("W. Europe Standard Time".into()),
        }
    );

    // And it round-trips through the writer.
    let again = encode_request(&env.header, &GetRoomLists);
    assert!(again.contains("<t:TimeZoneDefinition Id=\"W. Europe Standard Time\"/>"));
    assert_eq!(read_request(again.as_bytes()).unwrap().header, env.header);
}

#[test]
fn request_without_header_has_an_empty_header() {
    let xml = format!(
        "<s:Envelope xmlns:s=\"{SOAP}\"><s:Body><GetRoomLists xmlns=\"{M}\"/></s:Body></s:Envelope>"
    );
    let env = read_request(xml.as_bytes()).unwrap();
    assert_eq!(env.header, RequestHeader::default());
    assert_eq!(env.body.ns, M);
    assert_eq!(env.body.name, "GetRoomLists");
}

#[test]
fn request_envelope_framing_errors() {
    // Not a SOAP envelope.
    let err = read_request(b"<Envelope><Body/></Envelope>").unwrap_err();
    assert!(matches!(err, DecodeError::Unexpected { .. }), "{err:?}");
    // An envelope in the SOAP 1.2 namespace is not SOAP 1.1.
    let err = read_request(
        b"<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>",
    )
    .unwrap_err();
    assert!(matches!(err, DecodeError::Unexpected { .. }), "{err:?}");
    // No body.
    let err =
        read_request(format!("<s:Envelope xmlns:s=\"{SOAP}\"><s:Header/></s:Envelope>").as_bytes())
            .unwrap_err();
    assert_eq!(err, DecodeError::missing_for_test("Body", "Envelope"));
    // An empty body.
    let err =
        read_request(format!("<s:Envelope xmlns:s=\"{SOAP}\"><s:Body/></s:Envelope>").as_bytes())
            .unwrap_err();
    assert!(matches!(err, DecodeError::Missing { .. }), "{err:?}");
}

#[test]
fn unsupported_operations_are_named() {
    let xml = format!(
        "<s:Envelope xmlns:s=\"{SOAP}\" xmlns:m=\"{M}\"><s:Body><m:CreateItem/></s:Body></s:Envelope>"
    );
    let env = read_request(xml.as_bytes()).unwrap();
    assert_eq!(
        Request::read(&env.body).unwrap_err(),
        DecodeError::UnsupportedOperation("CreateItem".into())
    );
    // The right name in the wrong namespace is not the operation.
    let xml = format!(
        "<s:Envelope xmlns:s=\"{SOAP}\" xmlns:t=\"{T}\"><s:Body><t:GetFolder/></s:Body></s:Envelope>"
    );
    let env = read_request(xml.as_bytes()).unwrap();
    assert!(matches!(
        Request::read(&env.body),
        Err(DecodeError::UnsupportedOperation(_))
    ));
}

#[test]
fn response_server_version_is_read_with_any_prefix() {
    let xml = common::fixture("responses/get_folder_inbox.xml");
    let env = read_response(&xml).unwrap();
    assert_eq!(env.server_version, Some(ServerVersionInfo::exchange2016()));
    assert_eq!(env.body.as_ref().unwrap().name, "GetFolderResponse");

    // Exchange 2007 sent no Version attribute.
    let xml = common::fixture("responses/get_folder_legacy_default_ns.xml");
    let env = read_response(&xml).unwrap();
    assert_eq!(
        env.server_version,
        Some(ServerVersionInfo {
            major: 8,
            minor: 0,
            build: 685,
            revision: 24,
            version: String::new(),
        })
    );
}

#[test]
fn response_without_header_has_no_version() {
    let xml = common::fixture("responses/fault_impersonate_user_denied.xml");
    let env = read_response(&xml).unwrap();
    assert_eq!(env.server_version, None);
    assert!(env.body.is_err());
}

#[test]
fn response_with_a_non_numeric_version_is_an_error() {
    let xml = format!(
        "<s:Envelope xmlns:s=\"{SOAP}\"><s:Header>\
         <t:ServerVersionInfo xmlns:t=\"{T}\" MajorVersion=\"fifteen\"/></s:Header>\
         <s:Body><m:GetRoomListsResponse xmlns:m=\"{M}\" ResponseClass=\"Success\"/></s:Body></s:Envelope>"
    );
    assert!(matches!(
        read_response(xml.as_bytes()),
        Err(DecodeError::Invalid { .. })
    ));
}

/// `DecodeError::missing` is crate-private; build the same value by hand.
trait MissingForTest {
    fn missing_for_test(element: &str, parent: &str) -> DecodeError;
}

impl MissingForTest for DecodeError {
    fn missing_for_test(element: &str, parent: &str) -> DecodeError {
        DecodeError::Missing {
            element: element.into(),
            parent: parent.into(),
        }
    }
}
