//! The seeded market model behind the simulated books: events, their markets per book, and how
//! prices move. Pure state plus a seeded `SmallRng`: the same seed and the same sequence of ticks
//! and scripted moves give the same prices.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod rates;
mod scenario;
mod script;
mod steam;

pub use script::ScriptError;

pub use super::catalog::MarketDef;
use super::catalog::{
    CITIES, COUNTRIES, SUFFIXES, initial_quotes, market_template, move_price, quote,
};
use crate::domain::Line;
use scenario::Scenarios;
use steam::{Dynamics, SteamKind};

/// A book the simulator serves in its own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimBook {
    /// The home book.
    Betpawa,
    /// A competitor.
    Sportybet,
    /// A competitor.
    Bet9ja,
}

impl SimBook {
    /// All simulated books, home first.
    pub const ALL: [SimBook; 3] = [SimBook::Betpawa, SimBook::Sportybet, SimBook::Bet9ja];

    /// Index into per-book arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The book slug.
    pub fn slug(self) -> &'static str {
        match self {
            SimBook::Betpawa => "betpawa",
            SimBook::Sportybet => "sportybet",
            SimBook::Bet9ja => "bet9ja",
        }
    }
}

/// Whether a book currently shows a market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    /// Quoted and open.
    Open,
    /// Shown with every outcome suspended (Bet9ja and The Odds API simply omit it).
    Suspended,
    /// Not in the response at all.
    Removed,
}

/// One market row (market with its line) of one event.
#[derive(Debug, Clone)]
pub struct SimMarket {
    /// Index into [`Model::defs`].
    pub def: u16,
    /// The line, for line markets.
    pub line: Option<Line>,
    /// Price in thousandths per outcome, per book ([`SimBook::index`]).
    pub prices: Vec<[u32; 3]>,
    /// Availability per book.
    pub state: [Availability; 3],
}

/// One simulated match.
#[derive(Debug, Clone)]
pub struct SimEvent {
    /// SportRadar match id.
    pub sportradar_id: u64,
    /// BetPawa's event id.
    pub betpawa_id: u64,
    /// Bet9ja's event id.
    pub bet9ja_id: u64,
    /// Index into [`Model::competitions`].
    pub competition: usize,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
    /// Kickoff.
    pub kickoff: DateTime<Utc>,
    /// Whether each book lists the event.
    pub listed: [bool; 3],
    /// BetPawa shows the SportRadar widget on the full event.
    pub betpawa_widget: bool,
    /// BetPawa list items carry `widgets` (else the adapter must fetch the event).
    pub betpawa_list_widgets: bool,
    /// Bet9ja gives an `EXTID`.
    pub bet9ja_extid: bool,
    /// Market rows.
    pub markets: Vec<SimMarket>,
}

/// A competition with its ids on each book.
#[derive(Debug, Clone)]
pub struct Competition {
    /// Shared numeric id (BetPawa competition id, Bet9ja group id, SportyBet `sr:tournament:N`).
    pub id: u64,
    /// Name.
    pub name: String,
    /// Country id.
    pub country_id: u64,
    /// Country name.
    pub country: String,
}

/// The whole simulated market.
#[derive(Debug)]
pub struct Model {
    rng: SmallRng,
    tick: u64,
    /// Market types.
    pub defs: Vec<MarketDef>,
    /// Competitions.
    pub competitions: Vec<Competition>,
    /// Events.
    pub events: Vec<SimEvent>,
    by_sportradar: HashMap<u64, usize>,
    by_betpawa: HashMap<u64, usize>,
    by_bet9ja: HashMap<u64, usize>,
    unavailable: Vec<(usize, usize, usize)>,
    scenarios: Scenarios,
    /// Steams and flaps: moves that repeat ([`steam`]).
    dynamics: Dynamics,
}

