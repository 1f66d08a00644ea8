-- Shard leases (issue 17, DESIGN §11): scraper daemons heartbeat in `scrape_daemons`; each of
-- the `scrape.shards` shards has one lease row in `scrape_leases`, whose epoch every claim bumps
-- (a write batch fenced with an older epoch is refused); each run names the daemon that ran it.
-- Additive: two new tables and a nullable column, so an older daemon keeps running.
-- Liveness and expiry are judged on the database's clock (now()).
CREATE TABLE scrape_daemons (
    id                TEXT PRIMARY KEY,          -- host:pid:nonce, unique per process
    host              TEXT NOT NULL,
    pid               BIGINT NOT NULL,
    version           TEXT NOT NULL,
    shards            BIGINT NOT NULL,           -- its scrape.shards
    lease_ms          BIGINT NOT NULL,           -- its lease duration
    started_at        TIMESTAMPTZ NOT NULL,
    last_seen         TIMESTAMPTZ NOT NULL,      -- heartbeat: every lease round
    stopped_at        TIMESTAMPTZ,               -- set by a clean stop
    last_cycle_at     TIMESTAMPTZ,
    last_cycle_ms     BIGINT,
    last_cycle_events BIGINT,
    last_cycle_alerts BIGINT
);

CREATE TABLE scrape_leases (
    shard           BIGINT PRIMARY KEY,          -- 0..scrape.shards
    owner           TEXT,                        -- a scrape_daemons id; NULL when free
    epoch           BIGINT NOT NULL DEFAULT 0,   -- bumped by every claim
    expires_at      TIMESTAMPTZ,
    last_scraped_at TIMESTAMPTZ
);

-- NULL for runs of daemons before leases (and of one-shot commands).
ALTER TABLE scrape_runs ADD COLUMN daemon_id TEXT;
