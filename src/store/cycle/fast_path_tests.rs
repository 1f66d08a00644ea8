//! PostgreSQL's fast path (`unnest`, `COPY`) against the original `VALUES` statements: the same
//! batches written both ways into two fresh databases leave the same rows in every table a
//! batch writes. Runs on the server named by `ODDSWATCH_TEST_POSTGRES_URL`; skipped with a
//! notice without it, except under `CI=true`, where it must run.

use chrono::{Duration, TimeZone};
use sqlx::Connection;

use super::*;
use crate::domain::testing::AlertBuilder;
use crate::domain::{Price, Severity};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap()
}

fn event(key: &str, tournament: Option<&str>, external: &str) -> BatchEvent {
    BatchEvent {
        record: EventRecord {
            sr_id: key.into(),
            home_team: format!("Home {key}"),
            away_team: format!("Away \"{key}\", the \\ other"),
            tournament: tournament.map(str::to_string),
            country: None,
            kickoff: Some(t0() + Duration::hours(6)),
        },
        books: vec![
            ("betpawa".into(), format!("bp-{external}")),
            ("sportybet".into(), format!("sb-{external}")),
        ],
    }
}

fn odds(key: &str, book: &str, line: &str, over: u32, history: bool) -> OddsWrite {
    let outcome = |name: &str, price: u32| OutcomeOdds {
        name: name.into(),
        price: Price::from_milli(price),
        active: true,
    };
    OddsWrite {
        event_key: key.into(),
        bookmaker: book.into(),
        market_id: if line.is_empty() { "3743" } else { "5000" }.into(),
        line: line.into(),
        outcomes: vec![outcome("Over", over), outcome("Under, \"2\"", 1900)],
        available: true,
        unavailable_since: None,
        record_history: history,
    }
}

fn alert(key: &str, at: DateTime<Utc>) -> DetectedAlert {
    AlertBuilder::new()
        .event_key(key)
        .market("5000", "Over/Under | Full Time")
        .line(2.5)
        .outcome(Some("Over"))
        .severity(Severity::Elevated)
        .prices(2.0, 1.8)
        .detected_at(at)
        .kickoff(t0() + Duration::hours(6))
        .build()
}

/// Batches that take every branch: events first seen (COPY), known events (the upsert),
/// a market gone unavailable, rows without history, a link whose book id changed, a missing
/// tournament that keeps the stored one, and a dead letter replayed after the batch that
/// followed it (older prices must not overwrite newer ones; its history is still added).
fn batches() -> Vec<CycleBatch> {
    let first = CycleBatch {
        at: t0(),
        events: vec![
            event("1", Some("NPFL"), "1"),
            event("2", Some("EPL"), "2"),
            event("1", Some("NPFL"), "1"),
        ],
        odds: vec![
            odds("1", "betpawa", "", 2000, true),
            odds("1", "betpawa", "2.5", 1850, true),
            odds("1", "sportybet", "2.5", 1800, true),
            odds("2", "betpawa", "", 3100, true),
        ],
        alerts: vec![alert("1", t0())],
        ..Default::default()
    };
    let mut gone = odds("1", "sportybet", "2.5", 1800, false);
    gone.available = false;
    gone.unavailable_since = Some(t0() + Duration::minutes(5));
    let second = CycleBatch {
        at: t0() + Duration::minutes(5),
        events: vec![event("1", None, "1b"), event("3", Some("Serie A"), "3")],
        odds: vec![
            odds("1", "betpawa", "2.5", 1700, true),
            gone,
            odds("1", "betpawa", "", 2000, false),
            odds("3", "betpawa", "-0.25", 1950, true),
        ],
        alerts: vec![alert("1", t0() + Duration::minutes(5))],
        ..Default::default()
    };
    // The batch between them, failed and kept as a dead letter, replayed last.
    let replayed = CycleBatch {
        at: t0() + Duration::minutes(3),
        events: vec![event("1", Some("NPFL"), "1"), event("4", None, "4")],
        odds: vec![
            odds("1", "betpawa", "2.5", 1750, true),
            odds("4", "bet9ja", "", 2400, true),
        ],
        alerts: vec![alert("4", t0() + Duration::minutes(3))],
        ..Default::default()
    };
    vec![first, second, replayed]
}

