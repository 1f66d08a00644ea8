//! The cycle's shard leases (DESIGN §11): the round at its start and what it changes in the
//! detector, the events of held shards only, each batch's fence, and the daemon's cycle record.
//! Without a [`LeaseKeeper`] (tests, the benchmark) every event is run and nothing is fenced.

use std::collections::BTreeSet;

use super::merge::MergedEvent;
use super::steps::CycleRun;
use super::{CycleTotals, ScrapeCycle};
use crate::detect::RaisedBand;
use crate::domain::{Line, MarketOdds, shard_of};
use crate::pipeline::leases::{LeaseKeeper, ShardChanges};
use crate::service::now_millis;
use crate::store::{CycleBatch, DaemonCycle, Fence, HeldLease, StoreError};

impl ScrapeCycle {
    /// Runs this cycle on the shards `keeper` leases: a lease round starts each cycle, and the
    /// first one's claims are warmed from the database (instead of [`ScrapeCycle::warm`]).
    pub fn with_leases(mut self, keeper: LeaseKeeper) -> Self {
        self.leases = Some(keeper);
        self
    }

    /// The daemon's leases, if it runs on leases.
    pub fn leases(&self) -> Option<&LeaseKeeper> {
        self.leases.as_ref()
    }

    /// Takes the leases out (to release them once the writer drained).
    pub fn take_leases(&mut self) -> Option<LeaseKeeper> {
        self.leases.take()
    }

    /// The lease round at a cycle's start: shards lost, released or acquired are forgotten,
    /// acquired ones warmed. Returns the leases held through the cycle, `None` without leases.
    pub(super) async fn lease_round(&mut self) -> Option<Box<[HeldLease]>> {
        let keeper = self.leases.as_mut()?;
        let changes = keeper.round(&self.store).await;
        let held: Box<[HeldLease]> = keeper.held().into();
        crate::metrics::record_shards(held.len(), keeper.shards());
        self.apply_shard_changes(&changes).await;
        Some(held)
    }

    /// Drops the detector state of `changes.forget`'s events, then warms `changes.warm`'s.
    async fn apply_shard_changes(&mut self, changes: &ShardChanges) {
        let Some(shards) = self.leases.as_ref().map(|k| k.shards()) else {
            return;
        };
        if !changes.forget.is_empty() {
            let forget: BTreeSet<u16> = changes.forget.iter().copied().collect();
            let dropped = self
                .detector
                .forget_events_where(|key| forget.contains(&shard_of(key, shards)));
            tracing::debug!(shards = ?changes.forget, events = dropped, "detector state of shards dropped");
        }
        if changes.warm.is_empty() {
            return;
        }
        let warm: BTreeSet<u16> = changes.warm.iter().copied().collect();
        match self
            .warm_where(|key| warm.contains(&shard_of(key, shards)))
            .await
        {
            Ok(markets) => {
                tracing::info!(shards = ?changes.warm, markets, "acquired shards warmed from the database")
            }
            Err(e) => {
                // Detecting on a cold state would raise everything again: hold the shards
                // without scraping them until a warm succeeds (the next round retries).
                tracing::error!(shards = ?changes.warm, error = %e, "cannot warm acquired shards; they are released");
                if let Some(keeper) = self.leases.as_mut() {
                    keeper.drop_shards(&warm);
                }
            }
        }
    }

    /// The events of held shards (all of them without leases); the rest are another daemon's.
    pub(super) fn of_held_shards(
        &self,
        events: Vec<MergedEvent>,
        totals: &mut CycleTotals,
    ) -> Vec<MergedEvent> {
        let Some(keeper) = &self.leases else {
            return events;
        };
        let events: Vec<MergedEvent> = events
            .into_iter()
            .filter(|e| keeper.holds_event(&e.key))
            .collect();
        totals.events = events.len() as u64;
        events
    }

    /// The fence of a batch: the leases of its events' shards, `None` without leases.
    pub(super) fn fence_of(&self, batch: &CycleBatch) -> Option<Fence> {
        let keeper = self.leases.as_ref()?;
        let keys = batch
            .events
            .iter()
            .map(|e| e.record.sr_id.as_str())
            .chain(batch.odds.iter().map(|o| o.event_key.as_str()))
            .chain(batch.alerts.iter().map(|a| a.event_key.as_str()));
        Some(keeper.fence_for(keys))
    }

    /// Records the finished cycle on the leases held through it (`last_scraped_at`), after the
    /// writer flushed. A failure is logged: the next cycle records again.
    pub(super) async fn record_daemon_cycle(&self, held: Option<&[HeldLease]>, run: &CycleRun) {
        let (Some(keeper), Some(held)) = (&self.leases, held) else {
            return;
        };
        let cycle = DaemonCycle {
            at: run.now,
            took_ms: run.totals.total_ms,
            events: run.totals.events,
            alerts: run.totals.alerts(),
        };
        if let Err(e) = self
            .store
            .record_daemon_cycle(keeper.id(), held, &cycle)
            .await
        {
            tracing::warn!(daemon = %keeper.id(), error = %e, "cannot record the daemon's cycle");
        }
    }

    /// Warms the last-seen state of the events `include` accepts from the stored current odds
    /// and raised §9 bands, leaving every other event's state as it is. Returns how many
    /// market rows were loaded.
    pub(super) async fn warm_where(
        &mut self,
        include: impl Fn(&str) -> bool,
    ) -> Result<usize, StoreError> {
        let now = now_millis();
        let rows = self.store.load_current_odds(now).await?;
        let mut count = 0;
        for row in rows.into_iter().filter(|r| include(&r.event_key)) {
            count += 1;
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
        // The §9 bands raised before (the latest stored alert per key) are remembered where the
        // stored prices still give at least warning, so a restart or a takeover raises no
        // off-market price or margin breach a second time and misses none never raised.
        let raised: Vec<RaisedBand> = self
            .store
            .load_raised_bands(&self.home_book, now)
            .await?
            .into_iter()
            .filter(|b| include(&b.event_key))
            .map(|b| RaisedBand {
                event_key: b.event_key,
                alert_type: b.alert_type,
                market_id: b.market_id,
                line: b.line,
                outcome_name: b.outcome_name,
                severity: b.severity,
            })
            .collect();
        let rules = self.rules().await;
        let competitors = self.enabled_competitors();
        self.detector
            .warm_bands_of(&self.home_book, &rules, competitors, &raised, now, include);
        Ok(count)
    }
}
