//! Every adapter against the simulator over real loopback HTTP.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use oddswatch::domain::{EventOdds, Price};
use oddswatch::sim::{self, Availability, Script, SimBook, SimHandle, SimOptions, TickMode};
use oddswatch::sources::{Bet9ja, BetPawa, FailureKind, Feed, FeedError, FeedKind, SportyBet};
use support::{book_config, fast_policy};

async fn simulator(events: u32) -> SimHandle {
    let options = SimOptions {
        events,
        tick: TickMode::Manual,
        ..SimOptions::default()
    };
    sim::start(options).await.expect("simulator starts").1
}

fn feed(kind: FeedKind, sim: &SimHandle) -> Feed {
    Feed::with_policy(
        kind,
        &book_config(&sim.base_url()),
        &sim.base_url(),
        fast_policy(2),
    )
    .expect("feed builds")
}

/// SportRadar ids a book should report: listed, upcoming, and carrying the id on that book.
fn expected_ids(sim: &SimHandle, book: SimBook) -> BTreeSet<String> {
    sim.with_model(|model| {
        let now = Utc::now();
        model
            .events
            .iter()
            .filter(|e| e.listed[book.index()] && e.kickoff > now)
            .filter(|e| match book {
                SimBook::Betpawa => e.betpawa_widget,
                SimBook::Bet9ja => e.bet9ja_extid,
                SimBook::Sportybet => true,
            })
            .map(|e| e.sportradar_id.to_string())
            .collect()
    })
}

fn primary_markets(event: &EventOdds) -> BTreeSet<(String, Option<String>)> {
    event
        .markets
        .iter()
        .filter(|m| ["3743", "4693", "3795", "5000", "3774"].contains(&m.market_id.as_str()))
        .map(|m| (m.market_id.clone(), m.line.map(|l| l.to_string())))
        .collect()
}

#[tokio::test]
async fn every_book_scrapes_the_whole_simulator_without_failures() {
    let sim = simulator(500).await;
    for (kind, book) in [
        (FeedKind::BetPawa, SimBook::Betpawa),
        (FeedKind::SportyBet, SimBook::Sportybet),
        (FeedKind::Bet9ja, SimBook::Bet9ja),
    ] {
        let feed = feed(kind, &sim);
        let scrapes = feed.scrape().await.expect("discovery succeeds");
        assert_eq!(scrapes.len(), 1);
        let scrape = &scrapes[0];
        assert!(
            scrape.failures.is_empty(),
            "{kind:?}: {:?}",
            scrape.failures
        );
        let ids: BTreeSet<String> = scrape.events.iter().map(|e| e.event_key.clone()).collect();
        assert_eq!(ids, expected_ids(&sim, book), "{kind:?}");
        for event in &scrape.events {
            // 68 mapped rows per event in the model; all open before any tick.
            assert_eq!(event.markets.len(), 68, "{kind:?} {}", event.event_key);
            assert!(event.kickoff.is_some());
        }
        let stats = feed.stats().snapshot();
        assert!(
            stats.markets_unmapped > 0,
            "{kind:?} skips the unmapped markets"
        );
        assert_eq!(stats.retries, 0);
        assert!(stats.failures.is_empty());
    }
}

#[tokio::test]
async fn betpawa_pages_past_one_hundred_events_and_fetches_items_without_widgets() {
    let sim = simulator(600).await;
    let betpawa = BetPawa::new(&sim.base_url(), fast_policy(0)).unwrap();
    let events = betpawa.discover().await.unwrap().events;
    let biggest = sim.with_model(|m| m.events.iter().filter(|e| e.competition == 0).count());
    assert!(
        biggest > 100,
        "the first competition spans two pages ({biggest})"
    );
    let ids: BTreeSet<String> = events.iter().map(|e| e.sportradar_id.clone()).collect();
    assert_eq!(ids, expected_ids(&sim, SimBook::Betpawa));
    let without_widgets =
        sim.with_model(|m| m.events.iter().filter(|e| !e.betpawa_list_widgets).count());
    assert!(without_widgets > 0);
    let skipped = sim.with_model(|m| m.events.iter().filter(|e| !e.betpawa_widget).count());
    assert_eq!(
        betpawa.stats().snapshot().events_without_sportradar_id,
        skipped as u64
    );
}