/// Every row a batch writes, as text keyed by SportRadar id (database ids may differ).
const SNAPSHOT: [&str; 6] = [
    "SELECT sr_id, home_team, away_team, tournament, country, kickoff::text, search_text, created_at::text, updated_at::text FROM events ORDER BY sr_id",
    "SELECT e.sr_id, b.bookmaker, b.external_id FROM event_books b JOIN events e ON e.id = b.event_id ORDER BY 1, 2",
    "SELECT e.sr_id, o.bookmaker, o.market_id, o.line, o.outcomes, o.available::text, o.unavailable_since::text, o.last_changed::text, o.last_seen::text FROM current_odds o JOIN events e ON e.id = o.event_id ORDER BY 1, 2, 3, 4",
    "SELECT e.sr_id, h.bookmaker, h.market_id, h.line, h.outcomes, h.recorded_at::text FROM price_history h JOIN events e ON e.id = h.event_id ORDER BY 1, 2, 3, 4, 6, 5",
    "SELECT e.sr_id, a.market_id, a.severity, a.status, a.occurrences::text, a.detected_at::text FROM alerts a JOIN events e ON e.id = a.event_id ORDER BY 1, 6",
    "SELECT slug, name FROM bookmakers ORDER BY slug",
];

async fn snapshot(store: &Store) -> Vec<Vec<Vec<Option<String>>>> {
    let Store::Postgres(pool) = store else {
        unreachable!("PostgreSQL only")
    };
    let mut tables = Vec::new();
    for sql in SNAPSHOT {
        let rows = sqlx::query(sql).fetch_all(pool).await.unwrap();
        tables.push(
            rows.iter()
                .map(|row| {
                    use sqlx::Row;
                    (0..row.len())
                        .map(|i| row.get::<Option<String>, _>(i))
                        .collect()
                })
                .collect(),
        );
    }
    tables
}

/// A fresh migrated database on the test server, and a way to drop it; `None` when skipped.
async fn scratch(tag: &str) -> Option<(Store, String, String)> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let admin = match std::env::var("ODDSWATCH_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            assert!(
                !in_ci,
                "ODDSWATCH_TEST_POSTGRES_URL must be set under CI=true"
            );
            eprintln!("notice: ODDSWATCH_TEST_POSTGRES_URL is not set; skipping");
            return None;
        }
    };
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(conn) => conn,
        Err(e) => {
            assert!(!in_ci, "PostgreSQL is unreachable under CI=true: {e}");
            eprintln!("notice: PostgreSQL is unreachable ({e}); skipping");
            return None;
        }
    };
    let name = format!("oddswatch_fastpath_{tag}_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
    let store = Store::open(&format!("{base}/{name}"), 2).await.unwrap();
    Some((store, admin, name))
}

async fn drop_scratch(store: Store, admin: &str, name: &str) {
    store.close().await;
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_fast_path_writes_exactly_the_rows_the_values_path_wrote() {
    let Some((values, admin, values_name)) = scratch("values").await else {
        return;
    };
    let (fast, _, fast_name) = scratch("fast").await.expect("the server answered once");
    for batch in batches() {
        let a = values
            .write_cycle_batch_via(&batch, RowPath::Values)
            .await
            .unwrap();
        let b = fast
            .write_cycle_batch_via(&batch, RowPath::Fast)
            .await
            .unwrap();
        assert_eq!(
            (a.odds_rows, a.history_rows, a.alert_ids.len(), a.noise),
            (b.odds_rows, b.history_rows, b.alert_ids.len(), b.noise)
        );
    }
    let (expected, got) = (snapshot(&values).await, snapshot(&fast).await);
    for ((sql, expected), got) in SNAPSHOT.iter().zip(&expected).zip(&got) {
        assert_eq!(expected, got, "{sql}");
    }
    // The fixture means what it says: the replayed letter did not win, and added history.
    let odds = &got[2];
    let over = odds
        .iter()
        .find(|r| {
            r[0].as_deref() == Some("1")
                && r[1].as_deref() == Some("betpawa")
                && r[3].as_deref() == Some("2.5")
        })
        .unwrap();
    let prices = over[4].as_deref().unwrap();
    assert!(
        prices.contains("1.7") && !prices.contains("1.75"),
        "{over:?}"
    );
    assert_eq!(got[3].len(), 8, "every history row asked for");
    assert_eq!(got[0].len(), 4);
    drop_scratch(values, &admin, &values_name).await;
    drop_scratch(fast, &admin, &fast_name).await;
}

#[tokio::test]
async fn a_batch_the_fast_path_refuses_leaves_nothing_behind() {
    let Some((store, admin, name)) = scratch("refused").await else {
        return;
    };
    // Two states of one market in one batch: the upsert and COPY both refuse the batch.
    let mut batch = batches().remove(0);
    batch.odds.push(odds("1", "betpawa", "", 2100, true));
    assert!(store.write_cycle_batch(&batch).await.is_err());
    let tables = snapshot(&store).await;
    assert!(
        tables[..5].iter().all(Vec::is_empty),
        "rolled back whole: {tables:?}"
    );
    drop_scratch(store, &admin, &name).await;
}
