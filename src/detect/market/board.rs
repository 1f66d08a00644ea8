//! The market screen's board (issue 16) from an event's stored current odds, with the rules'
//! own exact arithmetic: the margins of `margin`, the consensus fair odds and edges of
//! `off_market`. Pure.

use super::MarketRules;
use crate::domain::{EventMarketOdds, MarketBoard};

/// Builds the board of one event: the `primary_markets` (canonical ids, in that order; lines
/// ascending) that any book prices, one column per book (the home book first), the best active
/// price of each outcome marked, each book's margin, and — where at least
/// [`MarketRules::required_books`]`(enabled_competitors)` competitors price the complete market —
/// the consensus fair odds and the home book's edge per outcome.
pub fn build(
    event_id: i64,
    odds: Vec<EventMarketOdds>,
    primary_markets: &[String],
    enabled_competitors: usize,
    rules: &MarketRules,
) -> MarketBoard {
    let _ = (event_id, odds, primary_markets, enabled_competitors, rules);
    todo!("issue 16: board build")
}
