-- Noise control (issue 15, DESIGN §10): one open alert per identity, every detection kept as an
-- occurrence, and silences. Additive for alerts: every existing row keeps its meaning and
-- becomes its own identity (identity NULL is never matched), with one occurrence, its own.

-- The identity a further detection is folded by (NULL: an alert stored before noise control,
-- never folded into); how many detections it holds; when it was last detected (NULL: at
-- detected_at, read with COALESCE); whether its severity rose; the silence that matched it.
-- silenced_by has no foreign key: silences are never deleted, only expired.
ALTER TABLE alerts ADD COLUMN identity TEXT;
ALTER TABLE alerts ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN last_detected_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN escalated BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE alerts ADD COLUMN silenced_by BIGINT;

-- The newest alert of each of a batch's identities, read once per batch.
CREATE INDEX alerts_identity ON alerts (identity, id DESC) WHERE identity IS NOT NULL;

-- The tab counts, the stats and the grouped view hide silenced alerts by default: silenced_by
-- joins the covering indexes they are counted from, so hiding costs no table read.
DROP INDEX alerts_counts;
CREATE INDEX alerts_counts ON alerts (status, severity_rank, alert_type, silenced_by);
DROP INDEX alerts_status_event;
CREATE INDEX alerts_status_event ON alerts (status, event_id, severity_rank, event_kickoff, silenced_by);

-- Every detection of an alert, with its own time, severity and payload (the payload columns
-- have the alerts' names, so one reader serves both).
CREATE TABLE alert_occurrences (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id             BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    detected_at          TIMESTAMPTZ NOT NULL,
    severity             TEXT NOT NULL CHECK (severity IN ('warning', 'elevated', 'critical')),
    severity_rank        BIGINT NOT NULL,
    change_pct           DOUBLE PRECISION,
    old_price            DOUBLE PRECISION,
    new_price            DOUBLE PRECISION,
    competitor_bookmaker TEXT,
    competitor_old_price DOUBLE PRECISION,
    competitor_new_price DOUBLE PRECISION,
    competitor_direction TEXT,
    gap_pct              DOUBLE PRECISION,
    availability         TEXT,
    unavailable_secs     BIGINT,
    markets_affected     BIGINT,
    edge_pct             DOUBLE PRECISION,
    fair_odds            DOUBLE PRECISION,
    pattern              TEXT,
    margin_pct           DOUBLE PRECISION,
    direction            TEXT,
    median_change_pct    DOUBLE PRECISION,
    payload_lists        TEXT
);
CREATE INDEX alert_occurrences_alert ON alert_occurrences (alert_id, id);

INSERT INTO alert_occurrences (
    alert_id, detected_at, severity, severity_rank, change_pct, old_price, new_price,
    competitor_bookmaker, competitor_old_price, competitor_new_price, competitor_direction,
    gap_pct, availability, unavailable_secs, markets_affected, edge_pct, fair_odds, pattern,
    margin_pct, direction, median_change_pct, payload_lists
)
SELECT
    id, detected_at, severity, severity_rank, change_pct, old_price, new_price,
    competitor_bookmaker, competitor_old_price, competitor_new_price, competitor_direction,
    gap_pct, availability, unavailable_secs, markets_affected, edge_pct, fair_odds, pattern,
    margin_pct, direction, median_change_pct, payload_lists
FROM alerts ORDER BY id;

-- Silences (as Alertmanager's): unset matchers match anything.
CREATE TABLE silences (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT,
    tournament   TEXT,
    bookmaker    TEXT,
    market_id    TEXT,
    line         DOUBLE PRECISION,
    outcome      TEXT,
    alert_type   TEXT,
    max_severity TEXT CHECK (max_severity IN ('warning', 'elevated', 'critical')),
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expired_at   TIMESTAMPTZ,
    expired_by   TEXT
);
CREATE INDEX silences_ends ON silences (ends_at) WHERE expired_at IS NULL;

CREATE TABLE silence_audit (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    silence_id BIGINT NOT NULL REFERENCES silences (id) ON DELETE CASCADE,
    action     TEXT NOT NULL CHECK (action IN ('create', 'edit', 'expire')),
    actor      TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    comment    TEXT
);
CREATE INDEX silence_audit_silence ON silence_audit (silence_id, id);

-- alert_audit admits 'escalate' and 'reopen'. No IF EXISTS: a database whose check is named
-- otherwise must fail here, loudly.
ALTER TABLE alert_audit DROP CONSTRAINT alert_audit_action_check;
ALTER TABLE alert_audit ADD CONSTRAINT alert_audit_action_check CHECK (action IN (
    'acknowledge', 'unacknowledge', 'past', 'escalate', 'reopen'
));
