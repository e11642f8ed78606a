#!/usr/bin/env python3
"""exchangelib peer for Impersync's benchmarks.

Runs the two bulk jobs Impersync is measured on, with the Python library exchangelib (the most
widely used EWS client) set up as well as it can be for the job:

* one shared Configuration (pinned server version, so no version probe; Basic auth; a session pool
  of --threads connections, reused by every request; impersonation; no Autodiscover);
* a ThreadPoolExecutor of --threads workers over the user list.

Subcommands:

  check  bind each user's Inbox through impersonation and classify the outcome
         (Ok / ImpersonationDenied / NoMailbox / AuthFailed / Other);
  sync   SyncFolderItems of the listed folders of each user into SQLite, each (mailbox, folder)
         written together with its new sync state in one transaction; --incremental continues
         from the stored states.

Both print a JSON summary on stdout, including the peak RSS of this process.

Requests per user with the default --bind direct (what goes over the wire):

  check  one GetFolder of the distinguished folder `inbox` with the impersonated user's mailbox;
  sync   one SyncFolderItems per page of each folder (no GetFolder: the sync is addressed to the
         distinguished folder id, which is how exchangelib itself names a distinguished folder
         before resolving it).

--bind account uses exchangelib's idiomatic `account.inbox` / `account.root.get_default_folder()`
instead: one extra GetFolder of the root for each user, and one GetFolder per synced folder.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import queue
import re
import resource
import sqlite3
import sys
import threading
import time
import traceback
from urllib.parse import urlsplit

try:
    import exchangelib
    from exchangelib import BASIC, IMPERSONATION, UTC, Account, Build, Configuration, Credentials, Version
    from exchangelib.errors import ErrorImpersonateUserDenied, ErrorNonExistentMailbox, UnauthorizedError
    from exchangelib.folders import Root
    from exchangelib.folders.known_folders import WELLKNOWN_FOLDERS_IN_ROOT
    from exchangelib.properties import DistinguishedFolderId, Mailbox
    from exchangelib.protocol import BaseProtocol
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(f"exchangelib_peer: cannot import exchangelib ({e}); install tests/clients/python/requirements.txt")

# The build Impersync's check pins as well: Exchange 2016 CU (15.1.2507.6).
PINNED_BUILD = (15, 1, 2507, 6)
EWS_PATH = "/EWS/Exchange.asmx"

OK = "Ok"
DENIED = "ImpersonationDenied"
NO_MAILBOX = "NoMailbox"
AUTH_FAILED = "AuthFailed"
OTHER = "Other"
OUTCOMES = (OK, DENIED, NO_MAILBOX, AUTH_FAILED, OTHER)

# Distinguished folder ids (e.g. `inbox`, `sentitems`) and exchangelib's class for each.
FOLDER_CLASSES = {cls.DISTINGUISHED_FOLDER_ID: cls for cls in WELLKNOWN_FOLDERS_IN_ROOT if cls.DISTINGUISHED_FOLDER_ID}


class PeerError(Exception):
    """A usage or environment error: reported on stderr, exit status 2."""


# --- set-up ----------------------------------------------------------------------------------------


def ews_endpoint(url: str) -> str:
    """The EWS endpoint: URL itself, or URL + /EWS/Exchange.asmx when URL has no path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PeerError(f"--url {url!r} is not an http(s) URL")
    if parts.path in ("", "/"):
        return url.rstrip("/") + EWS_PATH
    return url


