//! Replays the reference cycle pair (`shared/data/refcycle/`) through detection and prints load
//! time, detection time cold (`cycle_prev`, everything first seen) and steady (`cycle_next`),
//! alert counts, and the memory of the last-seen state.
//!
//! ```text
//! cargo run --release --example refcycle_detect -- /work/shared/data/refcycle [runs] [off]
//! ```
//!
//! With `off` the rules run with `enabled = false`: the state is built and compared but no
//! rule raises anything, which isolates what the alert rules (§3 and §9) cost.
//!
//! Each run uses a fresh detector; times are wall-clock and this thread's CPU time
//! (`/proc/thread-self/schedstat`, which is what matters on a machine shared with other work),
//! and the median over the runs is printed. Memory is reported two ways: the detector's own count of its heap bytes, and the
//! growth of the process's resident set (VmRSS) from before the first cycle to after the
//! second, with the cycle outputs dropped.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use oddswatch::detect::refcycle::{REFCYCLE_HOME, alert_counts, alert_counts_text, load_cycle};
use oddswatch::detect::{CycleOutput, Detector, Rules};

/// A field of `/proc/self/status` in KiB (Linux only).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (nanoseconds, Linux only):
/// on a machine shared with other builds, wall time alone overstates detection's cost.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        stat.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Runs `f`, returning its result with the wall and CPU time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let cpu = thread_cpu().unwrap_or_default();
    let wall = Instant::now();
    let value = f();
    let wall = wall.elapsed();
    let cpu = thread_cpu().unwrap_or_default().saturating_sub(cpu);
    (value, wall, cpu)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn print_output(label: &str, (wall, cpu): (Duration, Duration), output: &CycleOutput) {
    let c = &output.counters;
    println!(
        "{label}: {:.1} ms wall, {:.1} ms CPU — {} alerts (price_change {}, direction_disagreement {}, availability {}); \
         markets: {} compared, {} first seen, {} changed, {} unchanged, {} suspended, {} returned; \
         outcomes: {} compared, {} moved; filtered: {} not primary, {} no competitor",
        ms(wall),
        ms(cpu),
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
    println!(
        "  per type: {}",
        alert_counts_text(&alert_counts(&output.alerts, REFCYCLE_HOME))
    );
    println!(
        "  §9: {} complete primary home markets evaluated ({} screened below warning), {} skipped unchanged",
        c.markets_evaluated, c.markets_screened, c.markets_unchanged_skipped,
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
    let rules_off = args.next().is_some_and(|a| a == "off");

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
    let rules = Rules {
        enabled: !rules_off,
        ..Rules::default()
    };
    let (mut cold, mut steady) = (Vec::new(), Vec::new());
    let (mut cold_cpu, mut steady_cpu) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let rss_before = status_kib("VmRSS:").unwrap_or(0);
        let mut detector = Detector::new();
        let (first, wall, cpu) = timed(|| detector.detect_cycle(&prev, &rules, t_prev));
        cold.push(wall);
        cold_cpu.push(cpu);
        let (second, wall, cpu) = timed(|| detector.detect_cycle(&next, &rules, t_next));
        steady.push(wall);
        steady_cpu.push(cpu);
        if run == 0 {
            print_output("cycle_prev (cold)", (cold[0], cold_cpu[0]), &first);
            print_output("cycle_next (steady)", (steady[0], steady_cpu[0]), &second);
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
    let sums: Vec<Duration> = cold.iter().zip(&steady).map(|(a, b)| *a + *b).collect();
    let cpu_sums: Vec<Duration> = cold_cpu
        .iter()
        .zip(&steady_cpu)
        .map(|(a, b)| *a + *b)
        .collect();
    println!(
        "median of {runs}: cycle_prev (cold) {:.1} ms wall / {:.1} ms CPU, \
         cycle_next (steady) {:.1} ms wall / {:.1} ms CPU, cold+steady {:.1} ms wall / {:.1} ms CPU",
        ms(median(cold)),
        ms(median(cold_cpu)),
        ms(median(steady)),
        ms(median(steady_cpu)),
        ms(median(sums)),
        ms(median(cpu_sums)),
    );
    println!(
        "process peak RSS (VmHWM, includes both loaded cycles): {:.0} MiB",
        status_kib("VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}
