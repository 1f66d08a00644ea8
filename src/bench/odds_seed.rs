//! Realistic current odds and price history for stored events, so the market screen has data
//! on a demo or benchmark database without a live pipeline. Deterministic for a given seed.
//!
//! **What is written.** Every event gets the simulator's card (`sim::catalog`'s template): on
//! the home book (`betpawa`) the 68 mapped rows — 1X2, Double Chance, BTTS, Over/Under 0.5–6.5
//! and Asian Handicap −3–+3 in quarter steps, and the mapped secondary markets — plus ≈ 100
//! home-only rows (≈ 170 in all, as a real cycle has); on each competitor (`sportybet`,
//! `bet9ja`) the 68 mapped rows. About 8 % of events are not listed on a competitor.
//!
//! **How prices are made.** Each event has two goal rates; a Poisson model gives every
//! market's true probabilities; each book sees them off by at most ±3 % and adds its own 5–8 %
//! margin; prices are quoted to two decimals. So an ordinary market is on the market for
//! `off_market` and above the margin floor; a few events get a home price left 12 % long (an
//! `off_market` edge to see), a suspended home outcome or a competitor lacking a market.
//!
//! **History.** The first write is 48 hours before `now` (everything first seen, so every row
//! has history); then every 2 hours until `now` (or the kickoff) markets move: a market
//! without a line on a given book about one time in four, a line market one time in thirty.
//! Every move of a primary market is one row of price history (the secondary markets' moves
//! update the current odds only, to keep a million-alert database's seed in minutes), all
//! through the store's own cycle-batch writer, as the pipeline writes them.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::domain::{NoisePolicy, OutcomeOdds, Price};
use crate::sources::mapping;
use crate::store::{BatchEvent, CycleBatch, EventRecord, OddsWrite, Store, StoreError, line_key};

/// The home book and the competitors written.
const BOOKS: [&str; 3] = ["betpawa", "sportybet", "bet9ja"];

/// Moves after the first write, one every [`STEP_HOURS`].
const STEPS: i64 = 24;

/// Hours between two moves.
const STEP_HOURS: i64 = 2;

/// Events written per batch chain (bounds the memory of a large seed).
const EVENTS_PER_CHUNK: usize = 200;

/// Highest number of goals per side the model counts (the rest is negligible).
const MAX_GOALS: usize = 10;

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OddsSeedSummary {
    /// Current-odds rows written (inserted, then updated by the moves).
    pub odds_rows: u64,
    /// Price-history rows written.
    pub history_rows: u64,
}

/// One row of the card: a market with its line and outcome names.
struct CardRow {
    market_id: String,
    line: Option<i32>,
    outcomes: Vec<String>,
    /// Mapped rows are on every book; the others on the home book only.
    mapped: bool,
    /// A primary market (the board's), whose moves are frequent enough to chart.
    primary: bool,
}

/// The card every event gets, as the simulator's template has it.
fn card() -> Vec<CardRow> {
    let lines = |from: i32, to: i32, step: i32| -> Vec<Option<i32>> {
        (0..)
            .map(|i| from + i * step)
            .take_while(|v| *v <= to)
            .map(Some)
            .collect()
    };
    let mut rows = Vec::new();
    for m in mapping::MARKETS {
        let market_lines = match m.market_id {
            "5000" => lines(500, 6500, 250),
            "3774" => lines(-3000, 3000, 250),
            "4724" => lines(-4000, 4000, 1000)
                .into_iter()
                .filter(|l| *l != Some(0))
                .collect(),
            "4958" => lines(500, 3500, 1000),
            _ => vec![None],
        };
        for line in market_lines {
            rows.push(CardRow {
                market_id: m.market_id.to_string(),
                line,
                outcomes: m.outcomes.iter().map(|o| o.betpawa.to_string()).collect(),
                mapped: true,
                primary: m.primary,
            });
        }
    }
    let scores = (0..5).flat_map(|h| (0..5).map(move |a| format!("{h}-{a}")));
    rows.push(CardRow {
        market_id: "9001".into(),
        line: None,
        outcomes: scores.collect(),
        mapped: false,
        primary: false,
    });
    for k in 0..9 {
        for line in lines(500, 7500, 1000) {
            rows.push(CardRow {
                market_id: (9100 + k).to_string(),
                line,
                outcomes: vec!["Over".into(), "Under".into()],
                mapped: false,
                primary: false,
            });
        }
    }
    for k in 0..30 {
        let outcomes = if k % 2 == 0 {
            vec!["1", "X", "2"]
        } else {
            vec!["Yes", "No"]
        };
        rows.push(CardRow {
            market_id: (9200 + k).to_string(),
            line: None,
            outcomes: outcomes.into_iter().map(String::from).collect(),
            mapped: false,
            primary: false,
        });
    }
    rows
}

