//! DESIGN §9 end to end: a scripted simulator on loopback (no random ticks), the real pipeline
//! (HTTP fetch, adapters, mapping, detection, write queue) and a real database — SQLite and
//! PostgreSQL. One staged event raises every new alert type with exact values across three
//! cycles, and the store holds exactly those alerts: every other market of the simulator is an
//! ordinary one (margins of 5–8 %, home prices under the fair odds) and nothing else moves.
//!
//! Needs the detector's §9 rules (branch `detect`) and the store's columns for the new types
//! (migration 0013, branch `faces`): without the latter the new alerts cannot be stored.

use crate::common;

use chrono::{Duration, Utc};
use oddswatch::config::Config;
use oddswatch::domain::{Alert, AlertFilter, AlertPayload, AlertSort, Line, Page, Price};
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::writer::{RetryPolicy, spawn_writer};
use oddswatch::service::AlertService;
use oddswatch::sim::{SimBook, SimHandle, SimOptions, TickMode};
use oddswatch::store::Store;
use tokio::sync::watch;

const EVENTS: u32 = 12;

fn config() -> Config {
    let mut config = Config::defaults();
    config.sim.events = EVENTS;
    for book in config.books.values_mut() {
        book.timeout_secs = 5;
        book.retries = 1;
    }
    config
}

async fn sim() -> SimHandle {
    let options = SimOptions {
        events: EVENTS,
        tick: TickMode::Manual,
        seed: 9,
        ..SimOptions::default()
    };
    oddswatch::sim::start(options).await.unwrap().1
}

/// A pipeline cycle over every book of the simulator, warmed from the database as at start.
async fn pipeline(
    store: &Store,
    config: &Config,
    base_url: &str,
) -> (
    ScrapeCycle,
    tokio::task::JoinHandle<oddswatch::pipeline::writer::WriterTotals>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let (queue, writer) = spawn_writer(store.clone(), dir.path().into(), RetryPolicy::default(), 8);
    let (feeds, home) = build_feeds(config, Some(base_url)).unwrap();
    let mut cycle = ScrapeCycle::new(config.clone(), store.clone(), queue, feeds, home);
    cycle.warm().await.unwrap();
    (cycle, writer, dir)
}

async fn stored(store: &Store) -> Vec<Alert> {
    let service = AlertService::new(store.clone(), "t");
    let page = service
        .list(
            &AlertFilter::default(),
            AlertSort::Detected,
            &Page::first(200),
        )
        .await
        .unwrap();
    page.alerts
}

/// One alert as a line: book, market, line, outcome, type, severity and what its type carries,
/// exactly (prices and percentages in their two-decimal text).
fn describe(a: &Alert) -> String {
    let line = a.line.map(|l| format!("@{l}")).unwrap_or_default();
    let outcome = a.outcome_name.as_deref().unwrap_or("-");
    let head = format!(
        "{} {} {}{line} {outcome} {} {}",
        a.sr_id,
        a.bookmaker,
        a.market_id,
        a.payload.alert_type(),
        a.severity
    );
    let body = match &a.payload {
        AlertPayload::PriceChange(m) => format!("{} -> {} {}%", m.old, m.new, m.change_pct),
        AlertPayload::OffMarket(o) => {
            let books: Vec<String> = o
                .books
                .iter()
                .map(|b| format!("{} {} fair {}", b.bookmaker, b.price, b.fair_odds))
                .collect();
            let pattern = o.pattern.map(|p| p.to_string()).unwrap_or("-".into());
            format!(
                "price {} edge {}% fair {} pattern {pattern} [{}]",
                o.price,
                o.edge_pct,
                o.fair_odds,
                books.join(", ")
            )
        }
        AlertPayload::Margin(m) => {
            let prices: Vec<String> = m
                .prices
                .iter()
                .map(|q| format!("{} {}", q.outcome, q.price))
                .collect();
            format!("margin {}% [{}]", m.margin_pct, prices.join(", "))
        }
        AlertPayload::MarketMove(m) => {
            let movers: Vec<String> = m
                .movers
                .iter()
                .map(|x| format!("{} {} -> {} {}%", x.bookmaker, x.old, x.new, x.change_pct))
                .collect();
            format!(
                "{} median {}% home {} -> {} [{}]",
                m.direction,
                m.median_change_pct,
                m.home.old,
                m.home.new,
                movers.join(", ")
            )
        }
        other => format!("{other:?}"),
    };
    format!("{head} {body}")
}

async fn described(store: &Store) -> Vec<String> {
    let mut lines: Vec<String> = stored(store).await.iter().map(describe).collect();
    lines.sort();
    lines
}

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

