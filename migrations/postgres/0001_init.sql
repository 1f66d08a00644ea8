-- oddswatch schema, PostgreSQL dialect. Timestamps are TIMESTAMPTZ; keep in step with ../sqlite.

CREATE TABLE bookmakers (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    is_home     BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE markets (
    market_id   TEXT PRIMARY KEY,          -- canonical (home book) market-type id
    name        TEXT NOT NULL,
    is_primary  BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sr_id       TEXT NOT NULL UNIQUE,       -- SportRadar match id (or a feed's own id)
    home_team   TEXT NOT NULL,
    away_team   TEXT NOT NULL,
    tournament  TEXT,
    country     TEXT,
    kickoff     TIMESTAMPTZ,
    -- lower-cased "home away tournament country", for the text filter
    search_text TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_kickoff ON events (kickoff);

CREATE TABLE event_books (
    event_id    BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker   TEXT NOT NULL REFERENCES bookmakers (slug),
    external_id TEXT NOT NULL,
    PRIMARY KEY (event_id, bookmaker)
);
CREATE INDEX event_books_external ON event_books (bookmaker, external_id);

-- The latest odds of one market (with line) of one event on one book. `line` is the canonical
-- decimal text ('' when the market has none) so it can be part of the key exactly.
CREATE TABLE current_odds (
    event_id     BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker    TEXT NOT NULL REFERENCES bookmakers (slug),
    market_id    TEXT NOT NULL,
    line         TEXT NOT NULL DEFAULT '',
    outcomes     TEXT NOT NULL,             -- JSON [{"name","price","active"}]
    available    BOOLEAN NOT NULL DEFAULT TRUE,
    unavailable_since TIMESTAMPTZ,
    last_changed TIMESTAMPTZ NOT NULL,
    last_seen    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (event_id, bookmaker, market_id, line)
);

-- One row per market whose prices changed (never for unchanged markets).
CREATE TABLE price_history (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker    TEXT NOT NULL,
    market_id    TEXT NOT NULL,
    line         TEXT NOT NULL DEFAULT '',
    outcomes     TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX price_history_market ON price_history (event_id, market_id, line, recorded_at);
CREATE INDEX price_history_recorded ON price_history (recorded_at);

CREATE TABLE alerts (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id             BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bookmaker            TEXT NOT NULL,
    market_id            TEXT NOT NULL,
    market_name          TEXT NOT NULL,
    line                 DOUBLE PRECISION,
    outcome_name         TEXT,
    alert_type           TEXT NOT NULL CHECK (alert_type IN ('price_change', 'direction_disagreement', 'availability')),
    severity             TEXT NOT NULL CHECK (severity IN ('warning', 'elevated', 'critical')),
    severity_rank        BIGINT NOT NULL,
    change_pct           DOUBLE PRECISION,
    abs_change_pct       DOUBLE PRECISION NOT NULL DEFAULT 0,
    old_price            DOUBLE PRECISION,
    new_price            DOUBLE PRECISION,
    competitor_bookmaker TEXT,
    competitor_old_price DOUBLE PRECISION,
    competitor_new_price DOUBLE PRECISION,
    competitor_direction TEXT CHECK (competitor_direction IN ('up', 'down')),
    gap_pct              DOUBLE PRECISION,
    availability         TEXT CHECK (availability IN ('suspended', 'returned')),
    unavailable_secs     BIGINT,
    detected_at          TIMESTAMPTZ NOT NULL,
    event_kickoff        TIMESTAMPTZ NOT NULL,
    status               TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'past')),
    acknowledged_at      TIMESTAMPTZ,
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
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id  BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    action    TEXT NOT NULL CHECK (action IN ('acknowledge', 'unacknowledge', 'past')),
    actor     TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    comment   TEXT
);
CREATE INDEX alert_audit_alert ON alert_audit (alert_id, id);

-- Monotonic change feed for other processes: they poll MAX(seq) and read what is newer.
CREATE TABLE alert_changes (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id  BIGINT,                      -- NULL: many alerts changed at once (bulk load)
    kind      TEXT NOT NULL,                -- created | acknowledged | unacknowledged | past | purged | reloaded
    at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE scrape_runs (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    status         TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    events_seen    BIGINT NOT NULL DEFAULT 0,
    rows_written   BIGINT NOT NULL DEFAULT 0,
    alerts_written BIGINT NOT NULL DEFAULT 0,
    stats          TEXT,                    -- JSON: timings, alerts per type and severity
    error          TEXT
);
CREATE INDEX scrape_runs_started ON scrape_runs (started_at DESC);

CREATE TABLE scrape_run_books (
    run_id         BIGINT NOT NULL REFERENCES scrape_runs (id) ON DELETE CASCADE,
    bookmaker      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'failed', 'skipped')),
    events_seen    BIGINT NOT NULL DEFAULT 0,
    markets_seen   BIGINT NOT NULL DEFAULT 0,
    requests       BIGINT NOT NULL DEFAULT 0,
    failures       BIGINT NOT NULL DEFAULT 0,
    latency_p50_ms BIGINT,
    latency_p95_ms BIGINT,
    quota_remaining BIGINT,
    error          TEXT,
    PRIMARY KEY (run_id, bookmaker)
);

-- Settings edited in the app (thresholds …), shared by every UI on the database.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,                -- JSON
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

INSERT INTO bookmakers (slug, name, is_home) VALUES
    ('betpawa', 'BetPawa', TRUE),
    ('sportybet', 'SportyBet', FALSE),
    ('bet9ja', 'Bet9ja', FALSE);

INSERT INTO markets (market_id, name, is_primary) VALUES
    ('3743', '1X2 | Full Time', TRUE),
    ('4693', 'Double Chance | Full Time', TRUE),
    ('3795', 'Both Teams To Score | Full Time', TRUE),
    ('5000', 'Over/Under | Full Time', TRUE),
    ('3774', 'Asian Handicap | Full Time', TRUE),
    ('4724', '3-Way Handicap | Full Time', FALSE),
    ('4703', 'Draw No Bet | Full Time', FALSE),
    ('4833', 'Odd/Even | Full Time', FALSE),
    ('3668', '1X2 | First Half', FALSE),
    ('4958', 'Over/Under | First Half', FALSE);
