//! Odds for the alert detail: the current prices of one market on every book, and that market's
//! price history. The pipeline writes `current_odds` and `price_history`; these are the reads.

use super::sql::BindParams;
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{BookOdds, Line, OutcomePrice, PricePoint};
use chrono::{DateTime, Utc};

/// The canonical text of a line as the odds tables key it (`""` for markets without lines).
pub fn line_key(line: Option<Line>) -> String {
    line.map_or_else(String::new, |l| l.to_string())
}

fn outcomes_of(table: &'static str, raw: &str) -> Result<Vec<OutcomePrice>, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt {
        table,
        message: format!("outcomes JSON: {e}"),
    })
}

type OddsRow = (String, bool, bool, String, DateTime<Utc>, DateTime<Utc>);

impl Store {
    /// The current odds of `market_id` at `line` for an event on every book, home book first.
    pub async fn market_odds(
        &self,
        event_id: i64,
        market_id: &str,
        line: Option<Line>,
    ) -> Result<Vec<BookOdds>, StoreError> {
        let mut q = self.query(
            "SELECT o.bookmaker, COALESCE(b.is_home, FALSE), o.available, o.outcomes, o.last_changed, o.last_seen \
             FROM current_odds o LEFT JOIN bookmakers b ON b.slug = o.bookmaker WHERE o.event_id = ",
        );
        q.bind(event_id).push(" AND o.market_id = ").bind(market_id);
        q.push(" AND o.line = ").bind(line_key(line));
        q.push(" ORDER BY COALESCE(b.is_home, FALSE) DESC, o.bookmaker");
        let rows: Vec<OddsRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading a market's current odds")?;
        rows.into_iter()
            .map(
                |(bookmaker, is_home, available, outcomes, last_changed, last_seen)| {
                    Ok(BookOdds {
                        bookmaker,
                        is_home,
                        available,
                        outcomes: outcomes_of("current_odds", &outcomes)?,
                        last_changed,
                        last_seen,
                    })
                },
            )
            .collect()
    }

    /// The recorded prices of `market_id` at `line` for an event since `since`, on every book,
    /// oldest first, at most `limit` rows (the newest ones when there are more).
    pub async fn price_history(
        &self,
        event_id: i64,
        market_id: &str,
        line: Option<Line>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PricePoint>, StoreError> {
        // Newest `limit` rows through the (event, market, line, recorded_at) index, then
        // re-ordered oldest first for charting.
        let mut q = self
            .query("SELECT bookmaker, recorded_at, outcomes FROM price_history WHERE event_id = ");
        q.bind(event_id).push(" AND market_id = ").bind(market_id);
        q.push(" AND line = ").bind(line_key(line));
        q.push(" AND recorded_at >= ").bind(since);
        q.push(" ORDER BY recorded_at DESC, id DESC LIMIT ")
            .bind(i64::from(limit));
        let rows: Vec<(String, DateTime<Utc>, String)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading a market's price history")?;
        let mut points = rows
            .into_iter()
            .map(|(bookmaker, recorded_at, outcomes)| {
                Ok(PricePoint {
                    bookmaker,
                    recorded_at,
                    outcomes: outcomes_of("price_history", &outcomes)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        points.reverse();
        Ok(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_keys_are_canonical_decimal_text() {
        assert_eq!(line_key(None), "");
        assert_eq!(line_key(Some(Line::from_milli(2500))), "2.5");
        assert_eq!(line_key(Some(Line::from_milli(-250))), "-0.25");
        assert_eq!(line_key(Some(Line::from_milli(1000))), "1");
    }
}
