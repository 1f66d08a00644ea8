//! Moves that repeat, as real markets' do: a jump on an outcome is often followed by more
//! moves the same way on the same outcome (a **steam** move: money arrives and the books follow
//! each other, or a trader re-prices step by step), and a market that returns from suspension
//! often **flaps** (suspends again a tick or two later, a couple of times).
//!
//! The parameters are chosen once, for realism, not tuned against any benchmark:
//! - A third of the jumps continue ([`STEAM_ODDS`]): steam is common on the liquid outcomes a
//!   desk watches, yet most jumps are one-off corrections (team news priced once).
//! - A steam lasts one to four further ticks ([`STEAM_STEPS`]): 10–40 s at the default cycle,
//!   the time the other books take to follow sharp money, or a trader to walk a price in steps.
//! - Each step of a jump's steam is 7.5–12 % ([`JUMP_STEP`]): at least the 7 % warning of a
//!   price jump after the two-decimal quote, smaller than the opening 8–20 % jump, since money
//!   follows in ever smaller bites. Every book moves, keeping its margin ([`move_price`]).
//! - A home book moving against the market keeps going one or two ticks more
//!   ([`AGAINST_STEPS`]) in 1–3 % steps ([`AGAINST_STEP`]), below its opening 2–9 % move: the
//!   trader re-pricing step by step, the home book alone. Shorter and smaller than a jump's
//!   steam: a trader does not walk a price away from the whole market for long (each step
//!   deeper is another `off_market` band), the market's own money does.
//! - A steam stops early when its price leaves [`PRICE_BAND`] (books do not walk a favourite
//!   to 1.01 in steps) or when a moved book no longer shows the market open.
//! - A quarter of the markets that return from suspension flap ([`FLAP_ODDS`]): one or two
//!   more suspensions ([`FLAPS`]), each after one or two ticks open and lasting one or two ticks
//!   ([`FLAP_GAP`]) — a feed or a trader unsure of the news suspending and re-opening.
//!
//! Drawn from a seeded stream of its own, so the random walk's draws are the same as without
//! these dynamics: a seed keeps the jumps, suspensions and staged risks it always had, plus
//! their continuations.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::Availability;
use super::SimEvent;
use crate::sim::catalog::move_price;

/// Chance that a jump (or a home move against the market) continues as a steam.
const STEAM_ODDS: f64 = 1.0 / 3.0;
/// Further steps of a jump's steam (inclusive).
const STEAM_STEPS: (u8, u8) = (1, 4);
/// Further steps of the home book moving against the market (inclusive).
const AGAINST_STEPS: (u8, u8) = (1, 2);
/// Size of each further step of a jump's steam (fraction of the price).
const JUMP_STEP: (f64, f64) = (0.075, 0.12);
/// Size of each further step of the home book moving against the market.
const AGAINST_STEP: (f64, f64) = (0.01, 0.03);
/// A steam stops before moving a price outside these decimal odds (thousandths).
const PRICE_BAND: (u32, u32) = (1_200, 30_000);
/// Chance that a market returning from suspension flaps.
const FLAP_ODDS: f64 = 0.25;
/// Further suspensions of a flapping market (inclusive).
const FLAPS: (u8, u8) = (1, 2);
/// Ticks a flapping market stays open, then suspended (inclusive).
const FLAP_GAP: (u64, u64) = (1, 2);

/// Which move a steam continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SteamKind {
    /// Today's 8–20 % jump of every book.
    Jump,
    /// The home book moving against the market.
    Against,
}

/// A live steam: one outcome of one market row moving the same way each tick.
#[derive(Debug, Clone)]
pub(super) struct Steam {
    /// Event index.
    pub event: usize,
    /// Market row index.
    pub row: usize,
    /// Outcome index.
    pub outcome: usize,
    /// Lengthening (true) or shortening.
    pub up: bool,
    /// What moved first.
    pub kind: SteamKind,
    /// Further steps left.
    pub left: u8,
}

/// A flapping market on one book.
#[derive(Debug, Clone)]
struct Flap {
    event: usize,
    row: usize,
    book: usize,
    /// How the book hides it (as when it first went).
    hidden: Availability,
    /// Tick of the next change.
    at: u64,
    /// Suspensions still to come (counting one under way).
    left: u8,
}

