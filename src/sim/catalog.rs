//! What the simulated market is made of: the market types and row template (≈ 170 rows per
//! event on the home book, ≈ 68 mapped ones on every book, as a real cycle has), team and
//! country names, and how prices are quoted.

use rand::Rng;
use rand::rngs::SmallRng;

use crate::domain::Line;
use crate::sources::mapping::{self, MarketMapping};

/// A market type the model knows: a mapped one (all books) or a home-only one.
#[derive(Debug)]
pub struct MarketDef {
    /// BetPawa market-type id.
    pub market_id: String,
    /// BetPawa display name.
    pub name: String,
    /// Outcome names, BetPawa's.
    pub outcomes: Vec<String>,
    /// Row in the mapping table; `None` for markets only the home book quotes.
    pub mapping: Option<&'static MarketMapping>,
}

pub(super) const CITIES: &[&str] = &[
    "Lagos", "Kano", "Enugu", "Ibadan", "Abuja", "Jos", "Kaduna", "Benin", "Warri", "Owerri",
    "Accra", "Kumasi", "Nairobi", "Mombasa", "Kampala", "Lusaka", "Harare", "Durban", "Cairo",
    "Tunis", "Dakar", "Abidjan", "Douala", "Luanda", "Madrid", "Porto", "Milan", "Lyon", "Bremen",
    "Leeds",
];
pub(super) const SUFFIXES: &[&str] = &["United", "City", "Rangers", "Stars", "Rovers", "Athletic"];
pub(super) const COUNTRIES: &[&str] = &[
    "Nigeria",
    "England",
    "Spain",
    "Italy",
    "Germany",
    "France",
    "Portugal",
    "Ghana",
    "Kenya",
    "Egypt",
    "Netherlands",
    "Brazil",
    "Argentina",
    "Turkey",
    "Scotland",
    "Belgium",
    "Greece",
    "Morocco",
    "South Africa",
    "International",
];

/// Rounds thousandths to two decimals, as the books quote, within `[1.01, 100]`.
pub(super) fn quote(milli: f64) -> u32 {
    let rounded = ((milli / 10.0).round() * 10.0).clamp(1010.0, 100_000.0);
    rounded as u32
}

/// Opening prices of a market with `n` outcomes on every book ([`super::SimBook::index`]):
/// one true probability per outcome, each competitor's view of it off by at most ±1.5 %, and
/// each book's own margin in 5–8 %. The margin is applied after a book's view is normalised, so
/// an ordinary market sits inside 5–8 % on every book (before the two-decimal quote) and the
/// home price stays below the competitors' fair odds: neither `margin` nor `off_market` fires
/// on a market nobody touched.
///
/// It takes exactly the draws the generator always took (`n` weights, then two per outcome),
/// and spreads the margins from those draws' low digits: a seed keeps its events, listings and
/// ids, which tests pick fixtures by.
pub(super) fn initial_quotes(rng: &mut SmallRng, n: usize) -> Vec<[u32; 3]> {
    let weights: Vec<f64> = (0..n).map(|_| rng.gen_range(0.3..1.0)).collect();
    let views: Vec<[f64; 2]> = (0..n)
        .map(|_| [rng.gen_range(0.97..1.03), rng.gen_range(0.97..1.03)])
        .collect();
    let spread = |x: f64| 0.05 + 0.03 * (x * 997.0).fract();
    let mut quotes = vec![[0u32; 3]; n];
    for book in 0..3 {
        let (seen, margin): (Vec<f64>, f64) = if book == 0 {
            (
                weights.clone(),
                spread(weights.first().copied().unwrap_or(0.5)),
            )
        } else {
            let seen = weights
                .iter()
                .zip(&views)
                .map(|(w, v)| w * (1.0 + (v[book - 1] - 1.0) / 2.0))
                .collect();
            (seen, spread(views.first().map_or(1.0, |v| v[book - 1])))
        };
        let total: f64 = seen.iter().sum();
        for (row, w) in quotes.iter_mut().zip(&seen) {
            row[book] = quote(1000.0 / (w / total * (1.0 + margin)));
        }
    }
    quotes
}

/// `Σ 1/o` of one book's prices (thousandths): 1 plus its margin. Generation arithmetic only;
/// detection never sees it.
pub(super) fn overround(prices: &[[u32; 3]], book: usize) -> f64 {
    prices.iter().map(|p| 1000.0 / f64::from(p[book])).sum()
}

