-- A doorbell for other processes: after a transaction that wrote change-log rows commits,
-- listeners on `oddswatch_changes` are woken with the newest sequence number (ids only) and read
-- the log themselves. Listeners also poll, so a missed notification only adds latency.
CREATE FUNCTION oddswatch_notify_changes() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('oddswatch_changes', (SELECT MAX(seq)::text FROM new_rows));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER alert_changes_notify
    AFTER INSERT ON alert_changes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION oddswatch_notify_changes();
