//! The market risks of DESIGN §9, staged on purpose so the demo shows them within its first
//! minute: the random walk alone would make them too rarely (or, without margin-keeping moves,
//! far too often).
//!
//! Each tick stages, on a randomly drawn primary market of a randomly drawn event:
//! - every other (even) tick, a **consensus move**: SportyBet and Bet9ja move one outcome the same way by 3.5–15 %, the
//!   home book stays (`market_move`); the home book follows two to four ticks later;
//! - a **home price off the market**: one home price 4–12 % above the competitors' fair odds
//!   (`off_market`); every third one a palp instead, in turn two home prices **swapped** or one
//!   price **×10** (a digit error, `factor`); the trader puts the prices back two to four ticks
//!   later;
//! - every other (odd) tick, a **home market under the margin floor**: every home price lengthened
//!   until the margin is 0.4–1.6 % (`margin` warning), every third time below zero (critical);
//!   put back three to five ticks later.
//!
//! A fixed number per tick, whatever the event count: a handful of each per minute on a
//! 10-second cycle, on 200 events as on 1,300. Drawn from the model's seeded stream, so a seed
//! and a sequence of ticks give the same risks.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::{Availability, Model};
use crate::sim::catalog::{consensus_fair, move_price, overround, quote};

/// Market id of Double Chance: primary, but its outcomes overlap (each covers two results), so
/// a margin or a fair price of it means something else; risks are staged elsewhere.
const DOUBLE_CHANCE: &str = "4693";

/// How many draws [`Model::pick_market`] tries before giving up on a tick's risk.
const ATTEMPTS: usize = 16;

/// Staged risks: where they may go, and what to undo when.
#[derive(Debug, Default)]
pub(super) struct Scenarios {
    /// Events a risk may be staged on: listed on every book with every id the adapters need,
    /// kicking off after `horizon` (so the pipeline still watches them).
    events: Vec<usize>,
    /// Indices into an event's market rows (the same template for every event) of the primary
    /// markets with exclusive outcomes: 1X2, BTTS, every Over/Under and Asian Handicap line.
    rows: Vec<usize>,
    /// Kickoffs before this are left alone.
    horizon: Option<DateTime<Utc>>,
    /// What to undo, and at which tick.
    pending: Vec<Pending>,
    /// Off-market prices staged so far (every third is a palp).
    off_market: u64,
    /// Margin breaches staged so far (every third is below zero).
    margin: u64,
}

/// A staged risk's undoing.
#[derive(Debug)]
struct Pending {
    /// Tick at which it happens.
    at: u64,
    /// Event index.
    event: usize,
    /// Market row index.
    row: usize,
    /// What happens.
    undo: Undo,
}

#[derive(Debug)]
enum Undo {
    /// The trader puts the home book's prices back.
    Restore(Vec<u32>),
    /// The home book catches up with the competitors' move of `outcome` (by `factor`).
    Follow { outcome: usize, factor: f64 },
}

/// A palpable error's kind, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffMarketKind {
    /// One price 4–12 % above fair.
    Plain,
    /// The longest and the shortest home prices swapped.
    Swapped,
    /// The shortest home price ×10.
    Factor,
}

