//! Criterion micro-benchmark of detection: outcomes compared per second on a steady cycle,
//! with nothing moving (no alerts) and with 10 % of markets moving (alerts firing).
//!
//! `cargo bench --bench detect`

use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oddswatch::detect::{BookScrape, CycleEvent, CycleInput, Detector, EventBook, Rules};
use oddswatch::domain::{EventOdds, Line, MarketOdds, OutcomeOdds, Price};

const EVENTS: usize = 300;
const MARKETS_PER_BOOK: usize = 60;

/// A cycle of `EVENTS` events on three books; `moved` of every 100 markets have their first
/// outcome's price shifted by `shift` thousandths.
fn cycle(moved: usize, shift: u32) -> CycleInput {
    let kickoff = Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap();
    let markets = ["3743", "4693", "3795", "5000", "3774"];
    let events = (0..EVENTS)
        .map(|e| CycleEvent {
            event_key: format!("{}", 60_000_000 + e),
            kickoff: Some(kickoff),
            books: ["betpawa", "sportybet", "bet9ja"]
                .iter()
                .map(|book| EventBook {
                    book: book.to_string(),
                    scrape: BookScrape::Fetched(EventOdds {
                        event_key: format!("{}", 60_000_000 + e),
                        book_event_id: format!("{book}-{e}"),
                        home_team: "Home".into(),
                        away_team: "Away".into(),
                        tournament: None,
                        country: None,
                        kickoff: Some(kickoff),
                        markets: (0..MARKETS_PER_BOOK)
                            .map(|m| MarketOdds {
                                market_id: markets[m % markets.len()].to_string(),
                                market_name: "Market".into(),
                                line: Some(Line::from_milli((m / markets.len()) as i32 * 250)),
                                outcomes: ["1", "X", "2"]
                                    .iter()
                                    .enumerate()
                                    .map(|(o, name)| OutcomeOdds {
                                        name: name.to_string(),
                                        price: Price::from_milli(
                                            1500 + (m as u32 * 37 + o as u32 * 211) % 3000
                                                + if o == 0
                                                    && (e * MARKETS_PER_BOOK + m) % 100 < moved
                                                {
                                                    shift
                                                } else {
                                                    0
                                                },
                                        ),
                                        active: true,
                                    })
                                    .collect(),
                            })
                            .collect(),
                    }),
                })
                .collect(),
        })
        .collect();
    CycleInput {
        home_book: "betpawa".into(),
        failed_books: Default::default(),
        enabled_competitors: 2,
        events,
    }
}

fn detection(c: &mut Criterion) {
    let rules = Rules::default();
    let now = Utc.with_ymd_and_hms(2029, 12, 31, 12, 0, 0).unwrap();
    let base = cycle(0, 0);
    let outcomes = (EVENTS * 3 * MARKETS_PER_BOOK * 3) as u64;
    let mut group = c.benchmark_group("detect_cycle");
    group.throughput(Throughput::Elements(outcomes));
    group.sample_size(20);
    for (name, moved) in [
        ("steady, no alerts", 0usize),
        ("10% of markets moving, alerts firing", 10),
    ] {
        let changed = cycle(moved, 400);
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut detector = Detector::new();
                    detector.detect_cycle(&base, &rules, now);
                    detector
                },
                |mut detector| {
                    black_box(detector.detect_cycle(&changed, &rules, now + Duration::minutes(5)))
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, detection);
criterion_main!(benches);
