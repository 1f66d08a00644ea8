//! The board against DESIGN §9's vectors: the same figures the alerts carry, to the hundredth.

use chrono::{DateTime, TimeZone, Utc};

use super::build;
use crate::detect::market::{Bands, MarketRules};
use crate::domain::{
    BookOdds, EventMarketOdds, Line, MarketBoard, OutcomePrice, Pattern, Price, Severity,
};

const HOME: &str = "betpawa";
const SPORTY: &str = "sportybet";
const BET9JA: &str = "bet9ja";
const ONE_X_TWO: [&str; 3] = ["1", "X", "2"];
const MARKET: [&str; 3] = ["2.00", "3.40", "4.00"];

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 18, minute, 0).unwrap()
}

fn row(
    book: &str,
    market: &str,
    line: Option<i32>,
    names: &[&str],
    odds: &[&str],
) -> EventMarketOdds {
    assert_eq!(names.len(), odds.len());
    EventMarketOdds {
        market_id: market.to_string(),
        line: line.map(Line::from_milli),
        odds: BookOdds {
            bookmaker: book.to_string(),
            is_home: book == HOME,
            available: true,
            outcomes: names
                .iter()
                .zip(odds)
                .map(|(n, o)| OutcomePrice {
                    name: (*n).to_string(),
                    price: o.parse().unwrap(),
                    active: true,
                })
                .collect(),
            last_changed: at(match book {
                HOME => 1,
                SPORTY => 2,
                _ => 3,
            }),
            last_seen: at(30),
        },
    }
}

fn one_x_two(book: &str, odds: &[&str; 3]) -> EventMarketOdds {
    row(book, "3743", None, &ONE_X_TWO, odds)
}

fn primaries() -> Vec<String> {
    ["3743", "4693", "3795", "5000", "3774"]
        .map(String::from)
        .to_vec()
}

fn board(rows: Vec<EventMarketOdds>) -> MarketBoard {
    build(7, rows, &primaries(), 2, &MarketRules::default())
}

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

/// (fair odds, edge hundredths, pattern) of each outcome of the first market.
fn figures(board: &MarketBoard) -> Vec<(Option<Price>, Option<i64>, Option<Pattern>)> {
    board.markets[0]
        .outcomes
        .iter()
        .map(|o| (o.fair_odds, o.home_edge.map(|e| e.hundredths()), o.pattern))
        .collect()
}

/// Which books' cells are marked best, per outcome of the first market.
fn best(board: &MarketBoard) -> Vec<Vec<&str>> {
    board.markets[0]
        .outcomes
        .iter()
        .map(|o| {
            o.prices
                .iter()
                .zip(&board.books)
                .filter(|(p, _)| p.is_some_and(|p| p.best))
                .map(|(_, b)| b.slug.as_str())
                .collect()
        })
        .collect()
}

#[test]
fn the_first_vector_shows_fair_odds_2_09_an_edge_of_10_14_and_a_home_margin_of_2_30() {
    let b = board(vec![
        one_x_two(SPORTY, &MARKET),
        one_x_two(HOME, &["2.30", "3.40", "3.40"]),
        one_x_two(BET9JA, &MARKET),
    ]);
    assert_eq!(b.event_id, 7);
    let slugs: Vec<_> = b
        .books
        .iter()
        .map(|b| (b.slug.as_str(), b.is_home))
        .collect();
    assert_eq!(slugs, [(HOME, true), (BET9JA, false), (SPORTY, false)]);
    let m = &b.markets[0];
    assert_eq!(
        (m.market_id.as_str(), m.market_name.as_str(), m.line),
        ("3743", "1X2 | Full Time", None)
    );
    assert_eq!(m.consensus_books, 2);
    let (fair, edge, pattern) = figures(&b)[0];
    assert_eq!((fair, edge, pattern), (Some(p("2.09")), Some(1014), None));
    // "X" and "2" are below the home price's fair value: negative edges, no pattern.
    assert!(
        figures(&b)[1..]
            .iter()
            .all(|(f, e, pat)| f.is_some() && e.is_some_and(|e| e < 300) && pat.is_none())
    );
    let margins: Vec<_> = m
        .margins
        .iter()
        .map(|m| m.map(|m| m.hundredths()))
        .collect();
    // Home 2.30/3.40/3.40 is 2.30 %; each competitor's 2.00/3.40/4.00 is 4.41 %.
    assert_eq!(margins, [Some(230), Some(441), Some(441)]);
    let home_one = m.outcomes[0].prices[0].unwrap();
    assert_eq!(
        (home_one.price, home_one.active, home_one.last_changed),
        (p("2.30"), true, at(1))
    );
}