#[tokio::test]
async fn the_three_books_agree_on_one_simulated_match() {
    let sim = simulator(50).await;
    let info = sim
        .events()
        .into_iter()
        .find(|e| e.books.len() == 3)
        .expect("some event is on every book");
    let sr_id = &info.sportradar_id;
    let bet9ja_has_extid = sim.with_model(|m| {
        m.by_sportradar(sr_id.parse().unwrap())
            .unwrap()
            .bet9ja_extid
    });
    assert!(bet9ja_has_extid, "pick an event with EXTID for this seed");
    let base = sim.base_url();
    let home = BetPawa::new(&base, fast_policy(0))
        .unwrap()
        .fetch_event(&info.betpawa_id)
        .await
        .unwrap();
    let sporty = SportyBet::new(&base, fast_policy(0))
        .unwrap()
        .fetch_event(&info.sportybet_id)
        .await
        .unwrap();
    let b9 = Bet9ja::new(&base, fast_policy(0))
        .unwrap()
        .fetch_event(&info.bet9ja_id)
        .await
        .unwrap();
    for event in [&home, &sporty, &b9] {
        assert_eq!(&event.event_key, sr_id);
        assert_eq!(event.kickoff, Some(info.kickoff));
    }
    assert_eq!(primary_markets(&home), primary_markets(&sporty));
    assert_eq!(primary_markets(&home), primary_markets(&b9));
    // 1X2 + DC + BTTS + 25 over/under lines + 25 Asian lines.
    assert_eq!(primary_markets(&home).len(), 53);
    let outcome_names = |e: &EventOdds| -> BTreeMap<(String, Option<String>), Vec<String>> {
        e.markets
            .iter()
            .map(|m| {
                let names = m.outcomes.iter().map(|o| o.name.clone()).collect();
                ((m.market_id.clone(), m.line.map(|l| l.to_string())), names)
            })
            .collect()
    };
    assert_eq!(outcome_names(&home), outcome_names(&sporty));
    assert_eq!(outcome_names(&home), outcome_names(&b9));
}

