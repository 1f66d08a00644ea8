-- Notifications (issue 18, DESIGN §12). A delivery is queued in `notify_outbox` in the same
-- transaction as the alert (or its escalation or re-opening), so a crash loses nothing; a
-- sender delivers it, retries with backoff, and marks it delivered (or expired after a day).
-- `notify_targets` holds each target's delivery state: failures in a row, the next attempt,
-- a pause, and which sender holds it. Additive: two new tables only.
CREATE TABLE notify_outbox (
    id              BIGSERIAL PRIMARY KEY,
    target          TEXT NOT NULL,                -- a [[notify.targets]] name
    alert_id        BIGINT NOT NULL,                -- no foreign key: a purged alert expires its deliveries
    kind            TEXT NOT NULL,                -- new | escalated | reopened
    severity        TEXT NOT NULL,                -- the alert's severity when queued
    queued_at       TIMESTAMPTZ NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | expired
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMPTZ,
    last_error      TEXT,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX notify_outbox_pending ON notify_outbox (target, id) WHERE state = 'pending';

CREATE TABLE notify_targets (
    name                 TEXT PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      TIMESTAMPTZ,                     -- NULL: at once
    paused_at            TIMESTAMPTZ,                     -- set after notify.pause_after failures in a row
    last_error           TEXT,
    last_success_at      TIMESTAMPTZ,
    claimed_by           TEXT,                   -- the sender delivering for it now
    claimed_until        TIMESTAMPTZ
);

-- Rules added at run time (`oddswatch notify rules add`, `POST /api/notify/rules`), applied with
-- the configured ones from the next cycle on. Targets (which hold secrets) stay in the config.
CREATE TABLE notify_rules (
    id           BIGSERIAL PRIMARY KEY,
    target       TEXT NOT NULL,
    min_severity TEXT NOT NULL,
    types        TEXT NOT NULL,                  -- JSON array of alert types; [] = all
    books        TEXT NOT NULL,                  -- JSON array of book slugs; [] = all
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
