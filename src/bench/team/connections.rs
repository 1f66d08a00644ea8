//! Connections in use, sampled every second from the server's side (`pg_stat_activity` of the
//! scratch database, by `application_name`, and the `LISTEN` connections among them) and from
//! the client's side (the open connections of each role's pools), so a role that holds more
//! than its budget shows up even when every pool names itself `oddswatch`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;
use sqlx::Connection;
use tokio::task::JoinHandle;

use crate::store::Store;

/// The long-running roles of a desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A terminal UI (`oddswatch tui`).
    Ui,
    /// A scraper daemon (`oddswatch scrape`).
    Scrape,
    /// The HTTP API (`oddswatch serve`).
    Api,
}

impl Role {
    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Ui => "ui",
            Role::Scrape => "scrape",
            Role::Api => "api",
        }
    }
}

/// The pools of every role, registered as they open.
#[derive(Clone, Default)]
pub struct Pools {
    pools: Arc<Mutex<Vec<(Role, Store)>>>,
}

impl Pools {
    /// Counts `store`'s open connections under `role` from now on.
    pub fn add(&self, role: Role, store: &Store) {
        if let Ok(mut pools) = self.pools.lock() {
            pools.push((role, store.clone()));
        }
    }

    /// Open connections per role now (pooled ones, without the `LISTEN` connections).
    fn open(&self) -> BTreeMap<Role, u64> {
        let mut open = BTreeMap::new();
        if let Ok(pools) = self.pools.lock() {
            for (role, store) in pools.iter() {
                let size = match store {
                    Store::Postgres(pool) => pool.size(),
                    Store::Sqlite(pool) => pool.size(),
                };
                *open.entry(*role).or_default() += u64::from(size);
            }
        }
        open
    }
}

/// The most connections seen in any one sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConnectionPeaks {
    /// Seconds sampled.
    pub samples: u64,
    /// Connections to the scratch database, all roles.
    pub total: u64,
    /// Of those, sessions whose last statement was a `LISTEN`.
    pub listen: u64,
    /// Per `application_name` as the server reports it.
    pub by_application: BTreeMap<String, u64>,
    /// Pooled connections per role, as the pools report them.
    pub pooled_by_role: BTreeMap<Role, u64>,
    /// The server's `max_connections`.
    pub server_max: u64,
    /// Connections to the whole server (every database) at the peak of `total`.
    pub server_total_at_peak: u64,
    /// Samples that could not be taken (the sampler's own connection refused, …).
    pub failed_samples: u64,
}

/// Samples every second until aborted; read the peaks with [`Sampler::finish`].
pub struct Sampler {
    task: JoinHandle<()>,
    peaks: Arc<Mutex<ConnectionPeaks>>,
}

impl Sampler {
    /// Starts sampling the database `database` through its own connection to `admin_url`
    /// (another database of the server, so the sampler is not among what it counts).
    pub async fn start(admin_url: &str, database: &str, pools: Pools) -> Result<Sampler> {
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .wrap_err("connecting to PostgreSQL to sample connections")?;
        let max: String = sqlx::query_scalar("SHOW max_connections")
            .fetch_one(&mut conn)
            .await?;
        let peaks = Arc::new(Mutex::new(ConnectionPeaks {
            server_max: max.trim().parse().unwrap_or(0),
            ..ConnectionPeaks::default()
        }));
        let shared = peaks.clone();
        let database = database.to_string();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let sample = sample(&mut conn, &database).await;
                let open = pools.open();
                let Ok(mut peaks) = shared.lock() else { return };
                peaks.samples += 1;
                for (role, n) in open {
                    let peak = peaks.pooled_by_role.entry(role).or_default();
                    *peak = (*peak).max(n);
                }
                match sample {
                    Ok(sample) => peaks.take(sample),
                    Err(e) => {
                        peaks.failed_samples += 1;
                        tracing::warn!(error = %e, "cannot sample pg_stat_activity");
                    }
                }
            }
        });
        Ok(Sampler { task, peaks })
    }

    /// Stops sampling; the peaks seen.
    pub fn finish(self) -> ConnectionPeaks {
        self.task.abort();
        self.peaks.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

/// One second's view of the server.
struct Sample {
    by_application: Vec<(String, i64)>,
    listen: i64,
    server_total: i64,
}

async fn sample(conn: &mut sqlx::PgConnection, database: &str) -> Result<Sample, sqlx::Error> {
    let by_application: Vec<(String, i64)> = sqlx::query_as(
        "SELECT count(*), application_name FROM pg_stat_activity WHERE datname = $1 \
         GROUP BY application_name",
    )
    .bind(database)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(n, name): (i64, String)| (name, n))
    .collect();
    let listen: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'",
    )
    .bind(database)
    .fetch_one(&mut *conn)
    .await?;
    let server_total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Sample {
        by_application,
        listen,
        server_total,
    })
}

impl ConnectionPeaks {
    fn take(&mut self, sample: Sample) {
        let total: i64 = sample.by_application.iter().map(|(_, n)| n).sum();
        let total = total.max(0) as u64;
        if total >= self.total {
            self.total = total;
            self.server_total_at_peak = sample.server_total.max(0) as u64;
        }
        self.listen = self.listen.max(sample.listen.max(0) as u64);
        for (name, n) in sample.by_application {
            let name = if name.is_empty() {
                "(none)".to_string()
            } else {
                name
            };
            let peak = self.by_application.entry(name).or_default();
            *peak = (*peak).max(n.max(0) as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_keep_the_largest_of_each_figure_separately() {
        let mut peaks = ConnectionPeaks::default();
        peaks.take(Sample {
            by_application: vec![("oddswatch".into(), 10), (String::new(), 1)],
            listen: 4,
            server_total: 30,
        });
        peaks.take(Sample {
            by_application: vec![("oddswatch".into(), 7)],
            listen: 6,
            server_total: 50,
        });
        assert_eq!(peaks.total, 11);
        assert_eq!(peaks.server_total_at_peak, 30);
        assert_eq!(peaks.listen, 6);
        assert_eq!(peaks.by_application["oddswatch"], 10);
        assert_eq!(peaks.by_application["(none)"], 1);
    }
}
