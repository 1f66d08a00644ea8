//! Realistic synthetic events and alerts, so the UI, the API and the benchmarks have data
//! before (or without) a live pipeline. Deterministic for a given seed.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

mod payloads;
pub mod shapes;

use crate::domain::{
    AlertPayload, AlertType, AvailabilityChange, AvailabilityFlip, DetectedAlert, EVENT_MARKET_ID,
    EVENT_MARKET_NAME, Line, Price, PriceMove, Severity, Status,
};
use crate::service::now_millis;
use crate::store::{BulkAlert, BulkEvent, Store, StoreError};
use shapes::{DETECTOR_SHAPES, Shape, Side};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Alerts to create.
    pub alerts: u64,
    /// Events they are spread over.
    pub events: u64,
    /// Generator seed.
    pub seed: u64,
}

/// What was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    /// Alerts written.
    pub alerts: u64,
    /// Events written (inserted or refreshed).
    pub events: u64,
}

const TEAMS: &[&str] = &[
    "Arsenal",
    "Chelsea",
    "Liverpool",
    "Everton",
    "Leeds United",
    "Brighton",
    "Fulham",
    "Brentford",
    "Real Madrid",
    "Sevilla",
    "Valencia",
    "Villarreal",
    "Bayern Munich",
    "Union Berlin",
    "Mainz 05",
    "Juventus",
    "Torino",
    "Napoli",
    "Lazio",
    "Ajax",
    "Feyenoord",
    "Benfica",
    "Porto",
    "Celtic",
    "Rangers",
    "Galatasaray",
    "Enyimba",
    "Kano Pillars",
    "Rivers United",
    "Shooting Stars",
    "Debreceni VSC",
    "Ferencvaros",
    "Al Ahly",
    "Zamalek",
    "Kaizer Chiefs",
    "Orlando Pirates",
];

const TOURNAMENTS: &[(&str, &str)] = &[
    ("Premier League", "England"),
    ("LaLiga", "Spain"),
    ("Bundesliga", "Germany"),
    ("Serie A", "Italy"),
    ("Eredivisie", "Netherlands"),
    ("NPFL", "Nigeria"),
    ("NB I", "Hungary"),
    ("Premiership", "Scotland"),
];

/// (market id, name, outcomes, line choices in thousandths) of the primary markets.
const MARKETS: &[(&str, &str, &[&str], &[i32])] = &[
    ("3743", "1X2 | Full Time", &["1", "X", "2"], &[]),
    (
        "4693",
        "Double Chance | Full Time",
        &["1X", "X2", "12"],
        &[],
    ),
    (
        "3795",
        "Both Teams To Score | Full Time",
        &["Yes", "No"],
        &[],
    ),
    (
        "5000",
        "Over/Under | Full Time",
        &["Over", "Under"],
        &[1500, 2500, 3500],
    ),
    (
        "3774",
        "Asian Handicap | Full Time",
        &["1", "2"],
        &[-1500, -500, 500, 1000],
    ),
];

const BOOKS: &[&str] = &["betpawa", "sportybet", "bet9ja"];
/// The home book: the first of [`BOOKS`].
const HOME: &str = "betpawa";

/// From this many alerts on, [`load`] drops the alert indexes and rebuilds them afterwards.
pub const BULK_INDEX_THRESHOLD: u64 = 100_000;

