//! The rows a cycle's detection result writes.

use crate::detect::{self, CycleInput, PriceUpdate};
use crate::store::OddsWrite;

/// The current-odds rows a detection result asks to write: every market whose prices or
/// availability changed (with a history row when its prices changed or it was first seen), and
/// every market that vanished (kept with its last outcomes, unavailable). Unchanged markets
/// write nothing.
pub fn odds_writes(input: &CycleInput, output: &detect::CycleOutput) -> Vec<OddsWrite> {
    let mut odds = Vec::new();
    for change in &output.market_changes {
        if change.prices == PriceUpdate::Unchanged && change.availability.is_none() {
            continue;
        }
        let resolved = input.resolve(change);
        odds.push(OddsWrite {
            event_key: resolved.event_key.to_string(),
            bookmaker: resolved.book.to_string(),
            market_id: resolved.market.market_id.clone(),
            line: resolved
                .market
                .line
                .map(|l| l.to_string())
                .unwrap_or_default(),
            outcomes: resolved.market.outcomes.clone(),
            available: change.available,
            unavailable_since: change.unavailable_since,
            record_history: change.needs_history(),
        });
    }
    for vanished in &output.vanished {
        let (event_key, book) = input.resolve_vanished(vanished);
        odds.push(OddsWrite {
            event_key: event_key.to_string(),
            bookmaker: book.to_string(),
            market_id: vanished.market_id.to_string(),
            line: vanished.line.map(|l| l.to_string()).unwrap_or_default(),
            outcomes: vanished.last_outcomes.clone(),
            available: false,
            unavailable_since: Some(vanished.since),
            record_history: false,
        });
    }
    odds
}
