//! Live change notification: what screens and streams subscribe to so new alerts and status
//! changes appear without a reload.
//!
//! Every writer records its changes in the database's `alert_changes` log in the same
//! transaction as the change itself. A [`ChangeFeed`] is an in-process broadcast of changes with
//! the alerts they concern already read: whoever delivers rows of the log to it reads their
//! alerts once, in one query, for every subscriber. Two paths deliver:
//!
//! - [`spawn_poller`] follows the log (one indexed range read per interval) and delivers what any
//!   process wrote, so a UI attached to a shared database sees another trader's acknowledgement
//!   or a scraper's new alerts within the poll interval. On PostgreSQL the poller also `LISTEN`s
//!   on `oddswatch_changes` (a trigger notifies after each commit that wrote to the log) and
//!   reads the log at once when woken; after a lost connection it simply reads everything since
//!   its cursor.
//! - The pipeline's writer in this process hands the log rows of each batch it committed to a
//!   [`Publisher`], so its alerts appear without waiting for the next poll.
//!
//! # Choices
//!
//! - **Exactly once, by sequence number.** Both paths claim log rows by `seq` on the feed before
//!   reading their alerts; a row claimed once is never delivered again, whichever path sees it
//!   first. The feed remembers the last [`REMEMBERED`] claimed rows; anything older counts as
//!   delivered (as does everything a flood's reload covered).
//! - **One feed, one poller.** The poller's cursor is its own; two pollers on one feed would
//!   still deliver each row once, but read the log twice.
//! - **Big changes become a reload.** More than [`MAX_LOADED`] alerts in one delivery are not
//!   read: subscribers get [`Change::Reload`] and read their own page again.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::domain::Alert;
use crate::store::{ChangeKind, ChangeRow, Store};

/// A change subscribers must reflect, with the alerts as they are in the database now.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// New alerts were stored (ascending by id).
    Created(Arc<[Alert]>),
    /// Alerts changed: acknowledged, unacknowledged or past, or a further detection was folded
    /// into them (DESIGN §10: occurrences, latest prices; escalated or re-opened, which the
    /// alert's `escalated`, severity and status show) — ascending by id.
    Updated(Arc<[Alert]>),
    /// Many alerts changed at once (bulk load, purge) or changes were missed: reload.
    Reload,
}

/// An in-process broadcast of [`Change`]s. Cheap to clone. A subscriber that lags behind gets
/// `RecvError::Lagged` from tokio and must treat it as [`Change::Reload`].
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<Change>,
    delivered: Arc<Mutex<Delivered>>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        ChangeFeed::new(1024)
    }
}

/// Most alerts read for one delivery; more than that is published as [`Change::Reload`].
pub const MAX_LOADED: usize = 500;

/// Claimed log rows the feed remembers (two polls' worth); older rows count as delivered.
pub const REMEMBERED: usize = 2 * MAX_ROWS_PER_POLL as usize;

/// Which log rows have been delivered: every row at or below `floor`, and the rows in `seqs`
/// (all above `floor`).
#[derive(Debug, Default)]
struct Delivered {
    floor: i64,
    seqs: BTreeSet<i64>,
}

impl Delivered {
    /// The rows of `rows` not delivered before, now counted as delivered.
    fn claim(&mut self, rows: &[ChangeRow]) -> Vec<ChangeRow> {
        let fresh: Vec<ChangeRow> = rows
            .iter()
            .filter(|r| r.seq > self.floor && self.seqs.insert(r.seq))
            .copied()
            .collect();
        while self.seqs.len() > REMEMBERED {
            if let Some(oldest) = self.seqs.pop_first() {
                self.floor = oldest;
            }
        }
        fresh
    }

    /// Counts every row up to `seq` as delivered (a reload covered them).
    fn covered_up_to(&mut self, seq: i64) {
        self.floor = self.floor.max(seq);
        self.seqs = self.seqs.split_off(&(self.floor + 1));
    }
}

impl ChangeFeed {
    /// A feed buffering up to `capacity` changes per subscriber.
    pub fn new(capacity: usize) -> Self {
        ChangeFeed {
            tx: broadcast::channel(capacity).0,
            delivered: Arc::default(),
        }
    }

    /// A new receiver of every change published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    /// Publishes a change (dropped silently when nobody listens).
    pub fn publish(&self, change: Change) {
        let _ = self.tx.send(change);
    }

    /// Delivers change-log rows: those not delivered before (by the poller or this process's
    /// writer) are grouped, their alerts read from `store` in one query, and published. A read
    /// that fails publishes [`Change::Reload`] (subscribers read again themselves).
    pub async fn deliver(&self, store: &Store, rows: &[ChangeRow]) {
        let fresh = self.claim(rows);
        if self.tx.receiver_count() == 0 {
            // Nobody to tell (a scraper without screens): claimed, but not worth a read.
            return;
        }
        let (created, updated) = match group(&fresh) {
            Grouped::Nothing => return,
            Grouped::Reload => return self.publish(Change::Reload),
            Grouped::Alerts { created, updated } => (created, updated),
        };
        let mut ids: Vec<i64> = created.iter().chain(&updated).copied().collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > MAX_LOADED {
            return self.publish(Change::Reload);
        }
        let alerts = match store.get_alerts(&ids).await {
            Ok(alerts) => alerts,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read changed alerts; asking subscribers to reload");
                return self.publish(Change::Reload);
            }
        };
        for change in split(&alerts, &created, &updated) {
            self.publish(change);
        }
    }

    fn claim(&self, rows: &[ChangeRow]) -> Vec<ChangeRow> {
        self.delivered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .claim(rows)
    }

    fn covered_up_to(&self, seq: i64) {
        self.delivered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .covered_up_to(seq);
    }
}