impl Model {
    /// A market of `events` events generated from `seed`, with kickoffs relative to `now`:
    /// a few within the hour, the rest spread over a week.
    pub fn generate(seed: u64, events: u32, now: DateTime<Utc>) -> Model {
        let mut rng = SmallRng::seed_from_u64(seed);
        let (defs, template) = market_template();
        let competition_count = (events as usize / 22).clamp(4, 80);
        let competitions: Vec<Competition> = (0..competition_count)
            .map(|c| {
                let country_index = c % COUNTRIES.len();
                Competition {
                    id: 10_000 + c as u64,
                    name: format!(
                        "{} League {}",
                        COUNTRIES[country_index],
                        c / COUNTRIES.len() + 1
                    ),
                    country_id: 100 + country_index as u64,
                    country: COUNTRIES[country_index].to_string(),
                }
            })
            .collect();
        let mut model = Model {
            rng: SmallRng::seed_from_u64(0),
            tick: 0,
            defs,
            competitions,
            events: Vec::with_capacity(events as usize),
            by_sportradar: HashMap::new(),
            by_betpawa: HashMap::new(),
            by_bet9ja: HashMap::new(),
            unavailable: Vec::new(),
            scenarios: Scenarios::default(),
            dynamics: Dynamics::new(seed),
        };
        // Whole minutes, as the books show kickoffs.
        let now_minute = DateTime::from_timestamp(now.timestamp() / 60 * 60, 0).unwrap_or(now);
        for i in 0..events as u64 {
            // A quarter of the events share one big competition, so its list pages past 100.
            let competition = if i % 4 == 0 {
                0
            } else {
                rng.gen_range(0..competition_count)
            };
            let minutes = if rng.gen_bool(0.03) {
                rng.gen_range(3..60)
            } else {
                rng.gen_range(60..7 * 24 * 60)
            };
            let city = |rng: &mut SmallRng| {
                format!(
                    "{} {}",
                    CITIES[rng.gen_range(0..CITIES.len())],
                    SUFFIXES[rng.gen_range(0..SUFFIXES.len())]
                )
            };
            let home = city(&mut rng);
            let away = city(&mut rng);
            let markets = template
                .iter()
                .map(|(def, line)| {
                    let prices = initial_quotes(&mut rng, model.defs[*def as usize].outcomes.len());
                    SimMarket {
                        def: *def,
                        line: *line,
                        prices,
                        state: [Availability::Open; 3],
                    }
                })
                .collect();
            let event = SimEvent {
                sportradar_id: 61_000_000 + i * 7,
                betpawa_id: 30_000_000 + i * 3,
                bet9ja_id: 700_000_000 + i,
                competition,
                home,
                away,
                kickoff: now_minute + Duration::minutes(minutes),
                listed: [true, rng.gen_bool(0.92), rng.gen_bool(0.92)],
                betpawa_widget: rng.gen_bool(0.99),
                betpawa_list_widgets: rng.gen_bool(0.95),
                bet9ja_extid: rng.gen_bool(0.98),
                markets,
            };
            let index = model.events.len();
            model.by_sportradar.insert(event.sportradar_id, index);
            model.by_betpawa.insert(event.betpawa_id, index);
            model.by_bet9ja.insert(event.bet9ja_id, index);
            model.events.push(event);
        }
        // Moves draw from their own stream, so adding events does not reshuffle generation.
        model.rng = SmallRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        model.scenarios = Scenarios::new(&model, now_minute + Duration::hours(2));
        model
    }

    /// Ticks so far.
    pub fn ticks(&self) -> u64 {
        self.tick
    }

    /// Whether a book offers `market` (home-only markets are the home book's alone).
    pub fn offers(&self, book: SimBook, market: &SimMarket) -> bool {
        book == SimBook::Betpawa || self.defs[market.def as usize].mapping.is_some()
    }

    /// Advances the market one step: random walks on about a tenth of the events, occasional
    /// jumps, the home book sometimes moving against the competitors, markets suspending,
    /// disappearing and returning — every move keeping the moved book's margin — and then the
    /// staged market risks of DESIGN §9 ([`scenario`]): a consensus move the home book does
    /// not follow, a home price off the market (now and then a palp), a home market under the
    /// margin floor, each undone a few ticks later as a trader would. Moves repeat as real
    /// ones do: a jump sometimes continues the same way on the next ticks, and a returned
    /// market sometimes suspends again ([`steam`]).
    pub fn tick(&mut self) -> u64 {
        self.tick += 1;
        self.dynamics.step(self.tick, &mut self.events);
        self.random_walk();
        self.stage_risks();
        self.tick
    }

