//! The alert shapes the detector can raise, in one table: `demo-data` draws every alert from
//! it, and its test fails when a demo alert has a shape outside it.
//!
//! A shape is what a trader can tell apart on the screen: the type (availability split by its
//! direction), whether the alert is on the home book or a competitor, and whether an
//! availability alert stands for the whole event (`markets_affected`, market `*`). Each entry
//! cites the detector test that raises it (src/detect/tests), so the table is a record of what
//! the detector does, checked there, not a wish.

use crate::domain::{AlertPayload, AlertType, AvailabilityChange, DetectedAlert, EVENT_MARKET_ID};

/// Which book an alert is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The home book (ours).
    Home,
    /// A competitor, under `competitor_alerts` (DESIGN §9, on by default).
    Competitor,
}

/// One kind of alert the detector raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shape {
    /// The alert type.
    pub alert_type: AlertType,
    /// For availability, which way the market went.
    pub change: Option<AvailabilityChange>,
    /// Home book or competitor.
    pub side: Side,
    /// One availability alert for many markets of the event.
    pub event_level: bool,
}

const fn shape(
    alert_type: AlertType,
    change: Option<AvailabilityChange>,
    side: Side,
    event_level: bool,
) -> Shape {
    Shape {
        alert_type,
        change,
        side,
        event_level,
    }
}

use AlertType::{Availability, DirectionDisagreement, Margin, MarketMove, OffMarket, PriceChange};
use AvailabilityChange::{Returned, Suspended};
use Side::{Competitor, Home};

/// Every shape the detector raises, with the share of demo alerts each gets (in percent).
///
/// - `price_change` home: detect/tests/vectors.rs (`home_2_00_to_2_40_…`); competitor:
///   filters.rs `a_competitor_price_change_alone_raises_only_the_competitors_price_change`.
/// - `direction_disagreement`: home only (the competitor rides in the payload), filters.rs
///   `each_disagreeing_competitor_raises_its_own_direction_alert`.
/// - `availability` per market, both directions, home: lifecycle.rs; competitor: market_rules.rs
///   `a_competitor_availability_flip_raises_both_halves_on_the_competitor` (so a competitor's
///   `returned` is raised: it is in the table).
/// - `availability` event-level: home, vanish.rs; competitor, market_rules.rs
///   `a_competitor_pulling_an_event_is_one_event_level_alert`; `returned` event-level when the
///   markets that went at event level come back (detect/mod.rs, "Event-level over per-market").
/// - `market_move`, `off_market`, `margin`: home only (detect/mod.rs, "Competitors get the
///   per-book rules only"), market_rules.rs.
pub const DETECTOR_SHAPES: [(Shape, u32); 14] = [
    (shape(PriceChange, None, Home, false), 38),
    (shape(PriceChange, None, Competitor, false), 8),
    (shape(DirectionDisagreement, None, Home, false), 24),
    (shape(Availability, Some(Suspended), Home, false), 4),
    (shape(Availability, Some(Returned), Home, false), 4),
    (shape(Availability, Some(Suspended), Competitor, false), 2),
    (shape(Availability, Some(Returned), Competitor, false), 2),
    (shape(Availability, Some(Suspended), Home, true), 1),
    (shape(Availability, Some(Returned), Home, true), 1),
    (shape(Availability, Some(Suspended), Competitor, true), 1),
    (shape(Availability, Some(Returned), Competitor, true), 1),
    (shape(MarketMove, None, Home, false), 6),
    (shape(OffMarket, None, Home, false), 5),
    (shape(Margin, None, Home, false), 3),
];

/// The shape of an alert, `home` being the home book's slug.
pub fn shape_of(alert: &DetectedAlert, home: &str) -> Shape {
    let side = if alert.bookmaker == home {
        Home
    } else {
        Competitor
    };
    let (change, event_level) = match &alert.payload {
        AlertPayload::Availability(flip) => (Some(flip.change), flip.markets_affected.is_some()),
        _ => (None, false),
    };
    Shape {
        alert_type: alert.alert_type(),
        change,
        side,
        event_level,
    }
}

/// What else the detector guarantees of an alert's fields beyond its shape, as an error
/// naming the broken rule: availability has no outcome, an event-level one is market `*`
/// without a line, the other types name an outcome (except `margin`, about a whole market), a
/// disagreement's competitor and a market move's movers are other books than the alerted one.
pub fn check_fields(alert: &DetectedAlert) -> Result<(), String> {
    let event_market = alert.market_id == EVENT_MARKET_ID;
    match &alert.payload {
        AlertPayload::Availability(flip) => {
            if alert.outcome_name.is_some() {
                return Err("availability names no outcome".into());
            }
            if flip.markets_affected.is_some() != event_market {
                return Err("event-level availability is market `*`, and only it".into());
            }
            if event_market && alert.line.is_some() {
                return Err("event-level availability has no line".into());
            }
            if (flip.change == Suspended) && flip.unavailable_secs.is_some() {
                return Err("a suspension has no time away".into());
            }
        }
        AlertPayload::Margin(m) => {
            if alert.outcome_name.is_some() || m.prices.len() < 2 {
                return Err("margin is about a whole market's prices".into());
            }
        }
        payload => {
            if alert.outcome_name.is_none() || event_market {
                return Err(format!("{} is about one outcome", alert.alert_type()));
            }
            if let AlertPayload::DirectionDisagreement(d) = payload
                && d.competitor.bookmaker == alert.bookmaker
            {
                return Err("a disagreement is with another book".into());
            }
            if let AlertPayload::MarketMove(m) = payload
                && m.movers.iter().any(|b| b.bookmaker == alert.bookmaker)
            {
                return Err("a market move's movers are competitors".into());
            }
        }
    }
    Ok(())
}
