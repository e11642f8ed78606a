-- Impersync schema, version 1.
-- Portable SQL: this one file runs on SQLite and on PostgreSQL.
--   * ids are BIGINT values made by the application (no sequences, no RETURNING);
--   * times are BIGINT Unix milliseconds;
--   * booleans are SMALLINT 0/1 (SQLite has no BOOLEAN type);
--   * lists and details are JSON in TEXT;
--   * secrets are only ever stored sealed (columns ending in _enc).
-- The migration runner splits this file on semicolons: keep them out of literals.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organisations (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    domains TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- name_key is the name in lower case, made by the application (the same on both backends).
CREATE UNIQUE INDEX organisations_name ON organisations (name_key);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    -- display_name in lower case, made by the application, for searching the same way on both backends.
    display_name_key TEXT NOT NULL DEFAULT '',
    sync_enabled SMALLINT NOT NULL DEFAULT 0 CHECK (sync_enabled IN (0, 1)),
    last_check_outcome TEXT,
    last_check_detail TEXT,
    last_check_at BIGINT,
    last_check_run_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_org_email ON users (org_id, email);

CREATE TABLE email_configs (
    org_id BIGINT PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    access_type TEXT NOT NULL CHECK (access_type IN ('ExchangeImpersonation', 'M365OAuthImpersonation')),
    logon TEXT,
    auth TEXT,
    password_enc TEXT,
    authority TEXT,
    tenant TEXT,
    client_id TEXT,
    redirect_url TEXT,
    client_secret_enc TEXT,
    refresh_token_enc TEXT,
    signed_in_account TEXT,
    ews_url TEXT,
    autodiscover SMALLINT NOT NULL DEFAULT 0 CHECK (autodiscover IN (0, 1)),
    tls_policy TEXT NOT NULL DEFAULT 'verify',
    id_type TEXT NOT NULL DEFAULT 'SmtpAddress',
    folders TEXT NOT NULL DEFAULT '[]',
    poll_interval_secs BIGINT NOT NULL DEFAULT 300,
    lab SMALLINT NOT NULL DEFAULT 0 CHECK (lab IN (0, 1)),
    saved SMALLINT NOT NULL DEFAULT 0 CHECK (saved IN (0, 1)),
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);

CREATE TABLE check_runs (
    id BIGINT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled', 'failed')),
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    started_by BIGINT,
    total BIGINT NOT NULL DEFAULT 0,
    checked BIGINT NOT NULL DEFAULT 0,
    ok BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    note TEXT
);
-- At most one running check run per organisation, enforced by the database.
CREATE UNIQUE INDEX check_runs_one_running ON check_runs (org_id) WHERE status = 'running';
CREATE INDEX check_runs_org_started ON check_runs (org_id, started_at);

CREATE TABLE check_results (
    run_id BIGINT NOT NULL REFERENCES check_runs (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, email)
);
CREATE INDEX check_results_run_outcome ON check_results (run_id, outcome);

-- The EWS SyncState per (mailbox, folder), with its lease and failure counters.
-- Filled by the sync engine (a later migration may extend it).
CREATE TABLE sync_states (
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    mailbox_id BIGINT NOT NULL,
    folder TEXT NOT NULL,
    sync_state TEXT NOT NULL DEFAULT '',
    lease_owner TEXT,
    lease_expires_at BIGINT,
    failures BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    next_due_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);
CREATE INDEX sync_states_due ON sync_states (next_due_at);
CREATE INDEX sync_states_org ON sync_states (org_id);

CREATE TABLE admins (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'org_admin')),
    org_id BIGINT REFERENCES organisations (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((role = 'operator' AND org_id IS NULL) OR (role = 'org_admin' AND org_id IS NOT NULL))
);
CREATE UNIQUE INDEX admins_username ON admins (username);

CREATE TABLE api_tokens (
    id BIGINT PRIMARY KEY,
    admin_id BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_admin ON api_tokens (admin_id);

-- Kept when an organisation or admin is deleted: no foreign keys.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_admin_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    org_id BIGINT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at);
CREATE INDEX audit_log_at ON audit_log (at);
