-- Workers claim due mailboxes in (next_due_at, user_id) order. An index in that order lets
-- a claim read just the first due rows instead of sorting every due row, whatever the
-- planner's statistics say (they lag behind a bulk activation of many mailboxes).
DROP INDEX mailbox_sync_due;
CREATE INDEX mailbox_sync_due ON mailbox_sync (next_due_at, user_id);

-- The held leases by their end: when the next one runs out is the next time a worker may
-- take a mailbox over.
CREATE INDEX mailbox_sync_leased ON mailbox_sync (lease_expires_at) WHERE lease_owner IS NOT NULL;
