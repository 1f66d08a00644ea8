-- Dead-letter bookkeeping per scrape run: the cycle's batches the writer could not store and kept
-- as files, and dead letters (of this or earlier cycles) stored while the cycle ran. Additive.
ALTER TABLE scrape_runs ADD COLUMN batches_dead_lettered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scrape_runs ADD COLUMN batches_replayed INTEGER NOT NULL DEFAULT 0;