/// The live steams and flaps, with their own random stream.
#[derive(Debug)]
pub(super) struct Dynamics {
    rng: SmallRng,
    steams: Vec<Steam>,
    flaps: Vec<Flap>,
    /// Off in a test that compares with the bare random walk.
    #[cfg(test)]
    pub(super) off: bool,
}

impl Dynamics {
    /// Dynamics drawing from a stream derived from the model's `seed`.
    pub(super) fn new(seed: u64) -> Dynamics {
        Dynamics {
            rng: SmallRng::seed_from_u64(seed ^ 0x5157_ea4d_0f1a_7e11),
            steams: Vec::new(),
            flaps: Vec::new(),
            #[cfg(test)]
            off: false,
        }
    }

    #[cfg(test)]
    fn enabled(&self) -> bool {
        !self.off
    }

    #[cfg(not(test))]
    fn enabled(&self) -> bool {
        true
    }

    /// The live steams.
    #[cfg(test)]
    pub(super) fn steams(&self) -> &[Steam] {
        &self.steams
    }

    /// A jump (or a home move against the market) of `outcome` just happened: perhaps it
    /// continues on the next ticks.
    pub(super) fn jumped(
        &mut self,
        event: usize,
        row: usize,
        outcome: usize,
        up: bool,
        kind: SteamKind,
    ) {
        if !self.enabled() || !self.rng.gen_bool(STEAM_ODDS) {
            return;
        }
        // One steam per outcome: a second jump of a steaming outcome is just its own move.
        if self
            .steams
            .iter()
            .any(|s| s.event == event && s.row == row && s.outcome == outcome)
        {
            return;
        }
        let (fewest, most) = match kind {
            SteamKind::Jump => STEAM_STEPS,
            SteamKind::Against => AGAINST_STEPS,
        };
        let left = self.rng.gen_range(fewest..=most);
        self.steams.push(Steam {
            event,
            row,
            outcome,
            up,
            kind,
            left,
        });
    }

    /// A market row of `book` returned from `hidden` at tick `tick`: perhaps it flaps.
    pub(super) fn returned(
        &mut self,
        tick: u64,
        event: usize,
        row: usize,
        book: usize,
        hidden: Availability,
    ) {
        if !self.enabled() || !self.rng.gen_bool(FLAP_ODDS) {
            return;
        }
        let left = self.rng.gen_range(FLAPS.0..=FLAPS.1);
        let at = tick + self.rng.gen_range(FLAP_GAP.0..=FLAP_GAP.1);
        self.flaps.push(Flap {
            event,
            row,
            book,
            hidden,
            at,
            left,
        });
    }

