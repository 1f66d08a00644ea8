//! The market screen's read (issue 16): every book's current odds of some markets of one event.
//!
//! The query reaches `current_odds` through its primary key `(event_id, bookmaker, market_id,
//! line)`: `event_id` is its first column, so both backends read only the event's rows (≈ 300
//! at real volume: ≈ 170 home rows and 68 per competitor) and keep the asked markets among
//! them; `bookmakers` is joined by slug. Measured with `EXPLAIN` on the benchmark's database
//! (5,000 events, ≈ 1.5 million current-odds rows): SQLite `SEARCH o USING INDEX
//! sqlite_autoindex_current_odds_1 (event_id=?)` (then a temporary B-tree for the ORDER BY of
//! ≈ 190 rows); PostgreSQL a `Bitmap Index Scan on current_odds_pkey` with `Index Cond:
//! (event_id = …) AND (market_id = ANY (…))`. The contract tests check the SQLite plan.

use chrono::{DateTime, Utc};

use super::sql::BindParams;
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{BookOdds, EventMarketOdds, Line, OutcomePrice};

type Row = (
    String,
    String,
    String,
    bool,
    bool,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

impl Store {
    /// The current odds of an event on every book for the markets `market_ids` (every line),
    /// home book first, then by book, market and line text. An empty `market_ids` reads
    /// nothing.
    pub async fn event_odds(
        &self,
        event_id: i64,
        market_ids: &[String],
    ) -> Result<Vec<EventMarketOdds>, StoreError> {
        if market_ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = self.event_odds_query(event_id, market_ids);
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading an event's current odds")?;
        rows.into_iter()
            .map(
                |(market_id, line, bookmaker, is_home, available, outcomes, changed, seen)| {
                    Ok(EventMarketOdds {
                        line: parse_line(&line)?,
                        market_id,
                        odds: BookOdds {
                            bookmaker,
                            is_home,
                            available,
                            outcomes: outcomes_of(&outcomes)?,
                            last_changed: changed,
                            last_seen: seen,
                        },
                    })
                },
            )
            .collect()
    }

    /// The read of [`Store::event_odds`], apart so its plan can be checked.
    pub(crate) fn event_odds_query(
        &self,
        event_id: i64,
        market_ids: &[String],
    ) -> super::sql::SqlQuery {
        let mut q = self.query(
            "SELECT o.market_id, o.line, o.bookmaker, COALESCE(b.is_home, FALSE), o.available, \
             o.outcomes, o.last_changed, o.last_seen \
             FROM current_odds o LEFT JOIN bookmakers b ON b.slug = o.bookmaker WHERE o.event_id = ",
        );
        q.bind(event_id)
            .push(" AND o.market_id IN ")
            .bind_list(market_ids);
        q.push(" ORDER BY COALESCE(b.is_home, FALSE) DESC, o.bookmaker, o.market_id, o.line");
        q
    }

    /// The query plan of [`Store::event_odds`]'s read, one line per plan row (`EXPLAIN QUERY
    /// PLAN` on SQLite, `EXPLAIN` on PostgreSQL): for tests and the benchmark's notes.
    pub async fn explain_event_odds(
        &self,
        event_id: i64,
        market_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let q = self.event_odds_query(event_id, market_ids);
        let lines = match self {
            Store::Sqlite(pool) => {
                let sql = format!("EXPLAIN QUERY PLAN {}", q.sql());
                let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&sql)
                    .bind_params(q.params())
                    .fetch_all(pool)
                    .await
                    .context("explaining an event's current odds read")?;
                rows.into_iter().map(|r| r.3).collect()
            }
            Store::Postgres(pool) => {
                let sql = format!("EXPLAIN {}", q.sql());
                let rows: Vec<(String,)> = sqlx::query_as(&sql)
                    .bind_params(q.params())
                    .fetch_all(pool)
                    .await
                    .context("explaining an event's current odds read")?;
                rows.into_iter().map(|r| r.0).collect()
            }
        };
        Ok(lines)
    }
}

/// The stored `outcomes` JSON of a row.
fn outcomes_of(raw: &str) -> Result<Vec<OutcomePrice>, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt {
        table: "current_odds",
        message: format!("outcomes JSON: {e}"),
    })
}

/// A stored line key back to a line: `""` is none, anything else canonical decimal text.
fn parse_line(text: &str) -> Result<Option<Line>, StoreError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|e| StoreError::Corrupt {
        table: "current_odds",
        message: format!("line {text:?}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_line_keys_read_back_as_lines() {
        assert_eq!(parse_line("").unwrap(), None);
        assert_eq!(parse_line("-0.25").unwrap(), Some(Line::from_milli(-250)));
        assert_eq!(parse_line("2.5").unwrap(), Some(Line::from_milli(2500)));
        assert!(matches!(
            parse_line("two"),
            Err(StoreError::Corrupt {
                table: "current_odds",
                ..
            })
        ));
    }
}
