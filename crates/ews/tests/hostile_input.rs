//! Hostile and broken input: DTDs, entities, bad prefixes, truncation, nesting, and a
//! deterministic mutation fuzzer over every fixture. Decoders must return errors, never panic.

mod common;

use common::Rng;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use impersync_ews::autodiscover::{
    GetUserSettingsRequest, GetUserSettingsResponse, PoxRequest, PoxResponse, V2Error, V2Response,
};
use impersync_ews::ops::{
    ConvertId, FindFolder, FindItem, GetFolder, GetItem, GetRoomLists, GetRooms, Request,
    SyncFolderHierarchy, SyncFolderItems,
};
use impersync_ews::{
    DecodeError, Operation, RequestHeader, ServerVersionInfo, SoapFault, decode_response,
    encode_request, encode_response, read_request, read_response, xml,
};

const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";

fn envelope_with_prolog(prolog: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>{prolog}<s:Envelope xmlns:s=\"{SOAP}\" xmlns:m=\"{M}\"><s:Body>{body}</s:Body></s:Envelope>"
    )
}

/// Runs every decoder on `bytes` and checks the error is the expected one where it must be.
fn assert_all_refuse(bytes: &[u8], expected: &DecodeError) {
    assert_eq!(xml::parse(bytes).unwrap_err(), *expected);
    assert_eq!(read_request(bytes).unwrap_err(), *expected);
    assert_eq!(read_response(bytes).unwrap_err(), *expected);
    assert_eq!(
        decode_response::<SyncFolderItems>(bytes).unwrap_err(),
        *expected
    );
    assert_eq!(PoxRequest::from_xml(bytes).unwrap_err(), *expected);
    assert_eq!(PoxResponse::from_xml(bytes).unwrap_err(), *expected);
    assert_eq!(
        GetUserSettingsRequest::from_xml(bytes).unwrap_err(),
        *expected
    );
    assert_eq!(
        GetUserSettingsResponse::from_xml(bytes).unwrap_err(),
        *expected
    );
}

#[test]
fn a_dtd_is_refused() {
    let doc = envelope_with_prolog("<!DOCTYPE s:Envelope>", "<m:GetRoomLists/>");
    assert_all_refuse(doc.as_bytes(), &DecodeError::DtdRefused);
    let doc = envelope_with_prolog(
        "<!DOCTYPE Envelope SYSTEM \"http://attacker.test/soap.dtd\">",
        "<m:GetRoomLists/>",
    );
    assert_all_refuse(doc.as_bytes(), &DecodeError::DtdRefused);
}

#[test]
fn billion_laughs_is_refused() {
    let mut dtd = String::from("<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>");
    let doc = envelope_with_prolog(
        &dtd,
        "<m:GetRooms><m:RoomList>&lol9;</m:RoomList></m:GetRooms>",
    );
    assert_all_refuse(doc.as_bytes(), &DecodeError::DtdRefused);
}

#[test]
fn external_entities_are_refused() {
    let doc = envelope_with_prolog(
        "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
        "<m:GetRooms><m:RoomList>&xxe;</m:RoomList></m:GetRooms>",
    );
    assert_all_refuse(doc.as_bytes(), &DecodeError::DtdRefused);
    let doc = envelope_with_prolog(
        "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://attacker.test/x.dtd\"> %p;]>",
        "<m:GetRoomLists/>",
    );
    assert_all_refuse(doc.as_bytes(), &DecodeError::DtdRefused);
}

#[test]
fn a_dtd_inside_the_document_is_refused() {
    let doc = envelope_with_prolog("", "<!DOCTYPE x><m:GetRoomLists/>");
    assert!(read_request(doc.as_bytes()).is_err());
}

#[test]
fn an_entity_declaration_without_a_doctype_is_refused() {
    let doc = envelope_with_prolog("<!ENTITY lol \"lol\">", "<m:GetRoomLists/>");
    assert!(xml::parse(doc.as_bytes()).is_err());
    assert!(read_request(doc.as_bytes()).is_err());
}

