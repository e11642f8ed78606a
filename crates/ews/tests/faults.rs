//! SOAP faults and throttling: fault envelopes, codes, and `BackOffMilliseconds`.

mod common;

use impersync_ews::ops::{GetFolder, SyncFolderItems, SyncFolderItemsResponse};
use impersync_ews::types::Shape;
use impersync_ews::{
    DecodeError, ResponseClass, ResponseCode, ResponseMessage, ResponseStatus, ServerVersionInfo,
    SoapFault, decode_response, encode_response, read_response,
};

#[test]
fn fault_envelope_round_trips_with_code_from_detail() {
    let faults = [
        SoapFault::new(
            ResponseCode::ErrorImpersonateUserDenied,
            "The account does not have permission to impersonate the requested user.",
        ),
        SoapFault::new(
            ResponseCode::ErrorInvalidExchangeImpersonationHeaderData,
            "The impersonation header is invalid & <empty>.",
        ),
        SoapFault::new(
            ResponseCode::Other("ErrorInvalidRecipients".into()),
            "Something \"new\"",
        ),
        SoapFault {
            code: ResponseCode::ErrorServerBusy,
            message: "The server cannot service this request right now. Try again later.".into(),
            back_off_ms: Some(297_749),
        },
    ];
    for fault in faults {
        let xml = fault.to_envelope(&common::version());
        assert!(
            xml.contains(&format!(">a:{}</faultcode>", fault.code)),
            "{xml}"
        );
        assert!(
            xml.contains(&format!(">{}</e:ResponseCode>", fault.code)),
            "{xml}"
        );

        let env = read_response(xml.as_bytes()).expect("decodes");
        assert_eq!(env.server_version, Some(common::version()));
        assert_eq!(env.body.unwrap_err(), fault);

        // Whatever operation the client expected, it gets the fault.
        let decoded = decode_response::<GetFolder>(xml.as_bytes()).unwrap();
        assert_eq!(decoded.body.unwrap_err(), fault);
        let decoded = decode_response::<SyncFolderItems>(xml.as_bytes()).unwrap();
        assert_eq!(decoded.body.unwrap_err(), fault);
    }
}

#[test]
fn detail_response_code_wins_over_faultcode() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
        <faultcode>s:Client</faultcode>
        <faultstring>The request failed schema validation.</faultstring>
        <detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorSchemaValidation</e:ResponseCode></detail>
        </s:Fault></s:Body></s:Envelope>"#;
    let fault = read_response(xml.as_bytes()).unwrap().body.unwrap_err();
    assert_eq!(fault.code, ResponseCode::ErrorSchemaValidation);
    assert_eq!(fault.message, "The request failed schema validation.");
    assert_eq!(fault.back_off_ms, None);
}

#[test]
fn impersonate_user_denied_fault_as_exchange_writes_it() {
    let xml = common::fixture("responses/fault_impersonate_user_denied.xml");
    let fault = decode_response::<SyncFolderItems>(&xml)
        .unwrap()
        .body
        .unwrap_err();
    assert_eq!(
        fault,
        SoapFault::new(
            ResponseCode::ErrorImpersonateUserDenied,
            "The account does not have permission to impersonate the requested user."
        )
    );
}

#[test]
fn fault_with_only_a_prefixed_faultcode() {
    let xml = common::fixture("responses/fault_faultcode_only.xml");
    let env = read_response(&xml).unwrap();
    assert_eq!(env.server_version, None);
    let fault = env.body.unwrap_err();
    assert_eq!(fault.code, ResponseCode::ErrorImpersonateUserDenied);
    assert_eq!(
        fault.message,
        "The account does not have permission to impersonate the requested user."
    );
    assert_eq!(fault.back_off_ms, None);
}

#[test]
fn fault_with_an_empty_detail_code_falls_back_to_faultcode() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
        <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorNonExistentMailbox</faultcode>
        <faultstring>No mailbox.</faultstring>
        <detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors"/></detail>
        </s:Fault></s:Body></s:Envelope>"#;
    let fault = read_response(xml.as_bytes()).unwrap().body.unwrap_err();
    assert_eq!(fault.code, ResponseCode::ErrorNonExistentMailbox);
}

