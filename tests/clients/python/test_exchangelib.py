"""Conformance tests: the unmodified exchangelib client against the Impersync EWS simulator.

Demo scenario (see /_sim/reset): service account MasterImpersonation@contoso.test holds
ApplicationImpersonation scoped to RIapplicationGroup; alice, bob and carol are in scope with
Inbox 50 / Sent Items 20 / Calendar 10 / Contacts 5; dave (nested member only) and erin (not a
member) are denied; frank is a member without a mailbox.
"""

import time

import pytest
from exchangelib import NTLM, Message
from exchangelib.errors import (
    ErrorImpersonateUserDenied,
    ErrorNonExistentMailbox,
    ErrorServerBusy,
    UnauthorizedError,
)
from exchangelib.folders import Calendar, Contacts, Inbox, Root, SentItems
from exchangelib.protocol import FaultTolerance

from simclient import (
    MNS,
    SERVICE_DOWNLEVEL,
    control,
    make_account,
    make_config,
    sent,
)

IN_SCOPE = ["alice@contoso.test", "bob@contoso.test", "carol@contoso.test"]


def inbox_ids(account, page_size=None, chunk_size=None):
    qs = account.inbox.all()
    if page_size:
        qs.page_size = page_size
    if chunk_size:
        qs.chunk_size = chunk_size
    items = list(qs)
    for item in items:
        assert not isinstance(item, Exception), f"server returned an error instead of an item: {item!r}"
    return items


# --- folders -------------------------------------------------------------------------------------


@pytest.mark.parametrize("smtp", IN_SCOPE)
def test_wellknown_folder_counts(smtp):
    account = make_account(smtp)
    assert account.inbox.total_count == 50
    assert account.sent.total_count == 20
    assert account.calendar.total_count == 10
    assert account.contacts.total_count == 5


def test_wellknown_folders_resolve():
    account = make_account("alice@contoso.test")
    root = account.root
    assert isinstance(root, Root)
    assert root.id
    inbox, sent_items, calendar, contacts = account.inbox, account.sent, account.calendar, account.contacts
    assert isinstance(inbox, Inbox) and isinstance(sent_items, SentItems)
    assert isinstance(calendar, Calendar) and isinstance(contacts, Contacts)
    ids = {f.id for f in (root, inbox, sent_items, calendar, contacts)}
    assert None not in ids and len(ids) == 5, "distinguished folders must have distinct FolderIds"
    assert inbox.folder_class == "IPF.Note"
    assert calendar.folder_class == "IPF.Appointment"
    assert contacts.folder_class == "IPF.Contact"


def test_impersonation_header_and_anchor_mailbox_sent():
    """Sanity check on the client side of the contract the simulator relies on."""
    account = make_account("bob@contoso.test")
    assert account.inbox.total_count == 50
    reqs = sent("GetFolder")
    assert reqs
    for r in reqs:
        assert r.headers.get("X-AnchorMailbox") == "bob@contoso.test"
        assert b"<t:PrimarySmtpAddress>bob@contoso.test</t:PrimarySmtpAddress>" in r.body


def test_version_probe_without_pinned_version():
    """Without a pinned version exchangelib first sends ConvertId and reads ServerVersionInfo."""
    config = make_config(pinned=False)
    account = make_account("alice@contoso.test", config)
    assert account.inbox.total_count == 50
    assert sent()[0].operation == "ConvertId"
    assert config.version is not None and config.version.build is not None
    assert config.version.build.major_version == 15
    assert config.version.api_version == "Exchange2016"


# --- items ---------------------------------------------------------------------------------------


def test_inbox_all_default_page():
    account = make_account("alice@contoso.test")
    items = inbox_ids(account)
    assert len(items) == 50
    assert len({i.id for i in items}) == 50
    assert all(isinstance(i, Message) for i in items)
    assert all(i.subject for i in items)
    assert len(sent("FindItem")) == 1
    assert sent("GetItem"), "inbox.all() must fetch the full items with GetItem"


def test_inbox_all_pages_of_ten():
    account = make_account("alice@contoso.test")
    items = inbox_ids(account, page_size=10, chunk_size=10)
    assert len(items) == 50
    assert len({i.id for i in items}) == 50, "paging returned duplicate items"
    assert all(isinstance(i, Message) and i.subject for i in items)

    find_requests = sent("FindItem")
    views = [r.element.find(f"{{{MNS}}}IndexedPageItemView") for r in find_requests]
    assert [v.get("Offset") for v in views] == ["0", "10", "20", "30", "40"], (
        "exchangelib must page through the inbox in 5 FindItem calls "
        "(TotalItemsInView / IncludesLastItemInRange / IndexedPagingOffset)"
    )
    assert {v.get("MaxEntriesReturned") for v in views} == {"10"}
    assert len(sent("GetItem")) == 5


# --- sync ----------------------------------------------------------------------------------------


