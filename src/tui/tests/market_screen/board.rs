//! The market screen's fixture: event 2's board of three books and its 1X2 price history.

use chrono::{DateTime, Duration, Utc};

use super::super::fixtures::now;
use crate::domain::{
    BoardBook, BoardMarket, BoardOutcome, BoardPrice, Line, MarketBoard, OutcomePrice, Pattern,
    Percent, Price, PricePoint, Severity,
};

const BOOKS: [&str; 3] = ["betpawa", "sportybet", "bet9ja"];

/// A price from its text.
pub(super) fn price(text: &str) -> Price {
    text.parse().expect("a price")
}

fn minutes_ago(minutes: i64) -> DateTime<Utc> {
    now() - Duration::minutes(minutes)
}

/// When each book last changed its prices: the home book 5 minutes ago, sportybet 12, bet9ja
/// two hours and five minutes.
const AGES: [i64; 3] = [5, 12, 125];

/// One outcome row: each book's price (`"s2.30"` is a suspended 2.30, `""` unpriced), the fair
/// odds and the home edge in hundredths; the best active price is marked as the service does.
fn outcome(name: &str, prices: [&str; 3], fair: Option<&str>, edge: Option<i64>) -> BoardOutcome {
    let cells: Vec<Option<BoardPrice>> = prices
        .iter()
        .zip(AGES)
        .map(|(text, age)| {
            if text.is_empty() {
                return None;
            }
            let (active, digits) = match text.strip_prefix('s') {
                Some(rest) => (false, rest),
                None => (true, *text),
            };
            Some(BoardPrice {
                price: price(digits),
                active,
                last_changed: minutes_ago(age),
                best: false,
            })
        })
        .collect();
    let best = cells
        .iter()
        .flatten()
        .filter(|p| p.active)
        .map(|p| p.price)
        .max();
    let prices = cells
        .into_iter()
        .map(|c| {
            c.map(|p| BoardPrice {
                best: p.active && Some(p.price) == best,
                ..p
            })
        })
        .collect();
    BoardOutcome {
        outcome: name.into(),
        prices,
        fair_odds: fair.map(price),
        home_edge: edge.map(Percent::from_hundredths),
        pattern: None,
        edge_severity: None,
    }
}

fn market(
    id: &str,
    name: &str,
    line: Option<&str>,
    outcomes: Vec<BoardOutcome>,
    margins: [Option<i64>; 3],
    consensus_books: usize,
) -> BoardMarket {
    BoardMarket {
        market_id: id.into(),
        market_name: name.into(),
        line: line.map(|l| l.parse::<Line>().expect("a line")),
        outcomes,
        margins: margins
            .iter()
            .map(|m| m.map(Percent::from_hundredths))
            .collect(),
        margin_severity: vec![None; 3],
        consensus_books,
    }
}

/// Event 2's board (Real Madrid v Sevilla): §9's first vector on 1X2 (home "1" 2.30 against
/// 2.00 on both competitors: fair 2.09, edge +10.14 %), a suspended bet9ja "No" on BTTS (so no
/// bet9ja margin there), a swapped Asian handicap, a line bet9ja does not price, and enough
/// markets to scroll at 80x24.
pub(super) fn board() -> MarketBoard {
    let mut swapped_home = outcome("1", ["2.600", "1.50", "1.52"], Some("1.53"), Some(6993));
    swapped_home.pattern = Some(Pattern::Swapped);
    swapped_home.edge_severity = Some(Severity::Critical);
    // The swapped pattern holds on "2" too, but below warning the detector raises nothing.
    let mut swapped_away = outcome("2", ["1.50", "2.60", "2.55"], Some("2.62"), Some(-4275));
    swapped_away.pattern = Some(Pattern::Swapped);
    let mut vector = outcome("1", ["2.30", "2.00", "2.00"], Some("2.09"), Some(1014));
    vector.edge_severity = Some(Severity::Critical);
    let mut under_floor = market(
        "5000",
        "Over/Under | Full Time",
        Some("3.5"),
        vec![
            outcome("Over", ["3.10", "3.00", ""], None, None),
            outcome("Under", ["1.36", "1.38", ""], None, None),
        ],
        [Some(-127), Some(579), None],
        1,
    );
    under_floor.margin_severity[0] = Some(Severity::Critical);
    MarketBoard {
        event_id: 2,
        books: BOOKS
            .iter()
            .map(|slug| BoardBook {
                slug: (*slug).into(),
                is_home: *slug == "betpawa",
            })
            .collect(),
        markets: vec![
            market(
                "3743",
                "1X2 | Full Time",
                None,
                vec![
                    vector,
                    outcome("X", ["3.40", "3.40", "3.40"], Some("3.55"), Some(-422)),
                    outcome("2", ["3.40", "4.00", "4.00"], Some("4.18"), Some(-1858)),
                ],
                [Some(230), Some(441), Some(441)],
                2,
            ),
            market(
                "4693",
                "Double Chance | Full Time",
                None,
                vec![
                    outcome("1X", ["1.36", "1.33", "1.35"], Some("1.40"), Some(-286)),
                    outcome("X2", ["1.80", "1.85", "1.83"], Some("1.90"), Some(-526)),
                    outcome("12", ["1.33", "1.30", "1.31"], Some("1.37"), Some(-292)),
                ],
                [Some(1259), Some(1402), Some(1335)],
                2,
            ),
            market(
                "3795",
                "Both Teams To Score | Full Time",
                None,
                vec![
                    outcome("Yes", ["1.70", "1.72", "1.75"], None, None),
                    outcome("No", ["2.05", "2.00", "s2.10"], None, None),
                ],
                [Some(660), Some(814), None],
                1,
            ),
            market(
                "5000",
                "Over/Under | Full Time",
                Some("2.5"),
                vec![
                    outcome("Over", ["1.90", "1.88", "1.87"], Some("1.95"), Some(-256)),
                    outcome("Under", ["1.95", "1.92", "1.93"], Some("2.05"), Some(-488)),
                ],
                [Some(392), Some(528), Some(529)],
                2,
            ),
            under_floor,
            market(
                "3774",
                "Asian Handicap | Full Time",
                Some("-0.5"),
                vec![swapped_home, swapped_away],
                [Some(1133), Some(5128), Some(5004)],
                2,
            ),
        ],
    }
}

/// Prices of 1X2 recorded every 30 minutes over the last six hours: the home book drifts up on
/// "1", sportybet and bet9ja come in.
pub(super) fn history() -> Vec<PricePoint> {
    let mut points = Vec::new();
    for step in 0..12_i32 {
        let at = now() - Duration::minutes(360 - i64::from(step) * 30);
        for (book, one) in [
            ("betpawa", 2.10 + f64::from(step.min(8)) * 0.025),
            ("sportybet", 2.20 - f64::from(step) * 0.02),
            ("bet9ja", 2.15 - f64::from(step / 3) * 0.05),
        ] {
            points.push(PricePoint {
                bookmaker: book.into(),
                recorded_at: at,
                outcomes: ["1", "X", "2"]
                    .iter()
                    .zip([one, 3.40, 4.00])
                    .map(|(name, price)| OutcomePrice {
                        name: (*name).into(),
                        price: (price * 100.0).round() / 100.0,
                        active: true,
                    })
                    .collect(),
            });
        }
    }
    points
}
