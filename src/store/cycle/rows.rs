//! The bulk of a cycle batch — its events, their links to the books, current odds and price
//! history — written the fastest way each backend allows, inside the batch's transaction.
//!
//! SQLite takes multi-row `VALUES` statements (in-process, no round trips: already close to its
//! plainest loop). PostgreSQL takes, per table, one statement of arrays through `unnest` (one
//! prepared statement whatever the row count, instead of re-planning tens of thousands of
//! placeholders per chunk), and `COPY` where an insert cannot conflict:
//!
//! - `price_history` is append-only: every row the batch asks for is inserted.
//! - `current_odds` rows of events the batch itself inserted (`xmax = 0` on the event upsert's
//!   row: created by this transaction, so no other row can refer to it yet) cannot meet an
//!   older or newer stored state; the upsert's `WHERE last_changed <=` guard has nothing to
//!   guard. Rows of known events keep the upsert, so an older state never overwrites a newer one
//!   and a replayed dead letter only adds history and alerts.
//!
//! [`RowPath::Values`] keeps the original statements on PostgreSQL too: the reference the fast
//! path is tested against, row for row.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, SqliteConnection};

use super::{OddsWrite, history_insert, odds_upsert};
use crate::store::bulk::write_csv_row;
use crate::store::events::{EVENT_CONFLICT, EVENTS_PER_STATEMENT, EventRecord, event_upsert};
use crate::store::sql::{BindParams, Param};
use crate::store::{QueryContext, Store, StoreError};

/// How a batch's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowPath {
    /// Multi-row `VALUES` statements on both backends (the original path).
    Values,
    /// The backend's fastest path: `unnest` and `COPY` on PostgreSQL, `VALUES` on SQLite.
    Fast,
}

/// Odds rows per `VALUES` statement (9 parameters each).
const ODDS_PER_STATEMENT: usize = 3000;

/// Links per `VALUES` statement (3 parameters each).
const LINKS_PER_STATEMENT: usize = 5000;

/// The batch's event ids by SportRadar key, and the ids of the events it inserted (known on
/// PostgreSQL's fast path only; empty means "treat every event as known").
#[derive(Debug, Default)]
pub(super) struct EventIds {
    /// Database id by SportRadar key.
    pub ids: HashMap<String, i64>,
    /// Events this transaction created.
    pub inserted: HashSet<i64>,
}

/// A current-odds or price-history row with its outcomes serialised once for both tables.
pub(super) struct OddsRow<'a> {
    /// The event's database id.
    pub event_id: i64,
    /// The row.
    pub odds: &'a OddsWrite,
    /// `odds.outcomes` as the JSON the tables store.
    pub outcomes: String,
}

/// The per-backend writes of a batch's rows, on the batch's transaction's connection.
pub(super) trait BatchRows {
    /// Inserts the events or refreshes their names and kickoff.
    async fn upsert_events(
        &mut self,
        store: &Store,
        records: &[EventRecord],
        at: DateTime<Utc>,
        path: RowPath,
    ) -> Result<EventIds, StoreError>;

    /// Links events to the books' own ids: `(event id, book, external id)`.
    async fn link_books(
        &mut self,
        store: &Store,
        links: &[(i64, &str, &str)],
        path: RowPath,
    ) -> Result<(), StoreError>;

