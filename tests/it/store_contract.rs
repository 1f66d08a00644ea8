//! The store and alert-service contract, run against SQLite and PostgreSQL. Every scenario is
//! executed on each backend and must give the same answers.

use crate::common;
use crate::common::TestDb;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{
    Alert, AlertFilter, AlertPayload, AlertSort, AlertType, AvailabilityChange, AvailabilityFlip,
    DetectedAlert, Direction, Line, Page, Percent, Price, Severity, Status,
};
use oddswatch::service::{AlertService, ServiceError};
use oddswatch::store::{AckOutcome, BulkAlert, EventRecord, Store, TextPlan};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn service(store: &Store, user: &str) -> AlertService {
    AlertService::new(store.clone(), user).with_clock(Arc::new(now))
}

fn event(
    sr: &str,
    home: &str,
    away: &str,
    tournament: &str,
    kickoff: DateTime<Utc>,
) -> EventRecord {
    EventRecord {
        sr_id: sr.into(),
        home_team: home.into(),
        away_team: away.into(),
        tournament: Some(tournament.into()),
        country: Some("Testland".into()),
        kickoff: Some(kickoff),
    }
}

fn price_alert(
    event_key: &str,
    kickoff: DateTime<Utc>,
    minutes_ago: i64,
    change: f64,
    severity: Severity,
) -> DetectedAlert {
    AlertBuilder::new()
        .event_key(event_key)
        .severity(severity)
        .prices(2.0, 2.0 * (1.0 + change / 100.0))
        .change_pct(change)
        .detected_at(now() - Duration::minutes(minutes_ago))
        .kickoff(kickoff)
        .build()
}

/// Three events (two upcoming, one started) and ten alerts of every type, severity and book.
struct Fixture {
    ids: Vec<i64>,
    arsenal: i64,
    enyimba: i64,
    started: i64,
}

async fn fixture(store: &Store) -> Fixture {
    let soon = now() + Duration::hours(2);
    let tomorrow = now() + Duration::days(1);
    let started_at = now() - Duration::hours(1);
    let events = store
        .upsert_events(
            &[
                event("1001", "Arsenal", "Chelsea", "Premier League", soon),
                event("1002", "Enyimba", "Kano Pillars", "NPFL", tomorrow),
                event("1003", "Ajax", "Feyenoord", "Eredivisie", started_at),
            ],
            now(),
        )
        .await
        .unwrap();
    let (arsenal, enyimba, started) = (events[0], events[1], events[2]);
    let mut alerts = vec![
        price_alert("1001", soon, 50, -10.0, Severity::Elevated), // 0
        price_alert("1001", soon, 40, 15.0, Severity::Critical),  // 1
        price_alert("1002", tomorrow, 30, 7.0, Severity::Warning), // 2
        price_alert("1002", tomorrow, 20, -25.5, Severity::Critical), // 3
        price_alert("1003", started_at, 90, 8.0, Severity::Warning), // 4 (event started)
    ];
    let direction = AlertBuilder::from(price_alert("1001", soon, 10, 7.0, Severity::Elevated))
        .disagreement("sportybet", 2.0, 1.9)
        .gap_pct(11.21); // 5
    alerts.push(direction.build());
    let suspended = AlertBuilder::from(price_alert("1002", tomorrow, 5, 0.0, Severity::Warning))
        .book("bet9ja")
        .market("5000", "Over/Under | Full Time")
        .line(2.5)
        .suspended(); // 6
    alerts.push(suspended.clone().build());
    let returned = suspended // 7
        .detected_at(now() - Duration::minutes(1))
        .returned(Some(240));
    alerts.push(returned.build());
    // Two alerts detected at the same instant: ties must break by id.
    alerts.push(price_alert("1001", soon, 60, 12.0, Severity::Elevated)); // 8
    alerts.push(price_alert("1001", soon, 60, -12.0, Severity::Elevated)); // 9
    let ids = store.insert_alerts(&alerts).await.unwrap();
    Fixture {
        ids,
        arsenal,
        enyimba,
        started,
    }
}

fn ids_of(alerts: &[Alert]) -> Vec<i64> {
    alerts.iter().map(|a| a.id).collect()
}

