//! The market screen's reads (issue 16) on SQLite and PostgreSQL: an event's current odds for
//! some markets, and the board and market history the alert service builds from them, written
//! through the pipeline's own cycle-batch writer.

use crate::common;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::config::Config;
use oddswatch::domain::{Line, OutcomeOdds, Price};
use oddswatch::service::{AlertService, ServiceError};
use oddswatch::store::{BatchEvent, CycleBatch, EventRecord, OddsWrite, Store, line_key};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn record(sr: &str) -> EventRecord {
    EventRecord {
        sr_id: sr.into(),
        home_team: "Arsenal".into(),
        away_team: "Chelsea".into(),
        tournament: Some("Premier League".into()),
        country: Some("England".into()),
        kickoff: Some(now() + Duration::hours(3)),
    }
}

fn odds(
    sr: &str,
    book: &str,
    market: &str,
    line: Option<i32>,
    prices: &[(&str, &str)],
) -> OddsWrite {
    OddsWrite {
        event_key: sr.into(),
        bookmaker: book.into(),
        market_id: market.into(),
        line: line_key(line.map(Line::from_milli)),
        outcomes: prices
            .iter()
            .map(|(name, price)| OutcomeOdds {
                name: (*name).into(),
                price: price.parse().unwrap(),
                active: true,
            })
            .collect(),
        available: true,
        unavailable_since: None,
        record_history: true,
    }
}

fn one_x_two(sr: &str, book: &str, prices: [&str; 3]) -> OddsWrite {
    odds(
        sr,
        book,
        "3743",
        None,
        &[("1", prices[0]), ("X", prices[1]), ("2", prices[2])],
    )
}

/// Writes `rows` as one cycle batch at `at` (the events "sr:1" and "sr:2"); returns their ids.
async fn write(store: &Store, at: DateTime<Utc>, rows: Vec<OddsWrite>) -> (i64, i64) {
    let batch = CycleBatch {
        at,
        events: ["sr:1", "sr:2"]
            .map(|sr| BatchEvent {
                record: record(sr),
                books: Vec::new(),
            })
            .to_vec(),
        odds: rows,
        ..CycleBatch::default()
    };
    store.write_cycle_batch(&batch).await.unwrap();
    let ids = store
        .upsert_events(&[record("sr:1"), record("sr:2")], at)
        .await
        .unwrap();
    (ids[0], ids[1])
}

/// §9's first vector on the 1X2, an Over/Under at two lines, and rows the board must not show.
fn first_vector() -> Vec<OddsWrite> {
    let ou = [("Over", "1.90"), ("Under", "1.90")];
    vec![
        one_x_two("sr:1", "sportybet", ["2.00", "3.40", "4.00"]),
        one_x_two("sr:1", "betpawa", ["2.30", "3.40", "3.40"]),
        one_x_two("sr:1", "bet9ja", ["2.00", "3.40", "4.00"]),
        odds("sr:1", "betpawa", "5000", Some(3500), &ou),
        odds("sr:1", "betpawa", "5000", Some(2500), &ou),
        // Not a primary market; another event.
        odds(
            "sr:1",
            "betpawa",
            "4724",
            Some(-1000),
            &[("1", "2.0"), ("X", "3.0"), ("2", "4.0")],
        ),
        one_x_two("sr:2", "betpawa", ["1.50", "4.00", "6.00"]),
    ]
}

