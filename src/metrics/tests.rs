//! The recording functions rendered by a recorder of this test's own (the global one is shared
//! by every test of the process), so each test sees exactly what it recorded.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;

/// Runs `record` against a fresh recorder (metrics described) and returns the rendered text.
fn rendered(record: impl FnOnce()) -> String {
    let recorder = builder().build_recorder();
    let handle = recorder.handle();
    ::metrics::with_local_recorder(&recorder, || {
        describe();
        record();
    });
    handle.render()
}

/// The value of the sample line `series` (name and labels exactly as rendered).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

#[test]
fn a_cycle_renders_each_phase_as_a_histogram_and_its_counts() {
    let totals = CycleTotals {
        events: 40,
        markets: 300,
        outcomes_compared: 900,
        discovery_ms: 120,
        fetch_ms: 2_500,
        detect_ms: 7,
        total_ms: 3_000,
        ..CycleTotals::default()
    };
    let text = rendered(|| {
        record_cycle(&totals);
        record_cycle(&totals);
    });
    assert!(
        text.contains("# TYPE oddswatch_cycle_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.contains("# HELP oddswatch_cycle_duration_seconds Scrape cycle duration"));
    for phase in [
        "discovery",
        "fetch",
        "parse_map",
        "detect",
        "persist",
        "persist_wait",
        "total",
    ] {
        let count = format!("oddswatch_cycle_duration_seconds_count{{phase=\"{phase}\"}}");
        assert_eq!(value(&text, &count), Some(2.0), "{phase}: {text}");
    }
    assert_eq!(
        value(
            &text,
            "oddswatch_cycle_duration_seconds_sum{phase=\"fetch\"}"
        ),
        Some(5.0)
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_cycle_duration_seconds_bucket{phase=\"fetch\",le=\"2.5\"}"
        ),
        Some(2.0),
        "2.5 s falls in the 2.5 bucket"
    );
    assert_eq!(value(&text, "oddswatch_cycles_total"), Some(2.0));
    assert_eq!(value(&text, "oddswatch_cycle_events"), Some(40.0));
    assert_eq!(value(&text, "oddswatch_events_total"), Some(80.0));
    assert_eq!(
        value(&text, "oddswatch_cycle_outcomes_compared"),
        Some(900.0)
    );
    assert_eq!(
        value(&text, "oddswatch_outcomes_compared_total"),
        Some(1800.0)
    );
}

#[test]
fn detections_are_counted_by_type_and_severity_together() {
    let text = rendered(|| {
        record_detections([
            ("price_change", "warning"),
            ("price_change", "critical"),
            ("price_change", "warning"),
            ("availability", "warning"),
        ]);
        record_detections([("price_change", "warning")]);
    });
    let series = |t: &str, s: &str| {
        value(
            &text,
            &format!("oddswatch_alerts_total{{type=\"{t}\",severity=\"{s}\"}}"),
        )
    };
    assert_eq!(series("price_change", "warning"), Some(3.0), "{text}");
    assert_eq!(series("price_change", "critical"), Some(1.0));
    assert_eq!(series("availability", "warning"), Some(1.0));
    assert_eq!(series("availability", "critical"), None, "never seen");
}

#[test]
fn a_books_cycle_adds_the_deltas_of_its_counters_by_kind() {
    let before = StatsSnapshot {
        requests: 10,
        retries: 1,
        failures: BTreeMap::from([(FailureKind::Timeout, 2)]),
        ..StatsSnapshot::default()
    };
    let after = StatsSnapshot {
        requests: 25,
        retries: 1,
        failures: BTreeMap::from([(FailureKind::Timeout, 5), (FailureKind::Status, 1)]),
        ..StatsSnapshot::default()
    };
    let text = rendered(|| {
        record_book_cycle("sportybet", &before, &after);
        record_book_latency("sportybet", Duration::from_millis(30));
    });
    assert_eq!(
        value(&text, "oddswatch_book_requests_total{book=\"sportybet\"}"),
        Some(15.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_book_errors_total{book=\"sportybet\",kind=\"timeout\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_book_errors_total{book=\"sportybet\",kind=\"status\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_book_request_seconds_bucket{book=\"sportybet\",le=\"0.05\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_book_request_seconds_bucket{book=\"sportybet\",le=\"0.025\"}"
        ),
        Some(0.0)
    );
}

#[test]
fn notification_functions_render_their_target_and_result() {
    let text = rendered(|| {
        record_outbox_depth("desk-slack", 4);
        record_delivery("desk-slack", true, 0.2);
        record_delivery("desk-slack", false, 1.5);
        record_delivery("desk-slack", false, 1.0);
        record_target_paused("desk-slack", true);
        record_target_paused("ops-hook", false);
    });
    assert_eq!(
        value(
            &text,
            "oddswatch_notify_outbox_pending{target=\"desk-slack\"}"
        ),
        Some(4.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_notify_deliveries_total{target=\"desk-slack\",result=\"ok\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_notify_deliveries_total{target=\"desk-slack\",result=\"failed\"}"
        ),
        Some(2.0)
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_notify_delivery_seconds_count{target=\"desk-slack\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &text,
            "oddswatch_notify_target_paused{target=\"desk-slack\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "oddswatch_notify_target_paused{target=\"ops-hook\"}"),
        Some(0.0)
    );
}

#[test]
fn writer_and_lease_gauges_and_counters_render() {
    let noise = NoiseCounts {
        occurrences: 5,
        opened: 3,
        updated: 2,
        ..NoiseCounts::default()
    };
    let text = rendered(|| {
        record_stored(&noise);
        record_write_queue_depth(2);
        record_dead_letters_written(1);
        record_dead_letters_replayed(1);
        record_dead_letters_waiting(0);
        record_shards(5, 16);
    });
    let expected = [
        ("oddswatch_alert_occurrences_total{result=\"opened\"}", 3.0),
        ("oddswatch_alert_occurrences_total{result=\"updated\"}", 2.0),
        ("oddswatch_write_queue_depth", 2.0),
        ("oddswatch_dead_letters_written_total", 1.0),
        ("oddswatch_dead_letters_replayed_total", 1.0),
        ("oddswatch_dead_letters_waiting", 0.0),
        ("oddswatch_shards_owned", 5.0),
        ("oddswatch_shards", 16.0),
    ];
    for (series, want) in expected {
        assert_eq!(value(&text, series), Some(want), "{series}: {text}");
    }
    assert_eq!(
        value(
            &text,
            "oddswatch_alert_occurrences_total{result=\"escalated\"}"
        ),
        None,
        "results that did not happen are not rendered"
    );
}

#[test]
fn every_metric_is_prefixed_described_once_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, _, help) in ALL {
        assert!(name.starts_with("oddswatch_"), "{name}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{name}"
        );
        assert!(!help.is_empty(), "{name}");
        assert!(seen.insert(*name), "{name} is listed twice");
    }
    for required in [
        CYCLE_DURATION_SECONDS,
        ALERTS_TOTAL,
        BOOK_REQUESTS_TOTAL,
        BOOK_ERRORS_TOTAL,
        BOOK_REQUEST_SECONDS,
        WRITE_QUEUE_DEPTH,
        DEAD_LETTERS_WAITING,
        SHARDS_OWNED,
        NOTIFY_OUTBOX_PENDING,
        NOTIFY_DELIVERIES_TOTAL,
        NOTIFY_DELIVERY_SECONDS,
        NOTIFY_TARGET_PAUSED,
    ] {
        assert!(seen.contains(required), "{required} is not described");
    }
}

#[test]
fn the_global_recorder_installs_once_and_renders() {
    let first = install().map(|h| h as *const PrometheusHandle);
    let again = install().map(|h| h as *const PrometheusHandle);
    assert!(first.is_some(), "no other recorder in this process");
    assert_eq!(first, again, "the same recorder every time");
    record_shards(3, 16);
    let text = render();
    assert!(text.contains("oddswatch_shards_owned"), "{text}");
}