/// The joint distribution of full-time goals `(home, away)` with Poisson rates.
fn scores(home_rate: f64, away_rate: f64) -> Vec<Vec<f64>> {
    let poisson = |rate: f64| -> Vec<f64> {
        let mut p = vec![(-rate).exp()];
        for k in 1..=MAX_GOALS {
            let next = p[k - 1] * rate / k as f64;
            p.push(next);
        }
        p
    };
    let (h, a) = (poisson(home_rate), poisson(away_rate));
    h.iter()
        .map(|ph| a.iter().map(|pa| ph * pa).collect())
        .collect()
}

/// The probability of every `(home, away)` score for which `keep` holds.
fn sum_where(joint: &[Vec<f64>], keep: impl Fn(i32, i32) -> bool) -> f64 {
    let mut total = 0.0;
    for (h, row) in joint.iter().enumerate() {
        for (a, p) in row.iter().enumerate() {
            if keep(h as i32, a as i32) {
                total += p;
            }
        }
    }
    total
}

/// Win and lose probabilities of a line bet on `value(h, a)` in thousandths against `line`
/// (a push refunds), as the fair probability of winning among decided bets.
fn line_bet(joint: &[Vec<f64>], line: i32, value: impl Fn(i32, i32) -> i32) -> f64 {
    let win = sum_where(joint, |h, a| value(h, a) + line > 0);
    let lose = sum_where(joint, |h, a| value(h, a) + line < 0);
    (win / (win + lose).max(1e-9)).clamp(0.005, 0.995)
}

/// True probabilities of one card row's outcomes (in its order) for an event's goal rates.
fn probabilities(
    row: &CardRow,
    full: &[Vec<f64>],
    half: &[Vec<f64>],
    rng: &mut SmallRng,
) -> Vec<f64> {
    let one_x_two = |j: &[Vec<f64>]| {
        [
            sum_where(j, |h, a| h > a),
            sum_where(j, |h, a| h == a),
            sum_where(j, |h, a| h < a),
        ]
    };
    let line = row.line.unwrap_or(0);
    match row.market_id.as_str() {
        "3743" => one_x_two(full).to_vec(),
        "3668" => one_x_two(half).to_vec(),
        "4693" => {
            let [p1, px, p2] = one_x_two(full);
            vec![p1 + px, px + p2, p1 + p2]
        }
        "3795" => {
            let yes = sum_where(full, |h, a| h > 0 && a > 0);
            vec![yes, 1.0 - yes]
        }
        "5000" | "4958" => {
            let j = if row.market_id == "5000" { full } else { half };
            let over = line_bet(j, -line, |h, a| (h + a) * 1000);
            vec![over, 1.0 - over]
        }
        "3774" => {
            let home = line_bet(full, line, |h, a| (h - a) * 1000);
            vec![home, 1.0 - home]
        }
        "4724" => vec![
            sum_where(full, |h, a| (h - a) * 1000 + line > 0),
            sum_where(full, |h, a| (h - a) * 1000 + line == 0),
            sum_where(full, |h, a| (h - a) * 1000 + line < 0),
        ],
        "4703" => {
            let [p1, _, p2] = one_x_two(full);
            vec![p1 / (p1 + p2), p2 / (p1 + p2)]
        }
        "4833" => {
            let odd = sum_where(full, |h, a| (h + a) % 2 == 1);
            vec![odd, 1.0 - odd]
        }
        "9001" => (0..5)
            .flat_map(|h| (0..5).map(move |a| (h, a)))
            .map(|(h, a)| full[h][a])
            .collect(),
        _ => {
            // Home-only specials: any plausible split.
            let weights: Vec<f64> = row
                .outcomes
                .iter()
                .map(|_| rng.gen_range(0.2..1.0))
                .collect();
            let total: f64 = weights.iter().sum();
            weights.iter().map(|w| w / total).collect()
        }
    }
}

