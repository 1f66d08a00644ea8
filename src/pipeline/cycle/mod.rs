//! One scrape cycle, in named steps ([`ScrapeCycle::run_cycle`] runs them in order):
//!
//! 1. discovery on every book in parallel ([`fetch`]);
//! 2. merged by SportRadar id (the home book's kickoff wins), pre-match only, soonest first
//!    ([`merge`]);
//! 3. batch by batch: each event fetched on all its books concurrently, each book within its
//!    own limits ([`fetch`]) → the detection input ([`batch`]) → detect → the writer's batch
//!    ([`batch`]) → queued, so batches are stored while later events are still being fetched;
//! 4. wait for the writer, then the past transition;
//! 5. each book's tally ([`books`]) → its run record and health ([`health`]) → the run record
//!    queued.
//!
//! The pure steps (`merge`, `batch`, `books`, `health`'s run status and summary) are unit
//! tested; [`steps`] does the I/O around them; the benchmark runs the same batch step.
//!
//! **Slow books.** Each book fetches its share of a batch with its own concurrency, and has a
//! time budget per cycle (`books.<slug>.budget_secs`) charged while the cycle waits for it alone
//! ([`limits`]): discovery and fetches still running when it is spent are dropped and count as
//! failed fetches of that book (no availability alerts from them, health degraded), so one slow
//! book cannot hold the others. A stop request drops the fetches in flight at once (their events
//! are neither written nor alerted on) instead of waiting for them. Health is published every
//! second while a cycle runs ([`live`]), not only at its end.

use std::collections::BTreeMap;
use std::time::Instant;

use tokio::sync::watch;

use super::leases::LeaseKeeper;
use super::scheduler::{CycleReport, CycleRunner};
use super::writer::WriteQueue;
use crate::config::Config;
use crate::detect::{Detector, Rules};
use crate::domain::EventOdds;
use crate::health::{BookHealth, PipelineStatus};
use crate::service::now_millis;
use crate::sources::{Feed, FeedError, StatsSnapshot};
use crate::store::Store;

mod batch;
mod books;
mod fetch;
mod health;
mod limits;
mod live;
mod merge;
mod shards;
mod steps;
mod totals;
mod writes;

pub use batch::{event_records, write_batch};
use books::CycleBooks;
pub use fetch::in_batches;
use steps::CycleRun;
pub use totals::CycleTotals;
pub use writes::odds_writes;

/// Events per batch handed to the writer, unless a test sets [`ScrapeCycle::batch_events`].
pub const BATCH_EVENTS: usize = 100;

/// A configured feed and its config slug.
pub struct PipelineFeed {
    /// Config slug (`betpawa`, …, `theoddsapi`).
    pub slug: String,
    /// The adapter.
    pub feed: Feed,
}

/// One book's answer for one event: its slug and the odds or the failure.
type BookFetch = (String, Result<EventOdds, FeedError>);

/// The pipeline's cycle: feeds, detector state and the write queue.
pub struct ScrapeCycle {
    store: Store,
    queue: WriteQueue,
    feeds: Vec<PipelineFeed>,
    home_book: String,
    detector: Detector,
    config: Config,
    health: BTreeMap<String, BookHealth>,
    stats_before: Vec<StatsSnapshot>,
    /// Where health is published while a cycle runs (set by the scheduler).
    live_status: Option<watch::Sender<PipelineStatus>>,
    /// Events per batch handed to the writer.
    pub batch_events: usize,
    /// Totals of the last cycle.
    pub last_totals: CycleTotals,
    /// The daemon's shard leases; `None` runs every event unfenced (tests, the benchmark).
    leases: Option<LeaseKeeper>,
}

impl ScrapeCycle {
    /// A cycle over `feeds`; `home_book` is the slug whose moves raise alerts.
    pub fn new(
        config: Config,
        store: Store,
        queue: WriteQueue,
        feeds: Vec<PipelineFeed>,
        home_book: String,
    ) -> Self {
        let stats_before = feeds.iter().map(|f| f.feed.stats().snapshot()).collect();
        ScrapeCycle {
            store,
            queue,
            feeds,
            home_book,
            detector: Detector::new(),
            config,
            health: BTreeMap::new(),
            stats_before,
            live_status: None,
            batch_events: BATCH_EVENTS,
            last_totals: CycleTotals::default(),
            leases: None,
        }
    }

    /// The detector (for the benchmark's memory figure).
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Warms the last-seen state from the stored current odds, so a restart raises no alert
    /// twice and misses none. Returns how many market rows were loaded.
    pub async fn warm(&mut self) -> Result<usize, crate::store::StoreError> {
        self.warm_where(|_| true).await
    }

    /// Competitor books enabled in the configuration, for §9's `consensus_min_books` (a failed
    /// fetch never lowers it): every enabled feed but the home book's. A multi-book feed (The
    /// Odds API) brings bookmakers not known in advance, so with one enabled the bar is never
    /// lowered (`usize::MAX`).
    fn enabled_competitors(&self) -> usize {
        competitors_enabled(self.feeds.iter().map(|f| f.slug.as_str()), &self.home_book)
    }

    /// Rules of this cycle: the config with the settings saved in the database (edited in a
    /// UI) applied, so an edit takes effect from the next cycle. Unreadable or invalid
    /// overrides are reported and the configured rules used instead.
    async fn rules(&self) -> Rules {
        self.settings().await.0
    }