    /// Upserts current odds (an older state never overwrites a newer one) and appends the
    /// price history of the rows that ask for it.
    async fn write_odds(
        &mut self,
        store: &Store,
        rows: &[OddsRow<'_>],
        inserted: &HashSet<i64>,
        at: DateTime<Utc>,
        path: RowPath,
    ) -> Result<(), StoreError>;
}

/// The `VALUES` statements of the original path, on either connection type.
macro_rules! values_path {
    (events: $conn:expr, $store:expr, $records:expr, $at:expr) => {{
        let mut ids = EventIds::default();
        for chunk in $records.chunks(EVENTS_PER_STATEMENT) {
            let q = event_upsert($store, chunk, $at);
            let rows: Vec<(i64, String)> = sqlx::query_as(q.sql())
                .bind_params(q.params())
                .fetch_all(&mut *$conn)
                .await
                .context("upserting events")?;
            ids.ids.extend(rows.into_iter().map(|(id, sr)| (sr, id)));
        }
        Ok(ids)
    }};
    (links: $conn:expr, $store:expr, $links:expr) => {{
        for chunk in $links.chunks(LINKS_PER_STATEMENT) {
            let mut q = $store
                .query("INSERT INTO event_books (event_id, bookmaker, external_id) VALUES ");
            q.values(chunk.iter().map(|(id, book, ext)| {
                [Param::Int(*id), Param::from(*book), Param::from(*ext)]
            }));
            q.push(" ON CONFLICT (event_id, bookmaker) DO UPDATE SET external_id = excluded.external_id");
            sqlx::query(q.sql())
                .bind_params(q.params())
                .execute(&mut *$conn)
                .await
                .context("linking events to books")?;
        }
        Ok(())
    }};
    (odds: $conn:expr, $store:expr, $rows:expr, $at:expr) => {{
        for chunk in $rows.chunks(ODDS_PER_STATEMENT) {
            let q = odds_upsert($store, chunk, $at);
            sqlx::query(q.sql())
                .bind_params(q.params())
                .execute(&mut *$conn)
                .await
                .context("upserting current odds")?;
        }
        let history: Vec<&OddsRow<'_>> = $rows.iter().filter(|r| r.odds.record_history).collect();
        for chunk in history.chunks(ODDS_PER_STATEMENT) {
            let q = history_insert($store, chunk, $at);
            sqlx::query(q.sql())
                .bind_params(q.params())
                .execute(&mut *$conn)
                .await
                .context("writing price history")?;
        }
        Ok(())
    }};
}

impl BatchRows for SqliteConnection {
    async fn upsert_events(
        &mut self,
        store: &Store,
        records: &[EventRecord],
        at: DateTime<Utc>,
        _: RowPath,
    ) -> Result<EventIds, StoreError> {
        values_path!(events: self, store, records, at)
    }

    async fn link_books(
        &mut self,
        store: &Store,
        links: &[(i64, &str, &str)],
        _: RowPath,
    ) -> Result<(), StoreError> {
        values_path!(links: self, store, links)
    }

    async fn write_odds(
        &mut self,
        store: &Store,
        rows: &[OddsRow<'_>],
        _: &HashSet<i64>,
        at: DateTime<Utc>,
        _: RowPath,
    ) -> Result<(), StoreError> {
        values_path!(odds: self, store, rows, at)
    }
}

impl BatchRows for PgConnection {
    async fn upsert_events(
        &mut self,
        store: &Store,
        records: &[EventRecord],
        at: DateTime<Utc>,
        path: RowPath,
    ) -> Result<EventIds, StoreError> {
        if path == RowPath::Values {
            return values_path!(events: self, store, records, at);
        }
        let sql = format!(
            "INSERT INTO events (sr_id, home_team, away_team, tournament, country, kickoff, search_text, created_at, updated_at) \
             SELECT s, h, a, t, c, k, x, $8::timestamptz, $8::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::timestamptz[], $7::text[]) AS r(s, h, a, t, c, k, x) {EVENT_CONFLICT} RETURNING id, sr_id, (xmax = 0)"
        );
        let rows: Vec<(i64, String, bool)> = sqlx::query_as(&sql)
            .bind(column(records, |e| e.sr_id.as_str()))
            .bind(column(records, |e| e.home_team.as_str()))
            .bind(column(records, |e| e.away_team.as_str()))
            .bind(column(records, |e| e.tournament.as_deref()))
            .bind(column(records, |e| e.country.as_deref()))
            .bind(column(records, |e| e.kickoff))
            .bind(column(records, EventRecord::search_text))
            .bind(at)
            .fetch_all(&mut *self)
            .await
            .context("upserting events")?;
        let mut ids = EventIds::default();
        for (id, sr_id, inserted) in rows {
            if inserted {
                ids.inserted.insert(id);
            }
            ids.ids.insert(sr_id, id);
        }
        Ok(ids)
    }

    async fn link_books(
        &mut self,
        store: &Store,
        links: &[(i64, &str, &str)],
        path: RowPath,
    ) -> Result<(), StoreError> {
        if path == RowPath::Values {
            return values_path!(links: self, store, links);
        }
        sqlx::query(
            "INSERT INTO event_books (event_id, bookmaker, external_id) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) \
             ON CONFLICT (event_id, bookmaker) DO UPDATE SET external_id = excluded.external_id",
        )
        .bind(column(links, |l| l.0))
        .bind(column(links, |l| l.1))
        .bind(column(links, |l| l.2))
        .execute(&mut *self)
        .await
        .context("linking events to books")?;
        Ok(())
    }