async fn list_ids(
    store: &Store,
    svc: &AlertService,
    filter: AlertFilter,
    sort: AlertSort,
) -> Vec<i64> {
    let page = Page::first(200);
    let result = svc.list(&filter, sort, &page).await.unwrap();
    let ids = ids_of(&result.alerts);
    if filter.text_term().is_some() {
        // Both ways of reaching a text filter's alerts list the same ones, as many as counted.
        for plan in [TextPlan::Gather, TextPlan::Walk] {
            let listed = store
                .list_alerts_with(&filter, sort, &page, plan)
                .await
                .unwrap();
            assert_eq!(ids_of(&listed), ids, "{plan:?} {filter:?}");
        }
        assert_eq!(
            result.total,
            ids.len() as u64,
            "counted as listed: {filter:?}"
        );
    }
    ids
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/folder/odds.db").display()
    );
    for _ in 0..2 {
        let store = Store::open(&url, 2).await.unwrap();
        store.ping().await.unwrap();
        store.close().await;
    }
    if let Some((admin, db, url)) = common::pg_empty_database().await {
        for _ in 0..2 {
            let store = Store::open(&url, 2).await.unwrap();
            store.ping().await.unwrap();
            store.close().await;
        }
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn filters_select_by_status_severity_type_book_event_and_text() {
    let mut results = Vec::new();
    for db in common::all_dbs().await {
        let f = fixture(&db.store).await;
        let svc = service(&db.store, "ada");
        let id = |i: usize| f.ids[i];
        let by_severity = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                severities: vec![Severity::Critical],
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(by_severity, vec![id(3), id(1)], "{}", db.name);
        let by_two_severities = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                severities: vec![Severity::Critical, Severity::Warning],
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(
            by_two_severities,
            vec![id(7), id(6), id(3), id(2), id(1), id(4)],
            "{}",
            db.name
        );
        let by_type = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                alert_types: vec![AlertType::Availability, AlertType::DirectionDisagreement],
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(by_type, vec![id(7), id(6), id(5)], "{}", db.name);
        let by_book = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                bookmaker: Some("bet9ja".into()),
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(by_book, vec![id(7), id(6)], "{}", db.name);
        let by_event = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                event_id: Some(f.started),
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(by_event, vec![id(4)], "{}", db.name);
        let by_team = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                text: Some("  kano ".into()),
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(by_team, vec![id(7), id(6), id(3), id(2)], "{}", db.name);
        let by_tournament = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                text: Some("PREMIER".into()),
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(by_tournament.len(), 5, "{}", db.name);
        let by_market = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                text: Some("over/under".into()),
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(by_market, vec![id(7), id(6)], "{}", db.name);
        let wildcard = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                text: Some("%".into()),
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert!(
            wildcard.is_empty(),
            "a literal % matches no name ({})",
            db.name
        );
        let combined = list_ids(
            &db.store,
            &svc,
            AlertFilter {
                statuses: vec![Status::New],
                severities: vec![Severity::Elevated],
                event_id: Some(f.arsenal),
                alert_types: vec![AlertType::PriceChange],
                ..Default::default()
            },
            AlertSort::Detected,
        )
        .await;
        assert_eq!(combined, vec![id(0), id(9), id(8)], "{}", db.name);
        results.push((by_severity, by_type, by_team, combined));
        db.finish().await;
    }
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "backends disagree: {results:?}"
    );
}

