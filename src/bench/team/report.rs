//! The team bench's figures and their Markdown table.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::connections::ConnectionPeaks;
use super::scrapers::CycleFigures;

/// Cycle time within this factor of one scraper alone.
pub const CYCLE_RATIO_TARGET: f64 = 1.2;
/// UI action latency p99 below this, ms.
pub const UI_P99_TARGET_MS: f64 = 50.0;

/// Count, p50, p99 and the longest of a set of timings, ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    /// How many.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Longest.
    pub max_ms: f64,
}

impl Timings {
    /// The figures of `samples` (nearest rank).
    pub fn of(samples: &mut [Duration]) -> Timings {
        if samples.is_empty() {
            return Timings::default();
        }
        samples.sort_unstable();
        let at = |p: f64| {
            samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
        };
        Timings {
            count: samples.len() as u64,
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }
}

/// Pool sizes the roles ran with (`database.pool`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PoolSizes {
    /// A UI's query pool (plus one `LISTEN` connection).
    pub ui: u32,
    /// A scraper's pool.
    pub scrape: u32,
    /// The API's pool (plus one `LISTEN` connection).
    pub api: u32,
}

/// Every error of the run, by where it showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ErrorCounts {
    /// Effect answers of the UIs that were errors (a query or write that failed).
    pub ui_effects: u64,
    /// API requests answered non-2xx or failed in transport.
    pub api: u64,
    /// Requests of the scrapers to the (simulated) books that failed.
    pub fetch_failures: u64,
    /// Write batches the scrapers' writers retried.
    pub batches_retried: u64,
    /// Write batches kept as dead letters or lost.
    pub batches_not_stored: u64,
    /// `ERROR` events logged by the code under test.
    pub logged_errors: u64,
    /// `WARN` events logged by the code under test, cycle overruns aside.
    pub logged_warnings: u64,
    /// Cycles that overran their interval (logged as warnings; a load figure, not an error).
    pub cycle_overruns: u64,
    /// Warnings and errors logged after the measured window, while the bench tore the desk
    /// down (work cut short by the stop); not counted as errors.
    pub logged_after_window: u64,
    /// Connection-sampling queries that failed.
    pub failed_samples: u64,
    /// The texts seen, most frequent first: `12× WARN target: message (error: …)`.
    pub texts: Vec<String>,
}

impl ErrorCounts {
    /// All errors (overruns are not errors; retried batches were stored in the end, but a
    /// retry means a write failed, so they count).
    pub fn total(&self) -> u64 {
        self.ui_effects
            + self.api
            + self.fetch_failures
            + self.batches_retried
            + self.batches_not_stored
            + self.logged_errors
            + self.logged_warnings
            + self.failed_samples
    }
}

/// Shards at the end of the run, as the lease table says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ShardsAtEnd {
    /// Shards owned by a live daemon under an unexpired lease.
    pub owned: u16,
    /// Shards in all.
    pub shards: u16,
    /// Live daemons.
    pub live_scrapers: usize,
}

/// The team bench's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TeamReport {
    /// Simulated events.
    pub events: u32,
    /// Terminal UIs.
    pub uis: u32,
    /// Scraper daemons in the team phase.
    pub scrapers: u32,
    /// API clients.
    pub api_clients: u32,
    /// Minutes of each phase.
    pub minutes: u32,
    /// `scrape.interval_secs` of the daemons (and the simulator's tick).
    pub interval_secs: u64,
    /// Pool sizes per role.
    pub pools: PoolSizes,
    /// One scraper alone: its cycles after the first.
    pub cycle_alone: CycleFigures,
    /// The team phase: every daemon's cycles after its first.
    pub cycle_team: CycleFigures,
    /// Team p50 over alone p50.
    pub cycle_ratio_p50: f64,
    /// Team p95 over alone p95.
    pub cycle_ratio_p95: f64,
    /// Every scripted UI action, key to frame (first frames aside).
    pub ui_actions: Timings,
    /// Per kind of action, first frames included.
    pub ui_by_action: BTreeMap<String, Timings>,
    /// API requests that answered 2xx.
    pub api_requests: Timings,
    /// Connections in use.
    pub connections: ConnectionPeaks,
    /// Connections the roles may hold by their pool sizes: UIs × (ui + 1), scrapers × scrape,
    /// api + 1.
    pub connection_budget: u64,
    /// Errors.
    pub errors: ErrorCounts,
    /// Shards owned at the end; `None` when the lease table could not be read.
    pub shards_at_end: Option<ShardsAtEnd>,
    /// Why `shards_at_end` is missing, when it is.
    pub shards_note: Option<String>,
    /// Alerts in the database at the end (the scrapers raised them).
    pub alerts_stored: u64,
}

fn ok(pass: bool) -> &'static str {
    if pass { "✓" } else { "✗" }
}

