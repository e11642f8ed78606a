-- Webhooks: each organisation's receivers of its change feed, and their delivery attempts.

-- One row per webhook. delivered_seq is the feed cursor up to which the receiver answered 2xx;
-- failures counts the failed attempts in a row, and next_attempt_at is when to try again;
-- retry_through is the last change id of a failed batch, so its retry sends the same changes.
-- A worker leases a webhook while it delivers, so two workers never deliver it at once.
CREATE TABLE webhooks (
    id BIGINT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret_enc TEXT NOT NULL,
    enabled SMALLINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    delivered_seq BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    retry_through BIGINT,
    last_error TEXT,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);
CREATE INDEX webhooks_due ON webhooks (next_attempt_at);

-- Every POST to a webhook: the batch (first and last change id), the answer or the error.
CREATE TABLE webhook_deliveries (
    id BIGINT PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    http_status BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    delivered SMALLINT NOT NULL CHECK (delivered IN (0, 1))
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, attempt);
