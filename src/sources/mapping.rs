//! The market-mapping table: which market of each book is which canonical (BetPawa) market, and
//! how its outcomes are named. Data, not code: a new market is one more row of [`MARKETS`].

/// What a market's line means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The market has no line.
    None,
    /// The line is the goals total (over/under).
    Total,
    /// The line is the **home** handicap.
    Handicap,
}

/// One outcome's name on each book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeMapping {
    /// BetPawa's name: the canonical one.
    pub betpawa: &'static str,
    /// SportyBet's `desc`.
    pub sportybet: &'static str,
    /// Bet9ja's key suffix.
    pub bet9ja: &'static str,
}

/// One canonical market and its identity on each book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketMapping {
    /// BetPawa market-type id: the canonical id.
    pub market_id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Primary markets raise alerts (the filters decide; this is the default set).
    pub primary: bool,
    /// What the line means.
    pub line: LineKind,
    /// SportyBet market id.
    pub sportybet_id: &'static str,
    /// Bet9ja market key (the `S_…` part before `@` and the outcome).
    pub bet9ja_key: &'static str,
    /// The Odds API market key, if it has one.
    pub odds_api_key: Option<&'static str>,
    /// Outcomes, in BetPawa's order.
    pub outcomes: &'static [OutcomeMapping],
}

const fn o(betpawa: &'static str, sportybet: &'static str, bet9ja: &'static str) -> OutcomeMapping {
    OutcomeMapping {
        betpawa,
        sportybet,
        bet9ja,
    }
}

const ONE_X_TWO: &[OutcomeMapping] = &[
    o("1", "Home", "1"),
    o("X", "Draw", "X"),
    o("2", "Away", "2"),
];
const OVER_UNDER: &[OutcomeMapping] = &[o("Over", "Over", "O"), o("Under", "Under", "U")];
const HOME_AWAY: &[OutcomeMapping] = &[o("1", "Home", "1"), o("2", "Away", "2")];

/// The mapping table (BOOKMAKERS.md). The first five rows are the primary markets.
pub static MARKETS: &[MarketMapping] = &[
    MarketMapping {
        market_id: "3743",
        name: "1X2 | Full Time",
        primary: true,
        line: LineKind::None,
        sportybet_id: "1",
        bet9ja_key: "S_1X2",
        odds_api_key: Some("h2h"),
        outcomes: ONE_X_TWO,
    },
    MarketMapping {
        market_id: "4693",
        name: "Double Chance | Full Time",
        primary: true,
        line: LineKind::None,
        sportybet_id: "10",
        bet9ja_key: "S_DC",
        odds_api_key: None,
        outcomes: &[
            o("1X", "Home or Draw", "1X"),
            o("X2", "Draw or Away", "X2"),
            o("12", "Home or Away", "12"),
        ],
    },
    MarketMapping {
        market_id: "3795",
        name: "Both Teams To Score | Full Time",
        primary: true,
        line: LineKind::None,
        sportybet_id: "29",
        bet9ja_key: "S_GGNG",
        odds_api_key: None,
        outcomes: &[o("Yes", "Yes", "Y"), o("No", "No", "N")],
    },
    MarketMapping {
        market_id: "5000",
        name: "Over/Under | Full Time",
        primary: true,
        line: LineKind::Total,
        sportybet_id: "18",
        bet9ja_key: "S_OU",
        odds_api_key: Some("totals"),
        outcomes: OVER_UNDER,
    },
    MarketMapping {
        market_id: "3774",
        name: "Asian Handicap | Full Time",
        primary: true,
        line: LineKind::Handicap,
        sportybet_id: "16",
        bet9ja_key: "S_AH",
        odds_api_key: Some("spreads"),
        outcomes: HOME_AWAY,
    },
    MarketMapping {
        market_id: "4724",
        name: "3-Way Handicap | Full Time",
        primary: false,
        line: LineKind::Handicap,
        sportybet_id: "14",
        bet9ja_key: "S_1X2HND",
        odds_api_key: None,
        outcomes: &[
            o("1", "Home", "1H"),
            o("X", "Draw", "XH"),
            o("2", "Away", "2H"),
        ],
    },
    MarketMapping {
        market_id: "4703",
        name: "Draw No Bet | Full Time",
        primary: false,
        line: LineKind::None,
        sportybet_id: "11",
        bet9ja_key: "S_DNB",
        odds_api_key: None,
        outcomes: HOME_AWAY,
    },
    MarketMapping {
        market_id: "4833",
        name: "Odd/Even | Full Time",
        primary: false,
        line: LineKind::None,
        sportybet_id: "26",
        bet9ja_key: "S_OE",
        odds_api_key: None,
        outcomes: &[o("Odd", "Odd", "OD"), o("Even", "Even", "EV")],
    },
    MarketMapping {
        market_id: "3668",
        name: "1X2 | 1st Half",
        primary: false,
        line: LineKind::None,
        sportybet_id: "60",
        bet9ja_key: "S_1X21T",
        odds_api_key: None,
        outcomes: ONE_X_TWO,
    },
    MarketMapping {
        market_id: "4958",
        name: "Over/Under | 1st Half",
        primary: false,
        line: LineKind::Total,
        sportybet_id: "68",
        bet9ja_key: "S_OU1T",
        odds_api_key: None,
        outcomes: OVER_UNDER,
    },
];

