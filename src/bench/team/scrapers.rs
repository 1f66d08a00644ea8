//! Scraper daemons in-process: each the real pipeline (`pipeline::run::start`) on a `Store` of
//! its own with the scraper's pool size and a data dir of its own, so each registers as its own
//! daemon and holds its own leases. Every finished cycle is recorded from the status it
//! publishes: when it started, how long it took, and the fetches that failed.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use tokio::task::JoinHandle;

use super::connections::{Pools, Role};
use crate::config::Config;
use crate::pipeline::run::{RunningPipeline, Stopped};
use crate::store::Store;

/// One finished cycle of one daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleSample {
    /// The daemon (0 is the one that runs alone first).
    pub scraper: usize,
    /// Its cycle number (1 = its first, which warms up and claims).
    pub cycle: u64,
    /// When the cycle started.
    pub at: DateTime<Utc>,
    /// How long it took.
    pub ms: u64,
    /// Requests that failed, over every book.
    pub failed_fetches: u64,
}

/// Cycles of every daemon, in the order they finished.
pub type Cycles = Arc<Mutex<Vec<CycleSample>>>;

/// A running daemon.
pub struct Scraper {
    pipeline: RunningPipeline,
    store: Store,
    watcher: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// Starts daemon `index` on `config` (its books pointed at the simulator, its database set).
pub async fn start(
    config: &Config,
    index: usize,
    pools: &Pools,
    cycles: Cycles,
) -> Result<Scraper> {
    let url = config.database_url();
    let store = Store::connect_as(
        &url,
        config.database.pool.scrape,
        crate::store::DbRole::Scrape,
    )
    .await
    .wrap_err_with(|| format!("connecting scraper {index}'s pool"))?;
    pools.add(Role::Scrape, &store);
    let dir = tempfile::tempdir()?;
    let pipeline = crate::pipeline::run::start(config, store.clone(), dir.path())
        .await
        .wrap_err_with(|| format!("starting scraper {index}"))?;
    let mut status = pipeline.status.clone();
    let watcher = tokio::spawn(async move {
        let mut seen = 0;
        while status.changed().await.is_ok() {
            let now = status.borrow_and_update().clone();
            if now.cycles <= seen {
                continue;
            }
            seen = now.cycles;
            let (Some(at), Some(ms)) = (now.last_cycle_at, now.last_cycle_ms) else {
                continue;
            };
            let failed_fetches = now.books.iter().map(|b| u64::from(b.counts.failures)).sum();
            if let Ok(mut cycles) = cycles.lock() {
                cycles.push(CycleSample {
                    scraper: index,
                    cycle: now.cycles,
                    at,
                    ms,
                    failed_fetches,
                });
            }
        }
    });
    Ok(Scraper {
        pipeline,
        store,
        watcher,
        _dir: dir,
    })
}

impl Scraper {
    /// Stops cleanly (the cycle in flight finishes, the queue is flushed) and closes the pool.
    pub async fn stop(self) -> Stopped {
        let stopped = self.pipeline.stop().await;
        self.watcher.abort();
        self.store.close().await;
        stopped
    }
}

/// p50 and p95 of a set of cycles, with how many there were.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct CycleFigures {
    /// Cycles counted.
    pub cycles: u64,
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// Longest, ms.
    pub max_ms: f64,
}

/// The figures of `samples` (their `ms`).
pub fn cycle_figures(samples: &[CycleSample]) -> CycleFigures {
    let mut ms: Vec<u64> = samples.iter().map(|s| s.ms).collect();
    if ms.is_empty() {
        return CycleFigures::default();
    }
    ms.sort_unstable();
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize] as f64;
    CycleFigures {
        cycles: ms.len() as u64,
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        max_ms: at(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ms: u64) -> CycleSample {
        CycleSample {
            scraper: 0,
            cycle: 2,
            at: Utc::now(),
            ms,
            failed_fetches: 0,
        }
    }

    #[test]
    fn cycle_percentiles_are_nearest_rank_of_the_sorted_times() {
        let samples: Vec<_> = (1..=20).rev().map(|n| sample(n * 100)).collect();
        let figures = cycle_figures(&samples);
        assert_eq!(figures.cycles, 20);
        assert_eq!(figures.p50_ms, 1100.0);
        assert_eq!(figures.p95_ms, 1900.0);
        assert_eq!(figures.max_ms, 2000.0);
        assert_eq!(cycle_figures(&[]), CycleFigures::default());
    }
}
