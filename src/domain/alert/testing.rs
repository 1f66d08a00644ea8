//! A builder of alerts for tests: a test states only what it is about, and the builder fills
//! the rest with a plausible home-book price change. Public (not `cfg(test)`) so the
//! integration tests can use it; nothing outside tests should.

use chrono::{DateTime, TimeZone, Utc};

use super::{
    Alert, AlertEvent, AlertPayload, AvailabilityChange, AvailabilityFlip, BookFairOdds,
    CompetitorMove, DetectedAlert, Direction, Disagreement, EVENT_MARKET_ID, EVENT_MARKET_NAME,
    MarginBreach, MarketLeftBehind, Mover, OffMarketPrice, OutcomeQuote, Pattern, PriceMove,
    Severity, Status, Workflow,
};
use crate::domain::{Line, Percent, Price};

/// Builds [`DetectedAlert`]s and stored [`Alert`]s.
///
/// Starts as a warning `price_change` of outcome `"1"` of 1X2 on betpawa, event `61300947`
/// (Arsenal v Chelsea), 2.00 → 2.30, detected 2030-06-01 12:00 UTC, kickoff a day later.
/// Prices, lines and percentages are given as floats for brevity and rounded to thousandths and
/// hundredths as the domain keeps them.
#[derive(Debug, Clone)]
pub struct AlertBuilder {
    alert: DetectedAlert,
    event: AlertEvent,
    workflow: Workflow,
}

impl From<DetectedAlert> for AlertBuilder {
    /// Continues from `alert`, e.g. a test's own base alert.
    fn from(alert: DetectedAlert) -> Self {
        AlertBuilder {
            alert,
            ..AlertBuilder::new()
        }
    }
}

impl Default for AlertBuilder {
    fn default() -> Self {
        Self::new()
    }
}

fn price(value: f64) -> Price {
    Price::from_f64(value).unwrap_or_else(|| panic!("{value} is no price"))
}

fn pct(value: f64) -> Percent {
    Percent::from_f64(value).unwrap_or_else(|| panic!("{value} is no percentage"))
}

impl AlertBuilder {
    /// The default alert (see the type's documentation).
    pub fn new() -> Self {
        let detected_at = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
        let home = PriceMove::between(price(2.0), price(2.3)).expect("a price to move from");
        AlertBuilder {
            alert: DetectedAlert {
                event_key: "61300947".into(),
                bookmaker: "betpawa".into(),
                market_id: "3743".into(),
                market_name: "1X2 | Full Time".into(),
                line: None,
                outcome_name: Some("1".into()),
                severity: Severity::Warning,
                payload: AlertPayload::PriceChange(home),
                detected_at,
                event_kickoff: detected_at + chrono::Duration::days(1),
            },
            event: AlertEvent {
                id: 1,
                home_team: "Arsenal".into(),
                away_team: "Chelsea".into(),
                tournament: Some("Premier League".into()),
            },
            workflow: Workflow {
                status: Status::New,
                acknowledged_at: None,
                acknowledged_by: None,
            },
        }
    }

    /// The event's SportRadar key.
    pub fn event_key(mut self, key: impl Into<String>) -> Self {
        self.alert.event_key = key.into();
        self
    }

    /// The alerted book.
    pub fn book(mut self, slug: impl Into<String>) -> Self {
        self.alert.bookmaker = slug.into();
        self
    }

    /// The market's id and name.
    pub fn market(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.alert.market_id = id.into();
        self.alert.market_name = name.into();
        self
    }

    /// The market's line.
    pub fn line(mut self, line: f64) -> Self {
        self.alert.line = Some(Line::from_f64(line).expect("a line"));
        self
    }

    /// The outcome (`None` for a market-level alert).
    pub fn outcome(mut self, name: Option<&str>) -> Self {
        self.alert.outcome_name = name.map(str::to_string);
        self
    }

