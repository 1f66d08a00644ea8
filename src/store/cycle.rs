//! Writing one batch of a scrape cycle: events and their per-book ids, current odds of the
//! markets that changed (plus their price history), and the alerts — in one transaction, so a
//! batch is either stored whole or not at all (and then retried or dead-lettered whole).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::EventRecord;
use super::follow::{ChangeKind, ChangeRow, change_inserts, changes_written};
use super::insert::{alert_insert_chunks, ids_in_insert_order, occurrence_insert_chunks};
use super::noise::{NewestRow, identities, newest_queries, plan as fold_plan};
use super::silences::{SilenceRow, into_silences};
use super::sql::{BindParams, Param, SqlQuery};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{DetectedAlert, NoisePolicy, OutcomeOdds};

/// An event of the batch with the ids each book gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEvent {
    /// Identity, names, kickoff.
    pub record: EventRecord,
    /// `(book slug, the book's own event id)`.
    pub books: Vec<(String, String)>,
}

/// The new state of one market (with line) of one event on one book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OddsWrite {
    /// SportRadar id of the event (must be among the batch's events).
    pub event_key: String,
    /// Book slug.
    pub bookmaker: String,
    /// Canonical market id.
    pub market_id: String,
    /// Canonical line text (`""` when the market has none).
    pub line: String,
    /// Outcomes as last quoted (for an unavailable market: the last known ones).
    pub outcomes: Vec<OutcomeOdds>,
    /// Offered now.
    pub available: bool,
    /// Since when it has been unavailable.
    pub unavailable_since: Option<DateTime<Utc>>,
    /// Prices changed (or first seen): write a price-history row.
    pub record_history: bool,
}

/// Everything one batch writes. Serialisable so a batch that cannot be stored is kept as a
/// dead letter and replayed later; its alerts keep the JSON shape dead letters have always had
/// ([`letter_alerts`]), so letters written before the alert model changed still replay.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CycleBatch {
    /// When the batch was observed.
    pub at: DateTime<Utc>,
    /// Events seen.
    pub events: Vec<BatchEvent>,
    /// Markets whose state changed.
    pub odds: Vec<OddsWrite>,
    /// Alerts raised; each names its event by SportRadar key (one of the batch's events).
    #[serde(with = "letter_alerts")]
    pub alerts: Vec<DetectedAlert>,
    /// How the alerts fold into stored ones (DESIGN §10). A letter written before noise
    /// control replays with the default policy; the default is not written, so a letter of
    /// the default policy keeps the shape letters have always had.
    #[serde(default, skip_serializing_if = "is_default_policy")]
    pub noise: NoisePolicy,
    /// The shard leases the batch was detected under (DESIGN §11); `None` for batches of no
    /// daemon (tests, the benchmark, letters written before leases), which are never fenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fence: Option<super::leases::Fence>,
    /// The notification rules in force when the batch was detected (DESIGN §12): deliveries
    /// of its alerts are queued in its transaction. Empty (and not written) when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<crate::domain::NotifyRule>,
}

fn is_default_policy(policy: &NoisePolicy) -> bool {
    *policy == NoisePolicy::default()
}

/// What a stored batch wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchWritten {
    /// Current-odds rows inserted or updated.
    pub odds_rows: u64,
    /// Price-history rows inserted.
    pub history_rows: u64,
    /// Ids of the alerts inserted, in batch order.
    pub alert_ids: Vec<i64>,
    /// What the batch's detections did to the stored alerts.
    pub noise: NoiseCounts,
    /// The change-log rows announcing them, in log order: what the writer publishes in its
    /// own process at once (see [`crate::live`]).
    pub changes: Vec<ChangeRow>,
    /// Notification deliveries queued in the batch's transaction (DESIGN §12).
    pub deliveries_queued: u64,
}

/// What a batch's detections did (DESIGN §10): every detection is one occurrence and exactly
/// one of opened, updated, recorded or re-opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NoiseCounts {
    /// Occurrence rows written (one per detection).
    pub occurrences: u64,
    /// New alerts stored.
    pub opened: u64,
    /// Detections folded into a `new` alert of their identity.
    pub updated: u64,
    /// Of those, the ones that raised its severity.
    pub escalated: u64,
    /// Detections recorded on an alert acknowledged within the cooldown.
    pub recorded: u64,
    /// Acknowledged alerts re-opened by a more severe detection.
    pub reopened: u64,
    /// Detections an active silence matched (stored silenced, whatever else they did).
    pub silenced: u64,
    /// Detections that ask for attention: opened, escalated or re-opened, and not silenced.
    pub attention: u64,
}