    /// The background noise of a tick (see [`Model::tick`]).
    fn random_walk(&mut self) {
        let rng = &mut self.rng;
        let still = self.unavailable.len();
        let mut kept = Vec::with_capacity(still);
        for (e, m, b) in self.unavailable.drain(..) {
            if rng.gen_bool(0.3) {
                let state = &mut self.events[e].markets[m].state[b];
                let hidden = *state;
                *state = Availability::Open;
                if hidden != Availability::Open {
                    self.dynamics.returned(self.tick, e, m, b, hidden);
                }
            } else {
                kept.push((e, m, b));
            }
        }
        self.unavailable = kept;
        for e in 0..self.events.len() {
            if rng.gen_bool(0.1) {
                let m = rng.gen_range(0..self.events[e].markets.len());
                let market = &mut self.events[e].markets[m];
                let o = rng.gen_range(0..market.prices.len());
                let roll: f64 = rng.gen_range(0.0..1.0);
                let factors: [f64; 3] = if roll < 0.6 {
                    // The whole market drifts; the books disagree by a few tenths of a percent
                    // (more, and the competitors would often clear §9's 3 % consensus move
                    // while the home book stayed just under it).
                    let f = 1.0 + rng.gen_range(-0.025..0.025);
                    [
                        f,
                        f + rng.gen_range(-0.003..0.003),
                        f + rng.gen_range(-0.003..0.003),
                    ]
                } else if roll < 0.75 {
                    let f =
                        1.0 + rng.gen_range(0.08..0.2) * if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
                    [f, f, f]
                } else if roll < 0.9 {
                    // The home book moves against the market: the trader's key risk.
                    let up = rng.gen_bool(0.5);
                    let home = 1.0 + rng.gen_range(0.02..0.09) * if up { 1.0 } else { -1.0 };
                    // The competitors drift the other way, under §9's consensus move: the
                    // staged risks (scenario) make the consensus moves.
                    let comp = 1.0 + rng.gen_range(0.005..0.025) * if up { -1.0 } else { 1.0 };
                    [home, comp, comp]
                } else {
                    let mut f = [1.0; 3];
                    f[rng.gen_range(0..3)] = 1.0 + rng.gen_range(-0.05..0.05);
                    f
                };
                // Against the market, only the home book rebalances its other outcomes: the
                // competitors' small drift barely touches their margins, and rebalancing it too
                // would turn one disagreement into one per outcome.
                let against = (0.75..0.9).contains(&roll);
                if (0.6..0.9).contains(&roll) {
                    let kind = if against {
                        SteamKind::Against
                    } else {
                        SteamKind::Jump
                    };
                    self.dynamics.jumped(e, m, o, factors[0] > 1.0, kind);
                }
                for (book, factor) in factors.into_iter().enumerate() {
                    if factor == 1.0 {
                        continue;
                    }
                    if against && book > 0 {
                        let price = &mut market.prices[o][book];
                        *price = quote(f64::from(*price) * factor);
                    } else {
                        move_price(&mut market.prices, o, book, factor);
                    }
                }
            }
            if rng.gen_bool(0.01) {
                let b = rng.gen_range(0..3);
                let m = rng.gen_range(0..self.events[e].markets.len());
                let market = &mut self.events[e].markets[m];
                let offered = b == 0 || self.defs[market.def as usize].mapping.is_some();
                if offered && market.state[b] == Availability::Open {
                    market.state[b] = if rng.gen_bool(0.5) {
                        Availability::Suspended
                    } else {
                        Availability::Removed
                    };
                    self.unavailable.push((e, m, b));
                }
            }
        }
    }

    /// The event with SportRadar id `id`.
    pub fn by_sportradar(&self, id: u64) -> Option<&SimEvent> {
        self.by_sportradar.get(&id).map(|i| &self.events[*i])
    }

    /// The event with BetPawa id `id`.
    pub fn by_betpawa(&self, id: u64) -> Option<&SimEvent> {
        self.by_betpawa.get(&id).map(|i| &self.events[*i])
    }

