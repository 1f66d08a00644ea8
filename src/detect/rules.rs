//! The risk rules as exact integer arithmetic, built from the (validated) detection config.

use std::collections::BTreeSet;

use super::market::{Bands, MarketRules};
use crate::config::DetectionConfig;
use crate::domain::{Direction, Percent, Price, Severity};

/// The five primary markets of the reference system: 1X2, Double Chance, BTTS, Over/Under and
/// Asian Handicap (BetPawa market-type ids, see BOOKMAKERS.md).
pub const DEFAULT_PRIMARY_MARKETS: [&str; 5] = ["3743", "4693", "3795", "5000", "3774"];

/// The detection rules for one cycle. Rebuilt by the pipeline every cycle from the config plus
/// the settings overrides a trader edited in the app, so a threshold change applies to the next
/// cycle without touching the last-seen state.
///
/// Percentages are held in hundredths of a percent (`7.00 %` is `700`) and the direction move
/// in thousandths of decimal odds, so every comparison is exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Raise alerts at all. Off: the state and the market changes are still produced.
    pub enabled: bool,
    /// |change| at or above this (hundredths of a percent) is a warning.
    pub warning_hundredths: i64,
    /// |change| at or above this is elevated.
    pub elevated_hundredths: i64,
    /// |change| at or above this is critical.
    pub critical_hundredths: i64,
    /// Smallest price move, in thousandths of decimal odds, that counts as a move for
    /// direction disagreement (`0.01` is `10`).
    pub direction_min_move_milli: u32,
    /// Canonical market ids that raise alerts.
    pub primary_markets: BTreeSet<String>,
    /// Home-book alerts only for markets (market id **and** line) a competitor priced for the
    /// same event in the same cycle.
    pub require_competitor: bool,
    /// Share of markets, in percent (1–100), whose loss in one cycle is more than a market
    /// going away: above it, a book's loss is a feed problem (no availability alerts from
    /// it) and an event's loss on the home book is one event-level alert
    /// ([`Rules::vanish_exceeds`]).
    pub mass_vanish_pct: u32,
    /// Raise `price_change` and `availability` for competitor books too (DESIGN §9), on
    /// primary markets and without the matched-market filter.
    pub competitor_alerts: bool,
    /// The thresholds of `market_move`, `off_market` and `margin` (DESIGN §9), in hundredths
    /// of a percent like the §3 ones; `market_move` is graded on the §3 bands above.
    pub market: MarketRules,
}

/// Fewest markets a book must lose in one detection batch before the mass-vanish guard treats
/// it as a feed problem: a small book (or a test) losing its last few markets is still worth
/// one alert per market, and is no storm.
pub const MASS_VANISH_MIN_MARKETS: u64 = 10;

/// Fewest markets an event must lose on the home book at once to be reported as one
/// event-level alert: one market gone is simply that market's alert.
pub const EVENT_VANISH_MIN_MARKETS: u64 = 2;

impl Default for Rules {
    /// The reference system's rules: 7 / 10 / 15 %, a move of 0.01, the five primary markets,
    /// competitor required, enabled.
    fn default() -> Self {
        Rules {
            enabled: true,
            warning_hundredths: 700,
            elevated_hundredths: 1000,
            critical_hundredths: 1500,
            direction_min_move_milli: 10,
            primary_markets: DEFAULT_PRIMARY_MARKETS
                .iter()
                .map(|m| (*m).to_string())
                .collect(),
            require_competitor: true,
            mass_vanish_pct: 50,
            competitor_alerts: true,
            market: MarketRules::default(),
        }
    }
}

impl Rules {
    /// Builds the rules from a validated config (`0 < warning < elevated < critical <= 100`,
    /// `0.001 <= direction_min_move <= 1`; see `config::validate`).
    pub fn from_config(config: &DetectionConfig) -> Self {
        let move_bands = Bands {
            warning: threshold_hundredths(config.warning_pct),
            elevated: threshold_hundredths(config.elevated_pct),
            critical: threshold_hundredths(config.critical_pct),
        };
        Rules {
            enabled: config.enabled,
            warning_hundredths: move_bands.warning,
            elevated_hundredths: move_bands.elevated,
            critical_hundredths: move_bands.critical,
            direction_min_move_milli: min_move_milli(config.direction_min_move),
            primary_markets: config
                .primary_markets
                .iter()
                .map(|m| m.trim().to_string())
                .collect(),
            require_competitor: config.require_competitor,
            mass_vanish_pct: config.mass_vanish_pct,
            competitor_alerts: config.competitor_alerts,
            market: MarketRules {
                consensus_min_move: threshold_hundredths(config.consensus_min_move_pct),
                consensus_min_books: config.consensus_min_books as usize,
                off_market: Bands {
                    warning: threshold_hundredths(config.off_market_warning_pct),
                    elevated: threshold_hundredths(config.off_market_elevated_pct),
                    critical: threshold_hundredths(config.off_market_critical_pct),
                },
                // "Below the floor" on a whole number of hundredths: `m < f` is `m < ceil(f)`.
                margin_floor: threshold_hundredths(config.margin_floor_pct),
                move_bands,
            },
        }
    }

