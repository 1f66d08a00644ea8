//! The detail pane's odds queries (current prices of a market on every book, and its price
//! history), run against SQLite and PostgreSQL. The pipeline writes these tables; here the test
//! writes the rows itself, in the documented shape (`outcomes` JSON `[{"name","price","active"}]`,
//! `line` as canonical decimal text, `''` for markets without lines).

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::Line;
use oddswatch::store::{EventRecord, OutcomePrice, Store, line_key};

/// Over/under 2.5.
fn l25() -> Line {
    Line::from_milli(2500)
}

/// Over/under 3.5.
fn l35() -> Line {
    Line::from_milli(3500)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

async fn event(store: &Store, sr: &str) -> i64 {
    let record = EventRecord {
        sr_id: sr.into(),
        home_team: "Arsenal".into(),
        away_team: "Chelsea".into(),
        tournament: Some("Premier League".into()),
        country: Some("England".into()),
        kickoff: Some(now() + Duration::hours(3)),
    };
    store.upsert_events(&[record], now()).await.unwrap()[0]
}

fn outcomes(prices: &[(&str, f64, bool)]) -> String {
    let list: Vec<OutcomePrice> = prices
        .iter()
        .map(|(name, price, active)| OutcomePrice {
            name: (*name).into(),
            price: *price,
            active: *active,
        })
        .collect();
    serde_json::to_string(&list).unwrap()
}

#[allow(clippy::too_many_arguments)]
async fn put_odds(
    store: &Store,
    event_id: i64,
    book: &str,
    market: &str,
    line: Option<Line>,
    json: &str,
    available: bool,
    at: DateTime<Utc>,
) {
    let sql = "INSERT INTO current_odds (event_id, bookmaker, market_id, line, outcomes, available, last_changed, last_seen) VALUES ";
    match store {
        Store::Sqlite(pool) => sqlx::query(&format!("{sql}(?, ?, ?, ?, ?, ?, ?, ?)"))
            .bind(event_id)
            .bind(book)
            .bind(market)
            .bind(line_key(line))
            .bind(json)
            .bind(available)
            .bind(at)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ()),
        Store::Postgres(pool) => sqlx::query(&format!("{sql}($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(event_id)
            .bind(book)
            .bind(market)
            .bind(line_key(line))
            .bind(json)
            .bind(available)
            .bind(at)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

async fn put_history(
    store: &Store,
    event_id: i64,
    book: &str,
    market: &str,
    line: Option<Line>,
    json: &str,
    at: DateTime<Utc>,
) {
    let sql = "INSERT INTO price_history (event_id, bookmaker, market_id, line, outcomes, recorded_at) VALUES ";
    match store {
        Store::Sqlite(pool) => sqlx::query(&format!("{sql}(?, ?, ?, ?, ?, ?)"))
            .bind(event_id)
            .bind(book)
            .bind(market)
            .bind(line_key(line))
            .bind(json)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ()),
        Store::Postgres(pool) => sqlx::query(&format!("{sql}($1, $2, $3, $4, $5, $6)"))
            .bind(event_id)
            .bind(book)
            .bind(market)
            .bind(line_key(line))
            .bind(json)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

#[tokio::test]
async fn current_odds_of_a_market_on_every_book_home_first() {
    for db in common::all_dbs().await {
        let store = &db.store;
        let e = event(store, "sr:1").await;
        let other = event(store, "sr:2").await;
        let at = now() - Duration::minutes(2);
        let ou = outcomes(&[("Over", 2.36, true), ("Under", 1.58, true)]);
        put_odds(
            store,
            e,
            "sportybet",
            "5000",
            Some(l25()),
            &outcomes(&[("Over", 2.05, true), ("Under", 1.74, false)]),
            true,
            at,
        )
        .await;
        put_odds(store, e, "betpawa", "5000", Some(l25()), &ou, true, at).await;
        put_odds(store, e, "bet9ja", "5000", Some(l25()), &ou, false, at).await;
        // Other lines, markets and events are not part of the answer.
        put_odds(store, e, "betpawa", "5000", Some(l35()), &ou, true, at).await;
        put_odds(
            store,
            e,
            "betpawa",
            "3743",
            None,
            &outcomes(&[("1", 2.0, true)]),
            true,
            at,
        )
        .await;
        put_odds(store, other, "betpawa", "5000", Some(l25()), &ou, true, at).await;

        let odds = store.market_odds(e, "5000", Some(l25())).await.unwrap();
        let books: Vec<&str> = odds.iter().map(|o| o.bookmaker.as_str()).collect();
        assert_eq!(books, ["betpawa", "bet9ja", "sportybet"], "{}", db.name);
        assert!(odds[0].is_home && !odds[1].is_home);
        assert!(!odds[1].available, "{}: suspended market", db.name);
        assert_eq!(odds[2].outcomes[1].name, "Under");
        assert_eq!(odds[2].outcomes[1].price, 1.74);
        assert!(!odds[2].outcomes[1].active);
        assert_eq!(odds[0].last_changed, at);

        let no_line = store.market_odds(e, "3743", None).await.unwrap();
        assert_eq!(
            no_line.len(),
            1,
            "{}: markets without lines key on ''",
            db.name
        );
        assert!(store.market_odds(e, "4693", None).await.unwrap().is_empty());
        db.finish().await;
    }
}

#[tokio::test]
async fn price_history_is_oldest_first_within_the_window_and_capped_to_the_newest() {
    for db in common::all_dbs().await {
        let store = &db.store;
        let e = event(store, "sr:1").await;
        for i in 0..10 {
            let at = now() - Duration::minutes(50 - i * 5);
            let home = outcomes(&[("Over", 2.0 + i as f64 * 0.05, true)]);
            let comp = outcomes(&[("Over", 2.1 - i as f64 * 0.01, true)]);
            put_history(store, e, "betpawa", "5000", Some(l25()), &home, at).await;
            put_history(store, e, "sportybet", "5000", Some(l25()), &comp, at).await;
        }
        put_history(
            store,
            e,
            "betpawa",
            "5000",
            Some(l35()),
            &outcomes(&[("Over", 9.0, true)]),
            now(),
        )
        .await;
        put_history(
            store,
            e,
            "betpawa",
            "5000",
            Some(l25()),
            &outcomes(&[("Over", 1.0, true)]),
            now() - Duration::days(3),
        )
        .await;

        let since = now() - Duration::hours(2);
        let all = store
            .price_history(e, "5000", Some(l25()), since, 100)
            .await
            .unwrap();
        assert_eq!(
            all.len(),
            20,
            "{}: only this line, only inside the window",
            db.name
        );
        assert!(all.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at));
        assert_eq!(all[0].recorded_at, now() - Duration::minutes(50));
        let home: Vec<f64> = all
            .iter()
            .filter(|p| p.bookmaker == "betpawa")
            .map(|p| p.outcomes[0].price)
            .collect();
        assert_eq!(home.len(), 10);
        assert!((home[9] - 2.45).abs() < 1e-9, "{}: {home:?}", db.name);

        let capped = store
            .price_history(e, "5000", Some(l25()), since, 4)
            .await
            .unwrap();
        assert_eq!(capped.len(), 4);
        assert_eq!(
            capped.last().unwrap().recorded_at,
            now() - Duration::minutes(5),
            "{}: the newest rows are kept",
            db.name
        );
        assert!(
            store
                .price_history(e, "3743", None, since, 10)
                .await
                .unwrap()
                .is_empty()
        );
        db.finish().await;
    }
}
