//! What each kind of alert carries beyond the market it is about: one variant per alert type,
//! with exact prices and percentages.
//!
//! New rules slot in here as new variants (DESIGN §9: `market_move` with its movers,
//! `off_market` with edge, fair odds and pattern, `margin`), each with its [`AlertType`]; the
//! compiler then names every place that shows or stores a payload.

use serde::{Deserialize, Serialize};

use super::{AlertType, AvailabilityChange, Direction, Pattern};
use crate::domain::{Percent, Price};

/// The per-type part of an alert. The alert's type is the variant ([`AlertPayload::alert_type`]),
/// so a type and its fields cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertPayload {
    /// One outcome's price moved between two consecutive scrapes of one book.
    PriceChange(PriceMove),
    /// The home book and a competitor moved the same outcome in opposite directions.
    DirectionDisagreement(Disagreement),
    /// A market (or most of an event's markets) went away or came back.
    Availability(AvailabilityFlip),
    /// Competitors moved an outcome together and the home book stayed behind (§9).
    MarketMove(MarketLeftBehind),
    /// The home book's price against the market's margin-free consensus (§9).
    OffMarket(OffMarketPrice),
    /// The home book's own margin on a market under the floor (§9).
    Margin(MarginBreach),
}

/// A `market_move`: the competitors that moved one outcome the same way, and the home book that
/// did not follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketLeftBehind {
    /// Which way the movers went.
    pub direction: Direction,
    /// Median of the movers' signed changes, in hundredths of a percent.
    pub median_change_pct: Percent,
    /// The home book's own price between the same two scrapes (often unchanged).
    pub home: PriceMove,
    /// Each competitor that moved, sorted by book.
    pub movers: Vec<Mover>,
}

/// One competitor's move that counted for a `market_move`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mover {
    /// The competitor's slug.
    pub bookmaker: String,
    /// Its previous price.
    #[serde(rename = "oldPrice")]
    pub old: Price,
    /// Its price now.
    #[serde(rename = "newPrice")]
    pub new: Price,
    /// Its signed change, in hundredths of a percent.
    #[serde(rename = "changePercent")]
    pub change_pct: Percent,
}

/// An `off_market`: one home outcome's price against the consensus of the competitors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffMarketPrice {
    /// The home book's price of the outcome.
    pub price: Price,
    /// `home price × consensus probability − 1`: a bettor's edge against us, in hundredths of
    /// a percent.
    pub edge_pct: Percent,
    /// The consensus fair odds `1 / p̄`, to two decimals.
    pub fair_odds: Price,
    /// A recognised palpable error, if any (the alert is then critical).
    pub pattern: Option<Pattern>,
    /// The competitors counted, sorted by book, each with its price and margin-free fair odds.
    pub books: Vec<BookFairOdds>,
}

/// One competitor's side of an `off_market` consensus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookFairOdds {
    /// The competitor's slug.
    pub bookmaker: String,
    /// Its price of the outcome.
    pub price: Price,
    /// Its margin-free fair odds of the outcome, to two decimals.
    #[serde(rename = "fairOdds")]
    pub fair_odds: Price,
}

/// A `margin`: the home book's overround on one complete market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarginBreach {
    /// `Σ 1/o − 1`, in hundredths of a percent (negative: an arbitrage on our own book).
    pub margin_pct: Percent,
    /// The market's prices, in the home book's outcome order.
    pub prices: Vec<OutcomeQuote>,
}

/// One outcome's price in a `margin` alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeQuote {
    /// Outcome name (home book's naming).
    pub outcome: String,
    /// Decimal odds.
    pub price: Price,
}

/// An outcome's price between two scrapes of one book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceMove {
    /// Price in the previous scrape.
    pub old: Price,
    /// Price now.
    pub new: Price,
    /// Signed change `(new − old) / old`, in hundredths of a percent.
    pub change_pct: Percent,
}