    /// Moves every live steam one step and flaps what is due at `tick`; ends what is done.
    pub(super) fn step(&mut self, tick: u64, events: &mut [SimEvent]) {
        let rng = &mut self.rng;
        self.steams.retain_mut(|steam| {
            let market = &mut events[steam.event].markets[steam.row];
            let books: &[usize] = match steam.kind {
                SteamKind::Jump => &[0, 1, 2],
                SteamKind::Against => &[0],
            };
            let (low, high) = match steam.kind {
                SteamKind::Jump => JUMP_STEP,
                SteamKind::Against => AGAINST_STEP,
            };
            let size = rng.gen_range(low..high);
            let factor = 1.0 + if steam.up { size } else { -size };
            let fits = books.iter().all(|&b| {
                let next = f64::from(market.prices[steam.outcome][b]) * factor;
                market.state[b] == Availability::Open
                    && (f64::from(PRICE_BAND.0)..=f64::from(PRICE_BAND.1)).contains(&next)
            });
            if !fits {
                return false;
            }
            for &b in books {
                move_price(&mut market.prices, steam.outcome, b, factor);
            }
            steam.left -= 1;
            steam.left > 0
        });
        self.flaps.retain_mut(|flap| {
            if flap.at > tick {
                return true;
            }
            let state = &mut events[flap.event].markets[flap.row].state[flap.book];
            if *state == Availability::Open {
                // Open: suspend again, until the gap passes.
                *state = flap.hidden;
                flap.at = tick + rng.gen_range(FLAP_GAP.0..=FLAP_GAP.1);
                true
            } else if *state == flap.hidden {
                // Hidden by the flap: return; another flap if any are left.
                *state = Availability::Open;
                flap.left -= 1;
                flap.at = tick + rng.gen_range(FLAP_GAP.0..=FLAP_GAP.1);
                flap.left > 0
            } else {
                // Something else (a script) changed it: the flap is over.
                false
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::DateTime;

    use super::*;
    use crate::sim::catalog::overround;
    use crate::sim::model::Model;

    fn model(seed: u64, events: u32) -> Model {
        Model::generate(
            seed,
            events,
            DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        )
    }

    /// Row index of the 1X2 market (id 3743).
    fn one_x_two(model: &Model) -> usize {
        model.events[0]
            .markets
            .iter()
            .position(|m| model.defs[m.def as usize].market_id == "3743")
            .unwrap()
    }

    #[test]
    fn a_steam_moves_the_same_outcome_the_same_way_then_ends_keeping_the_margin() {
        let mut model = model(42, 5);
        let row = one_x_two(&model);
        let mut dynamics = Dynamics::new(42);
        dynamics.steams.push(Steam {
            event: 0,
            row,
            outcome: 0,
            up: true,
            kind: SteamKind::Jump,
            left: 3,
        });
        let margins = |model: &Model| {
            (0..3)
                .map(|b| overround(&model.events[0].markets[row].prices, b) - 1.0)
                .collect::<Vec<_>>()
        };
        for step in 0..3 {
            let before = model.events[0].markets[row].prices[0];
            dynamics.step(step + 1, &mut model.events);
            let after = model.events[0].markets[row].prices[0];
            for b in 0..3 {
                let change = f64::from(after[b]) / f64::from(before[b]) - 1.0;
                assert!(change >= 0.07, "step {step} book {b}: {change}");
            }
            for margin in margins(&model) {
                assert!((0.045..=0.085).contains(&margin), "step {step}: {margin}");
            }
        }
        assert!(dynamics.steams().is_empty(), "three steps, then it ends");
        let before = model.events[0].markets[row].prices.clone();
        dynamics.step(4, &mut model.events);
        assert_eq!(model.events[0].markets[row].prices, before);
    }

    #[test]
    fn an_against_the_market_steam_moves_the_home_book_alone_down() {
        let mut model = model(42, 5);
        let row = one_x_two(&model);
        let mut dynamics = Dynamics::new(42);
        dynamics.steams.push(Steam {
            event: 0,
            row,
            outcome: 2,
            up: false,
            kind: SteamKind::Against,
            left: 2,
        });
        for step in 0..2 {
            let before = model.events[0].markets[row].prices[2];
            dynamics.step(step + 1, &mut model.events);
            let after = model.events[0].markets[row].prices[2];
            assert!(after[0] < before[0], "{after:?} {before:?}");
            assert_eq!(after[1..], before[1..], "competitors stay");
        }
        assert!(dynamics.steams().is_empty());
    }

    #[test]
    fn ticked_steams_continue_a_jump_and_end_within_four_ticks() {
        let mut model = model(42, 200);
        let (mut seen, mut along) = (0, 0);
        for _ in 0..30 {
            let live: Vec<(usize, usize, usize, bool, u32)> = model
                .dynamics
                .steams()
                .iter()
                .map(|s| {
                    let price = model.events[s.event].markets[s.row].prices[s.outcome][0];
                    (s.event, s.row, s.outcome, s.up, price)
                })
                .collect();
            for steam in model.dynamics.steams() {
                assert!(steam.left <= STEAM_STEPS.1);
            }
            model.tick();
            for (e, r, o, up, before) in live {
                let after = model.events[e].markets[r].prices[o][0];
                seen += 1;
                along += usize::from(if up { after > before } else { after < before });
            }
        }
        assert!(seen > 0, "30 ticks on 200 events start some steam");
        // A step is skipped only at the price band's edge or on a hidden market, and the
        // walk or a staged risk rarely moves the same outcome back in the same tick.
        assert!(
            along * 10 >= seen * 9,
            "{along} of {seen} steps went the steam's way"
        );
        // Nothing new starts; every live steam ends within its four steps.
        for _ in 0..4 {
            model.dynamics.off = true;
            model.tick();
        }
        assert!(model.dynamics.steams().is_empty());
    }

    #[test]
    fn a_returned_market_flaps_then_stays_open() {
        let mut model = model(42, 5);
        let row = one_x_two(&model);
        let mut dynamics = Dynamics::new(7);
        // Draw until this return flaps (a quarter of them do).
        for _ in 0..64 {
            if !dynamics.flaps.is_empty() {
                break;
            }
            dynamics.returned(0, 0, row, 1, Availability::Suspended);
        }
        assert_eq!(dynamics.flaps.len(), 1);
        let flaps = dynamics.flaps[0].left;
        let mut suspensions = 0;
        let mut last = Availability::Open;
        for tick in 1..=12 {
            dynamics.step(tick, &mut model.events);
            let state = model.events[0].markets[row].state[1];
            if state == Availability::Suspended && last == Availability::Open {
                suspensions += 1;
            }
            last = state;
        }
        assert_eq!(suspensions, flaps, "each flap suspends once");
        assert_eq!(last, Availability::Open);
        assert!(dynamics.flaps.is_empty());
    }

    /// Seed 42, 1,300 events, 60 ticks: the moves of an outcome on a book by ≥ 7 % and how
    /// many repeat an outcome already moved, with the dynamics on and off (the bare random
    /// walk). `(moves, repeats)`.
    fn repeated_moves(off: bool) -> (usize, usize) {
        repeated_moves_of(42, 1_300, 60, off, false)
    }

    /// `(moves, repeats)` as [`repeated_moves`], of `events` over `ticks`, on the primary
    /// markets alone if `primary`.
    fn repeated_moves_of(
        seed: u64,
        events: u32,
        ticks: usize,
        off: bool,
        primary: bool,
    ) -> (usize, usize) {
        let mut model = model(seed, events);
        model.dynamics.off = off;
        let mut moved = HashSet::new();
        let (mut moves, mut repeats) = (0, 0);
        for _ in 0..ticks {
            let before: Vec<Vec<Vec<[u32; 3]>>> = model
                .events
                .iter()
                .map(|e| e.markets.iter().map(|m| m.prices.clone()).collect())
                .collect();
            model.tick();
            for (e, event) in model.events.iter().enumerate() {
                for (m, market) in event.markets.iter().enumerate() {
                    let main = model.defs[market.def as usize]
                        .mapping
                        .is_some_and(|m| m.primary);
                    if primary && !main {
                        continue;
                    }
                    for (o, prices) in market.prices.iter().enumerate() {
                        for b in 0..3 {
                            let old = f64::from(before[e][m][o][b]);
                            if (f64::from(prices[b]) / old - 1.0).abs() >= 0.07 {
                                moves += 1;
                                if !moved.insert((e, m, o, b)) {
                                    repeats += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        (moves, repeats)
    }

    #[test]
    fn steams_repeat_moves_of_the_same_outcome() {
        let (moves, repeats) = repeated_moves(false);
        let (bare_moves, bare_repeats) = repeated_moves(true);
        let (main_moves, main_repeats) = repeated_moves_of(42, 1_300, 60, false, true);
        println!("main markets alone: {main_moves} moves, {main_repeats} repeats");
        println!(
            "seed 42, 1300 events, 60 ticks: {moves} moves >= 7 %, {repeats} repeat an outcome \
             already moved; bare random walk: {bare_moves} moves, {bare_repeats} repeats"
        );
        assert!(repeats * 10 > moves, "{repeats} of {moves}");
        assert!(bare_repeats * 10 < repeats, "{bare_repeats} vs {repeats}");
    }

    #[test]
    fn the_demo_steams_a_main_market_within_two_minutes() {
        // The demo's default: 200 events, a cycle every 10 s, so twelve ticks in two minutes.
        for seed in [42, 7] {
            let mut model = model(seed, 200);
            let mut main = HashSet::new();
            for _ in 0..12 {
                model.tick();
                for steam in model.dynamics.steams() {
                    let def = model.events[steam.event].markets[steam.row].def;
                    if model.defs[def as usize].mapping.is_some_and(|m| m.primary) {
                        main.insert((steam.event, steam.row, steam.outcome));
                    }
                }
            }
            assert!(!main.is_empty(), "seed {seed}: no steam on a main market");
        }
    }
}
