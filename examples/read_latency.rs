//! Measures the alert service's read and acknowledge latencies on an existing database.
//!
//! ```text
//! cargo run --release --example read_latency -- sqlite:///tmp/million.db 50
//! ```
//! Fill the database first with `oddswatch demo-data --alerts 1000000`. Prints p50 and p99 per
//! query shape. The acknowledge rows leave those alerts acknowledged and unacknowledged again.

use std::time::{Duration, Instant};

use oddswatch::domain::{AlertFilter, AlertSort, Page, Severity, Status};
use oddswatch::service::AlertService;
use oddswatch::store::Store;

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> color_eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: read_latency DATABASE_URL [RUNS]");
    let runs: usize = args
        .next()
        .map_or(50, |r| r.parse().expect("RUNS is a number"));
    let store = Store::open(&url, 4).await?;
    let service = AlertService::new(store.clone(), "bench");
    let new = AlertFilter {
        statuses: vec![Status::New],
        ..Default::default()
    };
    let shapes: Vec<(&str, AlertFilter, AlertSort)> = vec![
        (
            "list all, newest first",
            AlertFilter::default(),
            AlertSort::Detected,
        ),
        ("list new, newest first", new.clone(), AlertSort::Detected),
        (
            "list new + critical",
            AlertFilter {
                severities: vec![Severity::Critical],
                ..new.clone()
            },
            AlertSort::Detected,
        ),
        ("list new by severity", new.clone(), AlertSort::Severity),
        ("list new by kickoff", new.clone(), AlertSort::Kickoff),
        ("list new by |change|", new.clone(), AlertSort::Change),
        (
            "list text 'arsenal'",
            AlertFilter {
                text: Some("arsenal".into()),
                ..new.clone()
            },
            AlertSort::Detected,
        ),
    ];
    println!("| query | p50 ms | p99 ms |\n|---|---|---|");
    for (name, filter, sort) in shapes {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let page = service.list(&filter, sort, &Page::first(50)).await?;
            samples.push(t.elapsed());
            assert!(page.alerts.len() <= 50);
        }
        println!(
            "| {name} | {:.1} | {:.1} |",
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.99)
        );
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        service.stats().await?;
        samples.push(t.elapsed());
    }
    println!(
        "| stats | {:.1} | {:.1} |",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99)
    );
    for batch in [1usize, 200] {
        let ids: Vec<i64> = service
            .list(&new, AlertSort::Detected, &Page::first(batch as u32))
            .await?
            .alerts
            .iter()
            .map(|a| a.id)
            .collect();
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs.min(20) {
            let t = Instant::now();
            service.acknowledge(&ids, None).await?;
            samples.push(t.elapsed());
            service.unacknowledge(&ids, None).await?;
        }
        println!(
            "| acknowledge {batch} | {:.1} | {:.1} |",
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.99)
        );
    }
    store.close().await;
    Ok(())
}