#[tokio::test]
async fn every_sort_order_is_total_and_keyset_paging_matches_offset_paging() {
    let mut all_orders = Vec::new();
    for db in common::all_dbs().await {
        let f = fixture(&db.store).await;
        let svc = service(&db.store, "ada");
        let id = |i: usize| f.ids[i];
        let mut orders = Vec::new();
        for sort in AlertSort::ALL.iter().copied() {
            let full = list_ids(&db.store, &svc, AlertFilter::default(), sort).await;
            assert_eq!(full.len(), 10, "{} {sort}", db.name);
            // Keyset: pages of 3 following the cursor.
            let mut keyset = Vec::new();
            let mut page = Page::first(3);
            loop {
                let result = svc
                    .list(&AlertFilter::default(), sort, &page)
                    .await
                    .unwrap();
                keyset.extend(ids_of(&result.alerts));
                match result.next_cursor {
                    Some(cursor) => {
                        page = Page {
                            after: Some(cursor),
                            ..Page::first(3)
                        }
                    }
                    None => break,
                }
            }
            assert_eq!(keyset, full, "{} keyset {sort}", db.name);
            // Offset: the same order.
            let mut offset = Vec::new();
            for start in (0..10).step_by(4) {
                let page = Page {
                    limit: 4,
                    offset: start,
                    after: None,
                    backwards: false,
                };
                offset.extend(ids_of(
                    &svc.list(&AlertFilter::default(), sort, &page)
                        .await
                        .unwrap()
                        .alerts,
                ));
            }
            assert_eq!(offset, full, "{} offset {sort}", db.name);
            // Backwards from the end (the UI's jump to the last row): windows of 3, each
            // ending just before the previous one's first row, each still in sort order.
            let mut backwards: Vec<i64> = Vec::new();
            let mut page = Page::last(3);
            loop {
                let result = svc
                    .list(&AlertFilter::default(), sort, &page)
                    .await
                    .unwrap();
                if page.after.is_none() {
                    assert_eq!(
                        result.next_cursor, None,
                        "{} nothing after the end",
                        db.name
                    );
                }
                let window = ids_of(&result.alerts);
                let Some(first) = result.alerts.first() else {
                    break;
                };
                page = Page {
                    after: Some(oddswatch::service::cursor_of(first)),
                    ..Page::last(3)
                };
                backwards.splice(0..0, window);
            }
            assert_eq!(backwards, full, "{} backwards {sort}", db.name);
            orders.push(full);
        }
        // Newest first; the two simultaneous alerts newest id first.
        assert_eq!(
            orders[0],
            vec![
                id(7),
                id(6),
                id(5),
                id(3),
                id(2),
                id(1),
                id(0),
                id(9),
                id(8),
                id(4)
            ]
        );
        // Severity: critical (newest first), elevated, warning.
        assert_eq!(
            orders[1],
            vec![
                id(3),
                id(1),
                id(5),
                id(0),
                id(9),
                id(8),
                id(7),
                id(6),
                id(2),
                id(4)
            ]
        );
        // Kickoff: started event first, then soon, then tomorrow; ties newest id first.
        assert_eq!(orders[2][0], id(4));
        assert_eq!(
            orders[2][1..6].to_vec(),
            vec![id(9), id(8), id(5), id(1), id(0)]
        );
        // |change|: 25.5, 15, 12 (id 9 before 8), 10, 8, 7 (5 before 2), then no change.
        assert_eq!(
            orders[3],
            vec![
                id(3),
                id(1),
                id(9),
                id(8),
                id(0),
                id(4),
                id(5),
                id(2),
                id(7),
                id(6)
            ]
        );
        all_orders.push(orders);
        db.finish().await;
    }
    assert!(
        all_orders.windows(2).all(|w| w[0] == w[1]),
        "backends disagree"
    );
}

