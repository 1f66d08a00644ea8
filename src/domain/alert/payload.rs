//! What each kind of alert carries beyond the market it is about: one variant per alert type,
//! with exact prices and percentages.
//!
//! New rules slot in here as new variants (DESIGN §9: `market_move` with its movers,
//! `off_market` with edge, fair odds and pattern, `margin`), each with its [`AlertType`]; the
//! compiler then names every place that shows or stores a payload.

use super::{AlertType, AvailabilityChange, Direction};
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
        }
    }

    /// The alerted book's own price move, for the alert types that have one.
    pub fn price_move(&self) -> Option<&PriceMove> {
        match self {
            AlertPayload::PriceChange(m) => Some(m),
            AlertPayload::DirectionDisagreement(d) => Some(&d.home),
            AlertPayload::Availability(_) => None,
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
