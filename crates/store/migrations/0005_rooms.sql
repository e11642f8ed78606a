-- The room directory of each organisation, read through the service account's own
-- mailbox (GetRoomLists, GetRooms). A refresh replaces the lists and rooms as a whole.

-- One row per organisation whose directory was refreshed at least once: when it last
-- succeeded, when it was last tried, and the last failure (until a refresh succeeds).
CREATE TABLE room_directories (
    org_id BIGINT PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    refreshed_at BIGINT,
    attempted_at BIGINT NOT NULL,
    error_outcome TEXT,
    error_code TEXT,
    error_message TEXT,
    error_remedy TEXT
);
CREATE INDEX room_directories_attempted ON room_directories (attempted_at);

-- The room lists, in the order Exchange gave them.
CREATE TABLE room_lists (
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (org_id, address)
);

-- The rooms of each list, in the order Exchange gave them. A room may be on several lists.
CREATE TABLE rooms (
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    list_address TEXT NOT NULL,
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (org_id, list_address, address)
);