/// What a set of log rows asks subscribers to do.
#[derive(Debug, PartialEq, Eq)]
enum Grouped {
    /// No row.
    Nothing,
    /// A bulk change (or a kind this version does not know) is among them.
    Reload,
    /// Alerts created and alerts whose status changed (ids ascending, each once).
    Alerts {
        created: Vec<i64>,
        updated: Vec<i64>,
    },
}

fn group(rows: &[ChangeRow]) -> Grouped {
    if rows.is_empty() {
        return Grouped::Nothing;
    }
    let mut created = Vec::new();
    let mut updated = Vec::new();
    for row in rows {
        match (row.alert_id, row.kind) {
            (Some(id), Some(ChangeKind::Created)) => created.push(id),
            (
                Some(id),
                Some(
                    ChangeKind::Acknowledged
                    | ChangeKind::Unacknowledged
                    | ChangeKind::Past
                    | ChangeKind::Updated
                    | ChangeKind::Escalated
                    | ChangeKind::Reopened,
                ),
            ) => updated.push(id),
            _ => return Grouped::Reload,
        }
    }
    for ids in [&mut created, &mut updated] {
        ids.sort_unstable();
        ids.dedup();
    }
    Grouped::Alerts { created, updated }
}

/// One `Created` and one `Updated` of the read `alerts` (ascending by id), each only when it
/// has an alert: ids that were purged in between are left out.
fn split(alerts: &[Alert], created: &[i64], updated: &[i64]) -> Vec<Change> {
    let of = |ids: &[i64]| -> Arc<[Alert]> {
        alerts
            .iter()
            .filter(|a| ids.binary_search(&a.id).is_ok())
            .cloned()
            .collect()
    };
    let mut out = Vec::new();
    let created = of(created);
    if !created.is_empty() {
        out.push(Change::Created(created));
    }
    let updated = of(updated);
    if !updated.is_empty() {
        out.push(Change::Updated(updated));
    }
    out
}

/// Publishes what this process's writer committed onto a [`ChangeFeed`], in commit order, from
/// a task of its own so the writer never waits for the read. Cheap to clone; the task ends when
/// every clone is dropped.
#[derive(Debug, Clone)]
pub struct Publisher {
    tx: mpsc::UnboundedSender<Vec<ChangeRow>>,
}

impl Publisher {
    /// Starts publishing onto `feed`, reading alerts from `store`.
    pub fn spawn(store: Store, feed: ChangeFeed) -> Publisher {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<ChangeRow>>();
        tokio::spawn(async move {
            while let Some(rows) = rx.recv().await {
                feed.deliver(&store, &rows).await;
            }
        });
        Publisher { tx }
    }

    /// Hands over the log rows of a committed transaction (never blocks).
    pub fn committed(&self, rows: Vec<ChangeRow>) {
        if !rows.is_empty() {
            let _ = self.tx.send(rows);
        }
    }
}

/// Most log rows read per poll; more than that at once is treated as a reload.
const MAX_ROWS_PER_POLL: u32 = 5_000;

/// PostgreSQL channel woken after commits that wrote to the change log.
pub const NOTIFY_CHANNEL: &str = "oddswatch_changes";

/// How often the terminal UI, the API and the monitor poll the change log.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// Follows the database's change log every `every` (and, on PostgreSQL, whenever a NOTIFY
/// arrives), delivering onto `feed`, starting after the current end of the log. Database errors
/// are logged and retried on the next tick (the cursor does not move, so nothing is missed).
/// Abort the returned task to stop.
pub fn spawn_poller(store: Store, feed: ChangeFeed, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut cursor = loop {
            match store.change_cursor().await {
                Ok(c) => break c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the change cursor; retrying");
                    tokio::time::sleep(every).await;
                }
            }
        };
        let mut doorbell = Doorbell::connect(&store).await;
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = doorbell.rung() => {}
            }
            poll_once(&store, &feed, &mut cursor).await;
        }
    })
}

