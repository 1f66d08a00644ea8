//! What one cycle did, for the run record, the log and the benchmark.

use std::collections::BTreeMap;

/// Totals of one cycle, for the run record and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CycleTotals {
    /// Events after merging and the pre-match filter.
    pub events: u64,
    /// Market rows fetched across books.
    pub markets: u64,
    /// Outcomes compared with the last-seen state.
    pub outcomes_compared: u64,
    /// Current-odds rows queued.
    pub odds_rows: u64,
    /// History rows queued.
    pub history_rows: u64,
    /// Alerts per type.
    pub alerts_by_type: BTreeMap<String, u64>,
    /// Alerts per severity.
    pub alerts_by_severity: BTreeMap<String, u64>,
    /// Discovery wall time.
    pub discovery_ms: u64,
    /// Fetch wall time (bodies are parsed and mapped as they arrive, so it includes that).
    pub fetch_ms: u64,
    /// Parsing and mapping event bodies: CPU time summed over the concurrent fetches.
    pub parse_map_ms: u64,
    /// Detection time (CPU, in this task).
    pub detect_ms: u64,
    /// The writer storing this cycle's batches (overlaps the fetching).
    pub persist_ms: u64,
    /// Waiting for the writer at the end of the cycle.
    pub persist_wait_ms: u64,
    /// The whole cycle.
    pub total_ms: u64,
    /// Per book: discoveries and fetches cut off because the book's cycle budget was spent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub budget_spent: BTreeMap<String, u64>,
    /// Books whose loss of markets was a mass vanish (`detection.mass_vanish_pct`) in some
    /// batch of this cycle: markets lost and markets they had, summed over those batches. A
    /// feed problem: no availability alerts from them, health degraded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mass_vanish: BTreeMap<String, (u64, u64)>,
    /// Home availability flips not alerted because of a mass vanish.
    #[serde(default)]
    pub availability_suppressed: u64,
}

impl CycleTotals {
    /// Alerts of every type.
    pub fn alerts(&self) -> u64 {
        self.alerts_by_type.values().sum()
    }
}