async fn paging_edges_and_limits(db: &TestDb) {
    fixture(&db.store).await;
    let svc = service(&db.store, "ada");
    let one = svc
        .list(
            &AlertFilter::default(),
            AlertSort::Detected,
            &Page::first(1),
        )
        .await
        .unwrap();
    assert_eq!((one.alerts.len(), one.total), (1, 10));
    assert!(one.next_cursor.is_some());
    let beyond = Page {
        limit: 50,
        offset: 10,
        after: None,
        backwards: false,
    };
    let empty = svc
        .list(&AlertFilter::default(), AlertSort::Detected, &beyond)
        .await
        .unwrap();
    assert!(empty.alerts.is_empty());
    assert_eq!(empty.total, 10, "the total is the filter's, not the page's");
    let exact = svc
        .list(
            &AlertFilter::default(),
            AlertSort::Detected,
            &Page::first(10),
        )
        .await
        .unwrap();
    assert_eq!(exact.alerts.len(), 10);
    let max = svc
        .list(
            &AlertFilter::default(),
            AlertSort::Detected,
            &Page::first(200),
        )
        .await
        .unwrap();
    assert!(max.next_cursor.is_none(), "a short page has no next cursor");
    for bad in [0, 201] {
        let err = svc
            .list(
                &AlertFilter::default(),
                AlertSort::Detected,
                &Page::first(bad),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, ServiceError::InvalidArgument { name: "limit", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("between 1 and 200"), "{err}");
    }
    let long_text = AlertFilter {
        text: Some("x".repeat(201)),
        ..Default::default()
    };
    assert!(
        svc.list(&long_text, AlertSort::Detected, &Page::first(5))
            .await
            .is_err()
    );
}

async fn counts_per_status_ignore_the_status_filter_but_not_the_others(db: &TestDb) {
    let f = fixture(&db.store).await;
    let svc = service(&db.store, "ada");
    svc.acknowledge(&[f.ids[0], f.ids[1]], None).await.unwrap();
    db.store.mark_past(now()).await.unwrap();
    let filter = AlertFilter {
        statuses: vec![Status::New],
        ..Default::default()
    };
    let page = svc
        .list(&filter, AlertSort::Detected, &Page::first(50))
        .await
        .unwrap();
    assert_eq!(
        (page.counts.new, page.counts.acknowledged, page.counts.past),
        (7, 2, 1),
        "{}",
        db.name
    );
    assert_eq!(page.total, 7);
    let critical = AlertFilter {
        statuses: vec![Status::New, Status::Past],
        severities: vec![Severity::Critical],
        ..Default::default()
    };
    let page = svc
        .list(&critical, AlertSort::Detected, &Page::first(50))
        .await
        .unwrap();
    assert_eq!(
        (page.counts.new, page.counts.acknowledged, page.counts.past),
        (1, 1, 0)
    );
    assert_eq!(page.total, 1);
}

async fn stats_are_zero_filled_and_count_every_dimension(db: &TestDb) {
    let svc = service(&db.store, "ada");
    let empty = svc.stats().await.unwrap();
    assert_eq!(empty.total, 0);
    assert_eq!(empty.by_status.len(), 3);
    assert_eq!(empty.by_severity.len(), 3);
    // Every type, the market-wide ones of issue 14 included.
    assert_eq!(empty.by_type.len(), 6);
    assert!(
        empty
            .by_status
            .values()
            .chain(empty.by_severity.values())
            .chain(empty.by_type.values())
            .all(|n| *n == 0)
    );
    let json = serde_json::to_value(&empty).unwrap();
    assert_eq!(json["byStatus"]["acknowledged"], 0);
    assert_eq!(json["byType"]["direction_disagreement"], 0);
    assert_eq!(json["byType"]["off_market"], 0);

    fixture(&db.store).await;
    let stats = svc.stats().await.unwrap();
    assert_eq!(stats.total, 10);
    assert_eq!(stats.by_status["new"], 10);
    assert_eq!(stats.by_severity["critical"], 2);
    assert_eq!(stats.by_severity["elevated"], 4);
    assert_eq!(stats.by_severity["warning"], 4);
    assert_eq!(stats.by_type["price_change"], 7);
    assert_eq!(stats.by_type["availability"], 2);
    assert_eq!(stats.by_type["direction_disagreement"], 1);
}

async fn get_joins_the_event_and_round_trips_every_field(db: &TestDb) {
    let f = fixture(&db.store).await;
    let svc = service(&db.store, "ada");
    let direction = svc.get(f.ids[5]).await.unwrap();
    assert_eq!(direction.event_name, "Arsenal v Chelsea");
    assert_eq!(
        (direction.home_team.as_str(), direction.away_team.as_str()),
        ("Arsenal", "Chelsea")
    );
    assert_eq!(direction.sr_id, "1001");
    assert_eq!(direction.tournament.as_deref(), Some("Premier League"));
    let disagreement = direction.payload.disagreement().unwrap();
    assert_eq!(disagreement.competitor.bookmaker, "sportybet");
    assert_eq!(disagreement.competitor.direction, Direction::Down);
    assert_eq!(disagreement.competitor.new, "1.9".parse::<Price>().unwrap());
    assert_eq!(disagreement.gap_pct, Percent::from_hundredths(1121));
    assert_eq!(direction.detected_at, now() - Duration::minutes(10));
    assert_eq!(direction.event_kickoff, now() + Duration::hours(2));
    assert_eq!(direction.status, Status::New);
    assert_eq!(
        direction.competitor_detail().as_deref(),
        Some("sportybet 2.00 → 1.90 ↓")
    );
    let returned = svc.get(f.ids[7]).await.unwrap();
    assert_eq!(returned.line, Some("2.5".parse::<Line>().unwrap()));
    assert_eq!(
        returned.payload,
        AlertPayload::Availability(AvailabilityFlip {
            change: AvailabilityChange::Returned,
            unavailable_secs: Some(240),
            markets_affected: None,
        })
    );
    assert_eq!(returned.outcome_name, None);
    assert!(matches!(
        svc.get(999_999).await,
        Err(ServiceError::NotFound(999_999))
    ));
    assert_eq!(
        svc.get(999_999).await.unwrap_err().to_string(),
        "alert 999999 not found"
    );
    let event_page = svc.event_alerts(f.enyimba, &Page::first(50)).await.unwrap();
    assert_eq!(
        ids_of(&event_page.alerts),
        vec![f.ids[7], f.ids[6], f.ids[3], f.ids[2]]
    );
}

async fn acknowledge_and_unacknowledge_record_who_when_and_an_audit_row(db: &TestDb) {
    let f = fixture(&db.store).await;
    let ada = service(&db.store, "ada");
    let bola = service(&db.store, "bola");
    let id = f.ids[0];
    let cursor_before = db.store.change_cursor().await.unwrap();
    let outcome = ada.acknowledge(&[id], Some("hedged")).await.unwrap();
    assert_eq!(outcome, vec![(id, AckOutcome::Changed)]);
    let alert = ada.get(id).await.unwrap();
    assert_eq!(alert.status, Status::Acknowledged);
    assert_eq!(alert.acknowledged_by.as_deref(), Some("ada"));
    assert_eq!(alert.acknowledged_at, Some(now()));
    assert!(
        db.store.change_cursor().await.unwrap() > cursor_before,
        "the change feed advances"
    );

    let again = bola.acknowledge(&[id], None).await.unwrap();
    assert_eq!(
        again,
        vec![(
            id,
            AckOutcome::Unchanged {
                by: Some("ada".into())
            }
        )]
    );

    let back = bola
        .set_acknowledged(id, false, Some("not hedged after all"))
        .await
        .unwrap();
    assert_eq!(back.status, Status::New);
    assert_eq!(back.acknowledged_by, None);
    assert_eq!(back.acknowledged_at, None);

    let audit = ada.audit(id).await.unwrap();
    let trail: Vec<(&str, &str, Option<&str>)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.comment.as_deref()))
        .collect();
    assert_eq!(
        trail,
        vec![
            ("acknowledge", "ada", Some("hedged")),
            ("unacknowledge", "bola", Some("not hedged after all"))
        ],
        "{}",
        db.name
    );
    assert!(audit.iter().all(|e| e.at == now()));
    assert!(matches!(
        ada.audit(424_242).await,
        Err(ServiceError::NotFound(424_242))
    ));
}

