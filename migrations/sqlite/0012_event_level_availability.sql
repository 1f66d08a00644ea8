-- Event-level availability alerts (issue 11): when a book pulls most of an event's markets at
-- once, one alert with market id '*' stands for all of them and counts them here. NULL for
-- every per-market alert, so existing rows keep their meaning.
ALTER TABLE alerts ADD COLUMN markets_affected INTEGER;
