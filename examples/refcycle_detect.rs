//! Replays the reference cycle pair (`shared/data/refcycle/`) through detection and prints load
//! time, detection time cold (`cycle_prev`, everything first seen) and steady (`cycle_next`),
//! alert counts, and the memory of the last-seen state.
//!
//! ```text
//! cargo run --release --example refcycle_detect -- /work/shared/data/refcycle [runs]
//! ```
//!
//! Each run uses a fresh detector; times are wall-clock, and the median over the runs is
//! printed. Memory is reported two ways: the detector's own count of its heap bytes, and the
//! growth of the process's resident set (VmRSS) from before the first cycle to after the
//! second, with the cycle outputs dropped.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use oddswatch::detect::refcycle::load_cycle;
use oddswatch::detect::{CycleOutput, Detector, Rules};

/// A field of `/proc/self/status` in KiB (Linux only).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn print_output(label: &str, elapsed: Duration, output: &CycleOutput) {
    let c = &output.counters;
    println!(
        "{label}: {:.1} ms — {} alerts (price_change {}, direction_disagreement {}, availability {}); \
         markets: {} compared, {} first seen, {} changed, {} unchanged, {} suspended, {} returned; \
         outcomes: {} compared, {} moved; filtered: {} not primary, {} no competitor",
        elapsed.as_secs_f64() * 1000.0,
        output.alerts.len(),
        c.price_change_alerts,
        c.direction_alerts,
        c.availability_alerts,
        c.markets_compared,
        c.markets_first_seen,
        c.markets_changed,
        c.markets_unchanged,
        c.markets_suspended,
        c.markets_returned,
        c.outcomes_compared,
        c.outcomes_moved,
        c.filtered_not_primary,
        c.filtered_no_competitor,
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/data/refcycle".into()),
    );
    let runs: usize = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(3)
        .max(1);

    let started = Instant::now();
    let prev = load_cycle(&dir.join("cycle_prev.jsonl.gz"))?;
    let next = load_cycle(&dir.join("cycle_next.jsonl.gz"))?;
    let load = started.elapsed();
    let markets: usize = next
        .events
        .iter()
        .flat_map(|e| &e.books)
        .map(|b| match &b.scrape {
            oddswatch::detect::BookScrape::Fetched(odds) => odds.markets.len(),
            oddswatch::detect::BookScrape::Failed => 0,
        })
        .sum();
    println!(
        "loaded {} + {} events ({markets} market rows in cycle_next) in {:.2} s",
        prev.events.len(),
        next.events.len(),
        load.as_secs_f64()
    );

    // The refcycle's kickoffs are in 2030; detect as if five minutes apart well before that.
    let t_prev: DateTime<Utc> = "2029-12-31T00:00:00Z".parse()?;
    let t_next = t_prev + chrono::Duration::minutes(5);
    let rules = Rules::default();
    let (mut cold, mut steady) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let rss_before = status_kib("VmRSS:").unwrap_or(0);
        let mut detector = Detector::new();
        let started = Instant::now();
        let first = detector.detect_cycle(&prev, &rules, t_prev);
        cold.push(started.elapsed());
        let started = Instant::now();
        let second = detector.detect_cycle(&next, &rules, t_next);
        steady.push(started.elapsed());
        if run == 0 {
            print_output("cycle_prev (cold)", cold[0], &first);
            print_output("cycle_next (steady)", steady[0], &second);
            drop((first, second));
            let rss_after = status_kib("VmRSS:").unwrap_or(0);
            println!(
                "state: {} events, {} market rows, {} outcomes; {:.1} MiB counted heap; \
                 RSS growth over both cycles {:.1} MiB (outputs dropped)",
                detector.event_count(),
                detector.market_count(),
                detector.outcome_count(),
                mib(detector.heap_bytes() as u64),
                mib(rss_after.saturating_sub(rss_before) * 1024),
            );
        }
    }
    println!(
        "median of {runs}: cycle_prev (cold) {:.1} ms, cycle_next (steady) {:.1} ms",
        median(cold).as_secs_f64() * 1000.0,
        median(steady).as_secs_f64() * 1000.0,
    );
    println!(
        "process peak RSS (VmHWM, includes both loaded cycles): {:.0} MiB",
        status_kib("VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}