#[test]
fn the_best_price_is_marked_on_every_book_that_has_it() {
    let b = board(vec![
        one_x_two(HOME, &["2.30", "3.40", "3.40"]),
        one_x_two(SPORTY, &MARKET),
        one_x_two(BET9JA, &MARKET),
    ]);
    assert_eq!(
        best(&b),
        [vec![HOME], vec![HOME, BET9JA, SPORTY], vec![BET9JA, SPORTY]]
    );
}

#[test]
fn a_competitor_lacking_x_leaves_no_consensus_and_no_margin_of_its_own() {
    let b = board(vec![
        one_x_two(HOME, &["2.30", "3.40", "3.40"]),
        one_x_two(SPORTY, &MARKET),
        row(BET9JA, "3743", None, &["1", "2"], &["2.00", "4.00"]),
    ]);
    assert_eq!(figures(&b), vec![(None, None, None); 3]);
    let m = &b.markets[0];
    assert_eq!(m.consensus_books, 0);
    let margins: Vec<_> = m
        .margins
        .iter()
        .map(|m| m.map(|m| m.hundredths()))
        .collect();
    assert_eq!(margins, [Some(230), None, Some(441)]);
    // Its "X" cell is empty, not zero.
    assert_eq!(m.outcomes[1].prices[1], None);
}

#[test]
fn one_enabled_competitor_is_enough_when_only_one_is_enabled() {
    let rows = vec![
        one_x_two(HOME, &["2.30", "3.40", "3.40"]),
        one_x_two(SPORTY, &MARKET),
    ];
    let b = build(7, rows.clone(), &primaries(), 1, &MarketRules::default());
    assert_eq!(figures(&b)[0], (Some(p("2.09")), Some(1014), None));
    assert_eq!(b.markets[0].consensus_books, 1);
    let b = build(7, rows, &primaries(), 2, &MarketRules::default());
    assert_eq!(figures(&b)[0], (None, None, None));
}

#[test]
fn the_palpable_error_vectors_carry_their_pattern() {
    let swapped = board(vec![
        one_x_two(HOME, &["4.00", "3.40", "2.00"]),
        one_x_two(SPORTY, &MARKET),
        one_x_two(BET9JA, &MARKET),
    ]);
    assert_eq!(figures(&swapped)[0].1, Some(9155));
    assert_eq!(figures(&swapped)[0].2, Some(Pattern::Swapped));
    let factor = board(vec![
        one_x_two(HOME, &["20.00", "3.40", "4.00"]),
        one_x_two(SPORTY, &MARKET),
        one_x_two(BET9JA, &MARKET),
    ]);
    assert_eq!(
        figures(&factor)[0],
        (Some(p("2.09")), Some(85775), Some(Pattern::Factor))
    );
    assert_eq!(factor.markets[0].margins[0].unwrap().hundredths(), -4059);
}

#[test]
fn over_under_2_5_against_1_90_both_ways() {
    let names = ["Over", "Under"];
    let b = board(vec![
        row(HOME, "5000", Some(2500), &names, &["2.10", "2.05"]),
        row(SPORTY, "5000", Some(2500), &names, &["1.90", "1.90"]),
        row(BET9JA, "5000", Some(2500), &names, &["1.90", "1.90"]),
    ]);
    assert_eq!(b.markets[0].line, Some(Line::from_milli(2500)));
    assert_eq!(
        figures(&b),
        [
            (Some(p("2.00")), Some(500), None),
            (Some(p("2.00")), Some(250), None)
        ]
    );
    assert_eq!(b.markets[0].margins[0].unwrap().hundredths(), -360);
}