/// Moves outcome `o` of one book by `factor` the way a bookmaker does: the other outcomes take
/// up the difference in implied probability, so the book's margin stays where it was (up to
/// the two-decimal quote). Without this a one-sided move would drift a market's margin, and
/// `margin` would fire on markets nobody mispriced.
pub(super) fn move_price(prices: &mut [[u32; 3]], o: usize, book: usize, factor: f64) {
    let total = overround(prices, book);
    let old_o = 1000.0 / f64::from(prices[o][book]);
    prices[o][book] = quote(f64::from(prices[o][book]) * factor);
    let new_o = 1000.0 / f64::from(prices[o][book]);
    let (rest_old, rest_new) = (total - old_o, total - new_o);
    if prices.len() < 2 || rest_old <= 0.0 || rest_new <= 0.0 {
        return;
    }
    let scale = rest_new / rest_old;
    for (j, p) in prices.iter_mut().enumerate() {
        if j != o {
            p[book] = quote(f64::from(p[book]) / scale);
        }
    }
}

/// The competitors' margin-free consensus fair odds of every outcome (thousandths, unrounded):
/// each competitor's `(1/o_i) / Σ_j (1/o_j)`, averaged, inverted — what `off_market` measures
/// the home price against, so the simulator can post a price a chosen distance from it.
pub(super) fn consensus_fair(prices: &[[u32; 3]]) -> Vec<f64> {
    let books = [1usize, 2];
    let mut mean = vec![0.0; prices.len()];
    for book in books {
        let total = overround(prices, book);
        for (m, p) in mean.iter_mut().zip(prices) {
            *m += 1000.0 / f64::from(p[book]) / total / books.len() as f64;
        }
    }
    mean.iter().map(|q| 1000.0 / q).collect()
}

fn line_values(from: i32, to: i32, step: i32) -> Vec<Option<Line>> {
    (0..)
        .map(|i| from + i * step)
        .take_while(|v| *v <= to)
        .map(|v| Some(Line::from_milli(v)))
        .collect()
}

/// Builds the market types and the row template every event uses: ≈ 68 mapped rows (all books)
/// and ≈ 100 home-only rows, as a real cycle has.
pub(super) fn market_template() -> (Vec<MarketDef>, Vec<(u16, Option<Line>)>) {
    let mut defs = Vec::new();
    let mut rows = Vec::new();
    for m in mapping::MARKETS {
        let lines = match m.market_id {
            "5000" => line_values(500, 6500, 250),
            "3774" => line_values(-3000, 3000, 250),
            "4724" => line_values(-4000, 4000, 1000)
                .into_iter()
                .filter(|l| *l != Some(Line::from_milli(0)))
                .collect(),
            "4958" => line_values(500, 3500, 1000),
            _ => vec![None],
        };
        let def = defs.len() as u16;
        defs.push(MarketDef {
            market_id: m.market_id.to_string(),
            name: m.name.to_string(),
            outcomes: m.outcomes.iter().map(|o| o.betpawa.to_string()).collect(),
            mapping: Some(m),
        });
        rows.extend(lines.into_iter().map(|l| (def, l)));
    }
    let scores: Vec<String> = (0..5)
        .flat_map(|h| (0..5).map(move |a| format!("{h}-{a}")))
        .collect();
    let def = defs.len() as u16;
    defs.push(MarketDef {
        market_id: "9001".into(),
        name: "Correct Score | Full Time".into(),
        outcomes: scores,
        mapping: None,
    });
    rows.push((def, None));
    for k in 0..9u16 {
        let def = defs.len() as u16;
        defs.push(MarketDef {
            market_id: format!("{}", 9100 + k),
            name: format!("Specials Over/Under {} | Full Time", k + 1),
            outcomes: vec!["Over".into(), "Under".into()],
            mapping: None,
        });
        rows.extend(line_values(500, 7500, 1000).into_iter().map(|l| (def, l)));
    }
    for k in 0..30u16 {
        let def = defs.len() as u16;
        let outcomes = if k % 2 == 0 {
            vec!["1".into(), "X".into(), "2".into()]
        } else {
            vec!["Yes".into(), "No".into()]
        };
        defs.push(MarketDef {
            market_id: format!("{}", 9200 + k),
            name: format!("Special {} | Full Time", k + 1),
            outcomes,
            mapping: None,
        });
        rows.push((def, None));
    }
    (defs, rows)
}