    /// The detection rules and the noise policy (DESIGN §10) of this cycle, from the config
    /// with the settings overrides applied as [`Self::rules`] describes.
    async fn settings(&self) -> (Rules, crate::domain::NoisePolicy) {
        let configured = || {
            (
                Rules::from_config(&self.config.detection),
                self.config.noise.policy(),
            )
        };
        let overrides = match self.store.setting_overrides().await {
            Ok(overrides) => overrides,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read settings overrides; using the configured rules");
                return configured();
            }
        };
        match crate::config::apply_overrides(&self.config, &overrides) {
            Ok(config) => (Rules::from_config(&config.detection), config.noise.policy()),
            Err(e) => {
                tracing::warn!(error = %e, "invalid settings override; using the configured rules");
                configured()
            }
        }
    }

    /// The notification rules of this cycle: the configured ones and those stored at run time
    /// (DESIGN §12). Without targets there is nothing to route; if the stored rules cannot be
    /// read, the configured ones still apply (and the failure is logged).
    async fn notify_rules(&self) -> Vec<crate::domain::NotifyRule> {
        let mut rules = self.config.notify.rules.clone();
        if self.config.notify.targets.is_empty() {
            return rules;
        }
        match self.store.notify_rules().await {
            Ok(stored) => rules.extend(
                stored
                    .into_iter()
                    .map(|s| s.rule)
                    .filter(|r| self.config.notify.target(&r.target).is_some()),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read stored notification rules; using the configured ones")
            }
        }
        rules
    }

    /// Runs one cycle; `stop` makes it drop the fetches in flight and return early. While it
    /// runs, health is published on the status channel the scheduler attached, if any.
    pub async fn run_cycle(&mut self, stop: &watch::Receiver<bool>) -> CycleTotals {
        let Some(status) = self.live_status.clone() else {
            return self.run_cycle_inner(stop).await;
        };
        let publisher = live::publish(
            status,
            self.feeds
                .iter()
                .map(|f| (f.slug.clone(), f.feed.stats().clone()))
                .collect(),
            self.health(),
            self.home_book.clone(),
        );
        tokio::select! {
            totals = self.run_cycle_inner(stop) => totals,
            never = publisher => match never {},
        }
    }

    /// The cycle's named steps in order; each step's time goes into the totals.
    async fn run_cycle_inner(&mut self, stop: &watch::Receiver<bool>) -> CycleTotals {
        let started = Instant::now();
        let now = now_millis();
        // Budgets are charged while the cycle waits for a book (see `limits::Budget`).
        let budgets = self.budgets();
        // The lease round first: the detector's state follows the shards held.
        let leases = self.lease_round().await;
        let run_id = self.start_run(now).await;
        let (rules, noise) = self.settings().await;
        let notify = self.notify_rules().await;
        let mut run = CycleRun {
            now,
            budgets,
            rules,
            noise,
            notify,
            totals: CycleTotals::default(),
            books: CycleBooks::default(),
        };
        // 1.–2. Discovery on every feed in parallel, merged: pre-match only, most urgent first.
        let events = self.discover_and_merge(&mut run, stop).await;
        let events = self.of_held_shards(events, &mut run.totals);
        // 3. Fetch, detect and queue batch by batch.
        let write_before = self.queue.write_time();
        self.fetch_detect_queue(events, &mut run, stop).await;
        // 4. Wait for the writer, then the past transition.
        self.wait_for_writer(&mut run.totals, write_before).await;
        run.totals.total_ms = elapsed_ms(started);
        self.record_daemon_cycle(leases.as_deref(), &run).await;
        // 5. Health and the run record.
        self.record_run(run_id, &run).await;
        run.log_done();
        crate::metrics::record_cycle(&run.totals);
        self.last_totals = run.totals.clone();
        run.totals
    }

    /// Per-book health, home book first.
    pub fn health(&self) -> Vec<BookHealth> {
        let mut books: Vec<BookHealth> = self.health.values().cloned().collect();
        books.sort_by_key(|b| (b.book != self.home_book, b.book.clone()));
        books
    }
}

impl CycleRunner for ScrapeCycle {
    fn attach_status(&mut self, status: watch::Sender<PipelineStatus>) {
        self.live_status = Some(status);
    }

    async fn run(&mut self, _cycle: u64, stop: watch::Receiver<bool>) -> CycleReport {
        let totals = self.run_cycle(&stop).await;
        CycleReport {
            alerts: totals.alerts(),
            books: self.health(),
        }
    }
}

/// Whole milliseconds since `t`.
fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// The enabled competitors among the enabled feeds `slugs`: every feed but the home book's, or
/// `usize::MAX` when a multi-book feed (The Odds API) is among them.
pub(crate) fn competitors_enabled<'a>(
    slugs: impl Iterator<Item = &'a str>,
    home_book: &str,
) -> usize {
    let mut count = 0;
    for slug in slugs {
        if crate::sources::FeedKind::from_slug(slug) == Some(crate::sources::FeedKind::TheOddsApi) {
            return usize::MAX;
        }
        if slug != home_book {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::competitors_enabled;

    #[test]
    fn the_enabled_competitors_are_every_enabled_feed_but_the_home_books() {
        let count = |slugs: &[&str]| competitors_enabled(slugs.iter().copied(), "betpawa");
        assert_eq!(count(&["betpawa", "sportybet", "bet9ja"]), 2);
        assert_eq!(count(&["betpawa", "sportybet"]), 1);
        assert_eq!(count(&["betpawa"]), 0);
        assert_eq!(count(&["sportybet", "bet9ja"]), 2, "home feed disabled");
    }

    #[test]
    fn a_multi_book_feed_never_lowers_the_bar() {
        let count = |slugs: &[&str]| competitors_enabled(slugs.iter().copied(), "betpawa");
        assert_eq!(count(&["betpawa", "theoddsapi"]), usize::MAX);
        assert_eq!(count(&["betpawa", "sportybet", "theoddsapi"]), usize::MAX);
    }
}
