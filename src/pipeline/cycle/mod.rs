//! One scrape cycle: discovery on every book in parallel → merge by SportRadar id, pre-match
//! only → order by kickoff (soonest first) → fetch each event on all its books concurrently
//! (each book's own limits apply) → detect → queue the batch for the writer. Batches of events
//! flow to the writer while later events are still being fetched.
//!
//! **Slow books.** Each book fetches its share of a batch with its own concurrency, and has a
//! time budget per cycle (`books.<slug>.budget_secs`) charged while the cycle waits for it alone
//! ([`limits`]): discovery and fetches still running when it is spent are dropped and count as
//! failed fetches of that book (no availability alerts from them, health degraded), so one slow
//! book cannot hold the others. A stop request drops the fetches in flight at once (their events
//! are neither written nor alerted on) instead of waiting for them. Health is published every
//! second while a cycle runs ([`live`]), not only at its end.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::StreamExt;
use tokio::sync::watch;

use super::scheduler::{CycleReport, CycleRunner};
use super::writer::WriteQueue;
use crate::config::Config;
use crate::detect::{self, CycleEvent, CycleInput, Detector, EventBook, Rules};
use crate::domain::{EventOdds, Line, MarketOdds};
use crate::health::{BookHealth, PipelineStatus};
use crate::service::now_millis;
use crate::sources::{Discovery, EventRef, Feed, FeedError, StatsSnapshot};
use crate::store::{BatchEvent, CycleBatch, EventRecord, RunRecord, RunStatus, RunSummary, Store};

mod health;
mod limits;
mod live;
mod totals;
mod writes;

use limits::{Budget, DEFAULT_BUDGET, Share, run_phase, stopped_error, until_stopped};
pub use totals::CycleTotals;
pub use writes::odds_writes;

/// A configured feed and its config slug.
pub struct PipelineFeed {
    /// Config slug (`betpawa`, …, `theoddsapi`).
    pub slug: String,
    /// The adapter.
    pub feed: Feed,
}

/// What discovery found on one feed.
enum Discovered {
    /// Event references to fetch one by one (and the lists that failed: their events are
    /// unknown this cycle, not gone).
    Refs(Discovery),
    /// Complete odds per bookmaker (The Odds API answers everything in one response).
    Full(Vec<crate::sources::BookScrape>),
}

/// One book's answer for one event: its slug and the odds or the failure.
type BookFetch = (String, Result<EventOdds, FeedError>);

/// One fetch of a book's share of a batch: (event position, reference position, result).
type ShareFetch = (usize, usize, Result<EventOdds, FeedError>);