#[tokio::test]
async fn a_scripted_price_reaches_each_adapter_through_http() {
    let sim = simulator(30).await;
    let info = sim
        .events()
        .into_iter()
        .find(|e| e.books.len() == 3)
        .unwrap();
    let price: Price = "2.14".parse().unwrap();
    // Through the control endpoint, as an out-of-process test would.
    let script = Script::SetPrice {
        book: SimBook::Sportybet,
        event: info.sportradar_id.clone(),
        market: "5000".into(),
        line: Some("2.5".parse().unwrap()),
        outcome: "Over".into(),
        price,
    };
    let response = reqwest::Client::new()
        .post(format!("{}/sim/script", sim.base_url()))
        .json(&script)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sporty = SportyBet::new(&sim.base_url(), fast_policy(0)).unwrap();
    let event = sporty.fetch_event(&info.sportybet_id).await.unwrap();
    let over = event
        .markets
        .iter()
        .find(|m| m.market_id == "5000" && m.line.map(|l| l.milli()) == Some(2500))
        .and_then(|m| m.outcomes.iter().find(|o| o.name == "Over"))
        .unwrap();
    assert_eq!(over.price, price);
    let unknown = reqwest::Client::new()
        .post(format!("{}/sim/script", sim.base_url()))
        .json(&serde_json::json!({"action": "suspend", "book": "bet9ja", "event": "1", "market": "3743"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_suspended_market_is_suspended_on_betpawa_and_absent_on_bet9ja() {
    let sim = simulator(30).await;
    let info = sim
        .events()
        .into_iter()
        .find(|e| e.books.len() == 3)
        .unwrap();
    for book in [SimBook::Betpawa, SimBook::Bet9ja] {
        sim.set_availability(
            book,
            &info.sportradar_id,
            "3795",
            None,
            Availability::Suspended,
        )
        .unwrap();
    }
    sim.apply(Script::Remove {
        book: SimBook::Sportybet,
        event: info.sportradar_id.clone(),
        market: "3795".into(),
        line: None,
    })
    .unwrap();
    let base = sim.base_url();
    let home = BetPawa::new(&base, fast_policy(0))
        .unwrap()
        .fetch_event(&info.betpawa_id)
        .await
        .unwrap();
    let btts = home.markets.iter().find(|m| m.market_id == "3795").unwrap();
    assert!(btts.is_suspended());
    let b9 = Bet9ja::new(&base, fast_policy(0))
        .unwrap()
        .fetch_event(&info.bet9ja_id)
        .await
        .unwrap();
    assert!(b9.markets.iter().all(|m| m.market_id != "3795"));
    let sporty = SportyBet::new(&base, fast_policy(0))
        .unwrap()
        .fetch_event(&info.sportybet_id)
        .await
        .unwrap();
    assert!(sporty.markets.iter().all(|m| m.market_id != "3795"));
}

#[tokio::test]
async fn a_kicked_off_event_leaves_discovery_and_its_fetch_reports_it_gone() {
    let sim = simulator(30).await;
    let info = sim
        .events()
        .into_iter()
        .find(|e| e.books.len() == 3)
        .unwrap();
    sim.apply(Script::KickOff {
        event: info.sportradar_id.clone(),
    })
    .unwrap();
    let base = sim.base_url();
    let sporty = SportyBet::new(&base, fast_policy(0)).unwrap();
    let listed = sporty.discover().await.unwrap().events;
    assert!(listed.iter().all(|e| e.sportradar_id != info.sportradar_id));
    let gone = sporty.fetch_event(&info.sportybet_id).await.unwrap_err();
    assert!(matches!(gone, FeedError::EventGone { .. }), "{gone:?}");
    let b9 = Bet9ja::new(&base, fast_policy(0)).unwrap();
    assert!(matches!(
        b9.fetch_event(&info.bet9ja_id).await,
        Err(FeedError::EventGone { .. })
    ));
    let home = BetPawa::new(&base, fast_policy(0)).unwrap();
    assert!(matches!(
        home.fetch_event(&info.betpawa_id).await,
        Err(FeedError::EventGone { .. })
    ));
    assert_eq!(home.stats().failures(FailureKind::EventGone), 1);
}

#[tokio::test]
async fn the_odds_api_yields_every_simulated_book_with_main_lines_and_its_quota() {
    let sim = simulator(40).await;
    let feed = feed(FeedKind::TheOddsApi, &sim);
    let scrapes = feed.scrape().await.unwrap();
    let books: Vec<&str> = scrapes.iter().map(|s| s.book.as_str()).collect();
    assert_eq!(books, ["bet9ja", "betpawa", "sportybet"]);
    let home = scrapes.iter().find(|s| s.book == "betpawa").unwrap();
    assert_eq!(home.events.len(), 40);
    let markets: Vec<(String, Option<String>)> = home.events[0]
        .markets
        .iter()
        .map(|m| (m.market_id.clone(), m.line.map(|l| l.to_string())))
        .collect();
    assert_eq!(
        markets,
        [
            ("3743".to_string(), None),
            ("3774".to_string(), Some("-0.5".to_string())),
            ("5000".to_string(), Some("2.5".to_string()))
        ]
    );
    let quota = feed.stats().snapshot().quota.unwrap();
    assert_eq!(quota.used, Some(3));
    assert_eq!(quota.remaining, Some(497));
}

#[tokio::test]
async fn same_seed_and_ticks_serve_the_same_prices() {
    let a = simulator(20).await;
    let b = simulator(20).await;
    for _ in 0..3 {
        a.tick();
        b.tick();
    }
    let fetch = |sim: &SimHandle| {
        let base = sim.base_url();
        async move {
            let feed = Feed::with_policy(
                FeedKind::SportyBet,
                &book_config(&base),
                &base,
                fast_policy(0),
            )
            .unwrap();
            let scrape = feed.scrape().await.unwrap().remove(0);
            scrape
                .events
                .into_iter()
                .map(|e| e.markets)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(fetch(&a).await, fetch(&b).await);
}

#[tokio::test]
async fn simulator_faults_are_retried_or_counted_and_never_stop_the_book() {
    let options = SimOptions {
        events: 60,
        tick: TickMode::Manual,
        slow_delay: std::time::Duration::from_millis(400),
        ..SimOptions::default()
    };
    let (_, sim) = sim::start(options).await.unwrap();
    let policy = oddswatch::sources::HttpPolicy {
        timeout: std::time::Duration::from_millis(200),
        retries: 8,
        ..fast_policy(8)
    };
    let betpawa = BetPawa::new(&sim.base_url(), policy).unwrap();
    let refs = betpawa.discover().await.unwrap().events;
    sim.apply(Script::SetFaultRate { rate: 0.3 }).unwrap();
    let mut fetched = 0;
    let mut malformed = 0;
    for r in &refs {
        match betpawa.fetch_event(&r.book_event_id).await {
            Ok(_) => fetched += 1,
            Err(FeedError::Malformed { .. }) => malformed += 1,
            Err(other) => panic!("retries should absorb {other:?}"),
        }
    }
    let stats = betpawa.stats().snapshot();
    assert_eq!(fetched + malformed, refs.len());
    assert!(
        fetched > 0 && malformed > 0,
        "{fetched} fetched, {malformed} malformed"
    );
    assert!(stats.retries > 0);
    assert_eq!(
        stats.failures.get(&FailureKind::Malformed),
        Some(&(malformed as u64))
    );
    sim.shutdown().await;
}
