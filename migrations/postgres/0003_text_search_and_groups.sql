-- Text search and the grouped view at a million alerts.
--
-- The text filter used to test every alert's market name (a scan of the whole table at a
-- million alerts). Market names are few, so each (market id, name) pair that alerts carry is
-- kept here once, maintained by a statement-level trigger (one insert per statement, COPY
-- included), and alerts are indexed by that pair: a text search matches the small tables first
-- and then finds its alerts through indexes.
CREATE TABLE alert_market_names (
    market_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (market_id, name)
);

INSERT INTO alert_market_names (market_id, name)
    SELECT DISTINCT market_id, market_name FROM alerts
    ON CONFLICT DO NOTHING;

CREATE FUNCTION oddswatch_alert_market_names() RETURNS trigger AS $$
BEGIN
    INSERT INTO alert_market_names (market_id, name)
        SELECT DISTINCT market_id, market_name FROM new_rows
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER alerts_market_names
    AFTER INSERT ON alerts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION oddswatch_alert_market_names();

CREATE INDEX alerts_market ON alerts (market_id, market_name);

-- The grouped view and the stats panel's busiest events aggregate a tab's alerts per event:
-- this index covers them (count, worst severity, soonest kickoff) without reading table rows.
CREATE INDEX alerts_status_event ON alerts (status, event_id, severity_rank, event_kickoff);