#[test]
fn an_undeclared_entity_is_refused() {
    let doc = envelope_with_prolog(
        "",
        "<m:GetRooms><m:RoomList>&foo;</m:RoomList></m:GetRooms>",
    );
    assert_all_refuse(doc.as_bytes(), &DecodeError::UndeclaredEntity("foo".into()));
    // In an attribute value too.
    let doc = envelope_with_prolog("", "<m:ConvertId DestinationFormat=\"&foo;\"/>");
    assert!(read_request(doc.as_bytes()).is_err());
    // The predefined entities and character references are fine.
    let doc = envelope_with_prolog(
        "",
        "<m:GetRooms><m:RoomList><t:EmailAddress xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">&lt;a&amp;b&gt;&quot;&apos;&#65;&#x42;</t:EmailAddress></m:RoomList></m:GetRooms>",
    );
    let env = read_request(doc.as_bytes()).unwrap();
    let Request::GetRooms(op) = Request::read(&env.body).unwrap() else {
        panic!("wrong op");
    };
    assert_eq!(op.room_list, "<a&b>\"'AB");
    // A character reference to a character XML forbids is refused.
    let doc = envelope_with_prolog("", "<m:GetRooms><m:RoomList>&#0;</m:RoomList></m:GetRooms>");
    assert!(read_request(doc.as_bytes()).is_err());
}

#[test]
fn an_undeclared_prefix_is_an_error() {
    let doc =
        format!("<s:Envelope xmlns:s=\"{SOAP}\"><s:Body><m:GetRoomLists/></s:Body></s:Envelope>");
    assert!(matches!(
        read_request(doc.as_bytes()),
        Err(DecodeError::Xml(_))
    ));
    assert!(matches!(
        xml::parse(b"<x:Envelope/>"),
        Err(DecodeError::Xml(_))
    ));
    assert!(matches!(
        read_response(b"<soap:Envelope><soap:Body/></soap:Envelope>"),
        Err(DecodeError::Xml(_))
    ));
}

#[test]
fn malformed_documents_are_errors() {
    let cases: &[&[u8]] = &[
        b"",
        b"   \n ",
        b"<?xml version=\"1.0\"?>",
        b"<a>",
        b"<a></b>",
        b"</a>",
        b"<a/><b/>",
        b"<a/>trailing text",
        b"<a/>&amp;",
        b"&amp;<a/>",
        b"<a/>&#65;",
        b"<a/><![CDATA[x]]>",
        b"<a b='1' b='2'/>",
        b"<a b=1/>",
        b"<a>\xff\xfe</a>",
        b"<a><!-- unterminated </a>",
        b"<a><![CDATA[ unterminated </a>",
        b"<a <b/>",
        b"\x00<a/>",
    ];
    let accepted: Vec<_> = cases
        .iter()
        .filter(|case| xml::parse(case).is_ok())
        .map(|case| String::from_utf8_lossy(case))
        .collect();
    assert!(accepted.is_empty(), "accepted {accepted:?}");
    for case in cases {
        assert!(read_request(case).is_err());
        assert!(read_response(case).is_err());
    }
}

