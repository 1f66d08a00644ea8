//! What one cycle did, for the run record, the log and the benchmark.

use std::collections::BTreeMap;

use crate::detect::{BookScrape, CycleInput, CycleOutput};
use crate::store::CycleBatch;

/// Totals of one cycle, for the run record and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CycleTotals {
    /// Events after merging and the pre-match filter.
    pub events: u64,
    /// Market rows fetched across books.
    pub markets: u64,
    /// Outcomes compared with the last-seen state.
    pub outcomes_compared: u64,
    /// Current-odds rows queued.
    pub odds_rows: u64,
    /// History rows queued.
    pub history_rows: u64,
    /// Alerts per type.
    pub alerts_by_type: BTreeMap<String, u64>,
    /// Alerts per severity.
    pub alerts_by_severity: BTreeMap<String, u64>,
    /// Discovery wall time.
    pub discovery_ms: u64,
    /// Fetch wall time (bodies are parsed and mapped as they arrive, so it includes that).
    pub fetch_ms: u64,
    /// Parsing and mapping event bodies: CPU time summed over the concurrent fetches.
    pub parse_map_ms: u64,
    /// Detection time (CPU, in this task).
    pub detect_ms: u64,
    /// The writer storing this cycle's batches (overlaps the fetching).
    pub persist_ms: u64,
    /// Waiting for the writer at the end of the cycle.
    pub persist_wait_ms: u64,
    /// The whole cycle.
    pub total_ms: u64,
    /// Per book: discoveries and fetches cut off because the book's cycle budget was spent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub budget_spent: BTreeMap<String, u64>,
    /// Books whose loss of markets was a mass vanish (`detection.mass_vanish_pct`) in some
    /// batch of this cycle: markets lost and markets they had, summed over those batches. A
    /// feed problem: no availability alerts from them, health degraded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mass_vanish: BTreeMap<String, (u64, u64)>,
    /// Home availability flips not alerted because of a mass vanish.
    #[serde(default)]
    pub availability_suppressed: u64,
}

impl CycleTotals {
    /// Alerts of every type.
    pub fn alerts(&self) -> u64 {
        self.alerts_by_type.values().sum()
    }

    /// Adds one batch's detection: the markets it was given, what it compared and suppressed,
    /// the books that lost most of their markets at once, and its alerts by type and severity.
    pub fn add_detection(&mut self, input: &CycleInput, output: &CycleOutput) {
        self.markets += input
            .events
            .iter()
            .flat_map(|e| &e.books)
            .map(|b| match &b.scrape {
                BookScrape::Fetched(odds) => odds.markets.len() as u64,
                BookScrape::Failed => 0,
            })
            .sum::<u64>();
        self.outcomes_compared += output.counters.outcomes_compared;
        self.availability_suppressed += output.counters.availability_suppressed;
        for vanish in &output.mass_vanished {
            let entry = self.mass_vanish.entry(vanish.book.clone()).or_default();
            entry.0 += vanish.lost;
            entry.1 += vanish.of;
        }
        for alert in &output.alerts {
            *self
                .alerts_by_type
                .entry(alert.alert_type().as_str().to_string())
                .or_default() += 1;
            *self
                .alerts_by_severity
                .entry(alert.severity.as_str().to_string())
                .or_default() += 1;
        }
    }

    /// Adds the rows of one batch queued for the writer.
    pub fn add_batch(&mut self, batch: &CycleBatch) {
        self.odds_rows += batch.odds.len() as u64;
        self.history_rows += batch.odds.iter().filter(|o| o.record_history).count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::detect::{CycleEvent, Detector, EventBook, Rules};
    use crate::domain::{EventOdds, MarketOdds, OutcomeOdds};
    use crate::store::OddsWrite;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap()
    }

    /// Event `key` on `book` with a 1X2 market whose home win is `home_win`.
    fn answer(key: &str, book: &str, home_win: &str) -> EventBook {
        let outcome = |name: &str, price: &str| OutcomeOdds {
            name: name.into(),
            price: price.parse().unwrap(),
            active: true,
        };
        EventBook {
            book: book.into(),
            scrape: BookScrape::Fetched(EventOdds {
                event_key: key.into(),
                book_event_id: key.into(),
                home_team: "A".into(),
                away_team: "B".into(),
                tournament: None,
                country: None,
                kickoff: None,
                markets: vec![MarketOdds {
                    market_id: "3743".into(),
                    market_name: "1X2 | Full Time".into(),
                    line: None,
                    outcomes: vec![
                        outcome("1", home_win),
                        outcome("X", "3.40"),
                        outcome("2", "3.60"),
                    ],
                }],
            }),
        }
    }

    fn input(home_win: &str) -> CycleInput {
        CycleInput {
            home_book: "betpawa".into(),
            failed_books: Default::default(),
            enabled_competitors: 2,
            events: vec![CycleEvent {
                event_key: "1".into(),
                kickoff: Some(now() + chrono::Duration::days(1)),
                books: vec![
                    answer("1", "betpawa", home_win),
                    answer("1", "sportybet", "2.00"),
                    EventBook {
                        book: "bet9ja".into(),
                        scrape: BookScrape::Failed,
                    },
                ],
            }],
        }
    }

    fn row(history: bool) -> OddsWrite {
        OddsWrite {
            event_key: "1".into(),
            bookmaker: "betpawa".into(),
            market_id: "3743".into(),
            line: String::new(),
            outcomes: Vec::new(),
            available: true,
            unavailable_since: None,
            record_history: history,
        }
    }

    #[test]
    fn detections_add_up_markets_comparisons_and_alerts_by_type_and_severity() {
        let mut detector = Detector::new();
        let rules = Rules::default();
        let mut totals = CycleTotals::default();
        let first = input("2.00");
        let output = detector.detect_cycle(&first, &rules, now());
        totals.add_detection(&first, &output);
        assert_eq!(totals.markets, 2, "a failed fetch has no markets");
        assert_eq!(totals.alerts(), 0);
        let moved = input("2.50");
        let later = now() + chrono::Duration::minutes(5);
        let output = detector.detect_cycle(&moved, &rules, later);
        totals.add_detection(&moved, &output);
        assert_eq!(totals.markets, 4);
        assert!(totals.outcomes_compared >= 3);
        assert_eq!(totals.alerts(), output.alerts.len() as u64);
        assert_eq!(totals.alerts_by_type.get("price_change"), Some(&1));
        assert_eq!(
            totals.alerts_by_severity.values().sum::<u64>(),
            totals.alerts()
        );
    }

    #[test]
    fn a_batch_adds_its_rows_and_its_history_rows() {
        let mut totals = CycleTotals::default();
        let batch = CycleBatch {
            at: now(),
            events: Vec::new(),
            odds: vec![row(true), row(false), row(true)],
            alerts: Vec::new(),
            ..CycleBatch::default()
        };
        totals.add_batch(&batch);
        totals.add_batch(&batch);
        assert_eq!((totals.odds_rows, totals.history_rows), (6, 4));
    }

    #[test]
    fn alerts_count_every_type() {
        let mut totals = CycleTotals::default();
        totals.alerts_by_type.insert("price_change".into(), 2);
        totals.alerts_by_type.insert("availability".into(), 3);
        assert_eq!(totals.alerts(), 5);
    }
}