impl PriceMove {
    /// The move from `old` to `new` with its exact change; `None` when `old` is zero (no
    /// previous price to move from).
    pub fn between(old: Price, new: Price) -> Option<Self> {
        Some(PriceMove {
            old,
            new,
            change_pct: old.change_to(new)?,
        })
    }
}

/// A direction disagreement: the home book's move and the competitor's opposite one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The alerted (home) book's move; its change is the alert's change.
    pub home: PriceMove,
    /// The competitor that moved the other way.
    pub competitor: CompetitorMove,
    /// `|competitor new − home new| / home new`, in hundredths of a percent.
    pub gap_pct: Percent,
}

/// A competitor's move of the same outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetitorMove {
    /// The competitor's slug.
    pub bookmaker: String,
    /// Its previous price.
    pub old: Price,
    /// Its price now.
    pub new: Price,
    /// Which way it moved.
    pub direction: Direction,
}

/// A market gone or back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvailabilityFlip {
    /// Gone or back.
    pub change: AvailabilityChange,
    /// For `returned`: how long the market was gone, in seconds (`None` when not known).
    pub unavailable_secs: Option<i64>,
    /// Event-level alerts only (market id [`super::EVENT_MARKET_ID`]): how many of the event's
    /// markets went away or came back at once. `None` for a per-market alert.
    pub markets_affected: Option<i64>,
}

impl AlertPayload {
    /// The alert type this payload belongs to.
    pub const fn alert_type(&self) -> AlertType {
        match self {
            AlertPayload::PriceChange(_) => AlertType::PriceChange,
            AlertPayload::DirectionDisagreement(_) => AlertType::DirectionDisagreement,
            AlertPayload::Availability(_) => AlertType::Availability,
            AlertPayload::MarketMove(_) => AlertType::MarketMove,
            AlertPayload::OffMarket(_) => AlertType::OffMarket,
            AlertPayload::Margin(_) => AlertType::Margin,
        }
    }

    /// The alerted book's own price move, for the alert types that have one.
    pub fn price_move(&self) -> Option<&PriceMove> {
        match self {
            AlertPayload::PriceChange(m) => Some(m),
            AlertPayload::DirectionDisagreement(d) => Some(&d.home),
            AlertPayload::MarketMove(m) => Some(&m.home),
            AlertPayload::Availability(_)
            | AlertPayload::OffMarket(_)
            | AlertPayload::Margin(_) => None,
        }
    }

    /// The payload in the nullable columns it is stored and sent in.
    pub fn flat(&self) -> FlatPayload {
        FlatPayload::from(self)
    }

    /// The signed change of the alerted book's price.
    pub fn change_pct(&self) -> Option<Percent> {
        self.price_move().map(|m| m.change_pct)
    }

    /// The disagreement, for a direction-disagreement alert.
    pub fn disagreement(&self) -> Option<&Disagreement> {
        match self {
            AlertPayload::DirectionDisagreement(d) => Some(d),
            _ => None,
        }
    }

    /// The availability flip, for an availability alert.
    pub fn availability(&self) -> Option<&AvailabilityFlip> {
        match self {
            AlertPayload::Availability(a) => Some(a),
            _ => None,
        }
    }

    /// True for an event-level availability alert (many markets of the event at once).
    pub fn is_event_level(&self) -> bool {
        self.availability()
            .is_some_and(|a| a.markets_affected.is_some())
    }

    /// The competitor side of a disagreement as text, e.g. `"sportybet 2.00 → 1.90 ↓"`.
    pub fn competitor_detail(&self) -> Option<String> {
        let c = &self.disagreement()?.competitor;
        let arrow = match c.direction {
            Direction::Up => " ↑",
            Direction::Down => " ↓",
        };
        Some(format!(
            "{} {:.2} → {:.2}{arrow}",
            c.bookmaker,
            c.old.as_f64(),
            c.new.as_f64()
        ))
    }
}