/// One event of the cycle, merged across books.
struct MergedEvent {
    key: String,
    kickoff: Option<DateTime<Utc>>,
    /// (book slug, feed index, reference) to fetch.
    refs: Vec<(String, usize, EventRef)>,
    /// Odds already complete from discovery.
    full: Vec<(String, EventOdds)>,
}

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
            batch_events: 100,
            last_totals: CycleTotals::default(),
        }
    }

    /// The detector (for the benchmark's memory figure).
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Warms the last-seen state from the stored current odds, so a restart raises no alert
    /// twice and misses none. Returns how many market rows were loaded.
    pub async fn warm(&mut self) -> Result<usize, crate::store::StoreError> {
        let now = now_millis();
        let rows = self.store.load_current_odds(now).await?;
        let count = rows.len();
        for row in rows {
            let line = if row.line.is_empty() {
                None
            } else {
                row.line.parse::<Line>().ok()
            };
            let name = crate::sources::mapping::by_betpawa_id(&row.market_id)
                .map_or(row.market_id.as_str(), |m| m.name);
            let market = MarketOdds {
                market_id: row.market_id.clone(),
                market_name: name.to_string(),
                line,
                outcomes: row.outcomes,
            };
            self.detector.warm(
                &row.event_key,
                &row.bookmaker,
                &market,
                now,
                row.available,
                row.unavailable_since,
            );
            self.detector.warm_kickoff(&row.event_key, row.kickoff);
        }
        Ok(count)
    }

    /// Rules of this cycle: the config with the settings saved in the database (edited in a
    /// UI) applied, so an edit takes effect from the next cycle. Unreadable or invalid
    /// overrides are reported and the configured rules used instead.
    async fn rules(&self) -> Rules {
        let overrides = match self.store.setting_overrides().await {
            Ok(overrides) => overrides,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read settings overrides; using the configured rules");
                return Rules::from_config(&self.config.detection);
            }
        };
        match crate::config::apply_overrides(&self.config, &overrides) {
            Ok(config) => Rules::from_config(&config.detection),
            Err(e) => {
                tracing::warn!(error = %e, "invalid settings override; using the configured rules");
                Rules::from_config(&self.config.detection)
            }
        }
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

    async fn run_cycle_inner(&mut self, stop: &watch::Receiver<bool>) -> CycleTotals {
        let started = Instant::now();
        let now = now_millis();
        let mut totals = CycleTotals::default();
        // Budgets are charged while the cycle waits for a book (see `limits::Budget`); an open
        // breaker lets one probe through.
        let cycle_start = tokio::time::Instant::now();
        let book_budgets: Vec<(String, Duration)> = self
            .feeds
            .iter()
            .map(|f| {
                f.feed.client().begin_cycle();
                let budget = self
                    .config
                    .books
                    .get(&f.slug)
                    .map_or(DEFAULT_BUDGET, |b| Duration::from_secs(b.budget_secs));
                (f.slug.clone(), budget)
            })
            .collect();
        let all_budgets = book_budgets.iter().map(|(_, b)| *b).sum();
        let budgets: Vec<Budget> = book_budgets
            .into_iter()
            .map(|(book, budget)| Budget::new(book, budget, cycle_start, all_budgets))
            .collect();
        let run_id = match self.store.start_run(now).await {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(error = %e, "cannot record the start of a scrape run");
                None
            }
        };
        let rules = self.rules().await;

        // 1. Discovery, every feed in parallel.
        let t = Instant::now();
        let shares = self
            .feeds
            .iter()
            .zip(&budgets)
            .enumerate()
            .map(|(i, (f, b))| {
                let work =
                    async move { (i, b.within(&f.feed, "discovery", discover(&f.feed)).await) };
                (i, true, work.boxed())
            })
            .collect();
        let discovery = run_phase(&budgets, shares);
        let discovered: Vec<Result<Discovered, FeedError>> = match until_stopped(stop, discovery)
            .await
        {
            Some(mut discovered) => {
                discovered.sort_by_key(|(i, _)| *i);
                discovered.into_iter().map(|(_, d)| d).collect()
            }
            None => {
                tracing::info!("stopping: discovery in flight dropped; nothing fetched this cycle");
                self.feeds
                    .iter()
                    .map(|f| Err(stopped_error(&f.slug)))
                    .collect()
            }
        };
        totals.discovery_ms = t.elapsed().as_millis() as u64;
        let mut failed_books = BTreeSet::new();
        // Failed requests per book (partial discovery and event fetches) with the last error.
        let mut fetch_failed: BTreeMap<String, (u64, String)> = BTreeMap::new();
        let mut discovery_errors: BTreeMap<String, String> = BTreeMap::new();
        let mut merged: BTreeMap<String, MergedEvent> = BTreeMap::new();
        for (index, result) in discovered.into_iter().enumerate() {
            let slug = self.feeds[index].slug.clone();
            match result {
                Ok(Discovered::Refs(discovery)) => {
                    if let Some(e) = discovery.failures.last() {
                        let entry = fetch_failed.entry(slug.clone()).or_default();
                        entry.0 += discovery.failures.len() as u64;
                        entry.1 = e.to_string();
                    }
                    for r in discovery.events {
                        let event =
                            merged
                                .entry(r.sportradar_id.clone())
                                .or_insert_with(|| MergedEvent {
                                    key: r.sportradar_id.clone(),
                                    kickoff: None,
                                    refs: Vec::new(),
                                    full: Vec::new(),
                                });
                        // The home book's kickoff wins; otherwise the first known.
                        if slug == self.home_book || event.kickoff.is_none() {
                            event.kickoff = r.kickoff.or(event.kickoff);
                        }
                        event.refs.push((slug.clone(), index, r));
                    }
                }
                Ok(Discovered::Full(scrapes)) => {
                    for scrape in scrapes {
                        for odds in scrape.events {
                            let event = merged.entry(odds.event_key.clone()).or_insert_with(|| {
                                MergedEvent {
                                    key: odds.event_key.clone(),
                                    kickoff: None,
                                    refs: Vec::new(),
                                    full: Vec::new(),
                                }
                            });
                            if scrape.book == self.home_book || event.kickoff.is_none() {
                                event.kickoff = odds.kickoff.or(event.kickoff);
                            }
                            event.full.push((scrape.book.clone(), odds));
                        }
                    }
                }
                Err(e) => {
                    if matches!(e, FeedError::BudgetSpent { .. }) {
                        *totals.budget_spent.entry(slug.clone()).or_default() += 1;
                    }
                    tracing::warn!(book = %slug, error = %e, "discovery failed; no availability changes from this book this cycle");
                    failed_books.insert(slug.clone());
                    discovery_errors.insert(slug, e.to_string());
                }
            }
        }

        // 2. Pre-match only, most urgent first.
        let mut events: Vec<MergedEvent> = merged
            .into_values()
            .filter(|e| e.kickoff.is_none_or(|k| k > now))
            .collect();
        events.sort_by(|a, b| {
            (a.kickoff.is_none(), a.kickoff, &a.key).cmp(&(b.kickoff.is_none(), b.kickoff, &b.key))
        });
        totals.events = events.len() as u64;

        // 3. Fetch, detect and queue batch by batch.
        let mut fetched_ok: BTreeMap<String, u64> = BTreeMap::new();
        let mut markets_seen: BTreeMap<String, u64> = BTreeMap::new();
        let parse_time = |feeds: &[PipelineFeed]| -> Duration {
            feeds.iter().map(|f| f.feed.stats().parse_time()).sum()
        };
        let parse_before = parse_time(&self.feeds);
        let write_before = self.queue.write_time();
        let mut remaining = events.into_iter().peekable();
        while remaining.peek().is_some() {
            if *stop.borrow() {
                tracing::info!("stopping: the rest of this cycle is skipped");
                break;
            }
            let chunk: Vec<MergedEvent> =
                remaining.by_ref().take(self.batch_events.max(1)).collect();
            let t = Instant::now();
            let feeds = &self.feeds;
            let budgets = &budgets;
            // Each book fetches its share of the batch with its own concurrency, so a slow book
            // holds no other book's requests; the batch is ready when every share is.
            let mut shares: Vec<Vec<(usize, usize)>> = vec![Vec::new(); feeds.len()];
            for (e, event) in chunk.iter().enumerate() {
                for (k, (_, index, _)) in event.refs.iter().enumerate() {
                    shares[*index].push((e, k));
                }
            }
            let events_ref = &chunk;
            let shares: Vec<Share<'_, Vec<ShareFetch>>> = shares
                .into_iter()
                .enumerate()
                .filter(|(_, share)| !share.is_empty())
                .map(|(index, share)| {
                    let feed = &feeds[index].feed;
                    let width = feed.client().policy().concurrency.max(1) * 2;
                    let works = !budgets[index].remaining().is_zero()
                        && feed.client().breaker_state() != crate::sources::BreakerState::Open;
                    let work = futures::stream::iter(share)
                        .map(move |(e, k)| async move {
                            let (_, _, r) = &events_ref[e].refs[k];
                            let what = format!("event {}", r.book_event_id);
                            let result = budgets[index].within(feed, &what, fetch(feed, r)).await;
                            (e, k, result)
                        })
                        .buffer_unordered(width)
                        .collect::<Vec<ShareFetch>>();
                    (index, works, work.boxed())
                })
                .collect();
            let fetching = run_phase(budgets, shares);
            let Some(outputs) = until_stopped(stop, fetching).await else {
                tracing::info!(
                    "stopping: fetches in flight dropped; the rest of this cycle is skipped"
                );
                totals.fetch_ms += t.elapsed().as_millis() as u64;
                break;
            };
            totals.fetch_ms += t.elapsed().as_millis() as u64;
            let mut per_event: Vec<Vec<(usize, BookFetch)>> =
                chunk.iter().map(|_| Vec::new()).collect();
            for (e, k, result) in outputs.into_iter().flatten() {
                per_event[e].push((k, (chunk[e].refs[k].0.clone(), result)));
            }
            let fetched: Vec<(MergedEvent, Vec<BookFetch>)> = chunk
                .into_iter()
                .zip(per_event)
                .map(|(event, mut results)| {
                    // In the order of the event's references, as before.
                    results.sort_by_key(|(k, _)| *k);
                    (event, results.into_iter().map(|(_, r)| r).collect())
                })
                .collect();

            let t = Instant::now();
            let mut input = CycleInput {
                home_book: self.home_book.clone(),
                failed_books: failed_books.clone(),
                events: Vec::new(),
            };
            let mut records = Vec::with_capacity(fetched.len());
            for (event, results) in fetched {
                let mut books = Vec::new();
                let mut names: Option<EventRecord> = None;
                let mut links = Vec::new();
                for (book, odds) in event
                    .full
                    .into_iter()
                    .map(|(b, o)| (b, Ok(o)))
                    .chain(results)
                {
                    match odds {
                        Ok(odds) => {
                            *fetched_ok.entry(book.clone()).or_default() += 1;
                            *markets_seen.entry(book.clone()).or_default() +=
                                odds.markets.len() as u64;
                            totals.markets += odds.markets.len() as u64;
                            if names.is_none() || book == self.home_book {
                                names = Some(EventRecord {
                                    sr_id: event.key.clone(),
                                    home_team: odds.home_team.clone(),
                                    away_team: odds.away_team.clone(),
                                    tournament: odds.tournament.clone(),
                                    country: odds.country.clone(),
                                    kickoff: event.kickoff.or(odds.kickoff),
                                });
                            }
                            links.push((book.clone(), odds.book_event_id.clone()));
                            books.push(EventBook {
                                book,
                                scrape: detect::BookScrape::Fetched(odds),
                            });
                        }
                        Err(e) => {
                            if matches!(e, FeedError::BudgetSpent { .. }) {
                                *totals.budget_spent.entry(book.clone()).or_default() += 1;
                            }
                            let entry = fetch_failed.entry(book.clone()).or_default();
                            entry.0 += 1;
                            entry.1 = e.to_string();
                            books.push(EventBook {
                                book,
                                scrape: detect::BookScrape::Failed,
                            });
                        }
                    }
                }
                if let Some(record) = names {
                    records.push(BatchEvent {
                        record,
                        books: links,
                    });
                    input.events.push(CycleEvent {
                        event_key: event.key,
                        kickoff: event.kickoff,
                        books,
                    });
                }
            }
            let output = self.detector.detect_cycle(&input, &rules, now);
            let mut batch = CycleBatch {
                at: now,
                events: records,
                odds: odds_writes(&input, &output),
                alerts: Vec::new(),
            };
            totals.outcomes_compared += output.counters.outcomes_compared;
            totals.availability_suppressed += output.counters.availability_suppressed;
            for vanish in &output.mass_vanished {
                tracing::warn!(
                    book = %vanish.book,
                    lost = vanish.lost,
                    of = vanish.of,
                    "book lost more than detection.mass_vanish_pct of its markets at once: treated as a feed problem, no availability alerts from it"
                );
                let entry = totals.mass_vanish.entry(vanish.book.clone()).or_default();
                entry.0 += vanish.lost;
                entry.1 += vanish.of;
            }
            totals.odds_rows += batch.odds.len() as u64;
            totals.history_rows += batch.odds.iter().filter(|o| o.record_history).count() as u64;
            for alert in output.alerts {
                *totals
                    .alerts_by_type
                    .entry(alert.alert_type().as_str().to_string())
                    .or_default() += 1;
                *totals
                    .alerts_by_severity
                    .entry(alert.severity.as_str().to_string())
                    .or_default() += 1;
                batch.alerts.push(alert);
            }
            totals.detect_ms += t.elapsed().as_millis() as u64;
            if self.queue.send(batch).await.is_err() {
                tracing::error!("the write queue is closed; stopping the cycle");
                break;
            }
        }

        totals.parse_map_ms = (parse_time(&self.feeds) - parse_before).as_millis() as u64;

        // 4. Wait for the writer, then the past transition.
        let t = Instant::now();
        if self.queue.flush().await.is_err() {
            tracing::error!("the write queue closed before the cycle's batches were written");
        }
        totals.persist_wait_ms = t.elapsed().as_millis() as u64;
        totals.persist_ms = (self.queue.write_time() - write_before).as_millis() as u64;
        if let Err(e) = self.store.mark_past(now_millis()).await {
            tracing::warn!(error = %e, "past transition failed; retried by the minute job");
        }
        totals.total_ms = started.elapsed().as_millis() as u64;
        for (book, cut) in &totals.budget_spent {
            let budget = budgets.iter().find(|b| &b.book == book).map(|b| b.budget);
            tracing::warn!(book = %book, cut_off = cut, budget_secs = budget.map(|b| b.as_secs()), "the book's cycle budget was spent: its remaining calls count as failed fetches");
        }

        // 5. Health and the run record.
        let books = self.update_health(
            now,
            &failed_books,
            &discovery_errors,
            &fetched_ok,
            &fetch_failed,
            &markets_seen,
            &totals.mass_vanish,
        );
        // The run goes through the write queue: stored after the cycle's batches, retried like
        // them, kept as a dead letter if the database is down, inserted whole if its start
        // could not be recorded.
        {
            let status = if failed_books.len() == self.feeds.len() && !self.feeds.is_empty() {
                RunStatus::Failed
            } else if books.iter().any(|b| b.status != "ok") {
                RunStatus::Partial
            } else {
                RunStatus::Ok
            };
            let summary = RunSummary {
                status,
                finished_at: now_millis(),
                events_seen: totals.events as i64,
                rows_written: (totals.odds_rows + totals.history_rows) as i64,
                alerts_written: totals.alerts() as i64,
                stats: serde_json::to_value(&totals).unwrap_or_default(),
                error: (!discovery_errors.is_empty()).then(|| {
                    discovery_errors
                        .iter()
                        .map(|(b, e)| format!("{b}: {e}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
                books,
            };
            let record = RunRecord::new(run_id, now, summary);
            if self.queue.record_run(record).await.is_err() {
                tracing::error!("the write queue closed before the scrape run was recorded");
            }
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
        self.last_totals = totals.clone();
        totals
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

async fn discover(feed: &Feed) -> Result<Discovered, FeedError> {
    Ok(match feed {
        Feed::BetPawa(f) => Discovered::Refs(f.discover().await?),
        Feed::SportyBet(f) => Discovered::Refs(f.discover().await?),
        Feed::Bet9ja(f) => Discovered::Refs(f.discover().await?),
        Feed::TheOddsApi(f) => Discovered::Full(f.fetch_all().await?.into_book_scrapes()),
    })
}

async fn fetch(feed: &Feed, event: &EventRef) -> Result<EventOdds, FeedError> {
    let id = &event.book_event_id;
    match feed {
        Feed::BetPawa(f) => f.fetch_event(id).await,
        Feed::SportyBet(f) => f.fetch_event(id).await,
        Feed::Bet9ja(f) => f.fetch_event(id).await,
        Feed::TheOddsApi(_) => unreachable!("The Odds API answers everything at discovery"),
    }
}