#[test]
fn the_mixed_competitor_vector_is_an_edge_of_18_08_and_a_negative_home_margin() {
    // §9's fourth row: home 2.50/3.40/3.60, sportybet 2.00/3.40/4.00, bet9ja 2.05/3.30/3.90.
    let b = board(vec![
        one_x_two(HOME, &["2.50", "3.40", "3.60"]),
        one_x_two(SPORTY, &MARKET),
        one_x_two(BET9JA, &["2.05", "3.30", "3.90"]),
    ]);
    assert_eq!(figures(&b)[0].1, Some(1808));
    assert_eq!(b.markets[0].margins[0].unwrap().hundredths(), -281);
}

#[test]
fn a_suspended_home_outcome_keeps_the_fair_odds_but_has_no_edge_and_no_margin() {
    let mut home = one_x_two(HOME, &["2.30", "3.40", "3.40"]);
    home.odds.outcomes[1].active = false;
    let b = board(vec![
        home,
        one_x_two(SPORTY, &MARKET),
        one_x_two(BET9JA, &MARKET),
    ]);
    assert_eq!(figures(&b)[0], (Some(p("2.09")), None, None));
    assert_eq!(b.markets[0].consensus_books, 2);
    assert_eq!(b.markets[0].margins[0], None);
    let x = b.markets[0].outcomes[1].prices[0].unwrap();
    assert_eq!((x.price, x.active, x.best), (p("3.40"), false, false));
    // The competitors' 3.40 is still the best active "X".
    assert_eq!(best(&b)[1], [BET9JA, SPORTY]);
}

#[test]
fn an_unavailable_competitor_market_does_not_count_and_is_never_best() {
    let mut sporty = one_x_two(SPORTY, &["2.00", "3.40", "9.00"]);
    sporty.odds.available = false;
    let b = board(vec![
        one_x_two(HOME, &["2.30", "3.40", "3.40"]),
        sporty,
        one_x_two(BET9JA, &MARKET),
    ]);
    assert_eq!(figures(&b)[0], (None, None, None));
    assert_eq!(best(&b)[2], [BET9JA]);
    assert_eq!(b.markets[0].margins[2], None);
    assert!(!b.markets[0].outcomes[2].prices[2].unwrap().active);
}

#[test]
fn markets_follow_the_configured_order_lines_ascending_and_only_primary_ones() {
    let names = ["Over", "Under"];
    let b = build(
        7,
        vec![
            row(HOME, "5000", Some(2500), &names, &["1.90", "1.90"]),
            row(
                HOME,
                "4724",
                Some(-1000),
                &ONE_X_TWO,
                &["2.0", "3.0", "4.0"],
            ),
            row(SPORTY, "5000", Some(1500), &names, &["1.40", "2.80"]),
            one_x_two(HOME, &["2.30", "3.40", "3.40"]),
            row(HOME, "5000", Some(-500), &names, &["1.01", "20.00"]),
        ],
        &[" 5000 ".to_string(), "3743".to_string(), "5000".to_string()],
        2,
        &MarketRules::default(),
    );
    let keys: Vec<_> = b
        .markets
        .iter()
        .map(|m| (m.market_id.as_str(), m.line.map(Line::milli)))
        .collect();
    assert_eq!(
        keys,
        [
            ("5000", Some(-500)),
            ("5000", Some(1500)),
            ("5000", Some(2500)),
            ("3743", None)
        ]
    );
    // The 1.5 line is on sportybet alone: the home cells are missing.
    assert_eq!(b.markets[1].outcomes[0].prices[0], None);
    assert_eq!(b.markets[1].outcomes[0].prices[1].unwrap().price, p("1.40"));
}