def test_sync_items_initial_empty_then_delivery():
    account = make_account("alice@contoso.test")
    inbox = account.inbox

    first = list(inbox.sync_items())
    assert len(first) == 50
    assert {change for change, _ in first} == {"create"}
    assert len({item.id for _, item in first}) == 50
    state_after_first = inbox.item_sync_state
    assert state_after_first

    second = list(inbox.sync_items())
    assert second == []

    delivered = control(
        "POST",
        "/_sim/mailboxes/alice@contoso.test/folders/inbox/items",
        {"subject": "Impersync conformance delivery", "from": "sender@example.test", "body": "hello from CI"},
    )
    assert delivered and delivered.get("item_id")

    third = list(inbox.sync_items())
    assert len(third) == 1
    change, item = third[0]
    assert change == "create"
    assert item.subject == "Impersync conformance delivery"
    assert item.author is not None and item.author.email_address == "sender@example.test"
    assert item.id == delivered["item_id"]

    assert list(inbox.sync_items()) == []
    assert make_account("alice@contoso.test").inbox.total_count == 51


def test_sync_items_in_small_batches():
    account = make_account("carol@contoso.test")
    changes = list(account.inbox.sync_items(max_changes_returned=10))
    assert len(changes) == 50
    assert len({item.id for _, item in changes}) == 50
    assert len(sent("SyncFolderItems")) >= 5


def test_delivery_only_affects_target_mailbox():
    control(
        "POST",
        "/_sim/mailboxes/bob@contoso.test/folders/inbox/items",
        {"subject": "for bob", "from": "x@example.test", "body": "b"},
    )
    assert make_account("bob@contoso.test").inbox.total_count == 51
    assert make_account("alice@contoso.test").inbox.total_count == 50


# --- impersonation errors ------------------------------------------------------------------------


@pytest.mark.parametrize("smtp", ["erin@contoso.test", "dave@contoso.test"])
def test_impersonation_denied(smtp):
    account = make_account(smtp)
    with pytest.raises(ErrorImpersonateUserDenied):
        account.inbox.total_count


def test_impersonation_no_mailbox():
    account = make_account("frank@contoso.test")
    with pytest.raises(ErrorNonExistentMailbox):
        account.inbox.total_count


# --- authentication ------------------------------------------------------------------------------


def test_basic_wrong_password():
    account = make_account("alice@contoso.test", make_config(password="not-the-password"))
    with pytest.raises(UnauthorizedError):
        account.inbox.total_count


def test_ntlm_inbox():
    account = make_account("alice@contoso.test", make_config(username=SERVICE_DOWNLEVEL, auth_type=NTLM))
    assert account.inbox.total_count == 50
    auth_headers = [r.headers.get("Authorization", "") for r in sent()]
    assert any(h.startswith(("NTLM ", "Negotiate ")) for h in auth_headers), "NTLM handshake did not happen"
    assert not any(h.startswith("Basic ") for h in auth_headers)


def test_ntlm_wrong_password():
    account = make_account(
        "alice@contoso.test",
        make_config(username=SERVICE_DOWNLEVEL, password="not-the-password", auth_type=NTLM),
    )
    with pytest.raises(UnauthorizedError):
        account.inbox.total_count


# --- throttling ----------------------------------------------------------------------------------


def test_server_busy_fault_tolerance_waits_and_succeeds():
    count, back_off_ms = 2, 500
    account = make_account("alice@contoso.test", make_config(retry_policy=FaultTolerance(max_wait=30)))
    control("POST", "/_sim/faults", {"server_busy": {"count": count, "back_off_ms": back_off_ms}})
    start = time.monotonic()
    assert account.inbox.total_count == 50
    elapsed = time.monotonic() - start
    # exchangelib sleeps BackOffMilliseconds after each ErrorServerBusy fault (small slack for clocks).
    assert elapsed >= count * back_off_ms / 1000 - 0.05, f"finished after {elapsed:.3f}s; back-off not honoured"
    assert elapsed < 20
    # Two rejected requests plus the ones that finally succeeded.
    assert len(sent("GetFolder")) >= count + 1


def test_server_busy_fail_fast_reports_back_off():
    account = make_account("alice@contoso.test")  # default retry policy is FailFast
    control("POST", "/_sim/faults", {"server_busy": {"count": 1, "back_off_ms": 750}})
    with pytest.raises(ErrorServerBusy) as excinfo:
        account.inbox.total_count
    assert excinfo.value.back_off == pytest.approx(0.75)
    # The fault was consumed; the next request goes through.
    assert make_account("alice@contoso.test").inbox.total_count == 50


# --- rooms ---------------------------------------------------------------------------------------


def test_room_lists_and_rooms_through_the_service_accounts_mailbox():
    protocol = make_account("alice@contoso.test").protocol
    lists = list(protocol.get_roomlists())
    assert [(l.name, l.email_address) for l in lists] == [("All Rooms", "AllRooms@contoso.test")]
    rooms = list(protocol.get_rooms("AllRooms@contoso.test"))
    assert [(r.name, r.email_address) for r in rooms] == [
        ("Room 1", "Room-1@contoso.test"),
        ("Room 2", "Room-2@contoso.test"),
    ]


def test_room_lists_need_the_service_accounts_own_mailbox():
    config = make_config(username="NoMailboxSvc@contoso.test", password="Demo-NoMailbox-1")
    protocol = make_account("alice@contoso.test", config).protocol
    with pytest.raises(ErrorNonExistentMailbox):
        list(protocol.get_roomlists())