    /// True when losing `lost` of `of` markets is **more than** `mass_vanish_pct` percent of
    /// them (exact integer comparison: at 50 %, 5 of 10 is not, 6 of 10 is). Never true when
    /// `of` is zero.
    pub fn vanish_exceeds(&self, lost: u64, of: u64) -> bool {
        of > 0 && lost.saturating_mul(100) > u64::from(self.mass_vanish_pct).saturating_mul(of)
    }

    /// True when alerts may be raised on this market id.
    pub fn is_primary(&self, market_id: &str) -> bool {
        self.primary_markets.contains(market_id)
    }

    /// The severity of a price change of `change_hundredths` (signed), or `None` below the
    /// warning threshold. Lower bounds are inclusive.
    pub fn severity_for(&self, change_hundredths: i64) -> Option<Severity> {
        let magnitude = change_hundredths.abs();
        if magnitude >= self.critical_hundredths {
            Some(Severity::Critical)
        } else if magnitude >= self.elevated_hundredths {
            Some(Severity::Elevated)
        } else if magnitude >= self.warning_hundredths {
            Some(Severity::Warning)
        } else {
            None
        }
    }

    /// The severity of a direction disagreement whose home move was `home_change_hundredths`:
    /// elevated, raised to critical when the home move alone is critical.
    pub fn direction_severity(&self, home_change_hundredths: i64) -> Severity {
        if home_change_hundredths.abs() >= self.critical_hundredths {
            Severity::Critical
        } else {
            Severity::Elevated
        }
    }

    /// The direction of a move from `old` to `new` when it is big enough to count for direction
    /// disagreement, else `None`.
    pub fn counted_move(&self, old: Price, new: Price) -> Option<Direction> {
        let (old, new) = (old.milli(), new.milli());
        if old == 0 || new == 0 || old.abs_diff(new) < self.direction_min_move_milli.max(1) {
            return None;
        }
        Some(if new > old {
            Direction::Up
        } else {
            Direction::Down
        })
    }
}

/// A percentage threshold in hundredths. A change is a whole number of hundredths, so
/// `|change| >= t` is the same as `|change| >= ceil(t × 100)`; the small epsilon absorbs float
/// noise such as `10.1 × 100 = 1010.0000000000001`.
fn threshold_hundredths(pct: f64) -> i64 {
    (pct * 100.0 - 1e-6).ceil() as i64
}

/// A move in decimal odds as thousandths, at least one thousandth (a smaller move is no move).
fn min_move_milli(odds: f64) -> u32 {
    ((odds * 1000.0).round() as u32).max(1)
}

/// Signed change from `old` to `new` in hundredths of a percent, rounded half away from zero —
/// [`Price::change_to`], the very value an alert carries. `None` when `old` is zero.
pub fn change_hundredths(old: Price, new: Price) -> Option<i64> {
    old.change_to(new).map(Percent::hundredths)
}