    async fn write_odds(
        &mut self,
        store: &Store,
        rows: &[OddsRow<'_>],
        inserted: &HashSet<i64>,
        at: DateTime<Utc>,
        path: RowPath,
    ) -> Result<(), StoreError> {
        if path == RowPath::Values {
            return values_path!(odds: self, store, rows, at);
        }
        let (fresh, known): (Vec<&OddsRow<'_>>, Vec<&OddsRow<'_>>) =
            rows.iter().partition(|r| inserted.contains(&r.event_id));
        if !known.is_empty() {
            let sql = format!(
                "INSERT INTO current_odds (event_id, bookmaker, market_id, line, outcomes, available, unavailable_since, last_changed, last_seen) \
                 SELECT e, b, m, l, o, a, u, $8::timestamptz, $8::timestamptz FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::bool[], $7::timestamptz[]) AS r(e, b, m, l, o, a, u) {}",
                super::ODDS_CONFLICT
            );
            sqlx::query(&sql)
                .bind(column(&known, |r| r.event_id))
                .bind(column(&known, |r| r.odds.bookmaker.as_str()))
                .bind(column(&known, |r| r.odds.market_id.as_str()))
                .bind(column(&known, |r| r.odds.line.as_str()))
                .bind(column(&known, |r| r.outcomes.as_str()))
                .bind(column(&known, |r| r.odds.available))
                .bind(column(&known, |r| r.odds.unavailable_since))
                .bind(at)
                .execute(&mut *self)
                .await
                .context("upserting current odds")?;
        }
        if !fresh.is_empty() {
            let mut csv = String::with_capacity(fresh.len() * 160);
            for r in &fresh {
                write_csv_row(&mut csv, &odds_columns(r, at));
            }
            copy(
                self,
                "COPY current_odds (event_id, bookmaker, market_id, line, outcomes, available, unavailable_since, last_changed, last_seen) FROM STDIN WITH (FORMAT csv)",
                csv,
                "copying the current odds of new events",
            )
            .await?;
        }
        let mut csv = String::new();
        for r in rows.iter().filter(|r| r.odds.record_history) {
            write_csv_row(&mut csv, &history_columns(r, at));
        }
        if !csv.is_empty() {
            copy(
                self,
                "COPY price_history (event_id, bookmaker, market_id, line, outcomes, recorded_at) FROM STDIN WITH (FORMAT csv)",
                csv,
                "copying price history",
            )
            .await?;
        }
        Ok(())
    }
}

/// One column of `rows` as an array parameter of an `unnest(…)` insert.
fn column<'a, T, U>(rows: &'a [T], value: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(value).collect()
}

/// One `COPY … FROM STDIN` of `data` on the transaction's connection. A failure leaves the
/// transaction aborted, so the batch is rolled back whole.
async fn copy(
    conn: &mut PgConnection,
    statement: &str,
    data: String,
    what: &'static str,
) -> Result<(), StoreError> {
    let mut copy = conn.copy_in_raw(statement).await.context(what)?;
    copy.send(data.into_bytes()).await.context(what)?;
    copy.finish().await.context(what)?;
    Ok(())
}

/// A current-odds row's columns, in the order of the upsert's and COPY's column list.
pub(super) fn odds_columns(r: &OddsRow<'_>, at: DateTime<Utc>) -> [Param; 9] {
    [
        Param::Int(r.event_id),
        Param::from(r.odds.bookmaker.as_str()),
        Param::from(r.odds.market_id.as_str()),
        Param::from(r.odds.line.as_str()),
        Param::Text(r.outcomes.clone()),
        Param::Bool(r.odds.available),
        r.odds
            .unavailable_since
            .map_or(Param::NullTime, Param::Time),
        Param::Time(at),
        Param::Time(at),
    ]
}

/// A price-history row's columns, in the order of the insert's and COPY's column list.
pub(super) fn history_columns(r: &OddsRow<'_>, at: DateTime<Utc>) -> [Param; 6] {
    [
        Param::Int(r.event_id),
        Param::from(r.odds.bookmaker.as_str()),
        Param::from(r.odds.market_id.as_str()),
        Param::from(r.odds.line.as_str()),
        Param::Text(r.outcomes.clone()),
        Param::Time(at),
    ]
}
