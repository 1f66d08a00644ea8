//! How often the model's ticks make each §9 risk, measured with the detector's own exact rules
//! ([`crate::detect::market`]) on the primary markets every book lists: the demo must show each
//! type within a minute, without drowning the trader.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Availability, Model, SimMarket};
use crate::detect::market::{
    BandMemory, BookMove, BookQuotes, MarketRules, Pattern, PriceMove, Quote, margin, market_move,
    off_market,
};
use crate::domain::Price;

/// What one cycle (a scrape after a tick) raises, per rule.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Raised {
    pub(super) off_market: usize,
    pub(super) swapped: usize,
    pub(super) factor: usize,
    pub(super) margin: usize,
    pub(super) margin_critical: usize,
    pub(super) market_move: usize,
}

/// Replays §9's rules over the model, cycle after cycle, with the band-entry memory.
pub(super) struct Replay {
    rules: MarketRules,
    off: BandMemory<(usize, usize, usize)>,
    margins: BandMemory<(usize, usize)>,
    previous: Option<Vec<Vec<SimMarket>>>,
}

fn quotes<'a>(model: &'a Model, market: &SimMarket, book: usize) -> Vec<Quote<'a>> {
    model.defs[market.def as usize]
        .outcomes
        .iter()
        .zip(&market.prices)
        .map(|(name, p)| Quote {
            outcome: name,
            price: Price::from_milli(p[book]),
        })
        .collect()
}

impl Replay {
    pub(super) fn new() -> Replay {
        Replay {
            rules: MarketRules::default(),
            off: BandMemory::new(),
            margins: BandMemory::new(),
            previous: None,
        }
    }

    /// The alerts of the §9 rules on the model as it is now (one scrape of every book).
    pub(super) fn cycle(&mut self, model: &Model) -> Raised {
        let mut raised = Raised::default();
        let open = |m: &SimMarket, b: usize| m.state[b] == Availability::Open;
        for (e, event) in model.events.iter().enumerate() {
            if !event.listed.iter().all(|l| *l) {
                continue;
            }
            for (r, market) in event.markets.iter().enumerate() {
                let primary = model.defs[market.def as usize]
                    .mapping
                    .is_some_and(|m| m.primary);
                if !primary || !open(market, 0) {
                    continue;
                }
                let home = quotes(model, market, 0);
                let comp: Vec<(usize, Vec<Quote<'_>>)> = [1, 2]
                    .into_iter()
                    .filter(|b| open(market, *b))
                    .map(|b| (b, quotes(model, market, b)))
                    .collect();
                let books: Vec<BookQuotes<'_, usize>> = comp
                    .iter()
                    .map(|(b, q)| BookQuotes {
                        book: *b,
                        quotes: q,
                    })
                    .collect();
                if let Some(result) = off_market(&home, &books, 2, &self.rules) {
                    for (o, edge) in result.outcomes.iter().enumerate() {
                        if self.off.should_raise((e, r, o), edge.band) {
                            raised.off_market += 1;
                            raised.swapped += usize::from(edge.pattern == Pattern::Swapped);
                            raised.factor += usize::from(edge.pattern == Pattern::Factor);
                        }
                    }
                }
                if let Some(m) = margin(&home, &self.rules)
                    && self.margins.should_raise((e, r), m.band)
                {
                    raised.margin += 1;
                    raised.margin_critical += usize::from(m.margin < 0);
                }
                let Some(before) = self.previous.as_ref().map(|p| &p[e][r]) else {
                    continue;
                };
                if !open(before, 0) {
                    continue;
                }
                for o in 0..market.prices.len() {
                    let home_move = PriceMove {
                        old: Price::from_milli(before.prices[o][0]),
                        new: Price::from_milli(market.prices[o][0]),
                    };
                    let moves: Vec<BookMove<usize>> = [1, 2]
                        .into_iter()
                        .filter(|b| open(market, *b) && open(before, *b))
                        .map(|b| BookMove {
                            book: b,
                            old: Price::from_milli(before.prices[o][b]),
                            new: Price::from_milli(market.prices[o][b]),
                        })
                        .collect();
                    if market_move(home_move, &moves, 2, &self.rules).is_some() {
                        raised.market_move += 1;
                    }
                }
            }
        }
        self.previous = Some(model.events.iter().map(|e| e.markets.clone()).collect());
        raised
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// The first `cycles` cycles of a demo: tick, then scrape (the first scrape sees every market
/// for the first time).
fn demo(seed: u64, events: u32, cycles: usize) -> Vec<Raised> {
    let mut model = Model::generate(seed, events, now());
    let mut replay = Replay::new();
    (0..cycles)
        .map(|_| {
            model.tick();
            replay.cycle(&model)
        })
        .collect()
}

fn total(cycles: &[Raised]) -> BTreeMap<&'static str, usize> {
    let sum = |f: fn(&Raised) -> usize| cycles.iter().map(f).sum::<usize>();
    BTreeMap::from([
        ("off_market", sum(|r| r.off_market)),
        ("swapped", sum(|r| r.swapped)),
        ("factor", sum(|r| r.factor)),
        ("margin", sum(|r| r.margin)),
        ("margin_critical", sum(|r| r.margin_critical)),
        ("market_move", sum(|r| r.market_move)),
    ])
}

#[test]
fn an_untouched_market_raises_no_market_risk_at_first_sight() {
    let model = Model::generate(42, 400, now());
    let first = Replay::new().cycle(&model);
    assert_eq!(first, Raised::default());
}

#[test]
fn the_demo_shows_every_market_risk_within_a_minute() {
    // The demo's default: 200 events, a cycle every 10 s, so six cycles in the first minute.
    for seed in [42, 7] {
        let minute = total(&demo(seed, 200, 6));
        for (kind, count) in &minute {
            assert!(
                *count >= 1,
                "seed {seed}: no {kind} in the first minute: {minute:?}"
            );
        }
    }
}

#[test]
fn a_real_scale_market_raises_a_handful_of_each_per_minute() {
    // 1,300 events; the first cycle is everything at first sight, then two minutes of cycles.
    let cycles = demo(42, 1300, 13);
    let two_minutes = total(&cycles[1..]);
    eprintln!("first sight {:?}; two minutes {two_minutes:?}", cycles[0]);
    for (kind, count) in &two_minutes {
        let per_minute = *count as f64 / 2.0;
        assert!(
            (0.5..=25.0).contains(&per_minute),
            "{kind}: {per_minute} per minute ({two_minutes:?})"
        );
    }
    assert!(cycles[0].off_market <= 3, "{:?}", cycles[0]);
    assert!(cycles[0].margin <= 3, "{:?}", cycles[0]);
}
