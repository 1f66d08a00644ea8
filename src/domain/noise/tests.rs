use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::domain::testing::AlertBuilder;
use crate::domain::{Direction, Pattern};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap() + Duration::minutes(minute)
}

fn open(status: Status, severity: Severity, acked_minute: Option<i64>) -> OpenAlert {
    OpenAlert {
        id: 7,
        status,
        severity,
        acknowledged_at: acked_minute.map(at),
        silenced: false,
    }
}

fn id(b: AlertBuilder) -> AlertIdentity {
    AlertIdentity::of(1, &b.build())
}

#[test]
fn the_same_outcome_moving_again_is_the_same_identity_whatever_its_prices_severity_and_time() {
    let first = AlertBuilder::new().prices(2.0, 2.3);
    let again = AlertBuilder::new()
        .prices(2.3, 2.9)
        .severity(Severity::Critical)
        .detected_at(at(5));
    assert_eq!(id(first), id(again));
}

#[test]
fn each_part_of_the_identity_tells_alerts_apart() {
    let base = id(AlertBuilder::new());
    let others = [
        AlertIdentity::of(2, &AlertBuilder::new().build()),
        id(AlertBuilder::new().book("sportybet")),
        id(AlertBuilder::new().market("5000", "Over/Under")),
        id(AlertBuilder::new().line(2.5)),
        id(AlertBuilder::new().outcome(Some("X"))),
        id(AlertBuilder::new().disagreement("sportybet", 2.0, 1.8)),
        id(AlertBuilder::new().suspended()),
        id(AlertBuilder::new().off_market(12.0, 2.0, None)),
        id(AlertBuilder::new().margin(-1.0, &[("1", 2.0), ("X", 3.0), ("2", 4.0)])),
    ];
    for other in &others {
        assert_ne!(&base, other);
    }
    assert_ne!(
        id(AlertBuilder::new().line(2.5)),
        id(AlertBuilder::new().line(3.5))
    );
}

#[test]
fn a_return_never_folds_into_its_suspension_nor_one_competitor_into_another() {
    assert_ne!(
        id(AlertBuilder::new().suspended()),
        id(AlertBuilder::new().returned(Some(60)))
    );
    assert_eq!(
        id(AlertBuilder::new().returned(Some(60))),
        id(AlertBuilder::new().returned(Some(600)))
    );
    assert_ne!(
        id(AlertBuilder::new().disagreement("sportybet", 2.0, 1.8)),
        id(AlertBuilder::new().disagreement("bet9ja", 2.0, 1.8))
    );
}

#[test]
fn a_market_move_keeps_its_direction_in_the_identity() {
    let up = AlertBuilder::new().market_move(9.0, &[("sportybet", 2.0, 2.2), ("bet9ja", 2.0, 2.2)]);
    let down =
        AlertBuilder::new().market_move(-9.0, &[("sportybet", 2.2, 2.0), ("bet9ja", 2.2, 2.0)]);
    let (up, down) = (up.build(), down.build());
    let dir = |a: &DetectedAlert| match &a.payload {
        AlertPayload::MarketMove(m) => m.direction,
        _ => unreachable!(),
    };
    assert_eq!((dir(&up), dir(&down)), (Direction::Up, Direction::Down));
    assert_ne!(AlertIdentity::of(1, &up), AlertIdentity::of(1, &down));
}

#[test]
fn an_off_market_pattern_is_not_part_of_the_identity() {
    assert_eq!(
        id(AlertBuilder::new().off_market(12.0, 2.0, None)),
        id(AlertBuilder::new().off_market(900.0, 2.0, Some(Pattern::Factor)))
    );
}

#[test]
fn without_an_alert_of_the_identity_a_detection_opens_one() {
    let policy = NoisePolicy::default();
    assert_eq!(
        fold(&policy, None, Severity::Warning, false, at(0)),
        Fold::Open
    );
}

