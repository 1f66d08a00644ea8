-- The market-wide alert types of issue 14 (DESIGN §9): market_move, off_market and margin.
-- Additive: their fields are new nullable columns, so every existing row keeps its meaning.
-- Percentages and prices are stored like the existing ones (hundredths / 100 and thousandths /
-- 1000 as REAL, read back exactly); the per-type lists (a market move's movers, an off-market
-- price's consensus books, a margin alert's prices) are one JSON text column, read only with
-- the row.
--
-- SQLite cannot alter the alert_type CHECK of 0001, so the table is rebuilt (SQLite's
-- documented procedure): copy every row into the new shape, drop the old table, rename, and
-- recreate its indexes and trigger. Dropping `alerts` cascades to `alert_audit` (foreign keys
-- are on and cannot be switched off inside the migration's transaction), so the audit trail is
-- set aside first and put back, ids and all. `alert_changes` has no foreign key and is untouched.
CREATE TEMP TABLE alert_audit_kept AS SELECT * FROM alert_audit;

CREATE TABLE alerts_v13 (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id             INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker            TEXT NOT NULL,
    market_id            TEXT NOT NULL,
    market_name          TEXT NOT NULL,
    line                 REAL,
    outcome_name         TEXT,
    alert_type           TEXT NOT NULL CHECK (alert_type IN ('price_change', 'direction_disagreement', 'availability', 'market_move', 'off_market', 'margin')),
    severity             TEXT NOT NULL CHECK (severity IN ('warning', 'elevated', 'critical')),
    severity_rank        INTEGER NOT NULL,
    change_pct           REAL,
    abs_change_pct       REAL NOT NULL DEFAULT 0,
    old_price            REAL,
    new_price            REAL,
    competitor_bookmaker TEXT,
    competitor_old_price REAL,
    competitor_new_price REAL,
    competitor_direction TEXT CHECK (competitor_direction IN ('up', 'down')),
    gap_pct              REAL,
    availability         TEXT CHECK (availability IN ('suspended', 'returned')),
    unavailable_secs     INTEGER,
    detected_at          TEXT NOT NULL,
    event_kickoff        TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'past')),
    acknowledged_at      TEXT,
    acknowledged_by      TEXT,
    markets_affected     INTEGER,
    edge_pct             REAL,
    fair_odds            REAL,
    pattern              TEXT CHECK (pattern IN ('swapped', 'factor')),
    margin_pct           REAL,
    direction            TEXT CHECK (direction IN ('up', 'down')),
    median_change_pct    REAL,
    payload_lists        TEXT
);

INSERT INTO alerts_v13 (
    id, event_id, bookmaker, market_id, market_name, line, outcome_name, alert_type, severity,
    severity_rank, change_pct, abs_change_pct, old_price, new_price, competitor_bookmaker,
    competitor_old_price, competitor_new_price, competitor_direction, gap_pct, availability,
    unavailable_secs, detected_at, event_kickoff, status, acknowledged_at, acknowledged_by,
    markets_affected
)
SELECT
    id, event_id, bookmaker, market_id, market_name, line, outcome_name, alert_type, severity,
    severity_rank, change_pct, abs_change_pct, old_price, new_price, competitor_bookmaker,
    competitor_old_price, competitor_new_price, competitor_direction, gap_pct, availability,
    unavailable_secs, detected_at, event_kickoff, status, acknowledged_at, acknowledged_by,
    markets_affected
FROM alerts;

-- AUTOINCREMENT keeps its high-water mark in sqlite_sequence: carry it over, so an id of a
-- deleted (purged) alert is never handed out again.
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'alerts')
    WHERE name = 'alerts_v13' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'alerts');

-- Emptying the audit trail and dropping the old indexes first makes the DROP below a plain drop:
-- with foreign keys on, dropping a referenced table deletes its rows one by one (cascading
-- into alert_audit and updating every index), which on a million alerts blocks the start for
-- tens of seconds. The audit rows are put back from alert_audit_kept below.
DELETE FROM alert_audit;
DROP INDEX alerts_detected;
DROP INDEX alerts_severity;
DROP INDEX alerts_kickoff;
DROP INDEX alerts_change;
DROP INDEX alerts_status_detected;
DROP INDEX alerts_status_severity;
DROP INDEX alerts_status_kickoff;
DROP INDEX alerts_status_change;
DROP INDEX alerts_event;
DROP INDEX alerts_type_detected;
DROP INDEX alerts_bookmaker_detected;
DROP INDEX alerts_counts;
DROP INDEX alerts_market;
DROP INDEX alerts_status_event;
DROP TABLE alerts;
ALTER TABLE alerts_v13 RENAME TO alerts;

INSERT INTO alert_audit SELECT * FROM alert_audit_kept;
DROP TABLE alert_audit_kept;

CREATE INDEX alerts_detected ON alerts (detected_at DESC, id DESC);
CREATE INDEX alerts_severity ON alerts (severity_rank DESC, detected_at DESC, id DESC);
CREATE INDEX alerts_kickoff ON alerts (event_kickoff, id DESC);
CREATE INDEX alerts_change ON alerts (abs_change_pct DESC, id DESC);
CREATE INDEX alerts_status_detected ON alerts (status, detected_at DESC, id DESC);
CREATE INDEX alerts_status_severity ON alerts (status, severity_rank DESC, detected_at DESC, id DESC);
CREATE INDEX alerts_status_kickoff ON alerts (status, event_kickoff, id DESC);
CREATE INDEX alerts_status_change ON alerts (status, abs_change_pct DESC, id DESC);
CREATE INDEX alerts_event ON alerts (event_id, detected_at DESC, id DESC);
CREATE INDEX alerts_type_detected ON alerts (alert_type, detected_at DESC, id DESC);
CREATE INDEX alerts_bookmaker_detected ON alerts (bookmaker, detected_at DESC, id DESC);
CREATE INDEX alerts_counts ON alerts (status, severity_rank, alert_type);
CREATE INDEX alerts_market ON alerts (market_id, market_name);
CREATE INDEX alerts_status_event ON alerts (status, event_id, severity_rank, event_kickoff);

CREATE TRIGGER alerts_market_names AFTER INSERT ON alerts
BEGIN
    INSERT OR IGNORE INTO alert_market_names (market_id, name)
        VALUES (NEW.market_id, NEW.market_name);
END;