impl std::ops::AddAssign for NoiseCounts {
    /// Sums the counts of several batches (the writer's running total).
    fn add_assign(&mut self, other: NoiseCounts) {
        self.occurrences += other.occurrences;
        self.opened += other.opened;
        self.updated += other.updated;
        self.escalated += other.escalated;
        self.recorded += other.recorded;
        self.reopened += other.reopened;
        self.silenced += other.silenced;
        self.attention += other.attention;
    }
}

fn outcomes_json(outcomes: &[OutcomeOdds]) -> String {
    serde_json::to_string(outcomes).expect("outcomes serialise")
}

/// The conflict clause of every current-odds upsert: an older state never overwrites a newer
/// one (a dead-letter batch replayed after later cycles only adds its history and alerts).
pub(super) const ODDS_CONFLICT: &str = "ON CONFLICT (event_id, bookmaker, market_id, line) DO UPDATE SET outcomes = excluded.outcomes, \
     available = excluded.available, unavailable_since = excluded.unavailable_since, \
     last_changed = excluded.last_changed, last_seen = excluded.last_seen \
     WHERE current_odds.last_changed <= excluded.last_changed";

/// One multi-row upsert of current odds ([`ODDS_CONFLICT`]).
fn odds_upsert(store: &Store, rows: &[OddsRow<'_>], at: DateTime<Utc>) -> SqlQuery {
    let mut q = store.query(
        "INSERT INTO current_odds (event_id, bookmaker, market_id, line, outcomes, available, unavailable_since, last_changed, last_seen) VALUES ",
    );
    q.values(rows.iter().map(|r| rows::odds_columns(r, at)));
    q.push(" ").push(ODDS_CONFLICT);
    q
}

/// One multi-row insert of price history.
fn history_insert(store: &Store, rows: &[&OddsRow<'_>], at: DateTime<Utc>) -> SqlQuery {
    let mut q = store.query("INSERT INTO price_history (event_id, bookmaker, market_id, line, outcomes, recorded_at) VALUES ");
    q.values(rows.iter().map(|r| rows::history_columns(r, at)));
    q
}

impl Store {
    /// Stores one batch in one transaction.
    pub async fn write_cycle_batch(&self, batch: &CycleBatch) -> Result<BatchWritten, StoreError> {
        self.write_cycle_batch_via(batch, RowPath::Fast).await
    }

    /// [`Store::write_cycle_batch`] with its rows written the way `path` says (the tests
    /// compare the paths row for row).
    pub(crate) async fn write_cycle_batch_via(
        &self,
        batch: &CycleBatch,
        path: RowPath,
    ) -> Result<BatchWritten, StoreError> {
        // One row per event: the upsert cannot touch a row twice in one statement.
        let mut seen = BTreeSet::new();
        let events: Vec<&BatchEvent> = batch
            .events
            .iter()
            .filter(|e| seen.insert(e.record.sr_id.as_str()))
            .collect();
        let records: Vec<EventRecord> = events.iter().map(|e| e.record.clone()).collect();
        let books: BTreeSet<&str> = events
            .iter()
            .flat_map(|e| e.books.iter().map(|(b, _)| b.as_str()))
            .chain(batch.odds.iter().map(|o| o.bookmaker.as_str()))
            .chain(batch.alerts.iter().map(|a| a.bookmaker.as_str()))
            .collect();
        let mut written = BatchWritten::default();

        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting a cycle batch")?;
            if let Some(fence) = &batch.fence {
                let q = super::leases::fence_query(self, fence);
                let held: Vec<(i64,)> = sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(&mut *tx).await.context("checking the batch's shard leases")?;
                super::leases::fence_verdict(fence, &held)?;
            }
            if !books.is_empty() {
                let mut q = self.query("INSERT INTO bookmakers (slug, name) VALUES ");
                q.values(books.iter().map(|book| [Param::from(*book), Param::from(*book)]));
                q.push(" ON CONFLICT (slug) DO NOTHING");
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await.context("registering books")?;
            }

            let EventIds { ids, inserted } = (*tx).upsert_events(self, &records, batch.at, path).await?;
            let id_of = |key: &str| {
                ids.get(key).copied().ok_or_else(|| StoreError::Corrupt {
                    table: "events",
                    message: format!("batch refers to event {key} that it does not contain"),
                })
            };

            let links: Vec<(i64, &str, &str)> = events
                .iter()
                .flat_map(|e| e.books.iter().map(move |(b, ext)| (e.record.sr_id.as_str(), b.as_str(), ext.as_str())))
                .map(|(key, b, ext)| Ok((id_of(key)?, b, ext)))
                .collect::<Result<_, StoreError>>()?;
            if !links.is_empty() {
                (*tx).link_books(self, &links, path).await?;
            }

            let odds: Vec<OddsRow<'_>> = batch
                .odds
                .iter()
                .map(|o| Ok(OddsRow { event_id: id_of(&o.event_key)?, odds: o, outcomes: outcomes_json(&o.outcomes) }))
                .collect::<Result<_, StoreError>>()?;
            if !odds.is_empty() {
                (*tx).write_odds(self, &odds, &inserted, batch.at, path).await?;
            }
            written.odds_rows = odds.len() as u64;
            written.history_rows = odds.iter().filter(|r| r.odds.record_history).count() as u64;
            drop(odds);

            let alerts: Vec<(i64, &DetectedAlert)> = batch
                .alerts
                .iter()
                .map(|a| Ok((id_of(&a.event_key)?, a)))
                .collect::<Result<_, StoreError>>()?;
            // Noise control (DESIGN §10): the newest alert of each identity and the active
            // silences, read once; the folds worked out in memory; then written in bulk.
            let identities = identities(&alerts);
            let mut newest: Vec<NewestRow> = Vec::new();
            if batch.noise.dedup && !alerts.is_empty() {
                let mut unique: Vec<&str> = identities.iter().map(String::as_str).collect();
                unique.sort_unstable();
                unique.dedup();
                for q in newest_queries(self, &unique) {
                    let rows: Vec<NewestRow> = sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(&mut *tx).await.context("reading the alerts detections fold into")?;
                    newest.extend(rows);
                }
            }
            let silences = if alerts.is_empty() {
                Vec::new()
            } else {
                let q = self.active_silences_query(batch.at);
                let rows: Vec<SilenceRow> = sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(&mut *tx).await.context("reading the active silences")?;
                into_silences(rows)?
            };
            let tournaments: HashMap<i64, Option<String>> = events
                .iter()
                .filter_map(|e| Some((ids.get(&e.record.sr_id).copied()?, e.record.tournament.clone())))
                .collect();
            let plan = fold_plan(&batch.noise, &alerts, identities, &tournaments, newest, &silences)?;
            written.noise = plan.counts;

            for q in alert_insert_chunks(self, &plan.inserts) {
                let rows: Vec<(i64,)> = sqlx::query_as(q.sql())
                    .bind_params(q.params())
                    .fetch_all(&mut *tx)
                    .await
                    .context("inserting alerts")?;
                written.alert_ids.extend(ids_in_insert_order(rows));
            }
            let writes = plan.writes(self, &alerts, &written.alert_ids, batch.at)?;
            for q in &writes.updates {
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await.context("folding detections into alerts")?;
            }
            let occurrences: Vec<(i64, &DetectedAlert)> = writes.occurrences.iter().map(|(id, i)| (*id, alerts[*i].1)).collect();
            for q in occurrence_insert_chunks(self, &occurrences) {
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await.context("writing occurrences")?;
            }
            for q in &writes.audits {
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await.context("writing the audit trail")?;
            }
            for q in change_inserts(self, &written.alert_ids, ChangeKind::Created, batch.at) {
                let rows: Vec<(i64, i64)> = sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(&mut *tx).await.context("writing the change feed")?;
                written.changes.extend(changes_written(rows, ChangeKind::Created));
            }
            for (kind, ids) in &writes.changes {
                for q in change_inserts(self, ids, *kind, batch.at) {
                    let rows: Vec<(i64, i64)> = sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(&mut *tx).await.context("writing the change feed")?;
                    written.changes.extend(changes_written(rows, *kind));
                }
            }
            written.changes.sort_unstable_by_key(|r| r.seq);
            if !batch.notify.is_empty() {
                let deliveries = crate::domain::route(&batch.notify, &plan.notices(&alerts, &written.alert_ids));
                for q in super::outbox::outbox_inserts(self, &deliveries, batch.at) {
                    sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await.context("queueing notifications")?;
                }
                written.deliveries_queued = deliveries.len() as u64;
            }
            tx.commit().await.context("committing a cycle batch")?;
            Ok::<_, StoreError>(())
        })?;
        Ok(written)
    }
}

mod letter_alerts;
mod rows;

pub(crate) use rows::RowPath;
use rows::{BatchRows, EventIds, OddsRow};

#[cfg(test)]
mod fast_path_tests;
#[cfg(test)]
mod tests;
