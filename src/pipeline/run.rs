//! Starting and stopping the whole pipeline: feeds, stale-run recovery, dead-letter replay,
//! warm-up, the writer, housekeeping and the schedule. The feeds are built from the books'
//! base URLs; whoever starts the pipeline decides where those point (a simulator is started by
//! the command wiring: `oddswatch` and `oddswatch scrape` in `cli`).

use std::path::Path;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::cycle::{PipelineFeed, ScrapeCycle};
use super::leases::LeaseKeeper;
use super::scheduler::run_schedule;
use super::scrape_lock::ScrapeLock;
use super::writer::{
    QUEUE_BATCHES, RetryPolicy, WriterStop, WriterTotals, dead_letter_dir, spawn_publishing_writer,
};
use crate::config::Config;
use crate::health::{PipelineCommand, PipelineStatus};
use crate::service::{AlertService, now_millis};
use crate::sources::{Feed, FeedKind};
use crate::store::{DaemonRegistration, Store};

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A feed could not be built from its config.
    #[error("book {book}: {message}")]
    Feed {
        /// Config slug.
        book: String,
        /// Why.
        message: String,
    },
    /// No book is enabled.
    #[error("no book is enabled: set books.<name>.enabled = true for at least the home book")]
    NoBooks,
    /// No book is marked as the home book.
    #[error("no home book: set books.<name>.home = true for the book the trader works for")]
    NoHome,
    /// The database failed during start-up.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Another process scrapes into the same SQLite file (or its lock cannot be taken).
    #[error(transparent)]
    Locked(#[from] super::scrape_lock::LockError),
}

/// A running pipeline.
pub struct RunningPipeline {
    /// Status snapshots for screens.
    pub status: watch::Receiver<PipelineStatus>,
    /// Pause / resume / run now.
    pub commands: mpsc::Sender<PipelineCommand>,
    /// Live changes: the writer publishes each stored batch's alerts here at once; screens and
    /// streams of this process subscribe (with a poller on it for other processes' changes).
    pub changes: crate::live::ChangeFeed,
    stop: watch::Sender<bool>,
    schedule: JoinHandle<(u64, Option<LeaseKeeper>)>,
    writer: JoinHandle<WriterTotals>,
    writer_stop: WriterStop,
    housekeeping: JoinHandle<()>,
    /// The notification sender (DESIGN §12), when targets are configured.
    sender: Option<(watch::Sender<bool>, JoinHandle<crate::notify::PassReport>)>,
    store: Store,
    /// The SQLite file's scrape lock, released when the pipeline stops.
    scrape_lock: Option<ScrapeLock>,
}

/// What stopping reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Cycles run.
    pub cycles: u64,
    /// The writer's totals.
    pub writes: WriterTotals,
}

impl RunningPipeline {
    /// Stops cleanly: the cycle in flight finishes its current batch, the queue is flushed,
    /// the writer ends. The writer stops retrying: what the database does not take at once is
    /// kept as dead letters for the next start. Once the writer drained, the shard leases are
    /// released so the other daemons take the shards in their next round, not at expiry.
    pub async fn stop(self) -> Stopped {
        let _ = self.stop.send(true);
        // During an outage the batches left are kept as dead letters instead of each waiting
        // out the retry window.
        self.writer_stop.stop_retrying();
        let (cycles, keeper) = self.schedule.await.unwrap_or((0, None));
        self.housekeeping.abort();
        let writes = self.writer.await.unwrap_or_default();
        // After the writer: the deliveries of the last batches are in the outbox; what the
        // sender has not sent yet waits there for the next start (or another daemon).
        if let Some((stop, sender)) = self.sender {
            let _ = stop.send(true);
            if let Ok(report) = sender.await {
                tracing::info!(
                    delivered = report.delivered,
                    failed = report.failed,
                    given_up = report.given_up,
                    "notification sender stopped"
                );
            }
        }
        if let Some(mut keeper) = keeper {
            keeper.release(&self.store).await;
        }
        drop(self.scrape_lock);
        Stopped { cycles, writes }
    }

    /// The path of the SQLite scrape lock this pipeline holds, if any.
    pub fn scrape_lock(&self) -> Option<&Path> {
        self.scrape_lock.as_ref().map(ScrapeLock::path)
    }
}

