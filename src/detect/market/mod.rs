//! The market-aware rules of DESIGN.md §9 as pure, exact arithmetic: `off_market`, `margin`
//! and `market_move`, and the band-entry memory that decides when to raise them.
//!
//! Nothing here knows about alerts, the detector's state or the store: the functions take the
//! prices of one market (or one outcome's moves) and the thresholds, and return plain results
//! that the detector turns into alerts. Prices are [`Price`](crate::domain::Price) thousandths,
//! probabilities exact rationals ([`exact`]'s big-enough naturals), percentages integer
//! hundredths of a percent rounded half away from zero. No float is compared or returned.
//!
//! # Rules
//!
//! - **`off_market`** ([`off_market()`]): for a home market complete on the home book, with at
//!   least [`MarketRules::required_books`] competitors pricing the same complete market, each
//!   competitor's margin-free probability is `q_i = (1/o_i) / Σ_j (1/o_j)`, the consensus `p̄_i`
//!   their mean, the edge `home_i × p̄_i − 1` and the consensus fair odds `1 / p̄_i`. Band on the
//!   edge (default warning ≥ 3 %, elevated ≥ 6 %, critical ≥ 10 %); a pattern (`swapped`,
//!   `factor`) makes a banded outcome critical.
//! - **`margin`** ([`margin()`]): `Σ 1/o_i − 1` of a complete home market; below the floor
//!   (default 2.00 %) a warning, below 0 (an arbitrage across our own outcomes) critical.
//! - **`market_move`** ([`market_move()`]): enough competitors moved one outcome the same way
//!   by at least the consensus move (default 3.00 %), none the other way, and the home book did
//!   not follow; severity from the movers' median change on §3's bands (7 / 10 / 15 %), never
//!   below warning.
//! - **Band entry** ([`BandMemory`]): an outcome (or market) raises only when its band rises
//!   above the band last raised for it; falling below warning forgets it silently.
//! - **Screen** ([`below_warning`]): an exact integer upper bound of every outcome's edge, so
//!   the detector can skip the exact consensus of a market certainly below the warning band
//!   (only where nothing is remembered for it: a fall below warning must still reset it).
//!
//! # Choices (where DESIGN.md is silent)
//!
//! - **Bands are decided on the rounded figure.** Edge, margin and changes are rounded half
//!   away from zero to hundredths of a percent first and compared with the (inclusive) bounds
//!   after, as §3's `price_change` is: the band always agrees with the number a trader reads (an
//!   edge shown as 3.00 % is a warning, one shown as 2.99 % is not). "Below" the margin floor and
//!   "below 0" are strict on that rounded margin. `factor` is a rounded edge ≥ 400.00 %.
//! - **Fair odds are rounded to two decimals** (a whole hundredth of decimal odds, so the
//!   [`Price`](crate::domain::Price) is a multiple of ten thousandths), halves away from zero:
//!   §9's results are "rounded to 2 decimals", bookmakers quote two decimals, and the first
//!   vector's consensus `1 / 0.478873… = 2.088235…` reads `2.09`. Patterns compare the exact
//!   fair odds, never the rounded ones.
//! - **`swapped`** holds for outcome `a` when some other outcome `b` of the market has
//!   `|home_a − fair_b| ≤ 5 % × fair_b` and `|home_b − fair_a| ≤ 5 % × fair_a` ("within" is
//!   inclusive), and the higher of `fair_a`, `fair_b` exceeds the lower by **more than** 20 % of
//!   the lower. Both outcomes of the pair carry the pattern; only one whose edge reaches the
//!   warning band raises. When `swapped` and `factor` both hold, `swapped` is reported: it
//!   names the error more precisely.
//! - **A competitor counts for `off_market`** when it prices every outcome of the home market
//!   with an active (non-zero) price **and no other outcome**: a market with a different
//!   outcome set is not the same market, and normalising it over a subset would invent
//!   probabilities.
//! - **The required number of books** is `consensus_min_books`, lowered to the number of
//!   enabled competitors when fewer are enabled (never below one), for `off_market` as for
//!   `market_move`: the key is one, so is its meaning. The caller passes the number of
//!   **enabled** competitors, so a failed fetch never lowers it.
//! - **`market_move` compares rounded changes.** A competitor moved when its §3 change (rounded
//!   hundredths) reaches `consensus_min_move_pct` in magnitude; the home book followed when its
//!   own change reaches it in the movers' direction; a home move the other way does not stop the
//!   alert. The median is taken over the movers' rounded changes — the numbers each mover
//!   carries — so movers at −10.00 % and −8.00 % give −9.00 %. It needs the home outcome offered
//!   in both scrapes (a first-seen market raises no move, as in §3).
//! - **The band memory keeps the highest band raised** while the outcome stays at or above
//!   warning: critical, then warning, then critical again raises once. Only a fall below warning
//!   resets it.

pub mod board;
mod consensus;
pub(crate) mod exact;
mod margin;
mod market_move;
mod memory;
mod off_market;
mod screen;

#[cfg(test)]
mod props;
#[cfg(test)]
mod vectors;

use serde::{Deserialize, Serialize};