/// `|competitor_new − home_new| / home_new × 100` in hundredths of a percent, rounded half up
/// ([`Price::gap_to`]). `None` when the home price is zero.
pub fn gap_hundredths(home_new: Price, competitor_new: Price) -> Option<i64> {
    home_new.gap_to(competitor_new).map(Percent::hundredths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    fn config(warning: f64, elevated: f64, critical: f64) -> DetectionConfig {
        DetectionConfig {
            enabled: true,
            warning_pct: warning,
            elevated_pct: elevated,
            critical_pct: critical,
            direction_min_move: 0.01,
            primary_markets: vec!["3743".into(), " 5000 ".into()],
            require_competitor: true,
            mass_vanish_pct: 50,
            ..crate::config::Config::defaults().detection
        }
    }

    #[test]
    fn default_rules_match_the_embedded_config() {
        let from_config = Rules::from_config(&crate::config::Config::defaults().detection);
        assert_eq!(from_config, Rules::default());
    }

    #[test]
    fn config_thresholds_become_exact_hundredths() {
        let rules = Rules::from_config(&config(7.0, 10.1, 15.25));
        assert_eq!(rules.warning_hundredths, 700);
        assert_eq!(rules.elevated_hundredths, 1010);
        assert_eq!(rules.critical_hundredths, 1525);
        assert_eq!(rules.direction_min_move_milli, 10);
        assert!(rules.is_primary("5000"));
        assert!(!rules.is_primary("4724"));
    }

    #[test]
    fn market_thresholds_become_exact_hundredths() {
        let config = DetectionConfig {
            competitor_alerts: false,
            consensus_min_move_pct: 2.5,
            consensus_min_books: 3,
            off_market_warning_pct: 4.1,
            off_market_elevated_pct: 8.0,
            off_market_critical_pct: 12.005,
            margin_floor_pct: 1.5,
            ..config(7.0, 10.0, 16.0)
        };
        let rules = Rules::from_config(&config);
        assert!(!rules.competitor_alerts);
        let market = &rules.market;
        assert_eq!(market.consensus_min_move, 250);
        assert_eq!(market.consensus_min_books, 3);
        assert_eq!(
            (
                market.off_market.warning,
                market.off_market.elevated,
                market.off_market.critical
            ),
            (410, 800, 1201)
        );
        assert_eq!(market.margin_floor, 150);
        assert_eq!(market.move_bands.critical, 1600);
    }

    #[test]
    fn a_threshold_with_more_than_two_decimals_rounds_up() {
        // 7.001 % can only be met by a change of 7.01 % or more.
        let rules = Rules::from_config(&config(7.001, 10.0, 15.0));
        assert_eq!(rules.warning_hundredths, 701);
        assert_eq!(rules.severity_for(700), None);
        assert_eq!(rules.severity_for(701), Some(Severity::Warning));
    }

    #[test]
    fn severity_lower_bounds_are_inclusive_on_both_signs() {
        let rules = Rules::default();
        assert_eq!(rules.severity_for(699), None);
        assert_eq!(rules.severity_for(700), Some(Severity::Warning));
        assert_eq!(rules.severity_for(-999), Some(Severity::Warning));
        assert_eq!(rules.severity_for(-1000), Some(Severity::Elevated));
        assert_eq!(rules.severity_for(1499), Some(Severity::Elevated));
        assert_eq!(rules.severity_for(1500), Some(Severity::Critical));
        assert_eq!(rules.severity_for(-2000), Some(Severity::Critical));
    }

    #[test]
    fn change_in_hundredths_matches_the_domain_percentage() {
        assert_eq!(change_hundredths(p("3.00"), p("2.70")), Some(-1000));
        assert_eq!(change_hundredths(p("1.50"), p("1.605")), Some(700));
        assert_eq!(change_hundredths(p("2.00"), p("2.13")), Some(650));
        assert_eq!(change_hundredths(p("3.00"), p("2.90")), Some(-333));
        assert_eq!(change_hundredths(Price::from_milli(0), p("2.00")), None);
    }

    #[test]
    fn gap_is_relative_to_the_home_price_and_rounded_to_hundredths() {
        assert_eq!(gap_hundredths(p("2.14"), p("1.90")), Some(1121));
        assert_eq!(gap_hundredths(p("2.00"), p("2.00")), Some(0));
        assert_eq!(gap_hundredths(p("2.00"), p("2.01")), Some(50));
        assert_eq!(gap_hundredths(Price::from_milli(0), p("2.00")), None);
    }

    #[test]
    fn a_move_counts_only_from_the_minimum_size() {
        let rules = Rules::default();
        assert_eq!(
            rules.counted_move(p("2.00"), p("2.01")),
            Some(Direction::Up)
        );
        assert_eq!(
            rules.counted_move(p("2.00"), p("1.99")),
            Some(Direction::Down)
        );
        assert_eq!(rules.counted_move(p("2.00"), p("2.009")), None);
        assert_eq!(rules.counted_move(p("2.00"), p("2.00")), None);
        assert_eq!(rules.counted_move(Price::from_milli(0), p("2.00")), None);
    }

    #[test]
    fn vanish_share_is_strictly_more_than_the_threshold() {
        let mut rules = Rules::default();
        assert!(!rules.vanish_exceeds(5, 10));
        assert!(rules.vanish_exceeds(6, 10));
        assert!(!rules.vanish_exceeds(0, 0));
        assert!(!rules.vanish_exceeds(3, 0));
        rules.mass_vanish_pct = 1;
        assert!(!rules.vanish_exceeds(1, 100));
        assert!(rules.vanish_exceeds(2, 100));
        rules.mass_vanish_pct = 100;
        assert!(
            !rules.vanish_exceeds(10, 10),
            "at 100 % nothing is more than all"
        );
    }

    #[test]
    fn direction_is_critical_only_when_the_home_move_is() {
        let rules = Rules::default();
        assert_eq!(rules.direction_severity(50), Severity::Elevated);
        assert_eq!(rules.direction_severity(-1499), Severity::Elevated);
        assert_eq!(rules.direction_severity(2000), Severity::Critical);
    }
}