async fn bulk_acknowledge_reports_each_id_in_request_order(db: &TestDb) {
    let f = fixture(&db.store).await;
    let svc = service(&db.store, "ada");
    svc.acknowledge(&[f.ids[1]], None).await.unwrap();
    let request = [f.ids[2], 777_777, f.ids[4], f.ids[1], f.ids[2]];
    let outcomes = svc.acknowledge(&request, None).await.unwrap();
    assert_eq!(
        outcomes,
        vec![
            (f.ids[2], AckOutcome::Changed),
            (777_777, AckOutcome::NotFound),
            (f.ids[4], AckOutcome::EventStarted),
            (
                f.ids[1],
                AckOutcome::Unchanged {
                    by: Some("ada".into())
                }
            ),
            (f.ids[2], AckOutcome::Changed),
        ],
        "{}",
        db.name
    );
    assert_eq!(
        svc.audit(f.ids[2]).await.unwrap().len(),
        1,
        "a duplicated id is acknowledged once"
    );
}

async fn past_alert_cannot_be_acknowledged_or_unacknowledged(db: &TestDb) {
    let f = fixture(&db.store).await;
    let svc = service(&db.store, "ada");
    // Alert 4's event started an hour ago but the past transition has not run yet:
    // it is refused all the same.
    let err = svc
        .set_acknowledged(f.ids[4], true, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::EventStarted(_)), "{err}");
    assert!(err.to_string().contains("the event has started"), "{err}");

    assert_eq!(db.store.mark_past(now()).await.unwrap(), 1);
    let past = svc.get(f.ids[4]).await.unwrap();
    assert_eq!(past.status, Status::Past);
    for acknowledged in [true, false] {
        let err = svc
            .set_acknowledged(f.ids[4], acknowledged, None)
            .await
            .unwrap_err();
        assert!(matches!(err, ServiceError::EventStarted(_)), "{err}");
    }
    let audit = svc.audit(f.ids[4]).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str()),
        ("past", "system")
    );
}