#[test]
fn every_truncation_of_a_valid_document_is_an_error() {
    let docs = [
        String::from_utf8(common::fixture("responses/sync_folder_items_calendar.xml")).unwrap(),
        String::from_utf8(common::fixture("responses/get_folder_inbox.xml")).unwrap(),
        encode_request(&RequestHeader::default(), &GetRoomLists),
    ];
    for doc in docs {
        let doc = doc.trim_end();
        assert!(read_response(doc.as_bytes()).is_ok() || read_request(doc.as_bytes()).is_ok());
        for cut in 0..doc.len() {
            let bytes = &doc.as_bytes()[..cut];
            assert!(xml::parse(bytes).is_err(), "prefix of {cut} bytes accepted");
            assert!(read_response(bytes).is_err());
            assert!(read_request(bytes).is_err());
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let ok_depth = 40;
    let doc = format!("{}{}", "<a>".repeat(ok_depth), "</a>".repeat(ok_depth));
    assert!(xml::parse(doc.as_bytes()).is_ok());

    for depth in [1_000, 100_000] {
        let doc = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert!(matches!(
            xml::parse(doc.as_bytes()),
            Err(DecodeError::Xml(_))
        ));
        let body = format!("{}{}", "<m:x>".repeat(depth), "</m:x>".repeat(depth));
        let doc = envelope_with_prolog("", &body);
        assert!(read_request(doc.as_bytes()).is_err());
        assert!(read_response(doc.as_bytes()).is_err());
        // Unclosed, too.
        let doc = "<a>".repeat(depth);
        assert!(xml::parse(doc.as_bytes()).is_err());
    }
}

#[test]
fn wide_documents_are_fine() {
    let body = format!(
        "<m:GetItem><m:ItemShape><t:BaseShape xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>{}</m:ItemIds></m:GetItem>",
        "<t:ItemId xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\" Id=\"A\"/>".repeat(20_000)
    );
    let doc = envelope_with_prolog("", &body);
    let env = read_request(doc.as_bytes()).unwrap();
    let Request::GetItem(op) = Request::read(&env.body).unwrap() else {
        panic!("wrong op");
    };
    assert_eq!(op.item_ids.len(), 20_000);
}

// ------------------------------------------------------------------ fuzzing

const INSERTS: &[&[u8]] = &[
    b"<",
    b"&",
    b"]]>",
    b">",
    b"\"",
    b"'",
    b"</",
    b"/>",
    b"<!DOCTYPE x>",
    b"<!ENTITY e \"x\">",
    b"&foo;",
    b"&#0;",
    b"&#x110000;",
    b"&#xD;",
    b"&#99999999999999999999;",
    b"<![CDATA[",
    b"<?pi x?>",
    b"<!--",
    b"xmlns:t=\"\"",
    b" xmlns=\"urn:x\"",
    b"<u:x>",
    b"\xff",
    b"\xc3",
    b"\r\n",
    b"\0",
    b"-1",
    b"99999999999999999999999",
    b"true",
    b"Error",
];

/// Values placed where text or attribute values start, to reach value parsing.
const VALUES: &[&str] = &[
    "-1",
    "99999999999999999999999",
    "true",
    "0",
    "1.5",
    "Error",
    "Warning",
    "NoError",
    "ErrorServerBusy",
    "End",
    "IdOnly",
    " ",
    "a:",
];

/// The index just after a random occurrence of `needle`, if any.
fn after_random(rng: &mut Rng, hay: &[u8], needle: &[u8]) -> Option<usize> {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i + needle.len())
        .collect();
    (!hits.is_empty()).then(|| hits[rng.below(hits.len())])
}

/// Applies one to three random mutations.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(3) {
        let len = out.len();
        match rng.below(9) {
            7 | 8 => {
                // A value where element text or an attribute value begins.
                let needle: &[u8] = if rng.below(2) == 0 { b">" } else { b"=\"" };
                if let Some(at) = after_random(rng, &out, needle) {
                    let value = VALUES[rng.below(VALUES.len())].as_bytes();
                    out.splice(at..at, value.iter().copied());
                }
            }
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.truncate(rng.below(len + 1)),
            2 => {
                let at = rng.below(len + 1);
                let ins = INSERTS[rng.below(INSERTS.len())];
                out.splice(at..at, ins.iter().copied());
            }
            3 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(200)).min(len);
                let slice = out[start..end].to_vec();
                let at = rng.below(len + 1);
                out.splice(at..at, slice);
            }
            4 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(64)).min(len);
                out.drain(start..end);
            }
            5 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            _ => {
                // Swap two bytes, often turning a tag name or a prefix into another.
                if len > 1 {
                    let (a, b) = (rng.below(len), rng.below(len));
                    out.swap(a, b);
                }
            }
        }
    }
    out
}

