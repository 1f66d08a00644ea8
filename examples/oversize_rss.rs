//! Peak memory while one book answers eight concurrent ≈ 50 MB chunked bodies (the simulator's
//! `oversize` fault), read by the real BetPawa adapter with the book's default policy
//! (8 requests in flight, 16 MiB per body) and a cap on the book's body bytes in flight.
//!
//! `cargo run --release --example oversize_rss -- [MAX_INFLIGHT_BYTES]` (default: the
//! configured 33554432; pass 4294967296 to see the memory without the cap). Prints the resident
//! set before the fetches and its peak (`VmHWM` from `/proc/self/status`, Linux).

use std::time::Duration;

use oddswatch::sim::{self, FaultKind, SimOptions, TickMode};
use oddswatch::sources::{BetPawa, BookFeed, HttpPolicy};

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let cap: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(HttpPolicy::default().max_inflight_bytes);
    let options = SimOptions {
        events: 20,
        tick: TickMode::Manual,
        fault_rate: 1.0,
        fault_kinds: vec![FaultKind::Oversize],
        oversize_bytes: 50_000_000,
        ..SimOptions::default()
    };
    let (_, sim) = sim::start(options).await.expect("simulator starts");
    let ids: Vec<String> = sim
        .events()
        .into_iter()
        .take(8)
        .map(|e| e.betpawa_id)
        .collect();
    let policy = HttpPolicy {
        concurrency: 8,
        retries: 0,
        deadline: Duration::from_secs(120),
        timeout: Duration::from_secs(60),
        max_inflight_bytes: cap,
        ..HttpPolicy::default()
    };
    let betpawa = BetPawa::new(&sim.base_url(), policy).expect("client");
    let before = status_kib("VmRSS:");
    let results = futures::future::join_all(ids.iter().map(|id| betpawa.fetch_event(id))).await;
    let peak = status_kib("VmHWM:");
    let refused = results.iter().filter(|r| r.is_err()).count();
    let stats = betpawa.stats().snapshot();
    println!(
        "max_inflight_bytes {cap}: RSS before {:.1} MB, peak {:.1} MB; {refused}/8 bodies refused; \
         peak body bytes held at once {:.1} MB; {:.1} MB read",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        stats.inflight_peak_bytes as f64 / 1_048_576.0,
        stats.bytes as f64 / 1_048_576.0,
    );
    sim.shutdown().await;
}
