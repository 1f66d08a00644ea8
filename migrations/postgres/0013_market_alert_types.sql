-- The market-wide alert types of issue 14 (DESIGN §9): market_move, off_market and margin.
-- Additive: the type check admits the new names, and their fields are new nullable columns, so
-- every existing row keeps its meaning. Percentages and prices are stored like the existing ones
-- (hundredths / 100 and thousandths / 1000 as floats, read back exactly); the per-type lists
-- (a market move's movers, an off-market price's consensus books, a margin alert's prices) are
-- one JSON text column, read only with the row.
-- No IF EXISTS: a database whose check is named otherwise must fail here, loudly, rather than
-- keep refusing the new types at run time.
ALTER TABLE alerts DROP CONSTRAINT alerts_alert_type_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_alert_type_check CHECK (alert_type IN (
    'price_change', 'direction_disagreement', 'availability', 'market_move', 'off_market', 'margin'
));
ALTER TABLE alerts ADD COLUMN edge_pct DOUBLE PRECISION;
ALTER TABLE alerts ADD COLUMN fair_odds DOUBLE PRECISION;
ALTER TABLE alerts ADD COLUMN pattern TEXT CHECK (pattern IN ('swapped', 'factor'));
ALTER TABLE alerts ADD COLUMN margin_pct DOUBLE PRECISION;
ALTER TABLE alerts ADD COLUMN direction TEXT CHECK (direction IN ('up', 'down'));
ALTER TABLE alerts ADD COLUMN median_change_pct DOUBLE PRECISION;
ALTER TABLE alerts ADD COLUMN payload_lists TEXT;
