//! The cycle's steps as [`ScrapeCycle`] does them: each calls the pure steps ([`super::merge`],
//! [`super::batch`], [`super::books`], [`super::health`]) around the feeds, the detector, the
//! write queue and the store, and counts its time in the cycle's totals.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::batch::{detection_input, write_batch};
use super::books::CycleBooks;
use super::fetch::in_batches;
use super::health::{run_status, run_summary};
use super::limits::Budget;
use super::merge::{MergedEvent, merge_discoveries, pre_match_in_order};
use super::{CycleTotals, ScrapeCycle, elapsed_ms};
use crate::detect::{CycleInput, Rules};
use crate::service::now_millis;
use crate::store::{CycleBatch, RunRecord};

/// One cycle in progress: when it started, what bounds it, and what it has counted so far.
pub(super) struct CycleRun {
    /// The cycle's time: alerts, rows and the pre-match filter use it.
    pub(super) now: DateTime<Utc>,
    /// Each feed's time budget, in feed order.
    pub(super) budgets: Vec<Budget>,
    /// Detection rules of this cycle.
    pub(super) rules: Rules,
    /// How this cycle's detections fold into stored alerts (`[noise]`, overrides applied).
    pub(super) noise: crate::domain::NoisePolicy,
    /// Notification rules of this cycle: the configured ones and the stored ones.
    pub(super) notify: Vec<crate::domain::NotifyRule>,
    /// What the cycle did.
    pub(super) totals: CycleTotals,
    /// What each book did.
    pub(super) books: CycleBooks,
}

impl CycleRun {
    /// Logs the books whose budget was spent, then the cycle's totals.
    pub(super) fn log_done(&self) {
        let totals = &self.totals;
        for (book, cut) in &totals.budget_spent {
            let budget = self
                .budgets
                .iter()
                .find(|b| &b.book == book)
                .map(|b| b.budget);
            tracing::warn!(book = %book, cut_off = cut, budget_secs = budget.map(|b| b.as_secs()), "the book's cycle budget was spent: its remaining calls count as failed fetches");
        }
        tracing::info!(
            events = totals.events,
            alerts = totals.alerts(),
            total_ms = totals.total_ms,
            fetch_ms = totals.fetch_ms,
            parse_map_ms = totals.parse_map_ms,
            detect_ms = totals.detect_ms,
            persist_ms = totals.persist_ms,
            persist_wait_ms = totals.persist_wait_ms,
            "cycle done"
        );
    }
}

