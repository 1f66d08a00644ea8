use super::*;
use crate::domain::testing::AlertBuilder;
use crate::domain::{AlertPayload, AvailabilityChange, Direction, Percent, Price, Severity};

/// A dead letter as the code before the alert model changed wrote it (serde of the old
/// `CycleBatch { alerts: Vec<KeyedAlert { event_key, alert: NewAlert } > }`): a price
/// change with a line, a direction disagreement and an event-level availability alert.
const OLD_LETTER: &str = concat!(
    r#"{"at":"2030-06-01T12:00:00Z","events":[{"record":{"sr_id":"61300947","home_team":"Arsenal","away_team":"Chelsea","tournament":"Premier League","country":"England","kickoff":"2030-06-02T18:00:00Z"},"books":[["betpawa","bp-61300947"]]}],"#,
    r#""odds":[{"event_key":"61300947","bookmaker":"betpawa","market_id":"5000","line":"2.5","outcomes":[{"name":"Over","price":1.8,"active":true}],"available":true,"unavailable_since":null,"record_history":true}],"#,
    r#""alerts":["#,
    r#"{"event_key":"61300947","alert":{"eventId":0,"bookmaker":"betpawa","marketId":"5000","marketName":"Over/Under | Full Time","line":2.5,"outcomeName":"Over","alertType":"price_change","severity":"warning","changePct":-5.26,"oldPrice":1.9,"newPrice":1.8,"competitorBookmaker":null,"competitorOldPrice":null,"competitorNewPrice":null,"competitorDirection":null,"gapPct":null,"availability":null,"unavailableSecs":null,"marketsAffected":null,"detectedAt":"2030-06-01T12:01:00Z","eventKickoff":"2030-06-02T18:00:00Z"}},"#,
    r#"{"event_key":"61300947","alert":{"eventId":0,"bookmaker":"betpawa","marketId":"3743","marketName":"1X2 | Full Time","line":null,"outcomeName":"2","alertType":"direction_disagreement","severity":"elevated","changePct":3.33,"oldPrice":3.0,"newPrice":3.1,"competitorBookmaker":"sportybet","competitorOldPrice":3.05,"competitorNewPrice":2.9,"competitorDirection":"down","gapPct":6.45,"availability":null,"unavailableSecs":null,"marketsAffected":null,"detectedAt":"2030-06-01T12:02:00Z","eventKickoff":"2030-06-02T18:00:00Z"}},"#,
    r#"{"event_key":"61300947","alert":{"eventId":0,"bookmaker":"betpawa","marketId":"*","marketName":"All markets","line":null,"outcomeName":null,"alertType":"availability","severity":"warning","changePct":null,"oldPrice":null,"newPrice":null,"competitorBookmaker":null,"competitorOldPrice":null,"competitorNewPrice":null,"competitorDirection":null,"gapPct":null,"availability":"returned","unavailableSecs":300,"marketsAffected":12,"detectedAt":"2030-06-01T12:03:00Z","eventKickoff":"2030-06-02T18:00:00Z"}}"#,
    r#"]}"#
);

fn at(minute: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2030, 6, 1, 12, minute, 0).unwrap()
}

#[test]
fn a_letter_written_before_the_alert_model_changed_still_reads() {
    let batch: CycleBatch = serde_json::from_str(OLD_LETTER).unwrap();
    let kickoff = at(0) + chrono::Duration::hours(30);
    let base = || AlertBuilder::new().event_key("61300947").kickoff(kickoff);
    let expected = vec![
        base()
            .market("5000", "Over/Under | Full Time")
            .line(2.5)
            .outcome(Some("Over"))
            .prices(1.9, 1.8)
            .change_pct(-5.26)
            .detected_at(at(1))
            .build(),
        base()
            .outcome(Some("2"))
            .severity(Severity::Elevated)
            .prices(3.0, 3.1)
            .disagreement("sportybet", 3.05, 2.9)
            .detected_at(at(2))
            .build(),
        base()
            .returned(Some(300))
            .event_level(12)
            .detected_at(at(3))
            .build(),
    ];
    assert_eq!(batch.alerts, expected);
    let AlertPayload::DirectionDisagreement(d) = &batch.alerts[1].payload else {
        panic!("{:?}", batch.alerts[1]);
    };
    assert_eq!(d.competitor.direction, Direction::Down);
    assert_eq!(d.gap_pct, Percent::from_hundredths(645));
    assert_eq!(d.competitor.old, "3.05".parse::<Price>().unwrap());
    let flip = batch.alerts[2].payload.availability().unwrap();
    assert_eq!(flip.change, AvailabilityChange::Returned);
}

#[test]
fn a_letter_is_still_written_in_the_old_shape() {
    let batch: CycleBatch = serde_json::from_str(OLD_LETTER).unwrap();
    assert_eq!(serde_json::to_string(&batch).unwrap(), OLD_LETTER);
}

#[test]
fn a_letter_of_the_market_types_round_trips_and_keeps_the_old_fields_first() {
    use crate::domain::Pattern;
    let mut batch: CycleBatch = serde_json::from_str(OLD_LETTER).unwrap();
    let base = || AlertBuilder::new().event_key("61300947");
    batch.alerts = vec![
        base()
            .prices(2.0, 2.0)
            .market_move(-9.0, &[("bet9ja", 2.0, 1.84), ("sportybet", 2.0, 1.8)])
            .build(),
        base()
            .prices(2.0, 4.0)
            .off_market(91.55, 2.09, Some(Pattern::Swapped))
            .books(&[("bet9ja", 2.05, 2.12), ("sportybet", 2.0, 2.09)])
            .build(),
        base()
            .margin(-2.81, &[("1", 2.5), ("X", 3.4), ("2", 3.6)])
            .build(),
    ];
    let letter = serde_json::to_string(&batch).unwrap();
    // The new fields follow the old ones, so an older reader's view is unchanged.
    assert!(
        letter.contains(r#""eventKickoff":"2030-06-02T12:00:00Z","edgePct":91.55,"fairOdds":2.09,"pattern":"swapped","books":[{"bookmaker":"bet9ja","price":2.05,"fairOdds":2.12}"#),
        "{letter}"
    );
    assert!(letter.contains(r#""medianChangePct":-9.0,"movers":[{"bookmaker":"bet9ja","oldPrice":2.0,"newPrice":1.84,"changePercent":-8.0}"#), "{letter}");
    assert!(
        letter.contains(r#""marginPct":-2.81,"prices":[{"outcome":"1","price":2.5}"#),
        "{letter}"
    );
    let back: CycleBatch = serde_json::from_str(&letter).unwrap();
    assert_eq!(back.alerts, batch.alerts);
}

#[test]
fn a_letter_whose_alert_lacks_its_type_fields_is_refused_with_the_reason() {
    let broken = OLD_LETTER.replace(
        r#""competitorBookmaker":"sportybet""#,
        r#""competitorBookmaker":null"#,
    );
    let err = serde_json::from_str::<CycleBatch>(&broken).unwrap_err();
    assert!(err.to_string().contains("without a competitor"), "{err}");
}