async fn poll_once(store: &Store, feed: &ChangeFeed, cursor: &mut i64) {
    match store.changes_since(*cursor, MAX_ROWS_PER_POLL).await {
        Ok(rows) if rows.is_empty() => {}
        Ok(rows) => {
            *cursor = rows.last().map_or(*cursor, |r| r.seq);
            if rows.len() as u32 == MAX_ROWS_PER_POLL {
                // A flood: skip to the end of the log and reload once.
                *cursor = store.change_cursor().await.unwrap_or(*cursor);
                feed.covered_up_to(*cursor);
                feed.publish(Change::Reload);
            } else {
                feed.deliver(store, &rows).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the change feed; retrying"),
    }
}

/// PostgreSQL LISTEN on [`NOTIFY_CHANNEL`]; never rings on SQLite (polling alone serves there).
struct Doorbell {
    listener: Option<sqlx::postgres::PgListener>,
}

impl Doorbell {
    async fn connect(store: &Store) -> Doorbell {
        // The listener's own pool of one, never the query pool: `PgListener::connect_with`
        // keeps the connection it acquires, which would leave a UI's pool of one (`pool.ui`)
        // without a connection for its queries. So a UI holds its pool + 1 connections.
        let Some(pool) = store.listen_pool() else {
            return Doorbell { listener: None };
        };
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.listen(NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        match listener {
            Ok(l) => Doorbell { listener: Some(l) },
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for changes; polling only");
                Doorbell { listener: None }
            }
        }
    }

    /// Resolves when a notification arrives (or the connection was re-established, after which
    /// a read of the log resyncs). Pending forever without a listener.
    async fn rung(&mut self) {
        match &mut self.listener {
            Some(listener) => {
                if let Err(e) = listener.recv().await {
                    // PgListener reconnects on the next recv; back off a little meanwhile.
                    tracing::warn!(error = %e, "change listener lost its connection; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, alert_id: Option<i64>, kind: ChangeKind) -> ChangeRow {
        ChangeRow {
            seq,
            alert_id,
            kind: Some(kind),
        }
    }

    #[test]
    fn rows_group_into_created_and_updated_and_bulk_rows_mean_reload() {
        let rows = [
            row(1, Some(5), ChangeKind::Created),
            row(2, Some(4), ChangeKind::Created),
            row(3, Some(4), ChangeKind::Acknowledged),
            row(4, Some(2), ChangeKind::Past),
            row(5, Some(2), ChangeKind::Unacknowledged),
        ];
        assert_eq!(
            group(&rows),
            Grouped::Alerts {
                created: vec![4, 5],
                updated: vec![2, 4]
            }
        );
        let bulk = [
            row(5, Some(1), ChangeKind::Created),
            row(6, None, ChangeKind::Purged),
        ];
        assert_eq!(group(&bulk), Grouped::Reload);
        assert_eq!(group(&[]), Grouped::Nothing);
    }

    #[test]
    fn folded_detections_reread_their_alert_and_silences_mean_reload() {
        let folded = [
            row(1, Some(3), ChangeKind::Updated),
            row(2, Some(1), ChangeKind::Escalated),
            row(3, Some(2), ChangeKind::Reopened),
            row(4, Some(7), ChangeKind::Created),
        ];
        assert_eq!(
            group(&folded),
            Grouped::Alerts {
                created: vec![7],
                updated: vec![1, 2, 3]
            }
        );
        let silenced = [
            row(5, Some(1), ChangeKind::Updated),
            row(6, None, ChangeKind::Silenced),
        ];
        assert_eq!(group(&silenced), Grouped::Reload);
    }

    #[test]
    fn a_kind_this_version_does_not_know_means_reload() {
        let unknown = ChangeRow {
            seq: 9,
            alert_id: Some(1),
            kind: None,
        };
        assert_eq!(group(&[unknown]), Grouped::Reload);
    }

    #[test]
    fn a_row_is_claimed_once_whichever_path_sees_it_first() {
        let mut delivered = Delivered::default();
        let written = [
            row(10, Some(1), ChangeKind::Created),
            row(11, Some(2), ChangeKind::Created),
        ];
        assert_eq!(delivered.claim(&written), written);
        // The poll then reads those two and an acknowledgement of another process.
        let polled = [
            written[0],
            written[1],
            row(12, Some(1), ChangeKind::Acknowledged),
        ];
        assert_eq!(delivered.claim(&polled), [polled[2]]);
        assert!(delivered.claim(&polled).is_empty());
        // Rows committed out of order (a lower seq after a higher one) are still delivered.
        let late = [row(9, Some(7), ChangeKind::Created)];
        assert_eq!(delivered.claim(&late), late);
    }

    #[test]
    fn rows_a_reload_covered_or_long_forgotten_count_as_delivered() {
        let mut delivered = Delivered::default();
        delivered.claim(&[row(3, Some(1), ChangeKind::Created)]);
        delivered.covered_up_to(100);
        assert!(
            delivered
                .claim(&[row(50, Some(2), ChangeKind::Created)])
                .is_empty()
        );
        assert!(delivered.seqs.is_empty());
        let many: Vec<ChangeRow> = (101..=101 + REMEMBERED as i64)
            .map(|seq| row(seq, Some(seq), ChangeKind::Created))
            .collect();
        assert_eq!(delivered.claim(&many).len(), many.len());
        assert_eq!(delivered.seqs.len(), REMEMBERED);
        assert_eq!(delivered.floor, 101, "the oldest was forgotten");
        assert!(delivered.claim(&many[..1]).is_empty());
    }
}
