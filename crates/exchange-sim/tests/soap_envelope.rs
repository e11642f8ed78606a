//! The SOAP envelope every EWS answer has: ServerVersionInfo, faults with HTTP 500, and
//! requests written the way different real clients write them.

mod common;

use common::*;
use impersync_ews::ops::{GetFolder, GetFolderResponse};
use impersync_ews::types::FolderRef;
use impersync_ews::{ResponseCode, ServerVersionInfo};

const HEADER_VERSION: &str = r#"<t:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="V2017_07_11"/>"#;

fn assert_version_in_header(body: &str) {
    let header = body
        .split_once("<s:Header>")
        .and_then(|(_, rest)| rest.split_once("</s:Header>"))
        .map(|(h, _)| h)
        .unwrap_or_else(|| panic!("no soap:Header in {body}"));
    assert!(header.contains(HEADER_VERSION), "{header}");
}

#[tokio::test]
async fn success_operation_error_and_fault_all_carry_server_version_info() {
    let server = Server::demo().await;
    // Success.
    let ok = server
        .as_master(
            "alice@contoso.test",
            &get_folder(vec![FolderRef::distinguished("inbox")]),
        )
        .await;
    assert_version_in_header(&ok.body);
    assert!(ok.body.contains(r#"ResponseClass="Success""#));
    ok.ok();

    // An operation-level error: HTTP 200, ResponseClass="Error", m:ResponseCode.
    let err = server
        .as_master(
            "alice@contoso.test",
            &get_folder(vec![FolderRef::distinguished("nosuchfolder")]),
        )
        .await;
    assert_version_in_header(&err.body);
    assert!(
        err.body.contains(r#"ResponseClass="Error""#),
        "{}",
        err.body
    );
    assert!(
        err.body
            .contains("<m:ResponseCode>ErrorFolderNotFound</m:ResponseCode>")
    );
    let r = err.ok();
    error_of(&r.messages[0], ResponseCode::ErrorFolderNotFound);

    // A header-level refusal: HTTP 500 SOAP fault.
    let fault = server
        .as_master(
            "erin@contoso.test",
            &get_folder(vec![FolderRef::distinguished("inbox")]),
        )
        .await;
    assert_version_in_header(&fault.body);
    assert!(fault.body.contains("<s:Fault>"), "{}", fault.body);
    fault.expect_fault(ResponseCode::ErrorImpersonateUserDenied);
}

#[tokio::test]
async fn malformed_and_unsupported_requests_are_xml_faults() {
    let server = Server::demo().await;
    let cases = [
        ("not xml", "this is not XML".to_string(), ResponseCode::ErrorSchemaValidation),
        (
            "an envelope without a body",
            r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>"#.into(),
            ResponseCode::ErrorSchemaValidation,
        ),
        (
            "a DTD",
            r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&e;</s:Body></s:Envelope>"#.into(),
            ResponseCode::ErrorSchemaValidation,
        ),
        (
            "an operation the simulator does not model",
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><s:Body><m:CreateItem/></s:Body></s:Envelope>"#.into(),
            ResponseCode::ErrorInvalidRequest,
        ),
        (
            "GetFolder without FolderShape",
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body><m:GetFolder><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>"#.into(),
            ResponseCode::ErrorSchemaValidation,
        ),
    ];
    for (what, body, code) in cases {
        let raw = server.post_raw(Some(MASTER), None, body).await;
        assert_eq!(raw.status, 500, "{what}");
        assert_version_in_header(&raw.body);
        let f = check_ews_reply::<GetFolder>(raw).expect_fault(code);
        assert!(!f.message.is_empty(), "{what}");
    }
}

#[tokio::test]
async fn requests_in_other_clients_styles_are_served() {
    let server = Server::demo().await;
    // ews-javascript-api style: no XML declaration, `soap:` prefix, default namespaces
    // on the operation and a SmtpAddress ConnectingSID.
    let js_style = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Header><RequestServerVersion xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Version="Exchange2013"/><ExchangeImpersonation xmlns="http://schemas.microsoft.com/exchange/services/2006/types"><ConnectingSID><SmtpAddress>bob@contoso.test</SmtpAddress></ConnectingSID></ExchangeImpersonation></soap:Header><soap:Body><GetFolder xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><FolderShape><BaseShape xmlns="http://schemas.microsoft.com/exchange/services/2006/types">AllProperties</BaseShape></FolderShape><FolderIds><DistinguishedFolderId xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Id="sentitems"/></FolderIds></GetFolder></soap:Body></soap:Envelope>"#;
    let raw = server
        .post_raw(Some(MASTER), Some("bob@contoso.test"), js_style.into())
        .await;
    let r = check_ews_reply::<GetFolder>(raw).ok();
    let sent = only_folder(r.messages);
    assert_eq!(sent.total_count, Some(20));
    assert_eq!(sent.display_name.as_deref(), Some("Sent Items"));

    // exchangelib style: `s:`/`m:`/`t:` prefixes, PrimarySmtpAddress, nested t:Mailbox,
    // a TimeZoneContext, and whitespace between elements.
    let exchangelib_style = r#"<?xml version='1.0' encoding='utf-8'?>
<s:Envelope xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
  <s:Header>
    <t:RequestServerVersion Version="Exchange2016"/>
    <t:ExchangeImpersonation>
      <t:ConnectingSID>
        <t:PrimarySmtpAddress>carol@contoso.test</t:PrimarySmtpAddress>
      </t:ConnectingSID>
    </t:ExchangeImpersonation>
    <t:TimeZoneContext><t:TimeZoneDefinition Id="UTC"/></t:TimeZoneContext>
  </s:Header>
  <s:Body>
    <m:GetFolder>
      <m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:TotalCount"/></t:AdditionalProperties></m:FolderShape>
      <m:FolderIds>
        <t:DistinguishedFolderId Id="root"><t:Mailbox><t:EmailAddress>carol@contoso.test</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>
        <t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>carol@contoso.test</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>
      </m:FolderIds>
    </m:GetFolder>
  </s:Body>
</s:Envelope>"#;
    let raw = server
        .post_raw(
            Some(MASTER),
            Some("carol@contoso.test"),
            exchangelib_style.into(),
        )
        .await;
    let r: GetFolderResponse = check_ews_reply::<GetFolder>(raw).ok();
    assert_eq!(r.messages.len(), 2);
    let mut it = r.messages.into_iter();
    let root = success(it.next().unwrap()).remove(0);
    let inbox = success(it.next().unwrap()).remove(0);
    assert_eq!(root.total_count, Some(0));
    assert_eq!(inbox.total_count, Some(50));
    // IdOnly plus TotalCount: no display name.
    assert_eq!(inbox.display_name, None);
}

#[tokio::test]
async fn the_version_reported_is_exchange_2016() {
    let server = Server::demo().await;
    let reply = server
        .call(
            NO_MAILBOX,
            None,
            &get_folder(vec![FolderRef::distinguished("inbox")]),
        )
        .await;
    assert_eq!(
        reply.decoded.server_version,
        Some(ServerVersionInfo::exchange2016())
    );
}
