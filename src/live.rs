//! Live change notification: what screens and streams subscribe to so new alerts and status
//! changes appear without a reload.
//!
//! Every writer records its changes in the database's `alert_changes` log in the same
//! transaction as the change itself. A [`ChangeFeed`] is an in-process broadcast; [`spawn_poller`]
//! follows the log (cheaply: one indexed range read per interval) and publishes what any process
//! wrote, so a UI attached to a shared database sees another trader's acknowledgement or a
//! scraper's new alerts within the poll interval. On PostgreSQL the poller also `LISTEN`s on
//! `oddswatch_changes` (a trigger notifies after each commit that wrote to the log) and reads the
//! log at once when woken; after a lost connection it simply reads everything since its cursor.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::store::Store;

/// A change subscribers must reflect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// New alerts were stored (ids ascending).
    Created(Vec<i64>),
    /// Alerts changed status: acknowledged, unacknowledged or past (ids ascending).
    Updated(Vec<i64>),
    /// Many alerts changed at once (bulk load, purge) or changes were missed: reload.
    Reload,
}

/// An in-process broadcast of [`Change`]s. Cheap to clone. A subscriber that lags behind gets
/// `RecvError::Lagged` from tokio and must treat it as [`Change::Reload`].
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<Change>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        ChangeFeed::new(1024)
    }
}

impl ChangeFeed {
    /// A feed buffering up to `capacity` changes per subscriber.
    pub fn new(capacity: usize) -> Self {
        ChangeFeed {
            tx: broadcast::channel(capacity).0,
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
}

/// Most log rows read per poll; more than that at once is treated as a reload.
const MAX_ROWS_PER_POLL: u32 = 5_000;

/// Turns change-log rows into changes: one `Created` and one `Updated` with all their ids, or a
/// single `Reload` when a bulk change is among them.
pub fn changes_from_rows(rows: &[crate::store::ChangeRow]) -> Vec<Change> {
    let mut created = Vec::new();
    let mut updated = Vec::new();
    for (_, alert_id, kind) in rows {
        match (alert_id, kind.as_str()) {
            (Some(id), "created") => created.push(*id),
            (Some(id), "acknowledged" | "unacknowledged" | "past") => updated.push(*id),
            _ => return vec![Change::Reload],
        }
    }
    created.sort_unstable();
    created.dedup();
    updated.sort_unstable();
    updated.dedup();
    let mut out = Vec::new();
    if !created.is_empty() {
        out.push(Change::Created(created));
    }
    if !updated.is_empty() {
        out.push(Change::Updated(updated));
    }
    out
}

/// PostgreSQL channel woken after commits that wrote to the change log.
pub const NOTIFY_CHANNEL: &str = "oddswatch_changes";

/// Follows the database's change log every `every` (and, on PostgreSQL, whenever a NOTIFY
/// arrives), publishing onto `feed`, starting after the current end of the log. Database errors
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
            *cursor = rows.last().map_or(*cursor, |r| r.0);
            if rows.len() as u32 == MAX_ROWS_PER_POLL {
                // A flood: skip to the end of the log and reload once.
                *cursor = store.change_cursor().await.unwrap_or(*cursor);
                feed.publish(Change::Reload);
            } else {
                for change in changes_from_rows(&rows) {
                    feed.publish(change);
                }
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
        let Store::Postgres(pool) = store else {
            return Doorbell { listener: None };
        };
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
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

    #[test]
    fn rows_group_into_created_and_updated_and_bulk_rows_mean_reload() {
        let rows = vec![
            (1, Some(5), "created".to_string()),
            (2, Some(4), "created".to_string()),
            (3, Some(4), "acknowledged".to_string()),
            (4, Some(2), "past".to_string()),
        ];
        assert_eq!(
            changes_from_rows(&rows),
            vec![Change::Created(vec![4, 5]), Change::Updated(vec![2, 4])]
        );
        let bulk = vec![
            (5, Some(1), "created".to_string()),
            (6, None, "purged".to_string()),
        ];
        assert_eq!(changes_from_rows(&bulk), vec![Change::Reload]);
        assert!(changes_from_rows(&[]).is_empty());
    }
}
