-- oddswatch schema, SQLite dialect. Timestamps are RFC 3339 text in UTC (what sqlx writes for
-- chrono::DateTime<Utc>), which sorts correctly as text. Keep in step with ../postgres.

CREATE TABLE bookmakers (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    is_home     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE markets (
    market_id   TEXT PRIMARY KEY,          -- canonical (home book) market-type id
    name        TEXT NOT NULL,
    is_primary  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sr_id       TEXT NOT NULL UNIQUE,       -- SportRadar match id (or a feed's own id)
    home_team   TEXT NOT NULL,
    away_team   TEXT NOT NULL,
    tournament  TEXT,
    country     TEXT,
    kickoff     TEXT,
    -- lower-cased "home away tournament country", for the text filter
    search_text TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX events_kickoff ON events (kickoff);

CREATE TABLE event_books (
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker   TEXT NOT NULL REFERENCES bookmakers (slug),
    external_id TEXT NOT NULL,
    PRIMARY KEY (event_id, bookmaker)
);
CREATE INDEX event_books_external ON event_books (bookmaker, external_id);

-- The latest odds of one market (with line) of one event on one book. `line` is the canonical
-- decimal text ('' when the market has none) so it can be part of the key exactly.
CREATE TABLE current_odds (
    event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker    TEXT NOT NULL REFERENCES bookmakers (slug),
    market_id    TEXT NOT NULL,
    line         TEXT NOT NULL DEFAULT '',
    outcomes     TEXT NOT NULL,             -- JSON [{"name","price","active"}]
    available    INTEGER NOT NULL DEFAULT 1,
    unavailable_since TEXT,
    last_changed TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    PRIMARY KEY (event_id, bookmaker, market_id, line)
);

-- One row per market whose prices changed (never for unchanged markets).
CREATE TABLE price_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker    TEXT NOT NULL,
    market_id    TEXT NOT NULL,
    line         TEXT NOT NULL DEFAULT '',
    outcomes     TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX price_history_market ON price_history (event_id, market_id, line, recorded_at);
CREATE INDEX price_history_recorded ON price_history (recorded_at);

CREATE TABLE alerts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id             INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker            TEXT NOT NULL,
    market_id            TEXT NOT NULL,
    market_name          TEXT NOT NULL,
    line                 REAL,
    outcome_name         TEXT,
    alert_type           TEXT NOT NULL CHECK (alert_type IN ('price_change', 'direction_disagreement', 'availability')),
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
    acknowledged_by      TEXT
);
-- Each index serves one list shape of the alert service without a full scan or a sort:
-- every sort order within a status tab, every sort order over all alerts, and the filters
-- by event, type and book. The past transition and the purge use alerts_status_kickoff.
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
-- Covers the tab counts and the stats (status, severity and type only): counted from the index.
CREATE INDEX alerts_counts ON alerts (status, severity_rank, alert_type);

CREATE TABLE alert_audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id  INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    action    TEXT NOT NULL CHECK (action IN ('acknowledge', 'unacknowledge', 'past')),
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    comment   TEXT
);
CREATE INDEX alert_audit_alert ON alert_audit (alert_id, id);

-- Monotonic change feed for other processes: they poll MAX(seq) and read what is newer.
CREATE TABLE alert_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id  INTEGER,                      -- NULL: many alerts changed at once (bulk load)
    kind      TEXT NOT NULL,                -- created | acknowledged | unacknowledged | past | purged | reloaded
    at        TEXT NOT NULL
);

CREATE TABLE scrape_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    events_seen    INTEGER NOT NULL DEFAULT 0,
    rows_written   INTEGER NOT NULL DEFAULT 0,
    alerts_written INTEGER NOT NULL DEFAULT 0,
    stats          TEXT,                    -- JSON: timings, alerts per type and severity
    error          TEXT
);
CREATE INDEX scrape_runs_started ON scrape_runs (started_at DESC);

CREATE TABLE scrape_run_books (
    run_id         INTEGER NOT NULL REFERENCES scrape_runs (id) ON DELETE CASCADE,
    bookmaker      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'failed', 'skipped')),
    events_seen    INTEGER NOT NULL DEFAULT 0,
    markets_seen   INTEGER NOT NULL DEFAULT 0,
    requests       INTEGER NOT NULL DEFAULT 0,
    failures       INTEGER NOT NULL DEFAULT 0,
    latency_p50_ms INTEGER,
    latency_p95_ms INTEGER,
    quota_remaining INTEGER,
    error          TEXT,
    PRIMARY KEY (run_id, bookmaker)
);

-- Settings edited in the app (thresholds …), shared by every UI on the database.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,                -- JSON
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

INSERT INTO bookmakers (slug, name, is_home) VALUES
    ('betpawa', 'BetPawa', 1),
    ('sportybet', 'SportyBet', 0),
    ('bet9ja', 'Bet9ja', 0);

INSERT INTO markets (market_id, name, is_primary) VALUES
    ('3743', '1X2 | Full Time', 1),
    ('4693', 'Double Chance | Full Time', 1),
    ('3795', 'Both Teams To Score | Full Time', 1),
    ('5000', 'Over/Under | Full Time', 1),
    ('3774', 'Asian Handicap | Full Time', 1),
    ('4724', '3-Way Handicap | Full Time', 0),
    ('4703', 'Draw No Bet | Full Time', 0),
    ('4833', 'Odd/Even | Full Time', 0),
    ('3668', '1X2 | First Half', 0),
    ('4958', 'Over/Under | First Half', 0);