/// Decodes a response as `O`; when that works, re-encodes it and checks that the re-encoded
/// form decodes, and that one more round is a fixed point.
fn response_fixpoint<O: Operation>(bytes: &[u8])
where
    O::Response: PartialEq + std::fmt::Debug,
{
    let Ok(decoded) = decode_response::<O>(bytes) else {
        return;
    };
    let version = decoded
        .server_version
        .clone()
        .unwrap_or_else(ServerVersionInfo::exchange2016);
    let encode = |body: &Result<O::Response, SoapFault>| match body {
        Ok(r) => encode_response(&version, r),
        Err(f) => f.to_envelope(&version),
    };
    let once = encode(&decoded.body);
    let second = decode_response::<O>(once.as_bytes())
        .unwrap_or_else(|e| panic!("re-encoded response does not decode: {e}\n{once}"));
    let twice = encode(&second.body);
    let third = decode_response::<O>(twice.as_bytes()).unwrap();
    assert_eq!(
        second.body, third.body,
        "not a fixed point:\n{once}\n{twice}"
    );
}

fn encode_any(header: &RequestHeader, req: &Request) -> String {
    match req {
        Request::GetFolder(o) => encode_request(header, o),
        Request::FindFolder(o) => encode_request(header, o),
        Request::SyncFolderHierarchy(o) => encode_request(header, o),
        Request::SyncFolderItems(o) => encode_request(header, o),
        Request::GetItem(o) => encode_request(header, o),
        Request::FindItem(o) => encode_request(header, o),
        Request::ConvertId(o) => encode_request(header, o),
        Request::GetRoomLists(o) => encode_request(header, o),
        Request::GetRooms(o) => encode_request(header, o),
    }
}

fn request_fixpoint(bytes: &[u8]) {
    let Ok(env) = read_request(bytes) else {
        return;
    };
    let Ok(req) = Request::read(&env.body) else {
        return;
    };
    let once = encode_any(&env.header, &req);
    let env2 = read_request(once.as_bytes())
        .unwrap_or_else(|e| panic!("re-encoded request does not decode: {e}\n{once}"));
    let req2 = Request::read(&env2.body)
        .unwrap_or_else(|e| panic!("re-encoded request does not decode: {e}\n{once}"));
    let twice = encode_any(&env2.header, &req2);
    let env3 = read_request(twice.as_bytes()).unwrap();
    assert_eq!(env2.header, env3.header);
    assert_eq!(req2, Request::read(&env3.body).unwrap(), "{once}\n{twice}");
}

/// Feeds one input to every decoder this crate has.
fn decode_everything(bytes: &[u8]) {
    if xml::parse(bytes).is_err() {
        // Every decoder parses first; they must fail the same way, and cheaply.
        assert!(read_request(bytes).is_err());
        assert!(read_response(bytes).is_err());
        assert!(PoxResponse::from_xml(bytes).is_err());
        assert!(decode_response::<GetItem>(bytes).is_err());
        return;
    }
    request_fixpoint(bytes);
    let _ = read_response(bytes);
    response_fixpoint::<GetFolder>(bytes);
    response_fixpoint::<FindFolder>(bytes);
    response_fixpoint::<SyncFolderHierarchy>(bytes);
    response_fixpoint::<SyncFolderItems>(bytes);
    response_fixpoint::<GetItem>(bytes);
    response_fixpoint::<FindItem>(bytes);
    response_fixpoint::<ConvertId>(bytes);
    response_fixpoint::<GetRoomLists>(bytes);
    response_fixpoint::<GetRooms>(bytes);
    if let Ok(r) = PoxRequest::from_xml(bytes) {
        assert_eq!(PoxRequest::from_xml(r.to_xml().as_bytes()).unwrap(), r);
    }
    if let Ok(r) = PoxResponse::from_xml(bytes) {
        let again = PoxResponse::from_xml(r.to_xml().as_bytes()).unwrap();
        assert_eq!(
            PoxResponse::from_xml(again.to_xml().as_bytes()).unwrap(),
            again
        );
    }
    if let Ok(r) = GetUserSettingsRequest::from_xml(bytes) {
        let xml = r.to_xml("https://autodiscover.test/autodiscover/autodiscover.svc");
        let again = GetUserSettingsRequest::from_xml(xml.as_bytes()).unwrap();
        let xml2 = again.to_xml("https://autodiscover.test/autodiscover/autodiscover.svc");
        assert_eq!(
            GetUserSettingsRequest::from_xml(xml2.as_bytes()).unwrap(),
            again
        );
    }
    if let Ok(r) = GetUserSettingsResponse::from_xml(bytes) {
        let again = GetUserSettingsResponse::from_xml(r.to_xml().as_bytes()).unwrap();
        assert_eq!(
            GetUserSettingsResponse::from_xml(again.to_xml().as_bytes()).unwrap(),
            again
        );
    }
}