    /// The severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.alert.severity = severity;
        self
    }

    /// When it was detected.
    pub fn detected_at(mut self, at: DateTime<Utc>) -> Self {
        self.alert.detected_at = at;
        self
    }

    /// The event's kickoff.
    pub fn kickoff(mut self, at: DateTime<Utc>) -> Self {
        self.alert.event_kickoff = at;
        self
    }

    /// The alerted book's move from `old` to `new`, with its exact change. Keeps a
    /// disagreement a disagreement (its gap recomputed) and a market move a market move (its
    /// home move); turns anything else into a `price_change`.
    pub fn prices(mut self, old: f64, new: f64) -> Self {
        let home = PriceMove::between(price(old), price(new)).expect("a price to move from");
        self.alert.payload = match self.alert.payload {
            AlertPayload::DirectionDisagreement(d) => {
                AlertPayload::DirectionDisagreement(Disagreement {
                    gap_pct: gap(home.new, d.competitor.new),
                    home,
                    ..d
                })
            }
            AlertPayload::MarketMove(m) => AlertPayload::MarketMove(MarketLeftBehind { home, ..m }),
            _ => AlertPayload::PriceChange(home),
        };
        self
    }

    /// Overrides the alerted book's change (a test that pins a stored value, not the rule).
    pub fn change_pct(mut self, change: f64) -> Self {
        match &mut self.alert.payload {
            AlertPayload::PriceChange(m) => m.change_pct = pct(change),
            AlertPayload::DirectionDisagreement(d) => d.home.change_pct = pct(change),
            AlertPayload::MarketMove(m) => m.home.change_pct = pct(change),
            other => panic!("a {} alert has no change", other.alert_type()),
        }
        self
    }

    /// Makes it a `direction_disagreement` with `book` moving `old` → `new` (the direction
    /// and the gap follow from the prices), keeping the home move.
    pub fn disagreement(mut self, book: &str, old: f64, new: f64) -> Self {
        let home = match &self.alert.payload {
            AlertPayload::PriceChange(m) => *m,
            AlertPayload::DirectionDisagreement(d) => d.home,
            AlertPayload::MarketMove(m) => m.home,
            AlertPayload::Availability(_)
            | AlertPayload::OffMarket(_)
            | AlertPayload::Margin(_) => {
                PriceMove::between(price(2.0), price(2.3)).expect("a price to move from")
            }
        };
        let (old, new) = (price(old), price(new));
        let direction = if new > old {
            Direction::Up
        } else {
            Direction::Down
        };
        self.alert.payload = AlertPayload::DirectionDisagreement(Disagreement {
            home,
            competitor: CompetitorMove {
                bookmaker: book.into(),
                old,
                new,
                direction,
            },
            gap_pct: gap(home.new, new),
        });
        self
    }

    /// Makes it a `market_move`: competitors moved `old` → `new` each (`(book, old, new)`, their
    /// changes exact), the direction is the sign of `median` (the movers' median change, in
    /// percent), and the home book's move is the current one (2.00 → 2.00 for a type without one;
    /// [`AlertBuilder::prices`] after this sets it).
    pub fn market_move(mut self, median: f64, movers: &[(&str, f64, f64)]) -> Self {
        let home = self.home_or(price(2.0), price(2.0));
        let movers = movers
            .iter()
            .map(|&(book, old, new)| {
                let moved =
                    PriceMove::between(price(old), price(new)).expect("a price to move from");
                Mover {
                    bookmaker: book.into(),
                    old: moved.old,
                    new: moved.new,
                    change_pct: moved.change_pct,
                }
            })
            .collect();
        self.alert.payload = AlertPayload::MarketMove(MarketLeftBehind {
            direction: if median < 0.0 {
                Direction::Down
            } else {
                Direction::Up
            },
            median_change_pct: pct(median),
            home,
            movers,
        });
        self
    }

    /// Makes it an `off_market` of the outcome: the home price is the current new price (2.30
    /// by default, see [`AlertBuilder::prices`] before this), with `edge` (percent), consensus
    /// `fair` odds and `pattern`; no books until [`AlertBuilder::books`].
    pub fn off_market(mut self, edge: f64, fair: f64, pattern: Option<Pattern>) -> Self {
        let home = self.home_or(price(2.0), price(2.3));
        self.alert.payload = AlertPayload::OffMarket(OffMarketPrice {
            price: home.new,
            edge_pct: pct(edge),
            fair_odds: price(fair),
            pattern,
            books: Vec::new(),
        });
        self
    }

    /// The home price of an `off_market`.
    pub fn home_price(mut self, value: f64) -> Self {
        match &mut self.alert.payload {
            AlertPayload::OffMarket(o) => o.price = price(value),
            other => panic!(
                "a {} alert has no home price of its own",
                other.alert_type()
            ),
        }
        self
    }

    /// The consensus books of an `off_market`, each `(book, price, fair odds)`, in the order
    /// given (detection sorts them by book).
    pub fn books(mut self, books: &[(&str, f64, f64)]) -> Self {
        match &mut self.alert.payload {
            AlertPayload::OffMarket(o) => {
                o.books = books
                    .iter()
                    .map(|&(book, quoted, fair)| BookFairOdds {
                        bookmaker: book.into(),
                        price: price(quoted),
                        fair_odds: price(fair),
                    })
                    .collect();
            }
            other => panic!("a {} alert has no consensus books", other.alert_type()),
        }
        self
    }

    /// Makes it a `margin` alert on the whole market (no outcome): `margin` percent over the
    /// market's `prices`, each `(outcome, price)`.
    pub fn margin(mut self, margin: f64, prices: &[(&str, f64)]) -> Self {
        self.alert.outcome_name = None;
        self.alert.payload = AlertPayload::Margin(MarginBreach {
            margin_pct: pct(margin),
            prices: prices
                .iter()
                .map(|&(outcome, quoted)| OutcomeQuote {
                    outcome: outcome.into(),
                    price: price(quoted),
                })
                .collect(),
        });
        self
    }

    /// The alerted book's current move, or `old` → `new` for a type without one.
    fn home_or(&self, old: Price, new: Price) -> PriceMove {
        match &self.alert.payload {
            AlertPayload::PriceChange(m) => *m,
            AlertPayload::DirectionDisagreement(d) => d.home,
            AlertPayload::MarketMove(m) => m.home,
            AlertPayload::OffMarket(o) => {
                PriceMove::between(o.price, o.price).expect("a price to move from")
            }
            AlertPayload::Availability(_) | AlertPayload::Margin(_) => {
                PriceMove::between(old, new).expect("a price to move from")
            }
        }
    }

    /// Overrides a disagreement's gap.
    pub fn gap_pct(mut self, gap: f64) -> Self {
        match &mut self.alert.payload {
            AlertPayload::DirectionDisagreement(d) => d.gap_pct = pct(gap),
            _ => panic!("only a direction disagreement has a gap"),
        }
        self
    }

    /// Makes it an `availability` alert: the market went away (no outcome).
    pub fn suspended(self) -> Self {
        self.availability(AvailabilityChange::Suspended, None)
    }

    /// Makes it an `availability` alert: the market came back after `secs` (no outcome).
    pub fn returned(self, secs: Option<i64>) -> Self {
        self.availability(AvailabilityChange::Returned, secs)
    }

    /// Makes it an `availability` alert of `change` (no outcome).
    pub fn availability(mut self, change: AvailabilityChange, secs: Option<i64>) -> Self {
        self.alert.outcome_name = None;
        self.alert.payload = AlertPayload::Availability(AvailabilityFlip {
            change,
            unavailable_secs: secs,
            markets_affected: None,
        });
        self
    }

    /// Makes an availability alert event-level: `markets` markets at once, market
    /// [`EVENT_MARKET_ID`] / [`EVENT_MARKET_NAME`], no line.
    pub fn event_level(mut self, markets: i64) -> Self {
        match &mut self.alert.payload {
            AlertPayload::Availability(a) => a.markets_affected = Some(markets),
            _ => panic!("only an availability alert is event-level"),
        }
        self.alert.market_id = EVENT_MARKET_ID.into();
        self.alert.market_name = EVENT_MARKET_NAME.into();
        self.alert.line = None;
        self
    }

    /// The stored event's database id.
    pub fn event_id(mut self, id: i64) -> Self {
        self.event.id = id;
        self
    }

    /// The stored event's names.
    pub fn teams(mut self, home: &str, away: &str, tournament: Option<&str>) -> Self {
        self.event.home_team = home.into();
        self.event.away_team = away.into();
        self.event.tournament = tournament.map(str::to_string);
        self
    }

    /// The workflow state; acknowledged alerts get `by` and `at`.
    pub fn status(mut self, status: Status) -> Self {
        self.workflow.status = status;
        self
    }

    /// Acknowledged by `by` at `at` (the status is left as set).
    pub fn acknowledged(mut self, by: &str, at: DateTime<Utc>) -> Self {
        self.workflow.acknowledged_by = Some(by.into());
        self.workflow.acknowledged_at = Some(at);
        self
    }

    /// The detected alert.
    pub fn build(self) -> DetectedAlert {
        self.alert
    }

    /// The stored alert with database id `id`.
    pub fn stored(self, id: i64) -> Alert {
        Alert::from_detected(id, self.event, self.alert, self.workflow)
    }
}