/// The payload spread over the nullable columns it has always been stored and sent in: one
/// place that flattens a payload for the database and the JSON edge, and rebuilds it from them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatPayload {
    /// Signed change of the alerted book's price.
    pub change_pct: Option<Percent>,
    /// Previous price of the alerted book.
    pub old_price: Option<Price>,
    /// New price of the alerted book.
    pub new_price: Option<Price>,
    /// Competitor of a direction disagreement.
    pub competitor_bookmaker: Option<String>,
    /// Competitor's previous price.
    pub competitor_old_price: Option<Price>,
    /// Competitor's new price.
    pub competitor_new_price: Option<Price>,
    /// Which way the competitor moved.
    pub competitor_direction: Option<Direction>,
    /// Gap between the competitor's and the home book's new prices.
    pub gap_pct: Option<Percent>,
    /// Gone or back.
    pub availability: Option<AvailabilityChange>,
    /// Seconds a returned market was gone.
    pub unavailable_secs: Option<i64>,
    /// Markets of an event-level availability alert.
    pub markets_affected: Option<i64>,
    /// `off_market`: the bettor's edge against the home price.
    pub edge_pct: Option<Percent>,
    /// `off_market`: the consensus fair odds.
    pub fair_odds: Option<Price>,
    /// `off_market`: the palpable-error pattern, if any.
    pub pattern: Option<Pattern>,
    /// `off_market`: the competitors counted, with their prices and fair odds.
    pub books: Option<Vec<BookFairOdds>>,
    /// `margin`: the home market's margin.
    pub margin_pct: Option<Percent>,
    /// `margin`: the home market's prices.
    pub prices: Option<Vec<OutcomeQuote>>,
    /// `market_move`: which way the movers went.
    pub direction: Option<Direction>,
    /// `market_move`: the movers' median change.
    pub median_change_pct: Option<Percent>,
    /// `market_move`: each competitor that moved.
    pub movers: Option<Vec<Mover>>,
}

impl From<&AlertPayload> for FlatPayload {
    fn from(payload: &AlertPayload) -> Self {
        let moved = |m: &PriceMove| FlatPayload {
            change_pct: Some(m.change_pct),
            old_price: Some(m.old),
            new_price: Some(m.new),
            ..FlatPayload::default()
        };
        match payload {
            AlertPayload::PriceChange(m) => moved(m),
            AlertPayload::DirectionDisagreement(d) => FlatPayload {
                competitor_bookmaker: Some(d.competitor.bookmaker.clone()),
                competitor_old_price: Some(d.competitor.old),
                competitor_new_price: Some(d.competitor.new),
                competitor_direction: Some(d.competitor.direction),
                gap_pct: Some(d.gap_pct),
                ..moved(&d.home)
            },
            AlertPayload::Availability(a) => FlatPayload {
                availability: Some(a.change),
                unavailable_secs: a.unavailable_secs,
                markets_affected: a.markets_affected,
                ..FlatPayload::default()
            },
            AlertPayload::MarketMove(m) => FlatPayload {
                direction: Some(m.direction),
                median_change_pct: Some(m.median_change_pct),
                movers: Some(m.movers.clone()),
                ..moved(&m.home)
            },
            AlertPayload::OffMarket(o) => FlatPayload {
                new_price: Some(o.price),
                edge_pct: Some(o.edge_pct),
                fair_odds: Some(o.fair_odds),
                pattern: o.pattern,
                books: Some(o.books.clone()),
                ..FlatPayload::default()
            },
            AlertPayload::Margin(m) => FlatPayload {
                margin_pct: Some(m.margin_pct),
                prices: Some(m.prices.clone()),
                ..FlatPayload::default()
            },
        }
    }
}