async fn mark_past_freezes_new_and_acknowledged_alerts_once_the_event_kicks_off(db: &TestDb) {
    let f = fixture(&db.store).await;
    let svc = service(&db.store, "ada");
    svc.acknowledge(&[f.ids[0]], None).await.unwrap();
    // Two hours later the Arsenal match (kickoff now + 2 h) has started, inclusive.
    let later = now() + Duration::hours(2);
    let changed = db.store.mark_past(later).await.unwrap();
    assert_eq!(
        changed,
        1 + 5,
        "the started event's alert and Arsenal's five"
    );
    let arsenal = svc.event_alerts(f.arsenal, &Page::first(50)).await.unwrap();
    assert!(arsenal.alerts.iter().all(|a| a.status == Status::Past));
    let acked = svc.get(f.ids[0]).await.unwrap();
    assert_eq!(
        acked.acknowledged_by.as_deref(),
        Some("ada"),
        "who acknowledged is kept"
    );
    let enyimba = svc.event_alerts(f.enyimba, &Page::first(50)).await.unwrap();
    assert!(enyimba.alerts.iter().all(|a| a.status == Status::New));
    assert_eq!(db.store.mark_past(later).await.unwrap(), 0, "idempotent");
}

async fn concurrent_acknowledgement_leaves_one_consistent_state(db: &TestDb) {
    let f = fixture(&db.store).await;
    let open: Vec<i64> = vec![f.ids[0], f.ids[1], f.ids[2], f.ids[3], f.ids[5]];
    let ada = service(&db.store, "ada");
    let bola = service(&db.store, "bola");
    let (a, b) = tokio::join!(ada.acknowledge(&open, None), bola.acknowledge(&open, None));
    let (a, b) = (a.unwrap(), b.unwrap());
    for (i, id) in open.iter().enumerate() {
        let winner = match (&a[i].1, &b[i].1) {
            (AckOutcome::Changed, AckOutcome::Unchanged { by }) => {
                assert_eq!(by.as_deref(), Some("ada"));
                "ada"
            }
            (AckOutcome::Unchanged { by }, AckOutcome::Changed) => {
                assert_eq!(by.as_deref(), Some("bola"));
                "bola"
            }
            other => panic!(
                "exactly one trader must win alert {id}: {other:?} ({})",
                db.name
            ),
        };
        let alert = ada.get(*id).await.unwrap();
        assert_eq!(alert.acknowledged_by.as_deref(), Some(winner));
        assert_eq!(
            ada.audit(*id).await.unwrap().len(),
            1,
            "one audit row per change"
        );
    }
}

