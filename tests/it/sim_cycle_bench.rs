//! Benchmark of one real-scale cycle against the in-process simulator, per book: discovery plus
//! every event fetch, and parse-only throughput. Ignored by default; run it in release mode:
//!
//! `cargo test --release --test sim_cycle_bench -- --ignored --nocapture`
//! (`ODDSWATCH_BENCH_EVENTS=N` changes the event count; default 1300).

use crate::support;

use std::time::{Duration, Instant};

use oddswatch::sim::{self, SimOptions, TickMode};
use oddswatch::sources::{Bet9ja, BetPawa, Feed, FeedKind, HttpPolicy, SportyBet};
use support::book_config;

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn rate(bytes: u64, elapsed: Duration) -> f64 {
    mb(bytes) / elapsed.as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run with --release -- --ignored --nocapture"]
async fn one_cycle_at_real_scale_per_book() {
    let events: u32 = std::env::var("ODDSWATCH_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1300);
    let options = SimOptions {
        events,
        tick: TickMode::Manual,
        ..SimOptions::default()
    };
    let (_, sim) = sim::start(options).await.unwrap();
    sim.tick();
    let base = sim.base_url();
    // The configured defaults: 8 requests in flight per book, 20 s timeout.
    let policy = HttpPolicy::default();
    println!(
        "\n{events} simulated events; policy: concurrency {}",
        policy.concurrency
    );
    println!(
        "{:<11} {:>6} {:>8} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "book", "events", "markets", "discover", "total", "requests", "MB", "MB/s"
    );
    for kind in FeedKind::ALL {
        let discovery = match kind {
            FeedKind::BetPawa => {
                let started = Instant::now();
                BetPawa::new(&base, policy.clone())
                    .unwrap()
                    .discover()
                    .await
                    .unwrap();
                Some(started.elapsed())
            }
            FeedKind::SportyBet => {
                let started = Instant::now();
                SportyBet::new(&base, policy.clone())
                    .unwrap()
                    .discover()
                    .await
                    .unwrap();
                Some(started.elapsed())
            }
            FeedKind::Bet9ja => {
                let started = Instant::now();
                Bet9ja::new(&base, policy.clone())
                    .unwrap()
                    .discover()
                    .await
                    .unwrap();
                Some(started.elapsed())
            }
            FeedKind::TheOddsApi => None,
        };
        let feed = Feed::with_policy(kind, &book_config(&base), &base, policy.clone()).unwrap();
        let started = Instant::now();
        let scrapes = feed.scrape().await.unwrap();
        let elapsed = started.elapsed();
        let stats = feed.stats().snapshot();
        let fetched: usize = scrapes.iter().map(|s| s.events.len()).sum();
        let markets: usize = scrapes
            .iter()
            .flat_map(|s| &s.events)
            .map(|e| e.markets.len())
            .sum();
        assert!(scrapes.iter().all(|s| s.failures.is_empty()));
        assert!(
            fetched as u32 > events * 8 / 10,
            "{kind:?} fetched {fetched}"
        );
        println!(
            "{:<11} {:>6} {:>8} {:>8.2}s {:>8.2}s {:>9} {:>8.1} {:>9.1}",
            kind.slug(),
            fetched,
            markets,
            discovery.map_or(0.0, |d| d.as_secs_f64()),
            elapsed.as_secs_f64(),
            stats.requests,
            mb(stats.bytes),
            rate(stats.bytes, elapsed)
        );
    }
    // The three scraped books at once, as a pipeline cycle runs them.
    let feeds: Vec<Feed> = [FeedKind::BetPawa, FeedKind::SportyBet, FeedKind::Bet9ja]
        .into_iter()
        .map(|kind| Feed::with_policy(kind, &book_config(&base), &base, policy.clone()).unwrap())
        .collect();
    let started = Instant::now();
    let results = futures::future::join_all(feeds.iter().map(Feed::scrape)).await;
    let elapsed = started.elapsed();
    let events: usize = results
        .iter()
        .flat_map(|r| r.as_ref().unwrap())
        .map(|s| s.events.len())
        .sum();
    let bytes: u64 = feeds.iter().map(|f| f.stats().snapshot().bytes).sum();
    println!(
        "all three books concurrently: {events} events in {:.2}s ({:.1} MB, {:.1} MB/s)",
        elapsed.as_secs_f64(),
        mb(bytes),
        rate(bytes, elapsed)
    );
    parse_only_throughput(&sim).await;
}

/// Downloads a sample of raw event bodies once, then times parsing + mapping alone.
async fn parse_only_throughput(sim: &sim::SimHandle) {
    let base = sim.base_url();
    let client = reqwest::Client::new();
    let sample: Vec<_> = sim
        .events()
        .into_iter()
        .filter(|e| e.books.len() == 3)
        .filter(|e| {
            // Only events every book can identify, so each parse yields an event.
            sim.with_model(|m| {
                let event = m.by_sportradar(e.sportradar_id.parse().unwrap()).unwrap();
                event.betpawa_widget && event.bet9ja_extid
            })
        })
        .take(300)
        .collect();
    let mut bodies: [Vec<Vec<u8>>; 3] = Default::default();
    for e in &sample {
        let urls = [
            format!("{base}/api/sportsbook/v3/events/{}", e.betpawa_id),
            format!(
                "{base}/api/ng/factsCenter/event?eventId={}&productId=3",
                e.sportybet_id
            ),
            format!(
                "{base}/desktop/feapi/PalimpsestAjax/GetEvent?EVENTID={}&v_cache_version=1.301.2.225",
                e.bet9ja_id
            ),
        ];
        for (i, url) in urls.iter().enumerate() {
            let body = client
                .get(url)
                .header("x-pawa-brand", "betpawa-nigeria")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            bodies[i].push(body.to_vec());
        }
    }
    let policy = HttpPolicy::default();
    let betpawa = BetPawa::new(&base, policy.clone()).unwrap();
    let sportybet = SportyBet::new(&base, policy.clone()).unwrap();
    let bet9ja = Bet9ja::new(&base, policy).unwrap();
    println!(
        "\nparse + map only ({} events per book, one core):",
        sample.len()
    );
    for (i, name) in ["betpawa", "sportybet", "bet9ja"].into_iter().enumerate() {
        let bytes: u64 = bodies[i].iter().map(|b| b.len() as u64).sum();
        let copies: Vec<Vec<u8>> = bodies[i].clone();
        let started = Instant::now();
        let mut markets = 0;
        for body in copies {
            let event = match i {
                0 => betpawa.parse_event(&body),
                1 => sportybet.parse_event(body),
                _ => bet9ja.parse_event(body),
            }
            .unwrap();
            markets += event.markets.len();
        }
        let elapsed = started.elapsed();
        println!(
            "{name:<11} {:>7.1} KB/event  {:>7.1} MB/s  {:>6.0} µs/event  ({markets} markets)",
            bytes as f64 / 1e3 / sample.len() as f64,
            rate(bytes, elapsed),
            elapsed.as_secs_f64() * 1e6 / sample.len() as f64
        );
    }
}