#[tokio::test]
async fn event_odds_reads_every_book_of_the_asked_markets_home_first() {
    for db in common::all_dbs().await {
        let store = &db.store;
        let at = now() - Duration::minutes(5);
        let (e, _) = write(store, at, first_vector()).await;
        let markets = vec!["3743".to_string(), "5000".to_string()];
        let rows = store.event_odds(e, &markets).await.unwrap();
        let keys: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.odds.bookmaker.as_str(),
                    r.market_id.as_str(),
                    r.line.map(Line::milli),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("betpawa", "3743", None),
                ("betpawa", "5000", Some(2500)),
                ("betpawa", "5000", Some(3500)),
                ("bet9ja", "3743", None),
                ("sportybet", "3743", None),
            ],
            "{}",
            db.name
        );
        assert!(rows[0].odds.is_home && !rows[3].odds.is_home);
        assert_eq!(rows[0].odds.outcomes[0].price, 2.3);
        assert_eq!(rows[0].odds.last_changed, at);
        assert!(store.event_odds(e, &[]).await.unwrap().is_empty());
        assert!(
            store
                .event_odds(e, &["4693".to_string()])
                .await
                .unwrap()
                .is_empty()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn the_event_odds_read_goes_through_the_current_odds_key() {
    let db = common::sqlite_db().await;
    let plan = db
        .store
        .explain_event_odds(1, &["3743".to_string(), "5000".to_string()])
        .await
        .unwrap()
        .join("\n");
    assert!(
        plan.contains("SEARCH o USING INDEX sqlite_autoindex_current_odds_1 (event_id=?"),
        "{plan}"
    );
    db.finish().await;
}

fn service(store: &Store) -> AlertService {
    AlertService::new(store.clone(), "ada").with_clock(Arc::new(now))
}

#[tokio::test]
async fn the_board_agrees_with_the_first_vector_on_every_backend() {
    for db in common::all_dbs().await {
        let store = &db.store;
        let (e, _) = write(store, now() - Duration::minutes(5), first_vector()).await;
        let board = service(store).market_board(e).await.unwrap();
        let books: Vec<_> = board.books.iter().map(|b| b.slug.as_str()).collect();
        assert_eq!(books, ["betpawa", "bet9ja", "sportybet"], "{}", db.name);
        let keys: Vec<_> = board
            .markets
            .iter()
            .map(|m| (m.market_id.as_str(), m.line.map(Line::milli)))
            .collect();
        assert_eq!(
            keys,
            [("3743", None), ("5000", Some(2500)), ("5000", Some(3500))]
        );
        let one = &board.markets[0].outcomes[0];
        assert_eq!(one.fair_odds, Some(Price::from_milli(2090)));
        assert_eq!(one.home_edge.map(|e| e.hundredths()), Some(1014));
        assert_eq!(
            board.markets[0].margins[0].map(|m| m.hundredths()),
            Some(230)
        );
        assert!(one.prices[0].unwrap().best && !one.prices[1].unwrap().best);
        // The Over/Under is on the home book alone: no consensus.
        assert_eq!(board.markets[1].consensus_books, 0);
        assert_eq!(board.markets[1].outcomes[0].prices[1], None);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_board_follows_the_configured_markets_and_the_stored_overrides() {
    let db = common::sqlite_db().await;
    let store = &db.store;
    let mut rows = first_vector();
    // bet9ja lacks the 1X2: with two competitors required there is no consensus.
    rows.retain(|r| r.bookmaker != "bet9ja");
    let (e, _) = write(store, now() - Duration::minutes(5), rows).await;
    let board = service(store).market_board(e).await.unwrap();
    assert_eq!(board.markets[0].outcomes[0].fair_odds, None);

    // One book is enough once a trader lowers consensus_min_books in the app.
    service(store)
        .save_settings(&[(
            "detection.consensus_min_books".to_string(),
            serde_json::json!(1),
        )])
        .await
        .unwrap();
    let board = service(store).market_board(e).await.unwrap();
    assert_eq!(board.markets[0].consensus_books, 1);
    assert_eq!(
        board.markets[0].outcomes[0].fair_odds,
        Some(Price::from_milli(2090))
    );

    let mut config = Config::defaults();
    config.detection.primary_markets = vec!["5000".into()];
    let board = service(store)
        .with_config(Arc::new(config))
        .market_board(e)
        .await
        .unwrap();
    assert!(board.markets.iter().all(|m| m.market_id == "5000"));
    assert_eq!(board.markets.len(), 2);
    db.finish().await;
}

#[tokio::test]
async fn market_history_reads_every_book_and_checks_its_arguments() {
    for db in common::all_dbs().await {
        let store = &db.store;
        let (e, _) = write(store, now() - Duration::hours(3), first_vector()).await;
        write(
            store,
            now() - Duration::hours(1),
            vec![one_x_two("sr:1", "sportybet", ["1.90", "3.50", "4.20"])],
        )
        .await;
        let svc = service(store);
        let history = svc
            .market_history(e, "3743", None, Duration::hours(48), 100)
            .await
            .unwrap();
        let books: Vec<_> = history.iter().map(|p| p.bookmaker.as_str()).collect();
        assert_eq!(books.len(), 4, "{}: {books:?}", db.name);
        assert_eq!(*books.last().unwrap(), "sportybet");
        assert_eq!(history.last().unwrap().outcomes[0].price, 1.9);
        let recent = svc
            .market_history(e, "3743", None, Duration::hours(2), 100)
            .await
            .unwrap();
        assert_eq!(recent.len(), 1);

        let refused = |r: Result<_, ServiceError>| r.unwrap_err().to_string();
        let e0 = refused(
            svc.market_history(e, "3743", None, Duration::hours(1), 0)
                .await,
        );
        assert!(e0.contains("invalid limit 0"), "{e0}");
        let big = refused(
            svc.market_history(e, "3743", None, Duration::hours(1), 10_001)
                .await,
        );
        assert!(big.contains("invalid limit"), "{big}");
        let window = refused(
            svc.market_history(e, "3743", None, Duration::zero(), 10)
                .await,
        );
        assert!(
            window.contains("invalid window") && window.contains("positive"),
            "{window}"
        );
        let market = refused(
            svc.market_history(e, "37\u{0}43", None, Duration::hours(1), 10)
                .await,
        );
        assert!(market.contains("invalid market"), "{market}");
        let event = svc.market_board(0).await.unwrap_err().to_string();
        assert!(event.contains("invalid event 0"), "{event}");
        db.finish().await;
    }
}

/// Regression: the board took its home book from the `bookmakers` table, which only ever marks
/// betpawa, so with another home book configured it counted our own prices as a competitor's
/// and showed edges the detector never raises.
#[tokio::test]
async fn the_home_column_is_the_configured_home_book() {
    let db = common::sqlite_db().await;
    let store = &db.store;
    // §9's first vector with sportybet as home: its 2.30 / 3.40 / 3.40 against betpawa and
    // bet9ja at 2.00 / 3.40 / 4.00.
    let rows = vec![
        one_x_two("sr:1", "sportybet", ["2.30", "3.40", "3.40"]),
        one_x_two("sr:1", "betpawa", ["2.00", "3.40", "4.00"]),
        one_x_two("sr:1", "bet9ja", ["2.00", "3.40", "4.00"]),
    ];
    let (e, _) = write(store, now() - Duration::minutes(5), rows).await;
    let mut config = Config::defaults();
    for (slug, book) in config.books.iter_mut() {
        book.home = slug == "sportybet";
    }
    assert_eq!(config.pipeline_home_book().as_deref(), Some("sportybet"));
    let board = service(store)
        .with_config(Arc::new(config))
        .market_board(e)
        .await
        .unwrap();
    let books: Vec<_> = board
        .books
        .iter()
        .map(|b| (b.slug.as_str(), b.is_home))
        .collect();
    assert_eq!(
        books,
        [("sportybet", true), ("bet9ja", false), ("betpawa", false)]
    );
    let one = &board.markets[0].outcomes[0];
    assert_eq!(one.fair_odds, Some(Price::from_milli(2090)));
    assert_eq!(one.home_edge.map(|e| e.hundredths()), Some(1014));
    let two = &board.markets[0].outcomes[2];
    assert!(two.home_edge.is_some_and(|e| e.hundredths() < 300));
    db.finish().await;
}