/// The mapping of a BetPawa market-type id.
pub fn by_betpawa_id(id: &str) -> Option<&'static MarketMapping> {
    MARKETS.iter().find(|m| m.market_id == id)
}

/// The mapping of a SportyBet market id.
pub fn by_sportybet_id(id: &str) -> Option<&'static MarketMapping> {
    MARKETS.iter().find(|m| m.sportybet_id == id)
}

/// The mapping of a Bet9ja market key (`S_OU`, without `@line` or outcome).
pub fn by_bet9ja_key(key: &str) -> Option<&'static MarketMapping> {
    MARKETS.iter().find(|m| m.bet9ja_key == key)
}

/// The mapping of an Odds API market key (`h2h`, `totals`, `spreads`).
pub fn by_odds_api_key(key: &str) -> Option<&'static MarketMapping> {
    MARKETS.iter().find(|m| m.odds_api_key == Some(key))
}

impl MarketMapping {
    /// True when the market is quoted per line.
    pub fn has_line(&self) -> bool {
        self.line != LineKind::None
    }

    /// The canonical name of a BetPawa outcome, if the market has it.
    pub fn outcome_from_betpawa(&self, name: &str) -> Option<&'static str> {
        self.outcomes
            .iter()
            .find(|o| o.betpawa == name)
            .map(|o| o.betpawa)
    }

    /// The canonical name of a SportyBet outcome `desc` (case and surrounding space ignored).
    pub fn outcome_from_sportybet(&self, desc: &str) -> Option<&'static str> {
        let desc = desc.trim();
        self.outcomes
            .iter()
            .find(|o| o.sportybet.eq_ignore_ascii_case(desc))
            .map(|o| o.betpawa)
    }

    /// The canonical name of a Bet9ja outcome suffix.
    pub fn outcome_from_bet9ja(&self, suffix: &str) -> Option<&'static str> {
        self.outcomes
            .iter()
            .find(|o| o.bet9ja == suffix)
            .map(|o| o.betpawa)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_has_the_ten_markets_and_five_primary_ones() {
        assert_eq!(MARKETS.len(), 10);
        let primary: Vec<_> = MARKETS
            .iter()
            .filter(|m| m.primary)
            .map(|m| m.market_id)
            .collect();
        assert_eq!(primary, ["3743", "4693", "3795", "5000", "3774"]);
    }

    #[test]
    fn ids_are_unique_on_every_book() {
        let unique = |ids: Vec<&str>| ids.iter().collect::<HashSet<_>>().len() == ids.len();
        assert!(unique(MARKETS.iter().map(|m| m.market_id).collect()));
        assert!(unique(MARKETS.iter().map(|m| m.sportybet_id).collect()));
        assert!(unique(MARKETS.iter().map(|m| m.bet9ja_key).collect()));
        assert!(unique(
            MARKETS.iter().filter_map(|m| m.odds_api_key).collect()
        ));
    }

    #[test]
    fn every_book_maps_to_the_same_canonical_market() {
        for market in MARKETS {
            assert_eq!(by_betpawa_id(market.market_id), Some(market));
            assert_eq!(by_sportybet_id(market.sportybet_id), Some(market));
            assert_eq!(by_bet9ja_key(market.bet9ja_key), Some(market));
        }
        assert_eq!(by_sportybet_id("18").map(|m| m.market_id), Some("5000"));
        assert_eq!(by_bet9ja_key("S_1X2HND").map(|m| m.market_id), Some("4724"));
        assert_eq!(
            by_odds_api_key("spreads").map(|m| m.market_id),
            Some("3774")
        );
        assert_eq!(by_sportybet_id("999"), None);
        assert_eq!(by_bet9ja_key("S_CS"), None);
    }

    #[test]
    fn outcomes_are_renamed_to_betpawa_names() {
        let dc = by_sportybet_id("10").unwrap();
        assert_eq!(dc.outcome_from_sportybet("Home or Draw"), Some("1X"));
        assert_eq!(dc.outcome_from_sportybet(" draw or away "), Some("X2"));
        let hcp = by_bet9ja_key("S_1X2HND").unwrap();
        assert_eq!(hcp.outcome_from_bet9ja("XH"), Some("X"));
        assert_eq!(hcp.outcome_from_bet9ja("X"), None);
        let btts = by_bet9ja_key("S_GGNG").unwrap();
        assert_eq!(btts.outcome_from_bet9ja("Y"), Some("Yes"));
        let oe = by_betpawa_id("4833").unwrap();
        assert_eq!(oe.outcome_from_betpawa("Even"), Some("Even"));
        assert_eq!(oe.outcome_from_betpawa("1"), None);
    }

    #[test]
    fn line_markets_are_over_under_and_handicaps() {
        let with_lines: Vec<_> = MARKETS
            .iter()
            .filter(|m| m.has_line())
            .map(|m| m.market_id)
            .collect();
        assert_eq!(with_lines, ["5000", "3774", "4724", "4958"]);
        assert_eq!(by_betpawa_id("3774").unwrap().line, LineKind::Handicap);
        assert_eq!(by_betpawa_id("4958").unwrap().line, LineKind::Total);
    }
}