/// A book's quotes of true probabilities `p`: its view off by at most ±3 %, rescaled to the
/// same total, with its own margin, to two decimals within 1.01–100.
fn quote(p: &[f64], margin: f64, rng: &mut SmallRng) -> Vec<Price> {
    let view: Vec<f64> = p
        .iter()
        .map(|p| p.max(0.001) * rng.gen_range(0.97..1.03))
        .collect();
    let scale = p.iter().sum::<f64>() / view.iter().sum::<f64>();
    view.iter()
        .map(|v| to_price(1.0 / (v * scale * (1.0 + margin))))
        .collect()
}

/// Decimal odds to a two-decimal price within 1.01–100.
fn to_price(odds: f64) -> Price {
    let hundredths = (odds * 100.0).round().clamp(101.0, 10_000.0) as u32;
    Price::from_milli(hundredths * 10)
}

/// One (event, book, card row) being written.
struct Slot {
    book: usize,
    row: usize,
    outcomes: Vec<OutcomeOdds>,
}

/// Writes the card and 48 hours of moves for `events` (which must be stored, or are stored by
/// the batches), on the home book and two competitors; the last write is at `now`.
pub async fn seed_odds(
    store: &Store,
    events: &[EventRecord],
    now: DateTime<Utc>,
    seed: u64,
) -> Result<OddsSeedSummary, StoreError> {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x0dd5_5eed);
    let card = card();
    let mut summary = OddsSeedSummary::default();
    let start = now - Duration::hours(STEPS * STEP_HOURS);
    for chunk in events.chunks(EVENTS_PER_CHUNK) {
        let mut slots: Vec<Vec<Slot>> =
            chunk.iter().map(|_| event_slots(&card, &mut rng)).collect();
        for step in 0..=STEPS {
            let at = if step == STEPS {
                now
            } else {
                start + Duration::hours(step * STEP_HOURS)
            };
            let mut batch = CycleBatch {
                at,
                noise: NoisePolicy::default(),
                ..CycleBatch::default()
            };
            for (event, slots) in chunk.iter().zip(&mut slots) {
                if step > 0 && event.kickoff.is_some_and(|k| k <= at) {
                    continue;
                }
                let before = batch.odds.len();
                for slot in slots.iter_mut() {
                    let row = &card[slot.row];
                    let moved = step == 0 || {
                        let chance = match (row.primary, row.line) {
                            (true, None) => 0.25,
                            (true, Some(_)) => 1.0 / 30.0,
                            (false, _) => 1.0 / 60.0,
                        };
                        rng.gen_bool(chance) && move_price(&mut slot.outcomes, &mut rng)
                    };
                    if moved {
                        batch.odds.push(OddsWrite {
                            event_key: event.sr_id.clone(),
                            bookmaker: BOOKS[slot.book].to_string(),
                            market_id: row.market_id.clone(),
                            line: line_key(row.line.map(crate::domain::Line::from_milli)),
                            outcomes: slot.outcomes.clone(),
                            available: true,
                            unavailable_since: None,
                            record_history: row.primary,
                        });
                    }
                }
                if batch.odds.len() > before {
                    batch.events.push(BatchEvent {
                        record: event.clone(),
                        books: Vec::new(),
                    });
                }
            }
            if batch.odds.is_empty() {
                continue;
            }
            let written = store.write_cycle_batch(&batch).await?;
            summary.odds_rows += written.odds_rows;
            summary.history_rows += written.history_rows;
        }
    }
    Ok(summary)
}