/// Sets one market on the given books.
fn stage(
    sim: &SimHandle,
    books: &[SimBook],
    event: &str,
    market: &str,
    line: Option<Line>,
    prices: &[(&str, &str)],
) {
    let prices: Vec<(&str, Price)> = prices.iter().map(|(o, x)| (*o, p(x))).collect();
    for book in books {
        sim.set_market(*book, event, market, line, &prices)
            .unwrap_or_else(|e| panic!("{book:?} {market} {line:?}: {e}"));
    }
}

#[tokio::test]
async fn a_scripted_event_raises_every_market_risk_with_exact_values_and_nothing_else() {
    use SimBook::{Bet9ja, Betpawa, Sportybet};
    const COMPETITORS: &[SimBook] = &[Sportybet, Bet9ja];
    let ou25 = Some(Line::from_milli(2500));
    let ou35 = Some(Line::from_milli(3500));
    let ah = Some(Line::from_milli(-500));
    for db in common::all_dbs().await {
        let sim = sim().await;
        let config = config();
        let url = sim.base_url();
        let soon = Utc::now() + Duration::hours(1);
        let info = sim
            .events()
            .into_iter()
            .find(|e| e.kickoff > soon && e.books.len() == 3)
            .expect("a match on all three books");
        let usable = sim.with_model(|m| {
            let e = m
                .by_sportradar(info.sportradar_id.parse().unwrap())
                .unwrap();
            e.betpawa_widget && e.bet9ja_extid
        });
        assert!(usable, "every book identifies the event for this seed");
        let e = info.sportradar_id.as_str();

        // Cycle 1: everything seen for the first time; only off_market and margin look.
        // 1X2: §9's first vector. O/U 2.5: §9's over/under vector.
        stage(
            &sim,
            &[Betpawa],
            e,
            "3743",
            None,
            &[("1", "2.30"), ("X", "3.40"), ("2", "3.40")],
        );
        stage(
            &sim,
            COMPETITORS,
            e,
            "3743",
            None,
            &[("1", "2.00"), ("X", "3.40"), ("2", "4.00")],
        );
        stage(
            &sim,
            &[Betpawa],
            e,
            "5000",
            ou25,
            &[("Over", "2.10"), ("Under", "2.05")],
        );
        stage(
            &sim,
            COMPETITORS,
            e,
            "5000",
            ou25,
            &[("Over", "1.90"), ("Under", "1.90")],
        );
        // Ordinary markets, moved later: margins 7.14 %, 2.51 %, 8.11 %; home edges below 0.
        stage(
            &sim,
            &[Betpawa],
            e,
            "3795",
            None,
            &[("Yes", "2.00"), ("No", "1.75")],
        );
        stage(
            &sim,
            COMPETITORS,
            e,
            "3795",
            None,
            &[("Yes", "2.00"), ("No", "1.75")],
        );
        stage(
            &sim,
            &[Betpawa],
            e,
            "5000",
            ou35,
            &[("Over", "2.55"), ("Under", "1.58")],
        );
        stage(
            &sim,
            COMPETITORS,
            e,
            "5000",
            ou35,
            &[("Over", "2.50"), ("Under", "1.55")],
        );
        stage(
            &sim,
            &[Betpawa],
            e,
            "3774",
            ah,
            &[("1", "1.85"), ("2", "1.85")],
        );
        stage(
            &sim,
            COMPETITORS,
            e,
            "3774",
            ah,
            &[("1", "1.90"), ("2", "1.90")],
        );

        let stop = watch::channel(false).1;
        let (mut cycle, writer, _dir) = pipeline(&db.store, &config, &url).await;
        let first = cycle.run_cycle(&stop).await;
        assert!(first.events > 0, "{}: {first:?}", db.name);
        let after_first = [
            // 2.30 × 0.478873 − 1; consensus fair odds 1 / 0.478873 = 2.088 → 2.09. "X" at
            // −4.23 % and "2" at −18.59 % stay quiet; the margin is 2.30 %, above the floor.
            format!(
                "{e} betpawa 3743 1 off_market critical price 2.30 edge 10.14% fair 2.09 pattern - [bet9ja 2.00 fair 2.09, sportybet 2.00 fair 2.09]"
            ),
            // 2.10 × 0.5 − 1; Under at 2.50 % is below the warning band.
            format!(
                "{e} betpawa 5000@2.5 Over off_market warning price 2.10 edge 5.00% fair 2.00 pattern - [bet9ja 1.90 fair 2.00, sportybet 1.90 fair 2.00]"
            ),
            // 1/2.10 + 1/2.05 − 1 = −3.60 %: an arbitrage on our own book.
            format!("{e} betpawa 5000@2.5 - margin critical margin -3.60% [Over 2.10, Under 2.05]"),
        ];
        let mut expected: Vec<String> = after_first.to_vec();
        expected.sort();
        assert_eq!(described(&db.store).await, expected, "{}: cycle 1", db.name);
        assert_eq!(first.alerts(), 3, "{}", db.name);

        // Cycle 2: both competitors shorten BTTS "Yes" (−10 %, −8 %); the home book stays.
        // The 1X2 and O/U 2.5 prices are unchanged: their bands were raised, nothing again.
        stage(&sim, &[Sportybet], e, "3795", None, &[("Yes", "1.80")]);
        stage(&sim, &[Bet9ja], e, "3795", None, &[("Yes", "1.84")]);
        let second = cycle.run_cycle(&stop).await;
        expected.extend([
            // Median of −10.00 and −8.00; warning (below 10 %). Home "Yes" edge after the move:
            // 2.00 × mean(0.492958, 0.487465) − 1 = −1.96 %, no off_market.
            format!("{e} betpawa 3795 Yes market_move warning down median -9.00% home 2.00 -> 2.00 [bet9ja 2.00 -> 1.84 -8.00%, sportybet 2.00 -> 1.80 -10.00%]"),
            format!("{e} sportybet 3795 Yes price_change elevated 2.00 -> 1.80 -10.00%"),
            format!("{e} bet9ja 3795 Yes price_change warning 2.00 -> 1.84 -8.00%"),
        ]);
        expected.sort();
        assert_eq!(described(&db.store).await, expected, "{}: cycle 2", db.name);
        assert_eq!(second.alerts(), 3, "{}", db.name);

        // Cycle 3: two palps on the home book. O/U 3.5's prices swapped (the margin stays
        // 2.51 %); the Asian handicap's "1" posted ×10.
        stage(
            &sim,
            &[Betpawa],
            e,
            "5000",
            ou35,
            &[("Over", "1.58"), ("Under", "2.55")],
        );
        stage(&sim, &[Betpawa], e, "3774", ah, &[("1", "18.50")]);
        let third = cycle.run_cycle(&stop).await;
        expected.extend([
            // Consensus Under 2.5/4.05: edge 2.55 × 2.5/4.05 − 1 = 57.41 %, fair 4.05/2.5 =
            // 1.62. 2.55 is within 5 % of Over's fair 2.61, 1.58 within 5 % of Under's 1.62,
            // and those differ by more than 20 %: swapped. Over's edge is −39.53 %.
            format!("{e} betpawa 5000@3.5 Under off_market critical price 2.55 edge 57.41% fair 1.62 pattern swapped [bet9ja 1.55 fair 1.62, sportybet 1.55 fair 1.62]"),
            format!("{e} betpawa 5000@3.5 Over price_change critical 2.55 -> 1.58 -38.04%"),
            format!("{e} betpawa 5000@3.5 Under price_change critical 1.58 -> 2.55 61.39%"),
            // 18.50 × 0.5 − 1 = 825 % ≥ 400 %: a digit error. Margin 1/18.5 + 1/1.85 − 1.
            format!("{e} betpawa 3774@-0.5 1 off_market critical price 18.50 edge 825.00% fair 2.00 pattern factor [bet9ja 1.90 fair 2.00, sportybet 1.90 fair 2.00]"),
            format!("{e} betpawa 3774@-0.5 - margin critical margin -40.54% [1 18.50, 2 1.85]"),
            format!("{e} betpawa 3774@-0.5 1 price_change critical 1.85 -> 18.50 900.00%"),
        ]);
        expected.sort();
        assert_eq!(described(&db.store).await, expected, "{}: cycle 3", db.name);
        assert_eq!(third.alerts(), 6, "{}", db.name);

        // A restart warms the band memory from the store: the same prices raise nothing.
        drop(cycle);
        writer.await.unwrap();
        let (mut restarted, writer, _dir2) = pipeline(&db.store, &config, &url).await;
        let again = restarted.run_cycle(&stop).await;
        assert_eq!(again.alerts(), 0, "{}: nothing raised twice", db.name);
        assert_eq!(described(&db.store).await, expected, "{}", db.name);
        drop(restarted);
        assert_eq!(writer.await.unwrap().dead_lettered, 0);
        sim.shutdown().await;
        db.finish().await;
    }
}