/// The gap of a disagreement, as detection computes it.
fn gap(home_new: Price, competitor_new: Price) -> Percent {
    home_new.gap_to(competitor_new).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AlertType;

    #[test]
    fn the_default_is_a_home_price_change() {
        let alert = AlertBuilder::new().build();
        assert_eq!(alert.alert_type(), AlertType::PriceChange);
        assert_eq!(
            alert.payload.change_pct(),
            Some(Percent::from_hundredths(1500))
        );
        assert_eq!(alert.bookmaker, "betpawa");
    }

    #[test]
    fn a_disagreement_takes_its_direction_and_gap_from_the_prices() {
        let alert = AlertBuilder::new()
            .prices(2.0, 2.14)
            .disagreement("sportybet", 2.0, 1.9)
            .build();
        let d = alert.payload.disagreement().unwrap();
        assert_eq!(d.competitor.direction, Direction::Down);
        assert_eq!(d.gap_pct, Percent::from_hundredths(1121));
        assert_eq!(d.home.change_pct, Percent::from_hundredths(700));
    }

    #[test]
    fn a_market_move_keeps_the_home_move_and_exact_mover_changes() {
        let alert = AlertBuilder::new()
            .prices(2.0, 2.0)
            .market_move(-9.0, &[("bet9ja", 2.0, 1.84), ("sportybet", 2.0, 1.8)])
            .build();
        let AlertPayload::MarketMove(m) = &alert.payload else {
            panic!("{:?}", alert.payload)
        };
        assert_eq!(m.direction, Direction::Down);
        assert_eq!(m.median_change_pct, Percent::from_hundredths(-900));
        assert_eq!(m.home.change_pct, Percent::from_hundredths(0));
        assert_eq!(m.movers[1].change_pct, Percent::from_hundredths(-1000));
        assert_eq!(alert.outcome_name.as_deref(), Some("1"));
    }

    #[test]
    fn an_off_market_prices_the_home_outcome_against_its_books() {
        let alert = AlertBuilder::new()
            .prices(2.0, 4.0)
            .off_market(91.55, 2.09, Some(Pattern::Swapped))
            .books(&[("sportybet", 2.0, 2.09)])
            .build();
        let AlertPayload::OffMarket(o) = &alert.payload else {
            panic!("{:?}", alert.payload)
        };
        assert_eq!(o.price, Price::from_milli(4000));
        assert_eq!(o.edge_pct, Percent::from_hundredths(9155));
        assert_eq!(o.pattern, Some(Pattern::Swapped));
        assert_eq!(o.books[0].fair_odds, Price::from_milli(2090));
        assert_eq!(alert.alert_type(), AlertType::OffMarket);
    }

    #[test]
    fn a_margin_alert_is_about_the_whole_market() {
        let alert = AlertBuilder::new()
            .margin(-2.81, &[("1", 2.5), ("X", 3.4), ("2", 3.6)])
            .build();
        assert_eq!(alert.alert_type(), AlertType::Margin);
        assert_eq!(alert.outcome_name, None);
        let AlertPayload::Margin(m) = &alert.payload else {
            panic!("{:?}", alert.payload)
        };
        assert_eq!(m.margin_pct, Percent::from_hundredths(-281));
        assert_eq!(m.prices.len(), 3);
    }

    #[test]
    fn an_event_level_alert_stands_for_the_whole_event() {
        let alert = AlertBuilder::new()
            .line(2.5)
            .suspended()
            .event_level(12)
            .stored(3);
        assert!(alert.is_event_level());
        assert_eq!(alert.market_id, EVENT_MARKET_ID);
        assert_eq!(alert.line, None);
        assert_eq!(alert.outcome_name, None);
        assert_eq!(alert.event_name, "Arsenal v Chelsea");
    }
}