impl Scenarios {
    /// Where risks may go in `model`, leaving alone events kicking off before `horizon`.
    pub(super) fn new(model: &Model, horizon: DateTime<Utc>) -> Scenarios {
        let events = model
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.listed.iter().all(|l| *l)
                    && e.betpawa_widget
                    && e.bet9ja_extid
                    && e.kickoff > horizon
            })
            .map(|(i, _)| i)
            .collect();
        let rows = model
            .events
            .first()
            .map(|e| {
                e.markets
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| {
                        model.defs[m.def as usize]
                            .mapping
                            .is_some_and(|map| map.primary && map.market_id != DOUBLE_CHANCE)
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        Scenarios {
            events,
            rows,
            horizon: Some(horizon),
            ..Scenarios::default()
        }
    }

    /// Staged risks waiting to be undone.
    #[cfg(test)]
    pub(super) fn pending(&self) -> usize {
        self.pending.len()
    }
}

impl Model {
    /// Undoes the risks that are due, then stages this tick's (see the module doc).
    pub(super) fn stage_risks(&mut self) {
        self.undo_due();
        if self.scenarios.events.is_empty() || self.scenarios.rows.is_empty() {
            return;
        }
        self.stage_off_market();
        if self.tick.is_multiple_of(2) {
            self.stage_consensus_move();
        } else {
            self.stage_margin();
        }
    }

    fn undo_due(&mut self) {
        let tick = self.tick;
        let (due, later): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut self.scenarios.pending)
                .into_iter()
                .partition(|p| p.at <= tick);
        self.scenarios.pending = later;
        for p in due {
            let prices = &mut self.events[p.event].markets[p.row].prices;
            match p.undo {
                Undo::Restore(home) => {
                    for (row, price) in prices.iter_mut().zip(home) {
                        row[0] = price;
                    }
                }
                Undo::Follow { outcome, factor } => move_price(prices, outcome, 0, factor),
            }
        }
    }

    /// A random open market of a random eligible event with nothing staged on it yet, whose
    /// prices satisfy `fits`.
    fn pick_market(&mut self, fits: impl Fn(&[[u32; 3]]) -> bool) -> Option<(usize, usize)> {
        let s = &self.scenarios;
        for _ in 0..ATTEMPTS {
            let event = s.events[self.rng.gen_range(0..s.events.len())];
            let row = s.rows[self.rng.gen_range(0..s.rows.len())];
            let ev = &self.events[event];
            let market = &ev.markets[row];
            let open = market.state.iter().all(|a| *a == Availability::Open);
            let upcoming = s.horizon.is_none_or(|h| ev.kickoff > h);
            let free = !s.pending.iter().any(|p| p.event == event && p.row == row);
            if open && upcoming && free && fits(&market.prices) {
                return Some((event, row));
            }
        }
        None
    }

    fn schedule(
        &mut self,
        event: usize,
        row: usize,
        after: std::ops::RangeInclusive<u64>,
        undo: Undo,
    ) {
        let at = self.tick + self.rng.gen_range(after);
        self.scenarios.pending.push(Pending {
            at,
            event,
            row,
            undo,
        });
    }

    /// The competitors move one outcome together; the home book stays (for now).
    fn stage_consensus_move(&mut self) {
        let Some((event, row)) = self.pick_market(|_| true) else {
            return;
        };
        let sign = if self.rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        let outcomes = self.events[event].markets[row].prices.len();
        let outcome = self.rng.gen_range(0..outcomes);
        let mut product = 1.0;
        for book in [1, 2] {
            let factor = 1.0 + sign * self.rng.gen_range(0.035..0.15);
            move_price(
                &mut self.events[event].markets[row].prices,
                outcome,
                book,
                factor,
            );
            product *= factor;
        }
        let undo = Undo::Follow {
            outcome,
            factor: f64::sqrt(product),
        };
        self.schedule(event, row, 2..=4, undo);
    }

    /// A home price off the market: plain, or (every third time) a palp.
    fn stage_off_market(&mut self) {
        let kind = match self.scenarios.off_market % 6 {
            2 => OffMarketKind::Swapped,
            5 => OffMarketKind::Factor,
            _ => OffMarketKind::Plain,
        };
        // A swap is only recognisable between outcomes whose fair odds are well apart.
        let fits = move |prices: &[[u32; 3]]| {
            kind != OffMarketKind::Swapped || {
                let fair = consensus_fair(prices);
                let (lo, hi) = fair
                    .iter()
                    .fold((f64::MAX, 0.0f64), |(lo, hi), f| (lo.min(*f), hi.max(*f)));
                hi > lo * 1.3
            }
        };
        let Some((event, row)) = self.pick_market(fits) else {
            return;
        };
        self.scenarios.off_market += 1;
        let prices = &self.events[event].markets[row].prices;
        let saved: Vec<u32> = prices.iter().map(|p| p[0]).collect();
        let fair = consensus_fair(prices);
        let mut home = saved.clone();
        let shortest = (0..home.len()).min_by_key(|i| home[*i]).unwrap_or(0);
        match kind {
            OffMarketKind::Plain => {
                let o = self.rng.gen_range(0..home.len());
                home[o] = quote(fair[o] * self.rng.gen_range(1.04..1.12));
            }
            OffMarketKind::Swapped => {
                let by_fair = |a: &usize, b: &usize| fair[*a].total_cmp(&fair[*b]);
                let long = (0..fair.len()).max_by(by_fair).unwrap_or(0);
                let short = (0..fair.len()).min_by(by_fair).unwrap_or(0);
                // Near each other's fair odds (within 4 %, the pattern allows 5 %).
                home[long] = quote(fair[short] * self.rng.gen_range(0.96..0.98));
                home[short] = quote(fair[long] * self.rng.gen_range(0.96..0.98));
            }
            OffMarketKind::Factor => home[shortest] = quote(f64::from(home[shortest]) * 10.0),
        }
        for (row_prices, price) in self.events[event].markets[row].prices.iter_mut().zip(&home) {
            row_prices[0] = *price;
        }
        self.schedule(event, row, 2..=4, Undo::Restore(saved));
    }

    /// Every home price of a market lengthened until its margin is under the floor.
    fn stage_margin(&mut self) {
        let Some((event, row)) = self.pick_market(|_| true) else {
            return;
        };
        let critical = self.scenarios.margin % 3 == 2;
        self.scenarios.margin += 1;
        let target = if critical {
            self.rng.gen_range(-0.025..-0.005)
        } else {
            self.rng.gen_range(0.004..0.016)
        };
        let prices = &mut self.events[event].markets[row].prices;
        let saved: Vec<u32> = prices.iter().map(|p| p[0]).collect();
        let factor = overround(prices, 0) / (1.0 + target);
        for p in prices.iter_mut() {
            p[0] = quote(f64::from(p[0]) * factor);
        }
        self.schedule(event, row, 3..=5, Undo::Restore(saved));
    }
}
