-- Text search and the grouped view at a million alerts.
--
-- The text filter used to test every alert's market name (a scan of the whole table: 1.6 s at
-- a million alerts). Market names are few, so each (market id, name) pair that alerts carry is
-- kept here once, maintained by a trigger, and alerts are indexed by that pair: a text search
-- matches the small tables first and then finds its alerts through indexes.
CREATE TABLE alert_market_names (
    market_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (market_id, name)
) WITHOUT ROWID;

INSERT OR IGNORE INTO alert_market_names (market_id, name)
    SELECT DISTINCT market_id, market_name FROM alerts;

CREATE TRIGGER alerts_market_names AFTER INSERT ON alerts
BEGIN
    INSERT OR IGNORE INTO alert_market_names (market_id, name)
        VALUES (NEW.market_id, NEW.market_name);
END;

CREATE INDEX alerts_market ON alerts (market_id, market_name);

-- The grouped view and the stats panel's busiest events aggregate a tab's alerts per event:
-- this index covers them (count, worst severity, soonest kickoff) without reading table rows.
CREATE INDEX alerts_status_event ON alerts (status, event_id, severity_rank, event_kickoff);