/// Builds the feeds of the enabled books, pointing them at `base_url_override` when given (a
/// simulator). Returns them with the home book's slug: the enabled book with `home = true`,
/// else the home bookmaker of an enabled The Odds API feed, else the configured home book.
pub fn build_feeds(
    config: &Config,
    base_url_override: Option<&str>,
) -> Result<(Vec<PipelineFeed>, String), StartError> {
    let mut feeds = Vec::new();
    for (slug, book) in config.books.iter().filter(|(_, b)| b.enabled) {
        let kind = FeedKind::from_slug(slug).ok_or_else(|| StartError::Feed {
            book: slug.clone(),
            message: "no adapter for this book".into(),
        })?;
        let mut book = book.clone();
        if let Some(url) = base_url_override {
            book.base_url = url.to_string();
        }
        let feed = Feed::from_config(kind, &book).map_err(|e| StartError::Feed {
            book: slug.clone(),
            message: e.to_string(),
        })?;
        feeds.push(PipelineFeed {
            slug: slug.clone(),
            feed,
        });
    }
    if feeds.is_empty() {
        return Err(StartError::NoBooks);
    }
    let home = config.pipeline_home_book().ok_or(StartError::NoHome)?;
    Ok((feeds, home))
}

/// Starts the pipeline on `store` with the books as `config` points them, writing dead letters
/// under `data_dir`.
pub async fn start(
    config: &Config,
    store: Store,
    data_dir: &Path,
) -> Result<RunningPipeline, StartError> {
    let (feeds, home_book) = build_feeds(config, None)?;
    crate::metrics::install();
    // SQLite: one daemon per file, held for the pipeline's life.
    let scrape_lock = match sqlite_file(&store) {
        Some(file) => Some(super::scrape_lock::take(&file)?),
        None => None,
    };

    let recovered = store.recover_stale_runs(now_millis()).await?;
    if recovered > 0 {
        tracing::warn!(
            recovered,
            "closed scrape runs left running by a previous process as failed"
        );
    }
    // The writer stores the dead letters of earlier runs before anything else; they must be in
    // the database before the detector is warmed from it (or their alerts would be raised
    // again), so wait for that before the first lease round warms the shards it claims. They
    // count in the first run's record.
    let changes = crate::live::ChangeFeed::default();
    let (queue, writer) = spawn_publishing_writer(
        store.clone(),
        dead_letter_dir(data_dir),
        RetryPolicy::default(),
        QUEUE_BATCHES,
        &changes,
    );
    if queue.flush().await.is_err() {
        tracing::error!("the writer stopped while replaying dead letters");
    }
    let writer_stop = queue.stop_handle();
    // No warm-up of everything here: each lease round warms the shards it claims, the first
    // one included (on SQLite it claims them all).
    let keeper = LeaseKeeper::new(DaemonRegistration::this_process(
        config.scrape.shards,
        config.scrape.lease_duration(),
    ));
    tracing::info!(daemon = %keeper.id(), shards = config.scrape.shards, "scraping on shard leases");
    let mut cycle = ScrapeCycle::new(config.clone(), store.clone(), queue, feeds, home_book)
        .with_leases(keeper);

    let service = AlertService::new(store.clone(), "system");
    let housekeeping = super::jobs::spawn_housekeeping(
        service,
        Duration::from_secs(60),
        config.retention.past_alert_days,
        config.retention.history_days,
    );
    let sender = (!config.notify.targets.is_empty()).then(|| {
        let (stop, stop_rx) = watch::channel(false);
        let sender = crate::notify::Sender::new(store.clone(), config.notify.clone());
        tracing::info!(targets = %config.notify.target_names(), rules = config.notify.rules.len(), "notifications on");
        (stop, sender.spawn(stop_rx))
    });
    let (status_tx, status) = watch::channel(PipelineStatus::default());
    let (commands, command_rx) = mpsc::channel(16);
    let (stop, stop_rx) = watch::channel(false);
    let interval = Duration::from_secs(config.scrape.interval_secs);
    let schedule = tokio::spawn(async move {
        let cycles = run_schedule(&mut cycle, interval, status_tx, command_rx, stop_rx).await;
        // Dropping the cycle drops its queue sender: the writer drains and ends; the leases
        // are released after that.
        let keeper = cycle.take_leases();
        drop(cycle);
        (cycles, keeper)
    });
    Ok(RunningPipeline {
        status,
        commands,
        changes,
        stop,
        schedule,
        writer,
        writer_stop,
        housekeeping,
        sender,
        store,
        scrape_lock,
    })
}

/// The file of an SQLite store (`None` for PostgreSQL and in-memory databases).
fn sqlite_file(store: &Store) -> Option<std::path::PathBuf> {
    match store {
        Store::Sqlite(pool) => {
            let options = pool.connect_options();
            let file = options.get_filename();
            let name = file.to_string_lossy();
            // An in-memory database is one process's own: nothing to lock.
            let in_memory = name.starts_with(":memory:") || name.starts_with("file:sqlx-in-memory");
            (!name.is_empty() && !in_memory).then(|| file.to_path_buf())
        }
        Store::Postgres(_) => None,
    }
}