#[test]
fn a_new_alert_is_updated_in_place_and_escalates_only_when_the_severity_rises() {
    let policy = NoisePolicy::default();
    let new = open(Status::New, Severity::Elevated, None);
    for (severity, escalated) in [
        (Severity::Warning, false),
        (Severity::Elevated, false),
        (Severity::Critical, true),
    ] {
        assert_eq!(
            fold(&policy, Some(&new), severity, false, at(90)),
            Fold::Update { escalated },
            "{severity}"
        );
    }
}

#[test]
fn after_an_acknowledgement_the_cooldown_records_occurrences_without_reopening() {
    let policy = NoisePolicy::default();
    let acked = open(Status::Acknowledged, Severity::Elevated, Some(0));
    assert_eq!(
        fold(&policy, Some(&acked), Severity::Elevated, false, at(29)),
        Fold::Record
    );
    assert_eq!(
        fold(&policy, Some(&acked), Severity::Warning, false, at(1)),
        Fold::Record
    );
}

#[test]
fn a_more_severe_detection_within_the_cooldown_reopens_the_acknowledged_alert() {
    let policy = NoisePolicy::default();
    let acked = open(Status::Acknowledged, Severity::Elevated, Some(0));
    assert_eq!(
        fold(&policy, Some(&acked), Severity::Critical, false, at(10)),
        Fold::Reopen {
            from: Severity::Elevated,
            to: Severity::Critical
        }
    );
}

#[test]
fn after_the_cooldown_a_detection_opens_a_new_alert() {
    let policy = NoisePolicy::default();
    let acked = open(Status::Acknowledged, Severity::Critical, Some(0));
    assert_eq!(
        fold(&policy, Some(&acked), Severity::Warning, false, at(30)),
        Fold::Open
    );
    assert_eq!(
        fold(&policy, Some(&acked), Severity::Critical, false, at(31)),
        Fold::Open
    );
    let zero = NoisePolicy {
        cooldown: Duration::zero(),
        ..policy
    };
    assert_eq!(
        fold(&zero, Some(&acked), Severity::Warning, false, at(0)),
        Fold::Open
    );
}

#[test]
fn a_silenced_alert_takes_silenced_detections_but_an_unsilenced_one_opens_a_new_alert() {
    let policy = NoisePolicy::default();
    let hidden = OpenAlert {
        silenced: true,
        ..open(Status::New, Severity::Warning, None)
    };
    assert_eq!(
        fold(&policy, Some(&hidden), Severity::Warning, true, at(1)),
        Fold::Update { escalated: false }
    );
    assert_eq!(
        fold(&policy, Some(&hidden), Severity::Critical, false, at(1)),
        Fold::Open
    );
    let visible = open(Status::New, Severity::Warning, None);
    assert_eq!(
        fold(&policy, Some(&visible), Severity::Warning, true, at(1)),
        Fold::Update { escalated: false }
    );
}

#[test]
fn a_past_alert_is_never_folded_into() {
    let policy = NoisePolicy::default();
    let past = open(Status::Past, Severity::Warning, None);
    assert_eq!(
        fold(&policy, Some(&past), Severity::Warning, false, at(1)),
        Fold::Open
    );
}

#[test]
fn with_dedup_off_every_detection_opens_an_alert() {
    let policy = NoisePolicy {
        dedup: false,
        ..NoisePolicy::default()
    };
    for newest in [
        open(Status::New, Severity::Warning, None),
        open(Status::Acknowledged, Severity::Warning, Some(0)),
    ] {
        assert_eq!(
            fold(&policy, Some(&newest), Severity::Critical, false, at(1)),
            Fold::Open
        );
    }
}

#[test]
fn attention_is_asked_by_openings_escalations_and_reopenings_only() {
    assert!(Fold::Open.asks_attention());
    assert!(Fold::Update { escalated: true }.asks_attention());
    assert!(!Fold::Update { escalated: false }.asks_attention());
    assert!(!Fold::Record.asks_attention());
    assert!(
        Fold::Reopen {
            from: Severity::Warning,
            to: Severity::Critical
        }
        .asks_attention()
    );
}

