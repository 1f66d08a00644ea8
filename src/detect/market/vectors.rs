//! DESIGN.md §9's test vectors, one test per row, at the level of the pure rules: each checks
//! the figures of the rule under test (edge, band, pattern, fair odds, margin, median,
//! severity) and the "nothing" rows. Defaults; 1X2 outcomes "1"/"X"/"2"; both competitors
//! sportybet and bet9ja enabled.

use super::*;
use crate::domain::{Direction, Price};

const SPORTY: &str = "sportybet";
const BET9JA: &str = "bet9ja";
const ONE_X_TWO: [&str; 3] = ["1", "X", "2"];
const OVER_UNDER: [&str; 2] = ["Over", "Under"];
const COMPETITOR_1X2: [&str; 3] = ["2.00", "3.40", "4.00"];

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

fn quotes<'a>(names: &[&'a str], odds: &[&str]) -> Vec<Quote<'a>> {
    assert_eq!(names.len(), odds.len());
    names
        .iter()
        .zip(odds)
        .map(|(n, o)| Quote {
            outcome: n,
            price: p(o),
        })
        .collect()
}

/// `off_market` of `home` against sportybet and bet9ja, both enabled.
fn evaluate<'a>(
    home: &[Quote<'a>],
    sporty: &[Quote<'_>],
    bet9ja: &[Quote<'_>],
) -> Option<OffMarket<'a, &'static str>> {
    let books = [
        BookQuotes {
            book: SPORTY,
            quotes: sporty,
        },
        BookQuotes {
            book: BET9JA,
            quotes: bet9ja,
        },
    ];
    off_market(home, &books, 2, &MarketRules::default())
}

/// `off_market` of a 1X2 home market against both competitors at 2.00/3.40/4.00.
fn against_market(home_odds: &[&str; 3]) -> OffMarket<'static, &'static str> {
    let home = quotes(&ONE_X_TWO, home_odds);
    let market = quotes(&ONE_X_TWO, &COMPETITOR_1X2);
    let result = evaluate(&home, &market, &market).expect("both competitors count");
    assert_eq!(result.books, [BET9JA, SPORTY]);
    result
}

fn margin_of(names: &[&str], odds: &[&str]) -> Margin {
    margin(&quotes(names, odds), &MarketRules::default()).expect("complete")
}

/// (edge, band, pattern) of each outcome.
fn figures(result: &OffMarket<'_, &str>) -> Vec<(i64, Band, Pattern)> {
    result
        .outcomes
        .iter()
        .map(|o| (o.edge, o.band, o.pattern))
        .collect()
}

#[test]
fn home_one_at_2_30_is_critical_off_market_with_fair_odds_2_09() {
    let result = against_market(&["2.30", "3.40", "3.40"]);
    let one = &result.outcomes[0];
    assert_eq!(one.outcome, "1");
    assert_eq!(
        (one.edge, one.band, one.pattern),
        (1014, Band::Critical, Pattern::None)
    );
    assert_eq!(one.fair_odds, p("2.09"));
    assert_eq!(result.banded().count(), 1, "nothing on X, 2");
    let margin = margin_of(&ONE_X_TWO, &["2.30", "3.40", "3.40"]);
    assert_eq!((margin.margin, margin.band), (230, Band::None));
}

#[test]
fn home_one_at_2_16_is_a_warning() {
    let result = against_market(&["2.16", "3.40", "3.60"]);
    assert_eq!(figures(&result)[0], (344, Band::Warning, Pattern::None));
    assert_eq!(result.banded().count(), 1);
}

#[test]
fn home_one_at_2_25_is_elevated_and_the_margin_a_warning() {
    let result = against_market(&["2.25", "3.40", "3.60"]);
    assert_eq!(figures(&result)[0], (775, Band::Elevated, Pattern::None));
    assert_eq!(result.banded().count(), 1);
    let margin = margin_of(&ONE_X_TWO, &["2.25", "3.40", "3.60"]);
    assert_eq!((margin.margin, margin.band), (163, Band::Warning));
}

#[test]
fn different_competitors_give_18_08_percent_and_a_negative_margin() {
    let home = quotes(&ONE_X_TWO, &["2.50", "3.40", "3.60"]);
    let sporty = quotes(&ONE_X_TWO, &COMPETITOR_1X2);
    let bet9ja = quotes(&ONE_X_TWO, &["2.05", "3.30", "3.90"]);
    let result = evaluate(&home, &sporty, &bet9ja).unwrap();
    assert_eq!(figures(&result)[0], (1808, Band::Critical, Pattern::None));
    assert_eq!(result.banded().count(), 1);
    let margin = margin_of(&ONE_X_TWO, &["2.50", "3.40", "3.60"]);
    assert_eq!((margin.margin, margin.band), (-281, Band::Critical));
}

#[test]
fn over_under_over_is_a_warning_under_is_not_and_the_margin_is_critical() {
    let home = quotes(&OVER_UNDER, &["2.10", "2.05"]);
    let market = quotes(&OVER_UNDER, &["1.90", "1.90"]);
    let result = evaluate(&home, &market, &market).unwrap();
    assert_eq!(
        figures(&result),
        [
            (500, Band::Warning, Pattern::None),
            (250, Band::None, Pattern::None)
        ]
    );
    assert_eq!(result.outcomes[0].fair_odds, p("2.00"));
    let margin = margin_of(&OVER_UNDER, &["2.10", "2.05"]);
    assert_eq!((margin.margin, margin.band), (-360, Band::Critical));
}

#[test]
fn swapped_home_and_away_prices_are_critical_with_pattern_swapped() {
    let result = against_market(&["4.00", "3.40", "2.00"]);
    assert_eq!(
        figures(&result)[0],
        (9155, Band::Critical, Pattern::Swapped)
    );
    assert_eq!(result.banded().count(), 1);
    let margin = margin_of(&ONE_X_TWO, &["4.00", "3.40", "2.00"]);
    assert_eq!((margin.margin, margin.band), (441, Band::None));
}

#[test]
fn twenty_for_two_is_critical_with_pattern_factor() {
    let result = against_market(&["20.00", "3.40", "4.00"]);
    assert_eq!(
        figures(&result)[0],
        (85775, Band::Critical, Pattern::Factor)
    );
    assert_eq!(result.banded().count(), 1);
    let margin = margin_of(&ONE_X_TWO, &["20.00", "3.40", "4.00"]);
    assert_eq!((margin.margin, margin.band), (-4059, Band::Critical));
}

#[test]
fn one_complete_competitor_is_not_enough() {
    let home = quotes(&ONE_X_TWO, &["2.30", "3.40", "3.40"]);
    let sporty = quotes(&ONE_X_TWO, &COMPETITOR_1X2);
    let bet9ja = quotes(&["1", "2"], &["2.00", "4.00"]);
    assert_eq!(evaluate(&home, &sporty, &bet9ja), None);
    assert_eq!(
        margin_of(&ONE_X_TWO, &["2.30", "3.40", "3.40"]).band,
        Band::None
    );
}

#[test]
fn the_same_band_raises_once_and_again_after_falling_below_warning() {
    let mut memory = BandMemory::new();
    let mut cycle = |home_one: &str| -> Vec<&'static str> {
        let result = against_market(&[home_one, "3.40", "3.40"]);
        result
            .outcomes
            .iter()
            .filter(|o| memory.should_raise(o.outcome, o.band))
            .map(|o| o.outcome)
            .collect()
    };
    assert_eq!(cycle("2.30"), ["1"], "first sight raises");
    assert!(cycle("2.30").is_empty(), "first row again: nothing");
    assert!(cycle("2.10").is_empty(), "2.10: below warning, nothing");
    assert_eq!(cycle("2.30"), ["1"], "2.30 again: critical again");
}

fn book(book: &'static str, old: &str, new: &str) -> BookMove<&'static str> {
    BookMove {
        book,
        old: p(old),
        new: p(new),
    }
}

fn home(old: &str, new: &str) -> PriceMove {
    PriceMove {
        old: p(old),
        new: p(new),
    }
}

fn moved(
    home_move: PriceMove,
    books: &[BookMove<&'static str>],
) -> Option<MarketMove<&'static str>> {
    market_move(home_move, books, 2, &MarketRules::default())
}

fn both_down() -> [BookMove<&'static str>; 2] {
    [book(SPORTY, "2.00", "1.80"), book(BET9JA, "2.00", "1.84")]
}

#[test]
fn two_competitors_down_and_home_still_is_a_market_move_of_minus_9() {
    let raised = moved(home("2.00", "2.00"), &both_down()).unwrap();
    assert_eq!(raised.direction, Direction::Down);
    assert_eq!((raised.median_change, raised.band), (-900, Band::Warning));
    assert_eq!(raised.home, home("2.00", "2.00"));
    assert_eq!(
        raised.movers,
        [
            Mover {
                book: BET9JA,
                old: p("2.00"),
                new: p("1.84"),
                change: -800
            },
            Mover {
                book: SPORTY,
                old: p("2.00"),
                new: p("1.80"),
                change: -1000
            },
        ]
    );
    // The competitors' own price changes (§3, now raised for competitors too).
    let rules = Bands::PRICE_CHANGE;
    assert_eq!(change_hundredths(p("2.00"), p("1.80")), Some(-1000));
    assert_eq!(rules.band(1000), Band::Elevated);
    assert_eq!(change_hundredths(p("2.00"), p("1.84")), Some(-800));
    assert_eq!(rules.band(800), Band::Warning);
}

#[test]
fn the_home_book_following_the_market_raises_no_market_move() {
    assert_eq!(moved(home("2.00", "1.90"), &both_down()), None);
}

#[test]
fn the_home_book_moving_the_other_way_still_raises_the_market_move() {
    let raised = moved(home("2.00", "2.10"), &both_down()).unwrap();
    assert_eq!(raised.direction, Direction::Down);
    assert_eq!((raised.median_change, raised.band), (-900, Band::Warning));
    assert_eq!(raised.home_change, 500);
}

#[test]
fn one_competitor_moving_is_no_market_move() {
    for bet9ja_new in ["2.00", "1.95", "2.08"] {
        // unchanged, −2.50 %, +4.00 %
        let books = [
            book(SPORTY, "2.00", "1.80"),
            book(BET9JA, "2.00", bet9ja_new),
        ];
        assert_eq!(
            moved(home("2.00", "2.00"), &books),
            None,
            "bet9ja {bet9ja_new}"
        );
    }
}

#[test]
fn sixteen_and_twenty_percent_down_is_a_critical_market_move_of_minus_18() {
    let books = [book(SPORTY, "2.00", "1.68"), book(BET9JA, "2.00", "1.60")];
    let raised = moved(home("2.00", "2.00"), &books).unwrap();
    assert_eq!((raised.median_change, raised.band), (-1800, Band::Critical));
    let changes: Vec<i64> = raised.movers.iter().map(|m| m.change).collect();
    assert_eq!(changes, [-2000, -1600]);
}

#[test]
fn a_failed_fetch_does_not_lower_the_number_of_books_required() {
    // bet9ja's fetch failed: only sportybet's move is known, but two competitors are enabled.
    let books = [book(SPORTY, "2.00", "1.80")];
    assert_eq!(moved(home("2.00", "2.00"), &books), None);
}

#[test]
fn market_move_severity_uses_the_price_change_bands_and_never_drops_below_warning() {
    let severity = |sporty_new: &str, bet9ja_new: &str| {
        let books = [
            book(SPORTY, "2.00", sporty_new),
            book(BET9JA, "2.00", bet9ja_new),
        ];
        let raised = moved(home("2.00", "2.00"), &books).unwrap();
        (raised.median_change, raised.band)
    };
    assert_eq!(
        severity("1.93", "1.93"),
        (-350, Band::Warning),
        "below 7 %: still warning"
    );
    assert_eq!(severity("2.14", "2.14"), (700, Band::Warning));
    assert_eq!(severity("1.80", "1.80"), (-1000, Band::Elevated));
    assert_eq!(severity("2.30", "2.30"), (1500, Band::Critical));
    assert_eq!(
        severity("2.29", "2.30"),
        (1475, Band::Elevated),
        "mean of the middle two"
    );
}