/// One event's rows on every book with their opening prices, and its few oddities.
fn event_slots(card: &[CardRow], rng: &mut SmallRng) -> Vec<Slot> {
    let home_rate = rng.gen_range(0.8..2.0);
    let away_rate = rng.gen_range(0.6..1.7);
    let full = scores(home_rate, away_rate);
    let half = scores(home_rate * 0.45, away_rate * 0.45);
    let margins = [
        rng.gen_range(0.05..0.08),
        rng.gen_range(0.05..0.08),
        rng.gen_range(0.05..0.08),
    ];
    // About 8 % of events are missing on each competitor, as the simulator lists them.
    let listed = [true, rng.gen_bool(0.92), rng.gen_bool(0.92)];
    let home_long = rng.gen_bool(0.03);
    let suspended_row = rng.gen_bool(0.05).then(|| rng.gen_range(0..card.len()));
    let lacking_row = rng.gen_bool(0.05).then(|| rng.gen_range(0..card.len()));
    let mut slots = Vec::with_capacity(card.len() * 2);
    for (index, row) in card.iter().enumerate() {
        let p = probabilities(row, &full, &half, rng);
        for (book, (&is_listed, &margin)) in listed.iter().zip(&margins).enumerate() {
            if !is_listed || (book > 0 && (!row.mapped || lacking_row == Some(index))) {
                continue;
            }
            let mut prices = quote(&p, margin, rng);
            if book == 0 && home_long && row.market_id == "3743" {
                prices[0] = to_price(prices[0].as_f64() * 1.12);
            }
            let outcomes = row
                .outcomes
                .iter()
                .zip(prices)
                .enumerate()
                .map(|(i, (name, price))| OutcomeOdds {
                    name: name.clone(),
                    price,
                    active: !(book == 0 && suspended_row == Some(index) && i == 0),
                })
                .collect();
            slots.push(Slot {
                book,
                row: index,
                outcomes,
            });
        }
    }
    slots
}

/// Moves one outcome's price 2–8 % up or down (a tick of at least 0.01); false when the
/// quote would not change.
fn move_price(outcomes: &mut [OutcomeOdds], rng: &mut SmallRng) -> bool {
    let i = rng.gen_range(0..outcomes.len());
    let factor = if rng.gen_bool(0.5) { 1.0 } else { -1.0 } * rng.gen_range(0.02..0.08);
    let old = outcomes[i].price;
    let new = to_price(old.as_f64() * (1.0 + factor));
    outcomes[i].price = new;
    new != old
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_has_the_simulators_row_counts() {
        let card = card();
        assert_eq!(card.iter().filter(|r| r.mapped).count(), 68);
        assert_eq!(card.len(), 171);
        let primary = card.iter().filter(|r| r.primary).count();
        assert_eq!(primary, 3 + 25 + 25);
    }

    #[test]
    fn an_ordinary_market_is_quoted_inside_the_books_margin() {
        let mut rng = SmallRng::seed_from_u64(3);
        let joint = scores(1.5, 1.1);
        let card = card();
        let one_x_two = &card[card.iter().position(|r| r.market_id == "3743").unwrap()];
        let p = probabilities(one_x_two, &joint, &joint, &mut rng);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        let prices = quote(&p, 0.06, &mut rng);
        let overround: f64 = prices.iter().map(|p| 1.0 / p.as_f64()).sum::<f64>() - 1.0;
        assert!((0.04..0.08).contains(&overround), "{overround}");
        assert!(
            prices
                .iter()
                .all(|p| p.milli() % 10 == 0 && p.milli() >= 1010)
        );
    }

    #[test]
    fn asian_lines_favour_the_side_they_handicap() {
        let joint = scores(1.8, 0.9);
        let giving = line_bet(&joint, -1500, |h, a| (h - a) * 1000);
        let getting = line_bet(&joint, 1500, |h, a| (h - a) * 1000);
        assert!(giving < 0.5 && getting > 0.9, "{giving} {getting}");
    }
}