fn target(severity: Severity) -> SilenceTarget<'static> {
    SilenceTarget {
        event_id: 4,
        tournament: Some("Premier League"),
        bookmaker: "betpawa",
        market_id: "5000",
        line: Line::from_f64(2.5),
        outcome: Some("Over"),
        alert_type: AlertType::PriceChange,
        severity,
    }
}

#[test]
fn a_silence_matches_when_every_set_matcher_does() {
    let event = SilenceMatchers {
        event_id: Some(4),
        ..Default::default()
    };
    assert!(event.matches(&target(Severity::Critical)));
    let outcome = SilenceMatchers {
        event_id: Some(4),
        market_id: Some("5000".into()),
        line: Line::from_f64(2.5),
        outcome: Some("over".into()),
        tournament: Some("premier league".into()),
        bookmaker: Some("betpawa".into()),
        alert_type: Some(AlertType::PriceChange),
        max_severity: None,
    };
    assert!(outcome.matches(&target(Severity::Warning)));
    for miss in [
        SilenceMatchers {
            event_id: Some(5),
            ..outcome.clone()
        },
        SilenceMatchers {
            market_id: Some("3743".into()),
            ..outcome.clone()
        },
        SilenceMatchers {
            line: Line::from_f64(3.5),
            ..outcome.clone()
        },
        SilenceMatchers {
            outcome: Some("Under".into()),
            ..outcome.clone()
        },
        SilenceMatchers {
            tournament: Some("La Liga".into()),
            ..outcome.clone()
        },
        SilenceMatchers {
            bookmaker: Some("sportybet".into()),
            ..outcome.clone()
        },
        SilenceMatchers {
            alert_type: Some(AlertType::OffMarket),
            ..outcome.clone()
        },
    ] {
        assert!(!miss.matches(&target(Severity::Warning)), "{miss:?}");
    }
}

#[test]
fn a_silence_lets_through_what_is_more_severe_than_its_maximum() {
    let warnings = SilenceMatchers {
        event_id: Some(4),
        max_severity: Some(Severity::Elevated),
        ..Default::default()
    };
    assert!(warnings.matches(&target(Severity::Warning)));
    assert!(warnings.matches(&target(Severity::Elevated)));
    assert!(!warnings.matches(&target(Severity::Critical)));
}

#[test]
fn a_line_or_outcome_matcher_never_matches_an_alert_without_one() {
    let t = SilenceTarget {
        line: None,
        outcome: None,
        ..target(Severity::Warning)
    };
    let line = SilenceMatchers {
        line: Line::from_f64(2.5),
        ..Default::default()
    };
    let outcome = SilenceMatchers {
        outcome: Some("Over".into()),
        ..Default::default()
    };
    assert!(!line.matches(&t));
    assert!(!outcome.matches(&t));
    assert!(SilenceMatchers::default().is_empty());
    assert!(!line.is_empty());
    let severity_only = SilenceMatchers {
        max_severity: Some(Severity::Critical),
        ..Default::default()
    };
    assert!(
        severity_only.is_empty(),
        "a maximum severity alone would silence every event"
    );
}

#[test]
fn a_silence_is_active_from_its_start_until_its_end_or_expiry() {
    let mut s = Silence {
        id: 1,
        matchers: SilenceMatchers {
            event_id: Some(4),
            ..Default::default()
        },
        starts_at: at(0),
        ends_at: at(30),
        reason: String::new(),
        created_by: "ana".into(),
        created_at: at(0),
        expired_at: None,
        expired_by: None,
    };
    assert!(!s.is_active(at(-1)));
    assert!(s.is_active(at(0)));
    assert!(s.is_active(at(29)));
    assert!(!s.is_active(at(30)));
    s.expired_at = Some(at(10));
    assert!(s.is_active(at(5)));
    assert!(!s.is_active(at(10)));
}

#[test]
fn the_policy_reads_and_writes_its_cooldown_in_minutes() {
    let json = serde_json::to_string(&NoisePolicy::default()).unwrap();
    assert_eq!(json, r#"{"dedup":true,"cooldown":30}"#);
    let back: NoisePolicy = serde_json::from_str(&json).unwrap();
    assert_eq!(back, NoisePolicy::default());
}