/// Writes the alerts in batches, in detection order.
async fn write_alerts(
    store: &Store,
    options: &DemoOptions,
    rng: &mut SmallRng,
    events: &[BulkEvent],
    ids: &[i64],
    now: DateTime<Utc>,
    progress: &mut impl FnMut(u64),
) -> Result<u64, StoreError> {
    let kickoffs: Vec<DateTime<Utc>> = events
        .iter()
        .map(|e| e.kickoff.expect("demo events have kickoffs"))
        .collect();
    // Alerts are generated in detection order over the last week, as a pipeline writes them:
    // realistic, and it keeps index inserts near the end of each index.
    let upcoming: Vec<usize> = (0..ids.len()).filter(|&e| kickoffs[e] > now).collect();
    let span_ms = Duration::days(7).num_milliseconds();
    let start = now - Duration::days(7);
    const BATCH: u64 = 20_000;
    let mut written = 0;
    while written < options.alerts {
        let n = BATCH.min(options.alerts - written);
        let batch: Vec<BulkAlert> = (written..written + n)
            .map(|i| {
                let offset =
                    (i128::from(span_ms) * i128::from(i) / i128::from(options.alerts)) as i64;
                let detected_at = start + Duration::milliseconds(offset);
                // An event that had not kicked off yet at that time (any upcoming one will do).
                let mut e = rng.gen_range(0..ids.len());
                if kickoffs[e] <= detected_at && !upcoming.is_empty() {
                    e = upcoming[rng.gen_range(0..upcoming.len())];
                }
                let event = (ids[e], events[e].sr_id.as_str());
                demo_alert(rng, event, kickoffs[e], detected_at.min(kickoffs[e]), now)
            })
            .collect();
        store.bulk_insert_alerts(&batch).await?;
        written += n;
        progress(written);
    }
    Ok(written)
}

/// Generates and writes `options.alerts` alerts over `options.events` events, reporting
/// progress (alerts written so far) after each batch.
pub async fn load(
    store: &Store,
    options: &DemoOptions,
    mut progress: impl FnMut(u64),
) -> Result<DemoSummary, StoreError> {
    let now = now_millis();
    let mut rng = SmallRng::seed_from_u64(options.seed);
    let events = demo_events(&mut rng, options.events.max(1), now);
    let ids = store.upsert_events(&events, now).await?;

    // Large loads build the alert indexes once at the end instead of row by row.
    let rebuild = if options.alerts >= BULK_INDEX_THRESHOLD {
        Some(store.drop_alert_indexes().await?)
    } else {
        None
    };
    let loaded = write_alerts(store, options, &mut rng, &events, &ids, now, &mut progress).await;
    if let Some(indexes) = rebuild {
        // Rebuild even when the load failed, so the database is never left without indexes.
        store.create_indexes(&indexes).await?;
        store.analyze().await?;
    }
    let written = loaded?;
    store
        .record_bulk_change(crate::store::ChangeKind::Reloaded, now)
        .await?;
    Ok(DemoSummary {
        alerts: written,
        events: ids.len() as u64,
    })
}

fn demo_events(rng: &mut SmallRng, count: u64, now: DateTime<Utc>) -> Vec<BulkEvent> {
    (0..count)
        .map(|i| {
            let home = TEAMS[rng.gen_range(0..TEAMS.len())];
            let mut away = TEAMS[rng.gen_range(0..TEAMS.len())];
            while away == home {
                away = TEAMS[rng.gen_range(0..TEAMS.len())];
            }
            let (tournament, country) = TOURNAMENTS[rng.gen_range(0..TOURNAMENTS.len())];
            // Half the events are over (their alerts are past); the rest kick off within a week,
            // some within minutes so a session sees alerts turn past.
            let kickoff = if rng.gen_bool(0.5) {
                now - Duration::minutes(rng.gen_range(10..7 * 24 * 60))
            } else {
                now + Duration::minutes(rng.gen_range(3..7 * 24 * 60))
            };
            let kickoff =
                kickoff - Duration::milliseconds(i64::from(kickoff.timestamp_subsec_millis()));
            BulkEvent {
                sr_id: (50_000_000 + i).to_string(),
                home_team: home.to_string(),
                away_team: away.to_string(),
                tournament: Some(tournament.to_string()),
                country: Some(country.to_string()),
                kickoff: Some(kickoff),
            }
        })
        .collect()
}

fn severity_of(change_pct: f64) -> Option<Severity> {
    match change_pct.abs() {
        c if c >= 15.0 => Some(Severity::Critical),
        c if c >= 10.0 => Some(Severity::Elevated),
        c if c >= 7.0 => Some(Severity::Warning),
        _ => None,
    }
}