/// The report as a Markdown table: figure, value, target.
pub fn markdown(r: &TeamReport) -> String {
    let mut out = format!(
        "Team on one PostgreSQL: {} UIs, {} scrapers, {} API clients, {} events, {} min alone then \
         {} min as a team, interval {} s; pools ui {} (+1 LISTEN) / scrape {} / api {} (+1 LISTEN).\n\n",
        r.uis,
        r.scrapers,
        r.api_clients,
        r.events,
        r.minutes,
        r.minutes,
        r.interval_secs,
        r.pools.ui,
        r.pools.scrape,
        r.pools.api
    );
    out.push_str("| figure | value | target |\n|---|---|---|\n");
    let mut row = |figure: &str, value: String, target: String| {
        out.push_str(&format!("| {figure} | {value} | {target} |\n"));
    };
    let cycles = |c: &CycleFigures| {
        format!(
            "{:.0} / {:.0} ms (max {:.0}, {} cycles)",
            c.p50_ms, c.p95_ms, c.max_ms, c.cycles
        )
    };
    row(
        "cycle p50 / p95, one scraper alone",
        cycles(&r.cycle_alone),
        String::new(),
    );
    row(
        &format!("cycle p50 / p95, {} scrapers in the team", r.scrapers),
        cycles(&r.cycle_team),
        String::new(),
    );
    let ratio_ok =
        r.cycle_ratio_p50 <= CYCLE_RATIO_TARGET && r.cycle_ratio_p95 <= CYCLE_RATIO_TARGET;
    row(
        "cycle team / alone (p50, p95)",
        format!("{:.2}× / {:.2}×", r.cycle_ratio_p50, r.cycle_ratio_p95),
        format!("≤ {CYCLE_RATIO_TARGET}× {}", ok(ratio_ok)),
    );
    let t = &r.ui_actions;
    row(
        "UI action key → frame p50 / p99",
        format!(
            "{:.1} / {:.1} ms (max {:.1}, {} actions)",
            t.p50_ms, t.p99_ms, t.max_ms, t.count
        ),
        format!(
            "p99 < {UI_P99_TARGET_MS} ms {}",
            ok(t.count > 0 && t.p99_ms < UI_P99_TARGET_MS)
        ),
    );
    for (what, t) in &r.ui_by_action {
        row(
            &format!("  {what} p50 / p99"),
            format!("{:.1} / {:.1} ms ({})", t.p50_ms, t.p99_ms, t.count),
            String::new(),
        );
    }
    let a = &r.api_requests;
    row(
        "API request p50 / p99",
        format!(
            "{:.1} / {:.1} ms ({} requests)",
            a.p50_ms, a.p99_ms, a.count
        ),
        String::new(),
    );
    let c = &r.connections;
    row(
        "connections to the database, most at once",
        format!(
            "{} ({} of them LISTEN); server max_connections {}, whole server then {}",
            c.total, c.listen, c.server_max, c.server_total_at_peak
        ),
        format!(
            "≤ budget {} {}",
            r.connection_budget,
            ok(c.total <= r.connection_budget && c.total <= c.server_max)
        ),
    );
    let roles: Vec<String> = c
        .pooled_by_role
        .iter()
        .map(|(role, n)| format!("{} {n}", role.as_str()))
        .collect();
    row(
        "  pooled connections per role, most at once",
        roles.join(", "),
        String::new(),
    );
    let apps: Vec<String> = c
        .by_application
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    row(
        "  per application_name, most at once",
        apps.join(", "),
        String::new(),
    );
    let e = &r.errors;
    row(
        "errors",
        format!(
            "{} (UI effects {}, API {}, fetches {}, batches retried {} / not stored {}, logged errors {} / warnings {})",
            e.total(),
            e.ui_effects,
            e.api,
            e.fetch_failures,
            e.batches_retried,
            e.batches_not_stored,
            e.logged_errors,
            e.logged_warnings
        ),
        format!("0 {}", ok(e.total() == 0)),
    );
    for text in e.texts.iter().take(8) {
        row("  ", text.replace('|', "\\|"), String::new());
    }
    row(
        "cycles that overran the interval",
        e.cycle_overruns.to_string(),
        String::new(),
    );
    row(
        "warnings and errors logged after the window (teardown, not counted)",
        e.logged_after_window.to_string(),
        String::new(),
    );
    match &r.shards_at_end {
        Some(s) => row(
            "shards owned at the end",
            format!(
                "{}/{} by {} live scrapers",
                s.owned, s.shards, s.live_scrapers
            ),
            format!(
                "all {}",
                ok(s.shards > 0 && s.owned == s.shards && s.live_scrapers == r.scrapers as usize)
            ),
        ),
        None => row(
            "shards owned at the end",
            format!("– ({})", r.shards_note.as_deref().unwrap_or("not read")),
            "all ✗".into(),
        ),
    }
    row(
        "alerts stored at the end",
        r.alerts_stored.to_string(),
        String::new(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_are_nearest_rank_with_the_count() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let t = Timings::of(&mut samples);
        assert_eq!(t.count, 100);
        assert_eq!(t.p50_ms, 51.0);
        assert_eq!(t.p99_ms, 99.0);
        assert_eq!(t.max_ms, 100.0);
        assert_eq!(Timings::of(&mut []), Timings::default());
    }

    #[test]
    fn the_table_marks_missed_targets_and_counts_every_error() {
        let report = TeamReport {
            scrapers: 3,
            cycle_ratio_p50: 1.1,
            cycle_ratio_p95: 1.3,
            ui_actions: Timings {
                count: 10,
                p50_ms: 5.0,
                p99_ms: 20.0,
                max_ms: 30.0,
            },
            errors: ErrorCounts {
                api: 2,
                logged_warnings: 1,
                cycle_overruns: 4,
                ..ErrorCounts::default()
            },
            ..TeamReport::default()
        };
        assert_eq!(report.errors.total(), 3);
        let table = markdown(&report);
        assert!(
            table.contains("| cycle team / alone (p50, p95) | 1.10× / 1.30× | ≤ 1.2× ✗ |"),
            "{table}"
        );
        assert!(table.contains("p99 < 50 ms ✓"), "{table}");
        assert!(
            table.contains("| errors | 3 (UI effects 0, API 2,"),
            "{table}"
        );
        assert!(
            table.contains("| shards owned at the end | – (not read) | all ✗ |"),
            "{table}"
        );
    }
}
