-- Noise control (issue 15, DESIGN §10): one open alert per identity, every detection kept as an
-- occurrence, and silences. Additive for alerts: every existing row keeps its meaning and
-- becomes its own identity (identity NULL is never matched), with one occurrence, its own.

-- The identity a further detection is folded by (NULL: an alert stored before noise control,
-- never folded into); how many detections it holds; when it was last detected (NULL: at
-- detected_at, read with COALESCE); whether its severity rose; the silence that matched it.
-- silenced_by has no foreign key: silences are never deleted, only expired.
ALTER TABLE alerts ADD COLUMN identity TEXT;
ALTER TABLE alerts ADD COLUMN occurrences INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN last_detected_at TEXT;
ALTER TABLE alerts ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN silenced_by INTEGER;

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
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id             INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    detected_at          TEXT NOT NULL,
    severity             TEXT NOT NULL CHECK (severity IN ('warning', 'elevated', 'critical')),
    severity_rank        INTEGER NOT NULL,
    change_pct           REAL,
    old_price            REAL,
    new_price            REAL,
    competitor_bookmaker TEXT,
    competitor_old_price REAL,
    competitor_new_price REAL,
    competitor_direction TEXT,
    gap_pct              REAL,
    availability         TEXT,
    unavailable_secs     INTEGER,
    markets_affected     INTEGER,
    edge_pct             REAL,
    fair_odds            REAL,
    pattern              TEXT,
    margin_pct           REAL,
    direction            TEXT,
    median_change_pct    REAL,
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
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER,
    tournament   TEXT,
    bookmaker    TEXT,
    market_id    TEXT,
    line         REAL,
    outcome      TEXT,
    alert_type   TEXT,
    max_severity TEXT CHECK (max_severity IN ('warning', 'elevated', 'critical')),
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expired_at   TEXT,
    expired_by   TEXT
);
CREATE INDEX silences_ends ON silences (ends_at) WHERE expired_at IS NULL;

CREATE TABLE silence_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    silence_id INTEGER NOT NULL REFERENCES silences (id) ON DELETE CASCADE,
    action     TEXT NOT NULL CHECK (action IN ('create', 'edit', 'expire')),
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    comment    TEXT
);
CREATE INDEX silence_audit_silence ON silence_audit (silence_id, id);

-- alert_audit admits 'escalate' and 'reopen'. SQLite cannot alter a CHECK, so the small audit
-- table is rebuilt, ids kept (nothing references it).
CREATE TABLE alert_audit_v14 (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id  INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    action    TEXT NOT NULL CHECK (action IN ('acknowledge', 'unacknowledge', 'past', 'escalate', 'reopen')),
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    comment   TEXT
);
INSERT INTO alert_audit_v14 (id, alert_id, action, actor, at, comment)
    SELECT id, alert_id, action, actor, at, comment FROM alert_audit ORDER BY id;
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'alert_audit')
    WHERE name = 'alert_audit_v14' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'alert_audit');
DROP TABLE alert_audit;
ALTER TABLE alert_audit_v14 RENAME TO alert_audit;
CREATE INDEX alert_audit_alert ON alert_audit (alert_id, id);