#[test]
fn fault_without_any_code_is_an_error() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
        <faultstring>?</faultstring></s:Fault></s:Body></s:Envelope>"#;
    assert!(matches!(
        read_response(xml.as_bytes()),
        Err(DecodeError::Missing { .. })
    ));
}

#[test]
fn server_busy_fault_carries_back_off() {
    let xml = common::fixture("responses/fault_server_busy.xml");
    let decoded = decode_response::<SyncFolderItems>(&xml).unwrap();
    assert_eq!(
        decoded.server_version,
        Some(ServerVersionInfo::exchange2016())
    );
    let fault = decoded.body.unwrap_err();
    assert_eq!(fault.code, ResponseCode::ErrorServerBusy);
    assert_eq!(fault.back_off_ms, Some(297_749));
    assert_eq!(
        fault.message,
        "The server cannot service this request right now. Try again later."
    );
}

#[test]
fn server_busy_fault_with_a_garbage_back_off_is_an_error() {
    let xml = String::from_utf8(common::fixture("responses/fault_server_busy.xml"))
        .unwrap()
        .replace(">297749<", ">soon<");
    assert!(matches!(
        read_response(xml.as_bytes()),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn schema_validation_fault_with_other_message_xml_has_no_back_off() {
    let xml = common::fixture("responses/fault_schema_validation.xml");
    let fault = read_response(&xml).unwrap().body.unwrap_err();
    assert_eq!(fault.code, ResponseCode::ErrorSchemaValidation);
    assert_eq!(fault.back_off_ms, None);
    assert!(
        fault
            .message
            .starts_with("The request failed schema validation")
    );
}

#[test]
fn server_busy_response_message_carries_back_off() {
    let xml = common::fixture("responses/sync_folder_items_server_busy.xml");
    let resp = decode_response::<SyncFolderItems>(&xml)
        .unwrap()
        .body
        .unwrap();
    assert_eq!(resp.messages.len(), 1);
    let status = &resp.messages[0].status;
    assert_eq!(status.class, ResponseClass::Error);
    assert!(!status.is_success());
    assert_eq!(status.code, ResponseCode::ErrorServerBusy);
    assert_eq!(status.back_off_ms, Some(30_000));
    assert_eq!(
        status.message_text.as_deref(),
        Some("The server cannot service this request right now. Try again later.")
    );
    assert_eq!(resp.messages[0].payload, None);
}

#[test]
fn server_busy_response_message_round_trips() {
    let status = ResponseStatus {
        back_off_ms: Some(45_000),
        ..ResponseStatus::error(ResponseCode::ErrorServerBusy, "Too busy")
    };
    let resp = SyncFolderItemsResponse {
        messages: vec![ResponseMessage {
            status: status.clone(),
            payload: None,
        }],
        shape: Shape::default(),
    };
    let xml = encode_response(&common::version(), &resp);
    assert!(
        xml.contains(
            "<m:MessageXml><t:Value Name=\"BackOffMilliseconds\">45000</t:Value></m:MessageXml>"
        ),
        "{xml}"
    );
    let back = decode_response::<SyncFolderItems>(xml.as_bytes())
        .unwrap()
        .body
        .unwrap();
    assert_eq!(back.messages, resp.messages);
    assert_eq!(back.messages[0].status.back_off_ms, Some(45_000));
}

#[test]
fn response_codes_parse_with_and_without_prefix() {
    assert_eq!(ResponseCode::parse("NoError"), ResponseCode::NoError);
    assert_eq!(
        ResponseCode::parse(" a:ErrorServerBusy "),
        ResponseCode::ErrorServerBusy
    );
    assert_eq!(
        ResponseCode::parse("ErrorSomethingNew"),
        ResponseCode::Other("ErrorSomethingNew".into())
    );
    assert_eq!(
        ResponseCode::ErrorAccessDenied.as_str(),
        "ErrorAccessDenied"
    );
    assert_eq!(ResponseCode::Other("X".into()).to_string(), "X".to_string());
}
