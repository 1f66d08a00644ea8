//! The floor the first cycle's writes are held to on PostgreSQL: `COPY` of exactly the rows the
//! first cycle wrote (its events, their links, current odds and price history), dumped after that
//! cycle and loaded into an empty database.

use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, bail};

use crate::store::Store;

/// The tables a cycle's batches fill, in foreign-key order, with the columns copied (an
/// event keeps its id so the other tables' references hold; a history row gets a new one).
const CYCLE_TABLES: [(&str, &str); 4] = [
    (
        "events",
        "id, sr_id, home_team, away_team, tournament, country, kickoff, search_text, created_at, updated_at",
    ),
    ("event_books", "event_id, bookmaker, external_id"),
    (
        "current_odds",
        "event_id, bookmaker, market_id, line, outcomes, available, unavailable_since, last_changed, last_seen",
    ),
    (
        "price_history",
        "event_id, bookmaker, market_id, line, outcomes, recorded_at",
    ),
];

/// A dump of a cycle's rows: one COPY text file per table of [`CYCLE_TABLES`], and the books.
#[derive(Debug)]
pub struct RowDump {
    files: Vec<std::path::PathBuf>,
    books: Vec<(String, String, bool)>,
}

/// PostgreSQL only: every row of the tables a cycle writes, dumped with `COPY … TO STDOUT` to
/// files in `dir` (streamed, so the dump holds no table in memory).
pub async fn dump_rows(store: &Store, dir: &std::path::Path) -> Result<Option<RowDump>> {
    use futures::TryStreamExt;
    use tokio::io::AsyncWriteExt;
    let Store::Postgres(pool) = store else {
        return Ok(None);
    };
    let mut conn = pool
        .acquire()
        .await
        .wrap_err("acquiring a connection for the dump")?;
    let books: Vec<(String, String, bool)> =
        sqlx::query_as("SELECT slug, name, is_home FROM bookmakers")
            .fetch_all(&mut *conn)
            .await
            .wrap_err("reading the books")?;
    let mut files = Vec::new();
    for (table, columns) in CYCLE_TABLES {
        let path = dir.join(format!("{table}.copy"));
        let mut file = tokio::fs::File::create(&path)
            .await
            .wrap_err_with(|| format!("creating {}", path.display()))?;
        let mut out = conn
            .copy_out_raw(&format!("COPY {table} ({columns}) TO STDOUT"))
            .await
            .wrap_err_with(|| format!("dumping {table}"))?;
        while let Some(chunk) = out
            .try_next()
            .await
            .wrap_err_with(|| format!("dumping {table}"))?
        {
            file.write_all(&chunk)
                .await
                .wrap_err_with(|| format!("writing {}", path.display()))?;
        }
        drop(out);
        file.flush()
            .await
            .wrap_err_with(|| format!("writing {}", path.display()))?;
        files.push(path);
    }
    Ok(Some(RowDump { files, books }))
}

/// Loads a [`RowDump`] into an empty database with one `COPY … FROM STDIN` per table (the
/// books, already there or inserted first, are not timed); returns the COPY time.
pub async fn copy_rows(store: &Store, dump: &RowDump) -> Result<Duration> {
    let Store::Postgres(pool) = store else {
        bail!("COPY needs PostgreSQL");
    };
    let mut conn = pool
        .acquire()
        .await
        .wrap_err("acquiring a connection for COPY")?;
    for (slug, name, is_home) in &dump.books {
        sqlx::query("INSERT INTO bookmakers (slug, name, is_home) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING")
            .bind(slug)
            .bind(name)
            .bind(is_home)
            .execute(&mut *conn)
            .await
            .wrap_err("registering books")?;
    }
    let started = Instant::now();
    for ((table, columns), path) in CYCLE_TABLES.iter().zip(&dump.files) {
        let file = tokio::fs::File::open(path)
            .await
            .wrap_err_with(|| format!("opening {}", path.display()))?;
        let mut copy = conn
            .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await
            .wrap_err_with(|| format!("starting COPY into {table}"))?;
        copy.read_from(file)
            .await
            .wrap_err_with(|| format!("sending COPY data into {table}"))?;
        copy.finish()
            .await
            .wrap_err_with(|| format!("finishing COPY into {table}"))?;
    }
    Ok(started.elapsed())
}