def read_users(path: str) -> list[str]:
    """One address per line; blank lines and lines starting with # are skipped."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f]
    except OSError as e:
        raise PeerError(f"cannot read --users file: {e}") from e
    users = [line for line in lines if line and not line.startswith("#")]
    if not users:
        raise PeerError(f"--users file {path!r} lists no addresses")
    bad = [u for u in users if "@" not in u]
    if bad:
        raise PeerError(f"--users file {path!r}: not an address: {bad[0]!r}")
    dupes = [u for u, n in collections.Counter(u.lower() for u in users).items() if n > 1]
    if dupes:
        raise PeerError(f"--users file {path!r}: {dupes[0]!r} is listed more than once")
    return users


def make_config(args) -> Configuration:
    password = os.environ.get(args.password_env)
    if not password:
        raise PeerError(f"environment variable {args.password_env} (--password-env) is not set or empty")
    BaseProtocol.TIMEOUT = args.timeout
    if args.count_requests:
        BaseProtocol.HTTP_ADAPTER_CLS = CountingAdapter
    return Configuration(
        service_endpoint=ews_endpoint(args.url),
        credentials=Credentials(args.service_account, password),
        auth_type=BASIC,
        version=Version(build=Build(*PINNED_BUILD)),
        max_connections=args.threads,
    )


def make_account(address: str, config: Configuration) -> Account:
    # Locale and timezone are given so that exchangelib does not look them up on the host for every
    # Account. The locale only matters for matching localized folder names; the timezone is named in
    # each request's TimeZoneContext header (UTC here).
    return Account(
        address,
        config=config,
        autodiscover=False,
        access_type=IMPERSONATION,
        locale="en_US",
        default_timezone=UTC,
    )


def distinguished_folder(account: Account, root: Root, name: str):
    """The folder object exchangelib builds for a distinguished folder before it asks the server."""
    cls = FOLDER_CLASSES[name]
    return cls(
        _distinguished_id=DistinguishedFolderId(id=name, mailbox=Mailbox(email_address=account.primary_smtp_address)),
        root=root,
    )


def classify(exc: BaseException) -> str:
    if isinstance(exc, ErrorImpersonateUserDenied):
        return DENIED
    if isinstance(exc, ErrorNonExistentMailbox):
        return NO_MAILBOX
    if isinstance(exc, UnauthorizedError):
        return AUTH_FAILED
    return OTHER


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        rss /= 1024
    return round(rss / 1024, 1)


# --- optional request counting -----------------------------------------------------------------------

_OPERATION = re.compile(rb"<s:Body><m:(\w+)")
REQUEST_COUNTS: collections.Counter = collections.Counter()
_REQUEST_COUNTS_LOCK = threading.Lock()


class CountingAdapter(BaseProtocol.HTTP_ADAPTER_CLS):
    """requests adapter that counts every HTTP request exchangelib sends, by SOAP operation."""

    def send(self, request, *args, **kwargs):
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        m = _OPERATION.search(body)
        with _REQUEST_COUNTS_LOCK:
            REQUEST_COUNTS[m.group(1).decode() if m else f"{request.method} (no SOAP body)"] += 1
        return super().send(request, *args, **kwargs)


# --- check -------------------------------------------------------------------------------------------


def check_one(address: str, config: Configuration, bind: str):
    """Bind the user's Inbox through impersonation. Returns (outcome, error text or None)."""
    try:
        account = make_account(address, config)
        if bind == "direct":
            inbox = FOLDER_CLASSES["inbox"].get_distinguished(root=Root(account=account))
        else:
            inbox = account.inbox
        if not inbox.id:
            raise RuntimeError("GetFolder answered without a FolderId")
        return OK, None
    except Exception as e:  # noqa: BLE001 - every failure is classified and reported
        return classify(e), f"{type(e).__name__}: {e}"


def cmd_check(args) -> int:
    users = read_users(args.users)
    config = make_config(args)
    outcomes = collections.Counter({o: 0 for o in OUTCOMES})
    results = []
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        for address, (outcome, error) in zip(users, pool.map(lambda u: check_one(u, config, args.bind), users)):
            outcomes[outcome] += 1
            results.append({"user": address, "outcome": outcome, "error": error})
    seconds = time.perf_counter() - start
    summary = {
        "tool": f"exchangelib {exchangelib.__version__}",
        "command": "check",
        "bind": args.bind,
        "threads": args.threads,
        "users": len(users),
        "seconds": round(seconds, 3),
        "checks_per_second": round(len(users) / seconds, 1),
        "cpu_seconds": round(cpu_seconds() - cpu_start, 3),
        "outcomes": dict(outcomes),
        "peak_rss_mib": peak_rss_mib(),
    }
    if args.count_requests:
        summary["requests"] = dict(REQUEST_COUNTS)
    others = [r for r in results if r["outcome"] == OTHER]
    for r in others[:10]:
        print(f"exchangelib_peer: {r['user']}: unexpected error: {r['error']}", file=sys.stderr)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump({"summary": summary, "results": results}, f, indent=1)
            f.write("\n")
    print(json.dumps(summary))
    return 1 if others else 0