async fn purge_deletes_only_past_alerts_older_than_the_retention(db: &TestDb) {
    let f = fixture(&db.store).await;
    let svc = service(&db.store, "ada");
    db.store.mark_past(now()).await.unwrap();
    // The started event kicked off 1 h ago: kept with 7 days of retention...
    assert_eq!(svc.purge(7).await.unwrap(), 0);
    // ...and gone once it is older than the retention.
    let eight_days_later =
        service(&db.store, "ada").with_clock(Arc::new(|| now() + Duration::days(8)));
    assert_eq!(eight_days_later.purge(7).await.unwrap(), 1);
    assert!(matches!(
        svc.get(f.ids[4]).await,
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(
        svc.stats().await.unwrap().total,
        9,
        "open alerts are never purged"
    );
}

#[tokio::test]
async fn bulk_load_round_trips_like_single_inserts() {
    let mut seen = Vec::new();
    for db in common::all_dbs().await {
        let ids = db
            .store
            .upsert_events(
                &[event(
                    "2001",
                    "Porto",
                    "Benfica",
                    "Liga",
                    now() + Duration::days(2),
                )],
                now(),
            )
            .await
            .unwrap();
        let alert = AlertBuilder::from(price_alert(
            "2001",
            now() + Duration::days(2),
            3,
            9.99,
            Severity::Warning,
        ))
        .market("3743", "Quote \"and\", comma")
        .build();
        let bulk = vec![
            BulkAlert {
                event_id: ids[0],
                alert: alert.clone(),
                status: Status::New,
                acknowledged_at: None,
                acknowledged_by: None,
            },
            BulkAlert {
                event_id: ids[0],
                alert,
                status: Status::Acknowledged,
                acknowledged_at: Some(now() - Duration::minutes(1)),
                acknowledged_by: Some("chidi".into()),
            },
        ];
        db.store.bulk_insert_alerts(&bulk).await.unwrap();
        let svc = service(&db.store, "ada");
        let page = svc
            .list(
                &AlertFilter::default(),
                AlertSort::Detected,
                &Page::first(10),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        let acked = page
            .alerts
            .iter()
            .find(|a| a.status == Status::Acknowledged)
            .unwrap();
        assert_eq!(acked.acknowledged_by.as_deref(), Some("chidi"));
        assert_eq!(acked.market_name, "Quote \"and\", comma");
        assert_eq!(acked.change_pct(), Some(Percent::from_hundredths(999)));
        // Text search finds bulk-loaded alerts by their own market name and by the canonical
        // name of their market id ("1X2 | Full Time" for 3743), through the name dictionary.
        for (term, expected) in [("comma", 2), ("1x2", 2), ("first half", 0)] {
            let filter = AlertFilter {
                text: Some(term.into()),
                ..Default::default()
            };
            let found = list_ids(&db.store, &svc, filter, AlertSort::Detected).await;
            assert_eq!(found.len(), expected, "{}: text {term:?}", db.name);
        }
        let mut normalised: Vec<Alert> = page.alerts.clone();
        for a in &mut normalised {
            a.id = 0;
            a.event_id = 0;
        }
        seen.push(normalised);
        db.finish().await;
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "backends disagree: {seen:?}"
    );
}

async fn event_upsert_refreshes_names_and_kickoff(db: &TestDb) {
    let first = db
        .store
        .upsert_events(
            &[event("3001", "Debreceni", "Ferencvaros", "NB I", now())],
            now(),
        )
        .await
        .unwrap();
    let mut renamed = event(
        "3001",
        "Debreceni VSC",
        "Ferencvaros",
        "NB I",
        now() + Duration::hours(1),
    );
    renamed.tournament = None;
    let second = db.store.upsert_events(&[renamed], now()).await.unwrap();
    assert_eq!(first, second, "same SportRadar id, same event");
    db.store
        .insert_alerts(&[price_alert(
            "3001",
            now() + Duration::hours(1),
            1,
            10.0,
            Severity::Elevated,
        )])
        .await
        .unwrap();
    let svc = service(&db.store, "ada");
    let page = svc
        .list(
            &AlertFilter {
                text: Some("vsc".into()),
                ..Default::default()
            },
            AlertSort::Detected,
            &Page::first(5),
        )
        .await
        .unwrap();
    assert_eq!(page.alerts.len(), 1);
    assert_eq!(page.alerts[0].home_team, "Debreceni VSC");
    assert_eq!(
        page.alerts[0].tournament.as_deref(),
        Some("NB I"),
        "a missing tournament keeps the known one"
    );
}

#[tokio::test]
async fn a_poller_on_another_connection_sees_new_alerts_and_acknowledgements() {
    use oddswatch::live::{Change, ChangeFeed, spawn_poller};
    for db in common::all_dbs().await {
        // A second pool on the same database stands in for another process.
        let other = Store::open(&db.url, 2).await.unwrap();
        let feed = ChangeFeed::default();
        let mut rx = feed.subscribe();
        let poller = spawn_poller(other.clone(), feed, std::time::Duration::from_millis(50));
        tokio::time::sleep(std::time::Duration::from_millis(150)).await; // let it read the cursor
        let f = fixture(&db.store).await;
        let mut created = Vec::new();
        while created.len() < f.ids.len() {
            match next_change(&mut rx).await {
                Change::Created(alerts) => created.extend(alerts.iter().map(|a| a.id)),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(created, f.ids, "{}", db.name);
        service(&db.store, "ada")
            .acknowledge(&[f.ids[3]], None)
            .await
            .unwrap();
        let acknowledged = db.store.get_alerts(&[f.ids[3]]).await.unwrap();
        assert_eq!(acknowledged[0].status, Status::Acknowledged);
        assert_eq!(
            next_change(&mut rx).await,
            Change::Updated(acknowledged.into()),
            "{}",
            db.name
        );
        poller.abort();
        other.close().await;
        db.finish().await;
    }
}

async fn reading_alerts_in_one_batch_returns_what_reading_each_one_does(db: &TestDb) {
    let f = fixture(&db.store).await;
    let mut one_by_one = Vec::new();
    for id in &f.ids {
        one_by_one.push(db.store.get_alert(*id).await.unwrap().unwrap());
    }
    one_by_one.sort_by_key(|a| a.id);
    // Unordered, repeated and unknown ids, and more than one statement's worth.
    let mut ids: Vec<i64> = f.ids.iter().rev().copied().collect();
    ids.push(f.ids[0]);
    ids.extend(1_000_000..1_002_500);
    assert_eq!(
        db.store.get_alerts(&ids).await.unwrap(),
        one_by_one,
        "{}",
        db.name
    );
    assert!(db.store.get_alerts(&[]).await.unwrap().is_empty());
    assert!(db.store.get_alerts(&[999_999]).await.unwrap().is_empty());
}

async fn next_change(
    rx: &mut tokio::sync::broadcast::Receiver<oddswatch::live::Change>,
) -> oddswatch::live::Change {
    tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .expect("a change within 5 s")
        .unwrap()
}

#[tokio::test]
async fn on_postgres_a_notify_wakes_the_poller_long_before_its_interval() {
    use oddswatch::live::{Change, ChangeFeed, spawn_poller};
    let Some(db) = common::pg_db().await else {
        return;
    };
    let other = Store::open(&db.url, 2).await.unwrap();
    let feed = ChangeFeed::default();
    let mut rx = feed.subscribe();
    // An interval far beyond the test's patience: only the NOTIFY can deliver in time.
    let poller = spawn_poller(other.clone(), feed, std::time::Duration::from_secs(3600));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // cursor read, LISTEN set up
    db.store
        .upsert_events(
            &[event(
                "4001",
                "Celtic",
                "Rangers",
                "Premiership",
                now() + Duration::days(1),
            )],
            now(),
        )
        .await
        .unwrap();
    let inserted = db
        .store
        .insert_alerts(&[price_alert(
            "4001",
            now() + Duration::days(1),
            1,
            9.0,
            Severity::Warning,
        )])
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let inserted = db.store.get_alerts(&inserted).await.unwrap();
    assert_eq!(next_change(&mut rx).await, Change::Created(inserted.into()));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    poller.abort();
    other.close().await;
    db.finish().await;
}

async fn alert_indexes_can_be_dropped_for_a_bulk_load_and_rebuilt_identically(db: &TestDb) {
    let definitions = db.store.drop_alert_indexes().await.unwrap();
    assert_eq!(
        definitions.len(),
        15,
        "{}: every secondary index of the alerts table (0014 added the identity lookup)",
        db.name
    );
    assert!(
        db.store.drop_alert_indexes().await.unwrap().is_empty(),
        "none left"
    );
    fixture(&db.store).await;
    db.store.create_indexes(&definitions).await.unwrap();
    let mut rebuilt = db.store.drop_alert_indexes().await.unwrap();
    let mut expected = definitions.clone();
    rebuilt.sort();
    expected.sort();
    assert_eq!(rebuilt, expected);
    db.store.create_indexes(&definitions).await.unwrap();
}

contract_cases!(
    paging_edges_and_limits,
    counts_per_status_ignore_the_status_filter_but_not_the_others,
    stats_are_zero_filled_and_count_every_dimension,
    get_joins_the_event_and_round_trips_every_field,
    acknowledge_and_unacknowledge_record_who_when_and_an_audit_row,
    bulk_acknowledge_reports_each_id_in_request_order,
    past_alert_cannot_be_acknowledged_or_unacknowledged,
    mark_past_freezes_new_and_acknowledged_alerts_once_the_event_kicks_off,
    concurrent_acknowledgement_leaves_one_consistent_state,
    purge_deletes_only_past_alerts_older_than_the_retention,
    event_upsert_refreshes_names_and_kickoff,
    reading_alerts_in_one_batch_returns_what_reading_each_one_does,
    alert_indexes_can_be_dropped_for_a_bulk_load_and_rebuilt_identically,
);

/// The market-wide alert types of issue 14.
mod market_types;