fn random_move(rng: &mut SmallRng, min_pct: f64, max_pct: f64) -> PriceMove {
    let old = Price::from_milli(rng.gen_range(1_100..8_000) / 10 * 10);
    let pct = rng.gen_range(min_pct..max_pct) * if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
    let new = Price::from_f64(old.as_f64() * (1.0 + pct / 100.0)).unwrap_or(old);
    PriceMove::between(old, new).expect("demo prices are above 1.1")
}

/// A shape drawn from [`shapes::DETECTOR_SHAPES`] by its share.
fn pick_shape(rng: &mut SmallRng) -> Shape {
    let total: u32 = DETECTOR_SHAPES.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (shape, weight) in DETECTOR_SHAPES {
        if roll < weight {
            return shape;
        }
        roll -= weight;
    }
    DETECTOR_SHAPES[0].0
}

/// One alert of a shape the detector raises (see [`shapes`]) on the event
/// `(database id, SportRadar key)`.
fn demo_alert(
    rng: &mut SmallRng,
    (event_id, event_key): (i64, &str),
    kickoff: DateTime<Utc>,
    detected_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> BulkAlert {
    let (mut market_id, mut market_name, outcomes, lines) =
        MARKETS[rng.gen_range(0..MARKETS.len())];
    let mut line = (!lines.is_empty()).then(|| lines[rng.gen_range(0..lines.len())]);
    let outcome = outcomes[rng.gen_range(0..outcomes.len())].to_string();
    let latest = kickoff.min(now);
    let shape = pick_shape(rng);
    let bookmaker = match shape.side {
        Side::Home => HOME.to_string(),
        Side::Competitor => BOOKS[rng.gen_range(1..BOOKS.len())].to_string(),
    };
    let mut outcome_name = Some(outcome);
    let (severity, payload) = match shape.alert_type {
        AlertType::PriceChange => {
            let moved = random_move(rng, 7.0, 30.0);
            let severity = severity_of(moved.change_pct.as_f64()).unwrap_or(Severity::Warning);
            (severity, AlertPayload::PriceChange(moved))
        }
        AlertType::DirectionDisagreement => {
            let home = random_move(rng, 0.5, 22.0);
            payloads::disagreement(rng, home)
        }
        AlertType::Availability => {
            outcome_name = None;
            let markets_affected = shape.event_level.then(|| rng.gen_range(2..40));
            if shape.event_level {
                (market_id, market_name, line) = (EVENT_MARKET_ID, EVENT_MARKET_NAME, None);
            }
            let change = shape.change.unwrap_or(AvailabilityChange::Suspended);
            let unavailable_secs =
                (change == AvailabilityChange::Returned).then(|| rng.gen_range(60..4 * 3600));
            let flip = AvailabilityFlip {
                change,
                unavailable_secs,
                markets_affected,
            };
            (Severity::Warning, AlertPayload::Availability(flip))
        }
        AlertType::MarketMove => payloads::market_move(rng),
        AlertType::OffMarket => payloads::off_market(rng),
        AlertType::Margin => {
            outcome_name = None;
            // Double chance's outcomes overlap, so its overround is no margin: use the 1X2.
            let (id, name, outcomes, _) = MARKETS[0];
            if market_id == "4693" {
                (market_id, market_name, line) = (id, name, None);
                payloads::margin(rng, outcomes)
            } else {
                payloads::margin(
                    rng,
                    MARKETS
                        .iter()
                        .find(|m| m.0 == market_id)
                        .map_or(outcomes, |m| m.2),
                )
            }
        }
    };
    let alert = DetectedAlert {
        event_key: event_key.to_string(),
        bookmaker,
        market_id: market_id.into(),
        market_name: market_name.into(),
        line: line.map(Line::from_milli),
        outcome_name,
        severity,
        payload,
        detected_at,
        event_kickoff: kickoff,
    };
    let status = if kickoff <= now {
        Status::Past
    } else if rng.gen_bool(0.35) {
        Status::Acknowledged
    } else {
        Status::New
    };
    let acknowledged =
        status == Status::Acknowledged || (status == Status::Past && rng.gen_bool(0.4));
    let acknowledged_at =
        acknowledged.then(|| (detected_at + Duration::seconds(rng.gen_range(5..1800))).min(latest));
    let acknowledged_by =
        acknowledged.then(|| ["ada", "bola", "chidi", "dami"][rng.gen_range(0..4)].to_string());
    BulkAlert {
        event_id,
        alert,
        status,
        acknowledged_at,
        acknowledged_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The alert's shape, after checking it is one the detector raises and that its fields
    /// are as the detector fills them.
    fn check_shape(alert: &DetectedAlert) -> Shape {
        let shape = shapes::shape_of(alert, HOME);
        assert!(
            DETECTOR_SHAPES.iter().any(|(s, _)| *s == shape),
            "demo-data made {shape:?}, which the detector never raises: {alert:#?}"
        );
        if let Err(e) = shapes::check_fields(alert) {
            panic!("{e}: {alert:#?}");
        }
        shape
    }

    #[test]
    fn demo_alerts_are_consistent_with_their_status_and_kickoff() {
        let mut seen = std::collections::BTreeSet::new();
        let now = now_millis();
        let mut rng = SmallRng::seed_from_u64(1);
        let events = demo_events(&mut rng, 20, now);
        for (i, e) in events.iter().enumerate() {
            let kickoff = e.kickoff.unwrap();
            for _ in 0..200 {
                // 20 events × 200 = 4,000 alerts.
                let detected = kickoff.min(now) - Duration::seconds(rng.gen_range(1..600_000));
                let a = demo_alert(&mut rng, (i as i64, &e.sr_id), kickoff, detected, now);
                assert!(a.alert.detected_at <= now && a.alert.detected_at <= kickoff);
                assert_eq!(a.status == Status::Past, kickoff <= now);
                assert_eq!(
                    a.status == Status::Acknowledged,
                    a.status != Status::Past && a.acknowledged_by.is_some()
                );
                if let AlertPayload::PriceChange(m) = &a.alert.payload {
                    let c = m.change_pct.abs().as_f64();
                    assert_eq!(severity_of(c), Some(a.alert.severity), "change {c}");
                }
                seen.insert(check_shape(&a.alert));
            }
        }
        // Every shape the detector raises is in the demo (the rarest has 1 % of 4,000).
        let all: std::collections::BTreeSet<Shape> =
            DETECTOR_SHAPES.iter().map(|(s, _)| *s).collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn a_shape_the_detector_never_raises_is_caught() {
        use crate::domain::{Direction, Mover, Percent};
        let mut rng = SmallRng::seed_from_u64(9);
        let now = now_millis();
        // A market move on a competitor's book: §9 types are about the home book only.
        let mut alert = demo_alert(&mut rng, (1, "1"), now + Duration::days(1), now, now).alert;
        alert.bookmaker = "sportybet".into();
        alert.outcome_name = Some("1".into());
        alert.payload = AlertPayload::MarketMove(crate::domain::MarketLeftBehind {
            direction: Direction::Down,
            median_change_pct: Percent::from_hundredths(-900),
            home: PriceMove::between(Price::from_milli(2000), Price::from_milli(2000)).unwrap(),
            movers: vec![Mover {
                bookmaker: "bet9ja".into(),
                old: Price::from_milli(2000),
                new: Price::from_milli(1820),
                change_pct: Percent::from_hundredths(-900),
            }],
        });
        let shape = shapes::shape_of(&alert, HOME);
        assert!(!DETECTOR_SHAPES.iter().any(|(s, _)| *s == shape));
        // An availability alert naming an outcome is no detector alert either.
        alert.payload = AlertPayload::Availability(AvailabilityFlip {
            change: AvailabilityChange::Returned,
            unavailable_secs: Some(60),
            markets_affected: None,
        });
        assert!(shapes::check_fields(&alert).is_err());
    }

    #[test]
    fn same_seed_gives_the_same_events() {
        let now = now_millis();
        let a = demo_events(&mut SmallRng::seed_from_u64(3), 5, now);
        let b = demo_events(&mut SmallRng::seed_from_u64(3), 5, now);
        assert_eq!(a, b);
    }
}