# --- sync --------------------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    mailbox       TEXT NOT NULL,
    folder        TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    change_key    TEXT,
    item_type     TEXT,
    subject       TEXT,
    sender        TEXT,
    received      TEXT,
    last_modified TEXT,
    is_read       INTEGER,
    size          INTEGER,
    PRIMARY KEY (mailbox, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_states (
    mailbox    TEXT NOT NULL,
    folder     TEXT NOT NULL,
    sync_state TEXT NOT NULL,
    synced_at  TEXT NOT NULL,
    PRIMARY KEY (mailbox, folder)
) WITHOUT ROWID;
"""

UPSERT = """
INSERT INTO items (mailbox, folder, item_id, change_key, item_type, subject, sender, received,
                   last_modified, is_read, size)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (mailbox, item_id) DO UPDATE SET
    folder = excluded.folder, change_key = excluded.change_key, item_type = excluded.item_type,
    subject = excluded.subject, sender = excluded.sender, received = excluded.received,
    last_modified = excluded.last_modified, is_read = excluded.is_read, size = excluded.size
"""


def _iso(value):
    return value.isoformat() if value is not None else None


def item_row(mailbox: str, folder: str, item) -> tuple:
    sender = getattr(item, "sender", None) or getattr(item, "author", None) or getattr(item, "organizer", None)
    is_read = getattr(item, "is_read", None)
    return (
        mailbox,
        folder,
        item.id,
        item.changekey,
        type(item).__name__,
        item.subject,
        getattr(sender, "email_address", None),
        _iso(getattr(item, "datetime_received", None)),
        _iso(getattr(item, "last_modified_time", None)),
        None if is_read is None else int(is_read),
        item.size,
    )


class FolderChanges:
    """The changes of one (mailbox, folder) sync, written in one transaction with the new state."""

    __slots__ = ("mailbox", "folder", "full", "upserts", "deletes", "read_flags", "sync_state")

    def __init__(self, mailbox: str, folder: str, full: bool):
        self.mailbox, self.folder, self.full = mailbox, folder, full
        self.upserts, self.deletes, self.read_flags = [], [], []
        self.sync_state = None


class Writer(threading.Thread):
    """The one SQLite connection; applies each FolderChanges in its own transaction."""

    def __init__(self, path: str):
        super().__init__(name="sqlite-writer", daemon=True)
        self.path = path
        self.queue: queue.Queue = queue.Queue(maxsize=64)
        self.error: BaseException | None = None
        self.transactions = 0

    def run(self):
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            while (job := self.queue.get()) is not None:
                self.apply(db, job)
            db.close()
        except BaseException as e:  # noqa: BLE001 - handed to the main thread, which fails loudly
            self.error = e
            while self.queue.get() is not None:  # keep producers from blocking forever
                pass

    def apply(self, db, c: FolderChanges):
        db.execute("BEGIN IMMEDIATE")
        try:
            if c.full:
                db.execute("DELETE FROM items WHERE mailbox = ? AND folder = ?", (c.mailbox, c.folder))
            db.executemany(UPSERT, c.upserts)
            db.executemany(
                "DELETE FROM items WHERE mailbox = ? AND folder = ? AND item_id = ?",
                ((c.mailbox, c.folder, i) for i in c.deletes),
            )
            db.executemany(
                "UPDATE items SET is_read = ? WHERE mailbox = ? AND folder = ? AND item_id = ?",
                ((int(r), c.mailbox, c.folder, i) for i, r in c.read_flags),
            )
            db.execute(
                "INSERT INTO sync_states (mailbox, folder, sync_state, synced_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (mailbox, folder) DO UPDATE SET sync_state = excluded.sync_state, "
                "synced_at = excluded.synced_at",
                (c.mailbox, c.folder, c.sync_state, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.transactions += 1


def open_db(path: str, incremental: bool) -> dict:
    """Creates the schema; returns the stored sync states by (mailbox, folder)."""
    exists = os.path.exists(path)
    if incremental and not exists:
        raise PeerError(f"--incremental: {path!r} does not exist; run a full sync first")
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        states = {(m, f): s for m, f, s in db.execute("SELECT mailbox, folder, sync_state FROM sync_states")}
    finally:
        db.close()
    if incremental and not states:
        raise PeerError(f"--incremental: {path!r} holds no sync state")
    return states


def validate_fields(fields, folders, address, config):
    """Fails before any request if a --only-fields name does not exist on the items of a folder."""
    account = make_account(address, config)  # sends nothing
    root = Root(account=account)
    for name in folders:
        folder = distinguished_folder(account, root, name)
        for field in fields:
            try:
                folder.validate_item_field(field=field, version=account.version)
            except Exception as e:  # noqa: BLE001 - exchangelib raises several types here
                raise PeerError(f"--only-fields: {field!r} cannot be synced from {name}: {e}") from e


def sync_user(address, config, args, folders, states, writer: Writer, counts, lock, seen):
    """Syncs every listed folder of one user. Returns (outcome, error text or None). When `seen`
    is a list, (mailbox, item id, Unix time) of each created item is appended to it as
    sync_items() yields the item."""
    try:
        account = make_account(address, config)
        root = account.root if args.bind == "account" else Root(account=account)
        for name in folders:
            if writer.error is not None:
                raise RuntimeError("the SQLite writer failed") from writer.error
            if args.bind == "account":
                folder = root.get_default_folder(FOLDER_CLASSES[name])
            else:
                folder = distinguished_folder(account, root, name)
            state = states.get((address, name)) if args.incremental else None
            changes = FolderChanges(address, name, full=state is None)
            local = collections.Counter()
            for change, payload in folder.sync_items(
                sync_state=state, only_fields=args.only_fields, max_changes_returned=args.max_changes
            ):
                if change == "create" and seen is not None:
                    seen.append((address, payload.id, time.time()))
                if change in ("create", "update"):
                    changes.upserts.append(item_row(address, name, payload))
                elif change == "delete":
                    changes.deletes.append(payload.id)
                elif change == "read_flag_change":
                    item_id, is_read = payload
                    changes.read_flags.append((item_id.id, is_read))
                else:
                    raise RuntimeError(f"unknown change type {change!r}")
                local[change] += 1
            changes.sync_state = folder.item_sync_state
            if not changes.sync_state:
                raise RuntimeError(f"{name}: sync finished without a sync state")
            writer.queue.put(changes)
            with lock:
                counts.update(local)
        return OK, None
    except Exception as e:  # noqa: BLE001 - every failure is classified and reported
        return classify(e), f"{type(e).__name__}: {e}"


def cmd_sync(args) -> int:
    users = read_users(args.users)
    folders = [f.strip().lower() for f in args.folders.split(",") if f.strip()]
    unknown = [f for f in folders if f not in FOLDER_CLASSES]
    if not folders or unknown:
        raise PeerError(f"--folders: unknown distinguished folder {unknown[0] if unknown else args.folders!r}")
    if args.only_fields is not None:
        args.only_fields = [f.strip() for f in args.only_fields.split(",") if f.strip()]
    config = make_config(args)
    if args.only_fields is not None:
        validate_fields(args.only_fields, folders, users[0], config)
    states = open_db(args.db, args.incremental)
    writer = Writer(args.db)
    writer.start()
    counts = collections.Counter({c: 0 for c in ("create", "update", "delete", "read_flag_change")})
    lock = threading.Lock()
    outcomes = collections.Counter({o: 0 for o in OUTCOMES})
    failures = []
    seen = [] if args.seen_out else None
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
            results = pool.map(
                lambda u: sync_user(u, config, args, folders, states, writer, counts, lock, seen), users
            )
            for address, (outcome, error) in zip(users, results):
                outcomes[outcome] += 1
                if outcome != OK:
                    failures.append((address, outcome, error))
    finally:
        writer.queue.put(None)
        writer.join()
    seconds = time.perf_counter() - start
    if writer.error is not None:
        raise RuntimeError(f"SQLite writer failed: {writer.error!r}") from writer.error
    db = sqlite3.connect(args.db)
    try:
        items_in_db = db.execute("SELECT count(*) FROM items").fetchone()[0]
    finally:
        db.close()
    changes = sum(counts.values())
    summary = {
        "tool": f"exchangelib {exchangelib.__version__}",
        "command": "sync",
        "mode": "incremental" if args.incremental else "full",
        "bind": args.bind,
        "threads": args.threads,
        "users": len(users),
        "folders": folders,
        "max_changes_returned": args.max_changes,
        "fields": "all" if args.only_fields is None else args.only_fields,
        "seconds": round(seconds, 3),
        "changes": dict(counts),
        "items_per_second": round(changes / seconds, 1),
        "cpu_seconds": round(cpu_seconds() - cpu_start, 3),
        "transactions": writer.transactions,
        "items_in_db": items_in_db,
        "outcomes": dict(outcomes),
        "peak_rss_mib": peak_rss_mib(),
    }
    if args.count_requests:
        summary["requests"] = dict(REQUEST_COUNTS)
    if seen is not None:
        with open(args.seen_out, "w", encoding="utf-8") as f:
            for address, item_id, at in seen:
                f.write(json.dumps({"mailbox": address, "item_id": item_id, "seen_unix_ms": round(at * 1000)}) + "\n")
    for address, outcome, error in failures[:10]:
        print(f"exchangelib_peer: {address}: {outcome}: {error}", file=sys.stderr)
    print(json.dumps(summary))
    # A sync job is only meaningful if every mailbox synced.
    return 1 if failures else 0


# --- command line ------------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exchangelib_peer.py",
        description="Bulk impersonated EWS jobs with exchangelib, as a performance peer for Impersync. "
        "Prints a JSON summary on stdout; errors go to stderr.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        required=True,
        help=f"EWS endpoint, e.g. https://mail.example.com{EWS_PATH}; a URL without a path gets {EWS_PATH}",
    )
    common.add_argument("--service-account", required=True, metavar="UPN", help="service account (Basic auth)")
    common.add_argument(
        "--password-env", required=True, metavar="VAR", help="environment variable holding its password"
    )
    common.add_argument("--users", required=True, metavar="FILE", help="mailbox addresses, one per line")
    common.add_argument(
        "--threads", type=positive_int, default=16, help="worker threads and pooled connections (default 16)"
    )
    common.add_argument(
        "--bind",
        choices=("direct", "account"),
        default="direct",
        help="direct (default): address distinguished folders without resolving the root first; "
        "account: exchangelib's idiomatic account.inbox / account.root (one more GetFolder per user)",
    )
    common.add_argument(
        "--timeout", type=positive_int, default=120, help="HTTP timeout in seconds (exchangelib default 120)"
    )
    common.add_argument(
        "--count-requests",
        action="store_true",
        help="count the HTTP requests sent, by EWS operation, into the summary (small overhead)",
    )

    check = sub.add_parser(
        "check",
        parents=[common],
        help="bind each user's Inbox through impersonation and classify the outcome",
        description="Bind each user's Inbox through impersonation (one GetFolder per user with --bind direct) "
        "and classify it: Ok, ImpersonationDenied (ErrorImpersonateUserDenied), NoMailbox "
        "(ErrorNonExistentMailbox), AuthFailed (HTTP 401) or Other. Exit status 1 if any is Other.",
    )
    check.add_argument("--report", metavar="OUT.json", help="also write the per-user outcomes to this file")
    check.set_defaults(func=cmd_check)

    sync = sub.add_parser(
        "sync",
        parents=[common],
        help="sync the listed folders of each user into SQLite",
        description="SyncFolderItems of each listed folder of each user into SQLite (tables items and "
        "sync_states); each (mailbox, folder) is written with its new sync state in one transaction. "
        "Exit status 1 if any mailbox failed.",
    )
    sync.add_argument("--db", required=True, metavar="OUT.sqlite", help="SQLite database (created if missing)")
    sync.add_argument(
        "--folders",
        default="inbox,sentitems,calendar,contacts",
        help="distinguished folder ids, comma-separated (default inbox,sentitems,calendar,contacts)",
    )
    sync.add_argument(
        "--incremental",
        action="store_true",
        help="continue from the sync states stored in --db (folders without one are synced in full)",
    )
    sync.add_argument(
        "--max-changes",
        type=positive_int,
        default=512,
        help="MaxChangesReturned per SyncFolderItems page (default 512, the EWS maximum; exchangelib's own "
        "default is 100)",
    )
    sync.add_argument(
        "--only-fields",
        metavar="FIELDS",
        help="exchangelib field names to request, comma-separated (default: all fields, as sync_items() does)",
    )
    sync.add_argument(
        "--seen-out",
        metavar="OUT.jsonl",
        help="write one JSON line per created item: mailbox, item_id and seen_unix_ms, the wall-clock time "
        "(Unix ms) at which sync_items() yielded it (for delivered-to-seen latency)",
    )
    sync.set_defaults(func=cmd_sync)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PeerError as e:
        print(f"exchangelib_peer: error: {e}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("exchangelib_peer: failed", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