pub use consensus::{BookQuotes, Quote, book_fair_odds};
pub use exact::change_hundredths;
pub use margin::{Margin, margin};
pub use market_move::{BookMove, MarketMove, Mover, PriceMove, market_move};
pub use memory::BandMemory;
pub use off_market::{FACTOR_EDGE_HUNDREDTHS, OffMarket, OutcomeEdge, Pattern, off_market};
pub use screen::below_warning;

/// How loud a rule's figure is: below warning, warning, elevated, critical. Ordered, so "the
/// band rose" is `new > old`. It maps one to one onto the alert severity (with `None` raising
/// nothing) once the detector turns results into alerts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below the warning bound: nothing to raise.
    #[default]
    None,
    /// The warning band.
    Warning,
    /// The elevated band.
    Elevated,
    /// The critical band.
    Critical,
}

/// Three inclusive lower bounds in hundredths of a percent (`3.00 %` is `300`), warning <
/// elevated < critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    /// A figure at or above this is at least a warning.
    pub warning: i64,
    /// At or above this, at least elevated.
    pub elevated: i64,
    /// At or above this, critical.
    pub critical: i64,
}

impl Bands {
    /// §9's `off_market` defaults: 3 / 6 / 10 %.
    pub const OFF_MARKET: Bands = Bands {
        warning: 300,
        elevated: 600,
        critical: 1000,
    };

    /// §3's price-change bands (7 / 10 / 15 %), which also grade `market_move`.
    pub const PRICE_CHANGE: Bands = Bands {
        warning: 700,
        elevated: 1000,
        critical: 1500,
    };

    /// The band of a (signed) figure in hundredths; bounds are inclusive lower bounds, so a
    /// negative figure is below every band.
    pub fn band(&self, hundredths: i64) -> Band {
        if hundredths >= self.critical {
            Band::Critical
        } else if hundredths >= self.elevated {
            Band::Elevated
        } else if hundredths >= self.warning {
            Band::Warning
        } else {
            Band::None
        }
    }
}

/// The thresholds of the §9 rules, in hundredths of a percent, with the §9 defaults.
/// [`Rules::from_config`](super::Rules::from_config) builds it from the `detection.*` keys (and
/// settings overrides) each cycle, as [`Rules::market`](super::Rules::market).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketRules {
    /// `detection.consensus_min_move_pct` (default 3.00 %): the smallest |change| that counts
    /// as a competitor move, and as the home book following it.
    pub consensus_min_move: i64,
    /// `detection.consensus_min_books` (default 2): competitors that must have moved (for
    /// `market_move`) or must price the complete market (for `off_market`).
    pub consensus_min_books: usize,
    /// `detection.off_market_{warning,elevated,critical}_pct` (default 3 / 6 / 10 %).
    pub off_market: Bands,
    /// `detection.margin_floor_pct` (default 2.00 %): a home margin below it is a warning.
    pub margin_floor: i64,
    /// The bands grading a `market_move` by its median change: §3's `warning_pct`,
    /// `elevated_pct`, `critical_pct` (default 7 / 10 / 15 %).
    pub move_bands: Bands,
}

impl Default for MarketRules {
    /// §9's defaults: a 3.00 % move by 2 books, off-market bands 3 / 6 / 10 %, a 2.00 % margin
    /// floor, §3's 7 / 10 / 15 % for a market move.
    fn default() -> Self {
        MarketRules {
            consensus_min_move: 300,
            consensus_min_books: 2,
            off_market: Bands::OFF_MARKET,
            margin_floor: 200,
            move_bands: Bands::PRICE_CHANGE,
        }
    }
}

impl MarketRules {
    /// Competitors required this cycle: `consensus_min_books`, or the number of **enabled**
    /// competitors when fewer are enabled, and at least one. Pass enabled competitors, not the
    /// ones fetched: a failed fetch must not lower the bar.
    pub fn required_books(&self, enabled_competitors: usize) -> usize {
        self.consensus_min_books.min(enabled_competitors).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_have_inclusive_lower_bounds() {
        let bands = Bands::OFF_MARKET;
        assert_eq!(bands.band(299), Band::None);
        assert_eq!(bands.band(300), Band::Warning);
        assert_eq!(bands.band(599), Band::Warning);
        assert_eq!(bands.band(600), Band::Elevated);
        assert_eq!(bands.band(1000), Band::Critical);
        assert_eq!(bands.band(-5000), Band::None);
    }

    #[test]
    fn required_books_follow_enabled_competitors_but_never_zero() {
        let rules = MarketRules::default();
        assert_eq!(rules.required_books(2), 2);
        assert_eq!(rules.required_books(5), 2);
        assert_eq!(rules.required_books(1), 1);
        assert_eq!(rules.required_books(0), 1);
    }

    #[test]
    fn bands_order_from_none_to_critical() {
        assert!(Band::None < Band::Warning);
        assert!(Band::Warning < Band::Elevated);
        assert!(Band::Elevated < Band::Critical);
        assert_eq!(
            serde_json::to_string(&Band::Critical).unwrap(),
            "\"critical\""
        );
    }
}