impl ScrapeCycle {
    /// Records the cycle's start; `None` when the database does not answer (the run is then
    /// inserted whole at the end).
    pub(super) async fn start_run(&self, now: DateTime<Utc>) -> Option<i64> {
        // A daemon's runs name it on PostgreSQL, so another daemon's start-up recovery leaves
        // them alone while it lives. SQLite has one daemon (the file lock): a run left running
        // there is always a dead process's, and a run of no daemon is recovered at once (a
        // named one would wait out the dead daemon's lease).
        let started = match self.leases() {
            Some(keeper) if matches!(self.store, crate::store::Store::Postgres(_)) => {
                self.store.start_run_by(now, keeper.id()).await
            }
            _ => self.store.start_run(now).await,
        };
        match started {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(error = %e, "cannot record the start of a scrape run");
                None
            }
        }
    }

    /// Steps 1–2: every feed's discovery, merged into the events to fetch.
    pub(super) async fn discover_and_merge(
        &self,
        run: &mut CycleRun,
        stop: &watch::Receiver<bool>,
    ) -> Vec<MergedEvent> {
        let t = Instant::now();
        let discovered = self.discover_all(&run.budgets, stop).await;
        run.totals.discovery_ms = elapsed_ms(t);
        let slugs: Vec<String> = self.feeds.iter().map(|f| f.slug.clone()).collect();
        let merged = merge_discoveries(&slugs, &self.home_book, discovered, &mut run.books);
        let events = pre_match_in_order(merged, run.now);
        run.totals.events = events.len() as u64;
        events
    }

    /// Step 3: the events fetched, detected on and queued for the writer batch by batch, so
    /// batches are stored while later ones are fetched. Stops early on a stop request or when
    /// the write queue is closed.
    pub(super) async fn fetch_detect_queue(
        &mut self,
        events: Vec<MergedEvent>,
        run: &mut CycleRun,
        stop: &watch::Receiver<bool>,
    ) {
        let failed_books = run.books.failed_books();
        let parse_before = self.parse_time();
        for batch in in_batches(events, self.batch_events) {
            if *stop.borrow() {
                tracing::info!("stopping: the rest of this cycle is skipped");
                break;
            }
            let t = Instant::now();
            let fetched = self.fetch_batch(batch, &run.budgets, stop).await;
            run.totals.fetch_ms += elapsed_ms(t);
            let Some(fetched) = fetched else {
                tracing::info!(
                    "stopping: fetches in flight dropped; the rest of this cycle is skipped"
                );
                break;
            };
            let t = Instant::now();
            let input = detection_input(
                (&self.home_book, self.enabled_competitors()),
                &failed_books,
                fetched,
                &mut run.books,
            );
            let mut batch = self.detect_batch(&input, &run.rules, run.now, &mut run.totals);
            batch.noise = run.noise;
            if !batch.alerts.is_empty() {
                batch.notify = run.notify.clone();
            }
            batch.fence = self.fence_of(&batch);
            run.totals.detect_ms += elapsed_ms(t);
            if self.queue.send(batch).await.is_err() {
                tracing::error!("the write queue is closed; stopping the cycle");
                break;
            }
        }
        run.totals.parse_map_ms = (self.parse_time() - parse_before).as_millis() as u64;
        run.totals.budget_spent = run.books.budget_spent();
    }

    /// Detects on one batch's input and builds its write batch, counting both in `totals`.
    fn detect_batch(
        &mut self,
        input: &CycleInput,
        rules: &Rules,
        now: DateTime<Utc>,
        totals: &mut CycleTotals,
    ) -> CycleBatch {
        let output = self.detector.detect_cycle(input, rules, now);
        for vanish in &output.mass_vanished {
            tracing::warn!(
                book = %vanish.book,
                lost = vanish.lost,
                of = vanish.of,
                "book lost more than detection.mass_vanish_pct of its markets at once: treated as a feed problem, no availability alerts from it"
            );
        }
        totals.add_detection(input, &output);
        crate::metrics::record_detections(
            output
                .alerts
                .iter()
                .map(|a| (a.alert_type().as_str(), a.severity.as_str())),
        );
        let batch = write_batch(now, input, output);
        totals.add_batch(&batch);
        batch
    }

    /// Parsing and mapping time of every feed so far.
    fn parse_time(&self) -> Duration {
        self.feeds.iter().map(|f| f.feed.stats().parse_time()).sum()
    }

    /// Step 4: waits until the writer has stored the cycle's batches (its write time since
    /// `write_before` is the cycle's persist time), then moves kicked-off events to past.
    pub(super) async fn wait_for_writer(&self, totals: &mut CycleTotals, write_before: Duration) {
        let t = Instant::now();
        if self.queue.flush().await.is_err() {
            tracing::error!("the write queue closed before the cycle's batches were written");
        }
        totals.persist_wait_ms = elapsed_ms(t);
        totals.persist_ms = (self.queue.write_time() - write_before).as_millis() as u64;
        if let Err(e) = self.store.mark_past(now_millis()).await {
            tracing::warn!(error = %e, "past transition failed; retried by the minute job");
        }
    }

    /// Step 5: each book's health, and the run record. The record goes through the write
    /// queue: stored after the cycle's batches, retried like them, kept as a dead letter if the
    /// database is down, inserted whole if its start could not be recorded (`run_id` `None`).
    pub(super) async fn record_run(&mut self, run_id: Option<i64>, run: &CycleRun) {
        let runs = self.update_health(run.now, &run.books, &run.totals.mass_vanish);
        let discoveries_failed = run.books.failed_books().len();
        let status = run_status(self.feeds.len(), discoveries_failed, &runs);
        let summary = run_summary(status, now_millis(), &run.totals, &run.books, runs);
        let record = RunRecord::new(run_id, run.now, summary);
        if self.queue.record_run(record).await.is_err() {
            tracing::error!("the write queue closed before the scrape run was recorded");
        }
    }
}