#[test]
fn outcomes_take_the_canonical_order_and_an_unknown_market_its_books_order() {
    let b = build(
        7,
        vec![
            row(
                HOME,
                "3743",
                None,
                &["2", "1", "X"],
                &["3.40", "2.30", "3.40"],
            ),
            row(
                HOME,
                "9001",
                None,
                &["1-0", "0-0", "Other"],
                &["7.0", "9.0", "2.0"],
            ),
        ],
        &["3743".to_string(), "9001".to_string()],
        2,
        &MarketRules::default(),
    );
    let names = |m: usize| -> Vec<&str> {
        b.markets[m]
            .outcomes
            .iter()
            .map(|o| o.outcome.as_str())
            .collect()
    };
    assert_eq!(names(0), ONE_X_TWO);
    assert_eq!(names(1), ["1-0", "0-0", "Other"]);
    assert_eq!(b.markets[1].market_name, "Market 9001");
    // The home book alone: margins, but no consensus.
    assert_eq!(b.markets[0].margins[0].unwrap().hundredths(), 230);
    assert_eq!(b.markets[0].consensus_books, 0);
}

#[test]
fn an_event_without_odds_has_an_empty_board() {
    let b = board(Vec::new());
    assert!(b.books.is_empty() && b.markets.is_empty());
}

/// (edge severity) of each outcome of the first market.
fn edge_severities(board: &MarketBoard) -> Vec<Option<Severity>> {
    board.markets[0]
        .outcomes
        .iter()
        .map(|o| o.edge_severity)
        .collect()
}

#[test]
fn severities_follow_the_rules_the_board_is_built_with() {
    let rows = || {
        vec![
            one_x_two(HOME, &["2.30", "3.40", "3.40"]),
            one_x_two(SPORTY, &MARKET),
            one_x_two(BET9JA, &MARKET),
        ]
    };
    // Defaults (3 / 6 / 10 %, floor 2 %): +10.14 % is critical, the 2.30 % margin no band.
    let b = board(rows());
    assert_eq!(edge_severities(&b), [Some(Severity::Critical), None, None]);
    assert_eq!(b.markets[0].margin_severity, [None, None, None]);
    // Saved settings of 11 / 12 / 13 % and a 3 % floor: the same edge raises nothing and the
    // home margin (and no competitor's 4.41 %) is a warning — as the detector would say.
    let rules = MarketRules {
        off_market: Bands {
            warning: 1100,
            elevated: 1200,
            critical: 1300,
        },
        margin_floor: 300,
        ..MarketRules::default()
    };
    let b = build(7, rows(), &primaries(), 2, &rules);
    assert_eq!(edge_severities(&b), [None, None, None]);
    assert_eq!(
        b.markets[0].margin_severity,
        [Some(Severity::Warning), None, None]
    );
    // 6 %: elevated.
    let rules = MarketRules {
        off_market: Bands {
            warning: 300,
            elevated: 600,
            critical: 1100,
        },
        ..MarketRules::default()
    };
    let b = build(7, rows(), &primaries(), 2, &rules);
    assert_eq!(edge_severities(&b)[0], Some(Severity::Elevated));
}

#[test]
fn a_pattern_below_warning_has_no_severity_and_a_negative_margin_is_critical() {
    let swapped = board(vec![
        one_x_two(HOME, &["4.00", "3.40", "2.00"]),
        one_x_two(SPORTY, &MARKET),
        one_x_two(BET9JA, &MARKET),
    ]);
    let o = &swapped.markets[0].outcomes;
    assert_eq!(
        (o[0].pattern, o[0].edge_severity),
        (Some(Pattern::Swapped), Some(Severity::Critical))
    );
    // "2" at -52.11 %: the pattern is seen, but the detector raises nothing on it.
    assert_eq!(o[2].home_edge.map(|e| e.hundredths()), Some(-5211));
    assert_eq!(
        (o[2].pattern, o[2].edge_severity),
        (Some(Pattern::Swapped), None)
    );
    let factor = board(vec![
        one_x_two(HOME, &["20.00", "3.40", "4.00"]),
        one_x_two(SPORTY, &MARKET),
        one_x_two(BET9JA, &MARKET),
    ]);
    assert_eq!(
        factor.markets[0].margin_severity[0],
        Some(Severity::Critical)
    );
}