impl FlatPayload {
    /// Rebuilds the payload of an alert of type `alert_type`. Columns another type uses are
    /// ignored; a column the type needs that is missing is an error naming it.
    pub fn into_payload(self, alert_type: AlertType) -> Result<AlertPayload, String> {
        fn need<T>(value: Option<T>, alert_type: AlertType, what: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("a {alert_type} alert without {what}"))
        }
        let home = |f: &FlatPayload| -> Result<PriceMove, String> {
            Ok(PriceMove {
                old: need(f.old_price, alert_type, "an old price")?,
                new: need(f.new_price, alert_type, "a new price")?,
                change_pct: need(f.change_pct, alert_type, "a change")?,
            })
        };
        Ok(match alert_type {
            AlertType::PriceChange => AlertPayload::PriceChange(home(&self)?),
            AlertType::DirectionDisagreement => AlertPayload::DirectionDisagreement(Disagreement {
                home: home(&self)?,
                competitor: CompetitorMove {
                    bookmaker: need(self.competitor_bookmaker, alert_type, "a competitor")?,
                    old: need(
                        self.competitor_old_price,
                        alert_type,
                        "a competitor old price",
                    )?,
                    new: need(
                        self.competitor_new_price,
                        alert_type,
                        "a competitor new price",
                    )?,
                    direction: need(
                        self.competitor_direction,
                        alert_type,
                        "a competitor direction",
                    )?,
                },
                gap_pct: need(self.gap_pct, alert_type, "a gap")?,
            }),
            AlertType::Availability => AlertPayload::Availability(AvailabilityFlip {
                change: need(self.availability, alert_type, "an availability change")?,
                unavailable_secs: self.unavailable_secs,
                markets_affected: self.markets_affected,
            }),
            AlertType::MarketMove => AlertPayload::MarketMove(MarketLeftBehind {
                direction: need(self.direction, alert_type, "a direction")?,
                median_change_pct: need(self.median_change_pct, alert_type, "a median change")?,
                home: home(&self)?,
                movers: need(self.movers, alert_type, "movers")?,
            }),
            AlertType::OffMarket => AlertPayload::OffMarket(OffMarketPrice {
                price: need(self.new_price, alert_type, "a price")?,
                edge_pct: need(self.edge_pct, alert_type, "an edge")?,
                fair_odds: need(self.fair_odds, alert_type, "fair odds")?,
                pattern: self.pattern,
                books: self.books.unwrap_or_default(),
            }),
            AlertType::Margin => AlertPayload::Margin(MarginBreach {
                margin_pct: need(self.margin_pct, alert_type, "a margin")?,
                prices: self.prices.unwrap_or_default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    fn disagreement() -> AlertPayload {
        AlertPayload::DirectionDisagreement(Disagreement {
            home: PriceMove::between(p("2.00"), p("2.14")).unwrap(),
            competitor: CompetitorMove {
                bookmaker: "sportybet".into(),
                old: p("2.00"),
                new: p("1.90"),
                direction: Direction::Down,
            },
            gap_pct: Percent::from_hundredths(1121),
        })
    }

    fn market_move() -> AlertPayload {
        AlertPayload::MarketMove(MarketLeftBehind {
            direction: Direction::Down,
            median_change_pct: Percent::from_hundredths(-900),
            home: PriceMove::between(p("2.00"), p("2.00")).unwrap(),
            movers: vec![
                Mover {
                    bookmaker: "bet9ja".into(),
                    old: p("2.00"),
                    new: p("1.84"),
                    change_pct: Percent::from_hundredths(-800),
                },
                Mover {
                    bookmaker: "sportybet".into(),
                    old: p("2.00"),
                    new: p("1.80"),
                    change_pct: Percent::from_hundredths(-1000),
                },
            ],
        })
    }

    fn off_market() -> AlertPayload {
        AlertPayload::OffMarket(OffMarketPrice {
            price: p("4.00"),
            edge_pct: Percent::from_hundredths(9155),
            fair_odds: p("2.09"),
            pattern: Some(Pattern::Swapped),
            books: vec![BookFairOdds {
                bookmaker: "sportybet".into(),
                price: p("2.00"),
                fair_odds: p("2.09"),
            }],
        })
    }

    fn margin() -> AlertPayload {
        AlertPayload::Margin(MarginBreach {
            margin_pct: Percent::from_hundredths(-281),
            prices: ["2.50", "3.40", "3.60"]
                .iter()
                .zip(["1", "X", "2"])
                .map(|(price, outcome)| OutcomeQuote {
                    outcome: outcome.into(),
                    price: p(price),
                })
                .collect(),
        })
    }

    #[test]
    fn the_new_types_are_their_variants_and_only_a_market_move_has_a_home_move() {
        assert_eq!(market_move().alert_type(), AlertType::MarketMove);
        assert_eq!(off_market().alert_type(), AlertType::OffMarket);
        assert_eq!(margin().alert_type(), AlertType::Margin);
        assert_eq!(
            market_move().change_pct(),
            Some(Percent::from_hundredths(0))
        );
        assert_eq!(off_market().change_pct(), None);
        assert_eq!(margin().price_move(), None);
        let flat = off_market().flat();
        assert_eq!(flat.new_price, Some(p("4.00")));
        assert_eq!(flat.old_price, None);
        assert_eq!(flat.pattern, Some(Pattern::Swapped));
    }

    #[test]
    fn the_alert_type_is_the_payload_variant() {
        let moved = AlertPayload::PriceChange(PriceMove::between(p("2.00"), p("2.30")).unwrap());
        assert_eq!(moved.alert_type(), AlertType::PriceChange);
        assert_eq!(
            disagreement().alert_type(),
            AlertType::DirectionDisagreement
        );
        let gone = AlertPayload::Availability(AvailabilityFlip {
            change: AvailabilityChange::Suspended,
            unavailable_secs: None,
            markets_affected: Some(12),
        });
        assert_eq!(gone.alert_type(), AlertType::Availability);
        assert!(gone.is_event_level());
        assert!(!moved.is_event_level());
    }

    #[test]
    fn a_price_move_carries_its_exact_change() {
        let m = PriceMove::between(p("2.00"), p("2.14")).unwrap();
        assert_eq!(m.change_pct, Percent::from_hundredths(700));
        assert_eq!(PriceMove::between(Price::from_milli(0), p("2.00")), None);
    }

    #[test]
    fn every_payload_survives_flattening() {
        let payloads = [
            AlertPayload::PriceChange(PriceMove::between(p("1.333"), p("1.192")).unwrap()),
            disagreement(),
            AlertPayload::Availability(AvailabilityFlip {
                change: AvailabilityChange::Returned,
                unavailable_secs: Some(300),
                markets_affected: None,
            }),
            market_move(),
            off_market(),
            margin(),
        ];
        for payload in payloads {
            let flat = FlatPayload::from(&payload);
            assert_eq!(flat.into_payload(payload.alert_type()), Ok(payload));
        }
    }

    #[test]
    fn a_disagreement_flattens_into_the_home_and_competitor_columns() {
        let flat = FlatPayload::from(&disagreement());
        assert_eq!(flat.change_pct, Some(Percent::from_hundredths(700)));
        assert_eq!(flat.old_price, Some(p("2.00")));
        assert_eq!(flat.new_price, Some(p("2.14")));
        assert_eq!(flat.competitor_bookmaker.as_deref(), Some("sportybet"));
        assert_eq!(flat.competitor_direction, Some(Direction::Down));
        assert_eq!(flat.gap_pct, Some(Percent::from_hundredths(1121)));
        assert_eq!(flat.availability, None);
    }

    #[test]
    fn a_missing_column_is_named() {
        let flat = FlatPayload {
            competitor_bookmaker: None,
            ..FlatPayload::from(&disagreement())
        };
        let err = flat
            .into_payload(AlertType::DirectionDisagreement)
            .unwrap_err();
        assert_eq!(err, "a direction_disagreement alert without a competitor");
        let err = FlatPayload::default()
            .into_payload(AlertType::Availability)
            .unwrap_err();
        assert!(err.contains("availability change"), "{err}");
    }

    #[test]
    fn the_competitor_side_reads_as_one_phrase() {
        assert_eq!(
            disagreement().competitor_detail().as_deref(),
            Some("sportybet 2.00 → 1.90 ↓")
        );
        let moved = AlertPayload::PriceChange(PriceMove::between(p("2.00"), p("2.30")).unwrap());
        assert_eq!(moved.competitor_detail(), None);
    }
}