/// Every fixture, plus encodings produced by this crate.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = common::all_fixture_files()
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    let header = RequestHeader {
        server_version: Some("Exchange2016".into()),
        impersonation: Some(impersync_ews::ConnectingSid::Sid("S-1-5-21-1".into())),
        time_zone: Some("UTC".into()),
    };
    out.push((
        "encoded GetRooms".into(),
        encode_request(
            &header,
            &GetRooms {
                room_list: "rooms@contoso.test".into(),
            },
        )
        .into_bytes(),
    ));
    out.push((
        "encoded fault".into(),
        SoapFault {
            code: impersync_ews::ResponseCode::ErrorServerBusy,
            message: "busy".into(),
            back_off_ms: Some(5),
        }
        .to_envelope(&ServerVersionInfo::exchange2016())
        .into_bytes(),
    ));
    out.push((
        "encoded pox request".into(),
        PoxRequest::new("alice@contoso.test").to_xml().into_bytes(),
    ));
    out
}

#[test]
fn unmutated_corpus_decodes_without_panics() {
    let corpus = corpus();
    assert!(corpus.len() > 20, "fixtures missing: {}", corpus.len());
    for (name, bytes) in &corpus {
        let run = catch_unwind(AssertUnwindSafe(|| decode_everything(bytes)));
        if let Err(panic) = run {
            eprintln!("panic on fixture {name}");
            resume_unwind(panic);
        }
        let _ = serde_json::from_slice::<V2Response>(bytes);
        let _ = serde_json::from_slice::<V2Error>(bytes);
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let corpus = corpus();
    // Enough mutations to cover every fixture many times, cheap enough for debug builds.
    let per_input = (6_000 / corpus.len()).max(50);
    let mut total = 0usize;
    let mut parsed = 0usize;
    for (index, (name, bytes)) in corpus.iter().enumerate() {
        let mut rng =
            Rng(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        for round in 0..per_input {
            let seed = rng.0;
            let input = mutate(&mut rng, bytes);
            let run = catch_unwind(AssertUnwindSafe(|| decode_everything(&input)));
            if let Err(panic) = run {
                eprintln!(
                    "panic on {name}, round {round}, rng state {seed:#x}, input:\n{}",
                    String::from_utf8_lossy(&input)
                );
                resume_unwind(panic);
            }
            if xml::parse(&input).is_ok() {
                parsed += 1;
            }
            total += 1;
        }
    }
    eprintln!("{total} mutations, {parsed} still well-formed");
    assert!(total >= 5_000, "only {total} mutations ran");
    // The mutations must not all be trivially rejected, or the decoders were never exercised.
    assert!(
        parsed * 20 > total,
        "only {parsed} of {total} mutated inputs parsed"
    );
}
