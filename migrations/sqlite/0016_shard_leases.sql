-- Shard leases (issue 17, DESIGN §11): scraper daemons heartbeat in `scrape_daemons`; each of
-- the `scrape.shards` shards has one lease row in `scrape_leases`, whose epoch every claim bumps
-- (a write batch fenced with an older epoch is refused); each run names the daemon that ran it.
-- Additive: two new tables and a nullable column, so an older daemon keeps running.
-- On SQLite one daemon runs (a file lock in the CLI); the tables serve `oddswatch status`.
CREATE TABLE scrape_daemons (
    id                TEXT PRIMARY KEY,          -- host:pid:nonce, unique per process
    host              TEXT NOT NULL,
    pid               INTEGER NOT NULL,
    version           TEXT NOT NULL,
    shards            INTEGER NOT NULL,          -- its scrape.shards
    lease_ms          INTEGER NOT NULL,          -- its lease duration
    started_at        TEXT NOT NULL,
    last_seen         TEXT NOT NULL,             -- heartbeat: every lease round
    stopped_at        TEXT,                      -- set by a clean stop
    last_cycle_at     TEXT,
    last_cycle_ms     INTEGER,
    last_cycle_events INTEGER,
    last_cycle_alerts INTEGER
);

CREATE TABLE scrape_leases (
    shard           INTEGER PRIMARY KEY,         -- 0..scrape.shards
    owner           TEXT,                        -- a scrape_daemons id; NULL when free
    epoch           INTEGER NOT NULL DEFAULT 0,  -- bumped by every claim
    expires_at      TEXT,
    last_scraped_at TEXT
);

-- NULL for runs of daemons before leases (and of one-shot commands).
ALTER TABLE scrape_runs ADD COLUMN daemon_id TEXT;
