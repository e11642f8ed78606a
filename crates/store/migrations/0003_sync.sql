-- The sync engine's tables. The unused per-folder table of version 1 is replaced by a
-- per-mailbox status (with the lease) and a per-folder SyncState.
DROP TABLE sync_states;

-- One row per mailbox (user) the engine syncs: its schedule, lease and last outcome.
-- next_due_at NULL means "not scheduled" (e.g. needs attention until an admin acts).
CREATE TABLE mailbox_sync (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'syncing', 'needs_attention', 'backoff')),
    next_due_at BIGINT,
    failures BIGINT NOT NULL DEFAULT 0,
    error_outcome TEXT,
    error_code TEXT,
    error_message TEXT,
    error_remedy TEXT,
    last_success_at BIGINT,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    takeovers BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mailbox_sync_due ON mailbox_sync (next_due_at);
CREATE INDEX mailbox_sync_org ON mailbox_sync (org_id);

-- The EWS SyncState per (mailbox, folder); folder is the distinguished name (e.g. inbox).
CREATE TABLE folder_sync_states (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    folder TEXT NOT NULL,
    folder_id TEXT NOT NULL DEFAULT '',
    sync_state TEXT NOT NULL DEFAULT '',
    includes_last_item SMALLINT NOT NULL DEFAULT 0 CHECK (includes_last_item IN (0, 1)),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, folder)
);

-- The synced items. Addresses are lower case; to_addresses is a JSON list of strings.
CREATE TABLE items (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    folder TEXT NOT NULL,
    item_id TEXT NOT NULL,
    change_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'calendar_item', 'contact')),
    item_class TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    from_address TEXT,
    to_addresses TEXT NOT NULL DEFAULT '[]',
    received_at BIGINT,
    start_at BIGINT,
    is_read SMALLINT NOT NULL DEFAULT 0 CHECK (is_read IN (0, 1)),
    payload TEXT NOT NULL DEFAULT '{}',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX items_folder ON items (org_id, user_id, folder);
CREATE INDEX items_received ON items (org_id, user_id, received_at);

-- The last change-feed sequence number per organisation. Writers bump it inside their
-- transaction, which serialises them per organisation: sequence order is commit order.
CREATE TABLE feed_counters (
    org_id BIGINT PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL DEFAULT 0
);

-- The change feed: append-only, read by (org_id, seq > cursor).
CREATE TABLE change_feed (
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'deleted', 'read_flag')),
    user_id BIGINT NOT NULL,
    user_email TEXT NOT NULL,
    folder TEXT NOT NULL,
    item_id TEXT NOT NULL,
    change_key TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL DEFAULT '{}',
    at BIGINT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
-- At most one row per (item, change key, kind). Read-flag rows carry the item's change key,
-- which EWS does not change with the flag, so they are de-duplicated by state instead.
CREATE UNIQUE INDEX change_feed_once ON change_feed (org_id, item_id, change_key, kind) WHERE kind <> 'read_flag';
