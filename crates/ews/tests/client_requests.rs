//! Requests captured from real clients (exchangelib, ews-javascript-api), decoded.
//!
//! Every file in `tests/fixtures/clients/` must decode; files with known names are also
//! checked fact by fact.

mod common;

use std::path::PathBuf;

use impersync_ews::ops::{FolderTraversal, Request};
use impersync_ews::types::{BasePoint, BaseShape, DistinguishedFolderId, FolderRef, IndexedPage};
use impersync_ews::{ConnectingSid, RequestHeader, read_request};

const USER: &str = "alice@contoso.test";

fn client_files() -> Vec<PathBuf> {
    let dir = common::fixtures_dir().join("clients");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

fn decode(path: &PathBuf) -> (RequestHeader, Request) {
    let bytes = std::fs::read(path).unwrap();
    let env = read_request(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let req = Request::read(&env.body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (env.header, req)
}

fn name_of(path: &std::path::Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The distinguished folder a client names, with the mailbox exchangelib nests in it.
fn distinguished(name: &str, exchangelib: bool) -> FolderRef {
    FolderRef::Distinguished(DistinguishedFolderId {
        name: name.into(),
        mailbox: exchangelib.then(|| USER.to_string()),
    })
}

fn page(max: u32, offset: u32) -> Option<IndexedPage> {
    Some(IndexedPage {
        max_entries: Some(max),
        offset,
        base_point: BasePoint::Beginning,
    })
}

#[test]
fn every_captured_request_decodes() {
    let files = client_files();
    assert!(
        !files.is_empty(),
        "no captured client requests in tests/fixtures/clients"
    );
    for path in &files {
        let name = name_of(path);
        let (header, req) = decode(path);
        let exchangelib = name.starts_with("exchangelib");
        let ewsjs = name.starts_with("ewsjs");
        assert!(
            exchangelib || ewsjs,
            "{name}: unknown client prefix (expected exchangelib_ or ewsjs_)"
        );
        assert!(header.server_version.is_some(), "{name}: no server version");

        // The impersonation header each client writes.
        if ewsjs {
            assert_eq!(
                header.impersonation,
                Some(ConnectingSid::SmtpAddress(USER.into())),
                "{name}"
            );
        } else if matches!(req, Request::ConvertId(_)) {
            // exchangelib probes the server version with ConvertId, unimpersonated.
            assert_eq!(header.impersonation, None, "{name}");
        } else {
            assert_eq!(
                header.impersonation,
                Some(ConnectingSid::PrimarySmtpAddress(USER.into())),
                "{name}"
            );
            assert_eq!(header.time_zone.as_deref(), Some("UTC"), "{name}");
        }

        // Every distinguished folder exchangelib names carries the mailbox.
        let folders: Vec<&FolderRef> = match &req {
            Request::GetFolder(op) => op.folder_ids.iter().collect(),
            Request::FindFolder(op) => op.parent_folder_ids.iter().collect(),
            Request::FindItem(op) => op.parent_folder_ids.iter().collect(),
            Request::SyncFolderItems(op) => vec![&op.folder],
            Request::SyncFolderHierarchy(op) => op.folder.iter().collect(),
            _ => vec![],
        };
        for f in folders {
            if let FolderRef::Distinguished(d) = f {
                let expected = exchangelib.then(|| USER.to_string());
                assert_eq!(d.mailbox, expected, "{name}: {}", d.name);
            }
        }
    }
}

#[test]
fn captured_requests_match_what_each_client_sends() {
    let mut checked = 0;
    for path in client_files() {
        let name = name_of(&path);
        let (header, req) = decode(&path);
        let exchangelib = name.starts_with("exchangelib");
        let known = match (name.as_str(), &req) {
            ("exchangelib_get_folder_inbox", Request::GetFolder(op))
            | ("exchangelib_get_folder_calendar", Request::GetFolder(op))
            | ("exchangelib_get_folder_contacts", Request::GetFolder(op))
            | ("exchangelib_get_folder_root", Request::GetFolder(op))
            | ("ewsjs_get_folder_inbox", Request::GetFolder(op)) => {
                let folder = name.rsplit('_').next().unwrap();
                assert_eq!(op.folder_ids, vec![distinguished(folder, exchangelib)]);
                if exchangelib {
                    assert_eq!(op.shape.base, BaseShape::IdOnly);
                    let expected = if folder == "root" { 9 } else { 10 };
                    assert_eq!(op.shape.additional.len(), expected, "{name}");
                    assert!(op.shape.wants("folder:DisplayName"));
                    assert!(op.shape.wants("folder:TotalCount"));
                } else {
                    assert_eq!(op.shape.base, BaseShape::AllProperties);
                }
                true
            }
            ("exchangelib_get_folder_distinguished_multi", Request::GetFolder(op)) => {
                assert_eq!(op.folder_ids.len(), 31);
                assert!(op.folder_ids.contains(&distinguished("inbox", true)));
                assert!(op.folder_ids.contains(&distinguished("calendar", true)));
                assert!(op.folder_ids.contains(&distinguished("contacts", true)));
                assert!(
                    op.folder_ids
                        .contains(&distinguished("msgfolderroot", true))
                );
                assert!(
                    op.folder_ids
                        .contains(&distinguished("recoverableitemsdeletions", true))
                );
                true
            }
            ("exchangelib_find_folder", Request::FindFolder(op)) => {
                assert_eq!(op.traversal, FolderTraversal::Deep);
                assert_eq!(op.paging, page(100, 0));
                assert_eq!(op.parent_folder_ids, vec![distinguished("root", true)]);
                assert_eq!(op.shape.base, BaseShape::IdOnly);
                assert_eq!(op.shape.additional.len(), 9);
                true
            }
            ("exchangelib_find_item", Request::FindItem(op))
            | ("exchangelib_find_item_page_size_10_offset_10", Request::FindItem(op))
            | ("ewsjs_find_item", Request::FindItem(op))
            | ("ewsjs_find_item_offset_10", Request::FindItem(op)) => {
                assert_eq!(op.traversal, "Shallow");
                assert_eq!(
                    op.parent_folder_ids,
                    vec![distinguished("inbox", exchangelib)]
                );
                let expected = match name.as_str() {
                    "exchangelib_find_item" => page(100, 0),
                    "exchangelib_find_item_page_size_10_offset_10" => page(10, 10),
                    "ewsjs_find_item" => page(10, 0),
                    _ => page(10, 10),
                };
                assert_eq!(op.paging, expected, "{name}");
                assert_eq!(
                    op.shape.base,
                    if exchangelib {
                        BaseShape::IdOnly
                    } else {
                        BaseShape::AllProperties
                    }
                );
                true
            }
            ("exchangelib_sync_folder_hierarchy", Request::SyncFolderHierarchy(op)) => {
                assert_eq!(op.folder, Some(distinguished("root", true)));
                assert_eq!(op.sync_state, None);
                assert_eq!(op.shape.base, BaseShape::IdOnly);
                assert_eq!(op.shape.additional.len(), 9);
                true
            }
            ("exchangelib_sync_folder_items", Request::SyncFolderItems(op))
            | ("exchangelib_sync_folder_items_with_state", Request::SyncFolderItems(op)) => {
                assert_eq!(op.folder, distinguished("inbox", true));
                assert_eq!(op.max_changes_returned, 100);
                assert_eq!(op.shape.base, BaseShape::IdOnly);
                assert_eq!(op.shape.additional.len(), 101, "{name}");
                for uri in [
                    "item:Subject",
                    "item:Body",
                    "item:DateTimeReceived",
                    "message:IsRead",
                    "message:From",
                    "calendar:Start",
                    "calendar:RequiredAttendees",
                ] {
                    assert!(op.shape.wants(uri), "{name}: {uri}");
                }
                assert!(op.ignore.is_empty());
                assert_eq!(op.sync_scope, None);
                let state = (name == "exchangelib_sync_folder_items_with_state")
                    .then(|| "c3luYzo1MA==".to_string());
                assert_eq!(op.sync_state, state);
                true
            }
            ("exchangelib_get_item", Request::GetItem(op)) => {
                assert_eq!(op.shape.base, BaseShape::IdOnly);
                assert_eq!(op.shape.additional.len(), 101);
                assert!(!op.item_ids.is_empty());
                assert!(op.item_ids.iter().all(|i| i.change_key.is_some()));
                true
            }
            ("ewsjs_get_item", Request::GetItem(op)) => {
                assert_eq!(op.shape.base, BaseShape::AllProperties);
                assert_eq!(op.item_ids.len(), 3);
                assert!(op.item_ids.iter().all(|i| i.change_key.is_none()));
                assert!(
                    op.item_ids[0]
                        .id
                        .starts_with("aXRlbTphbGljZUBjb250b3NvLnRlc3Q6")
                );
                true
            }
            ("ewsjs_get_item_load_properties", Request::GetItem(op)) => {
                assert_eq!(op.item_ids.len(), 2);
                assert_eq!(op.item_ids[0].change_key.as_deref(), Some("Y2s6NTA="));
                assert_eq!(op.item_ids[1].change_key.as_deref(), Some("Y2s6NDk="));
                true
            }
            ("exchangelib_convert_id", Request::ConvertId(op)) => {
                assert_eq!(op.destination_format, "EntryId");
                assert_eq!(op.source_ids.len(), 1);
                assert_eq!(op.source_ids[0].format, "EwsId");
                assert_eq!(op.source_ids[0].id, "DUMMY");
                assert_eq!(op.source_ids[0].mailbox, "DUMMY");
                assert_eq!(header.time_zone, None);
                true
            }
            (
                "exchangelib_get_folder_inbox"
                | "exchangelib_get_folder_calendar"
                | "exchangelib_get_folder_contacts"
                | "exchangelib_get_folder_root"
                | "ewsjs_get_folder_inbox"
                | "exchangelib_get_folder_distinguished_multi"
                | "exchangelib_find_folder"
                | "exchangelib_find_item"
                | "exchangelib_find_item_page_size_10_offset_10"
                | "ewsjs_find_item"
                | "ewsjs_find_item_offset_10"
                | "exchangelib_sync_folder_hierarchy"
                | "exchangelib_sync_folder_items"
                | "exchangelib_sync_folder_items_with_state"
                | "exchangelib_get_item"
                | "ewsjs_get_item"
                | "ewsjs_get_item_load_properties"
                | "exchangelib_convert_id",
                other,
            ) => panic!("{name}: decoded as the wrong operation {}", other.name()),
            _ => false,
        };
        if known {
            checked += 1;
        }
    }
    assert!(
        checked > 0,
        "none of the expected capture names is present in tests/fixtures/clients"
    );
}