    /// The event with Bet9ja id `id`.
    pub fn by_bet9ja(&self, id: u64) -> Option<&SimEvent> {
        self.by_bet9ja.get(&id).map(|i| &self.events[*i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn fingerprint(model: &Model) -> Vec<u32> {
        model
            .events
            .iter()
            .flat_map(|e| {
                e.markets
                    .iter()
                    .flat_map(|m| m.prices.iter().flatten().copied())
            })
            .collect()
    }

    #[test]
    fn same_seed_gives_the_same_market_and_moves() {
        let mut a = Model::generate(7, 50, now());
        let mut b = Model::generate(7, 50, now());
        assert_eq!(fingerprint(&a), fingerprint(&b));
        for _ in 0..5 {
            a.tick();
            b.tick();
        }
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = Model::generate(8, 50, now());
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn ticks_move_some_prices_but_not_all() {
        let mut model = Model::generate(1, 200, now());
        let before = fingerprint(&model);
        model.tick();
        let after = fingerprint(&model);
        let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert!(moved > 0);
        assert!(moved < before.len() / 10);
    }

    #[test]
    fn events_carry_real_cycle_market_counts() {
        let model = Model::generate(1, 10, now());
        let event = &model.events[0];
        let home_rows = event.markets.len();
        let mapped_rows = event
            .markets
            .iter()
            .filter(|m| model.offers(SimBook::Sportybet, m))
            .count();
        assert!((160..=180).contains(&home_rows), "{home_rows}");
        assert!((60..=75).contains(&mapped_rows), "{mapped_rows}");
    }

    #[test]
    fn staged_risks_are_undone_within_five_ticks() {
        let mut model = Model::generate(3, 100, now());
        let before = fingerprint(&model);
        for _ in 0..40 {
            model.tick();
            // At most three risks a tick, each undone within five ticks.
            assert!(
                model.scenarios.pending() <= 15,
                "{}",
                model.scenarios.pending()
            );
        }
        assert!(model.scenarios.pending() > 0);
        assert_ne!(before, fingerprint(&model));
    }

    #[test]
    fn ordinary_markets_keep_a_normal_margin_on_every_book() {
        let mut model = Model::generate(5, 50, now());
        for _ in 0..20 {
            model.tick();
        }
        let margins: Vec<f64> = model
            .events
            .iter()
            .flat_map(|e| &e.markets)
            .flat_map(|m| (0..3).map(|b| super::super::catalog::overround(&m.prices, b) - 1.0))
            .collect();
        let normal = margins
            .iter()
            .filter(|m| (0.045..=0.085).contains(*m))
            .count();
        // Two-decimal quotes on long prices and the staged risks leave a few outside.
        assert!(
            normal * 100 >= margins.len() * 97,
            "{normal} of {}",
            margins.len()
        );
    }

    #[test]
    fn a_scripted_market_sets_every_named_outcome_or_nothing() {
        let mut model = Model::generate(1, 10, now());
        let id = model.events[0].sportradar_id.to_string();
        let p = |s: &str| s.parse::<Price>().unwrap();
        let row = |model: &Model| {
            model.events[0]
                .markets
                .iter()
                .find(|m| model.defs[m.def as usize].market_id == "3743")
                .unwrap()
                .prices
                .iter()
                .map(|o| o[SimBook::Bet9ja.index()])
                .collect::<Vec<_>>()
        };
        model
            .set_availability(SimBook::Bet9ja, &id, "3743", None, Availability::Removed)
            .unwrap();
        let prices = [("1", p("2.30")), ("X", p("3.40")), ("2", p("3.40"))];
        model
            .set_market(SimBook::Bet9ja, &id, "3743", None, &prices)
            .unwrap();
        assert_eq!(row(&model), [2300, 3400, 3400]);
        let m = model.events[0]
            .markets
            .iter()
            .find(|m| model.defs[m.def as usize].market_id == "3743")
            .unwrap();
        assert_eq!(m.state[SimBook::Bet9ja.index()], Availability::Open);
        let bad = [("1", p("2.00")), ("Z", p("3.00"))];
        assert!(matches!(
            model.set_market(SimBook::Bet9ja, &id, "3743", None, &bad),
            Err(ScriptError::UnknownOutcome { .. })
        ));
        let too_low = [("1", p("1.00"))];
        assert!(matches!(
            model.set_market(SimBook::Bet9ja, &id, "3743", None, &too_low),
            Err(ScriptError::BadPrice(_))
        ));
        assert_eq!(
            row(&model),
            [2300, 3400, 3400],
            "a bad call changes nothing"
        );
    }

    #[test]
    fn scripted_price_lands_on_one_book_only() {
        let mut model = Model::generate(1, 10, now());
        let id = model.events[0].sportradar_id.to_string();
        model
            .set_price(
                SimBook::Sportybet,
                &id,
                "3743",
                None,
                "X",
                "3.33".parse().unwrap(),
            )
            .unwrap();
        let m = model.events[0]
            .markets
            .iter()
            .find(|m| model.defs[m.def as usize].market_id == "3743")
            .unwrap();
        assert_eq!(m.prices[1][SimBook::Sportybet.index()], 3330);
        assert_ne!(m.prices[1][SimBook::Betpawa.index()], 3330);
        assert!(matches!(
            model.set_price(
                SimBook::Bet9ja,
                &id,
                "9001",
                None,
                "1-0",
                "5".parse().unwrap()
            ),
            Err(ScriptError::UnknownMarket { .. })
        ));
        assert!(matches!(
            model.set_price(
                SimBook::Betpawa,
                &id,
                "3743",
                None,
                "Z",
                "5".parse().unwrap()
            ),
            Err(ScriptError::UnknownOutcome { .. })
        ));
    }
}
