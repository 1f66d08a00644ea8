//! Warming the §9 band memory at start from the alerts stored before a restart, checked against
//! the warmed prices, so a restart raises nothing twice and misses nothing (DESIGN §9).

use std::collections::BTreeMap;

use super::CycleCounters;
use super::intern::FxHashMap;
use super::market::Band;
use super::raise::AlertContext;
use super::risk::{EventMemory, evaluate_markets};
use super::state::{BookState, Vocabulary, market_key};
use crate::domain::{AlertType, Line, Severity};

/// A §9 band raised before a restart, as the store keeps it: the latest stored `off_market`
/// alert of a home outcome or `margin` alert of a home market whose status is not `past`.
/// [`Detector::warm_bands`](super::Detector::warm_bands) takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedBand {
    /// SportRadar id of the event.
    pub event_key: String,
    /// [`AlertType::OffMarket`] or [`AlertType::Margin`]; any other type is ignored.
    pub alert_type: AlertType,
    /// Canonical market id.
    pub market_id: String,
    /// The market's line, `None` for markets without lines.
    pub line: Option<Line>,
    /// The outcome (`off_market`); `None` for `margin`, which is market-level.
    pub outcome_name: Option<String>,
    /// The alert's severity: the band it raised.
    pub severity: Severity,
}

/// A severity as the band that raised it.
fn band_of(severity: Severity) -> Band {
    match severity {
        Severity::Warning => Band::Warning,
        Severity::Elevated => Band::Elevated,
        Severity::Critical => Band::Critical,
    }
}

/// The raised bands of each event, keyed as the event's memory keys them. Of several entries
/// for one key the last counts (the store gives one, the latest; a caller listing every alert
/// oldest first gets the same). Events the detector does not hold are skipped: they are not
/// being warmed.
pub(crate) fn raised_by_event<'a>(
    vocabulary: &mut Vocabulary,
    known: impl Fn(&str) -> bool,
    raised: &'a [RaisedBand],
) -> FxHashMap<&'a str, EventMemory> {
    // (event, is margin, market key, outcome) → band; the last entry wins.
    let mut latest: BTreeMap<(&str, bool, u64, u32), Band> = BTreeMap::new();
    for band in raised.iter().filter(|b| known(&b.event_key)) {
        let market = market_key(vocabulary.market_id(&band.market_id), band.line);
        let key = match (band.alert_type, &band.outcome_name) {
            (AlertType::OffMarket, Some(outcome)) => {
                (false, market, vocabulary.outcomes.intern(outcome))
            }
            (AlertType::Margin, None) => (true, market, 0),
            _ => continue,
        };
        latest.insert(
            (band.event_key.as_str(), key.0, key.1, key.2),
            band_of(band.severity),
        );
    }
    let mut by_event: FxHashMap<&str, EventMemory> = FxHashMap::default();
    for ((event, margin, market, outcome), band) in latest {
        let memory = by_event.entry(event).or_default();
        if margin {
            memory.margin.remember(market, band);
        } else {
            memory.off_market.remember((market, outcome), band);
        }
    }
    by_event
}

/// Sets an event's band memory (replacing it) from the bands `raised` before the restart,
/// without raising: a raised band is kept unless the warmed prices (the home book's state
/// against every other book's) evaluate its key below warning, which means a reset happened
/// after it was raised. A key the warmed prices cannot evaluate keeps its band, as a market
/// that cannot be evaluated does in a cycle; a key never raised remembers nothing, whatever
/// its warmed band, so the next cycle raises it. `ctx` is `None` for an event without a known
/// kickoff, which is not evaluated. Leaves the memory marked for a full evaluation in the next
/// cycle.
pub(crate) fn warm_event_bands(
    ctx: Option<&AlertContext<'_>>,
    books: &[(u32, BookState)],
    memory: &mut EventMemory,
    enabled_competitors: usize,
    raised: EventMemory,
) {
    // The raised bands put through the warmed prices as one cycle would: an evaluated fall
    // below warning drops a key; a rise or a lower band above warning keeps it.
    let mut evaluated = raised.clone();
    if let Some(ctx) = ctx
        && let Some((_, home)) = books.iter().find(|(b, _)| *b == ctx.home)
    {
        let competitors: Vec<(u32, &BookState)> = books
            .iter()
            .filter(|(b, _)| *b != ctx.home)
            .map(|(b, state)| (*b, state))
            .collect();
        evaluate_markets(
            ctx,
            home,
            &competitors,
            &mut evaluated,
            (enabled_competitors, true),
            &mut Vec::new(),
            &mut CycleCounters::default(),
        );
    }
    // What is remembered is the band raised (the latest alert's), not the warmed one: a warmed
    // band above it was never raised, so the next cycle raises it.
    let mut kept = raised;
    kept.off_market
        .retain(|key| evaluated.off_market.band(key) != Band::None);
    kept.margin
        .retain(|key| evaluated.margin.band(key) != Band::None);
    kept.invalidate();
    *memory = kept;
}
