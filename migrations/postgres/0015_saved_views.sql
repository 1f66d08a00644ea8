-- Saved views (issue 16): a trader's named filter + sort + layout of the alert screen, kept per
-- user so it follows them to any terminal on the desk's database. Additive: a new table only.
-- The owner column is `user_name`, not `user`, which PostgreSQL reserves.
CREATE TABLE saved_views (
    user_name  TEXT NOT NULL,
    name       TEXT NOT NULL,
    spec       TEXT NOT NULL,                -- JSON of ViewSpec
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_name, name)
);
