//! The notification outbox (DESIGN §12): deliveries queued in the same transaction as the alert
//! they announce ([`outbox_inserts`], called by the cycle batch's writer), and what a sender does
//! with them: claim a target, read its pending deliveries oldest first, mark each delivered or
//! failed, give up on a day-old one. The same SQL runs on both backends.
//!
//! One sender delivers for a target at a time: it claims the target's row for a short while
//! (renewed before each request), so the daemons of a team never send one delivery twice
//! concurrently and a target's deliveries leave in order. A sender that dies holds its claims
//! until they run out ([`CLAIM_FOR`]); a delivery it had sent is sent again with the same
//! idempotency key.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::{BindParams, Param, SqlQuery};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{Delivery, GIVE_UP_AFTER, NoticeKind, pauses, retry_delay};

/// How long a claim on a target lasts unless renewed: longer than one delivery's timeout.
pub const CLAIM_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// Deliveries per INSERT (5 parameters each).
const DELIVERIES_PER_STATEMENT: usize = 5_000;

/// The INSERTs queueing `deliveries` (inside the batch's transaction).
pub(super) fn outbox_inserts(
    store: &Store,
    deliveries: &[Delivery],
    at: DateTime<Utc>,
) -> Vec<SqlQuery> {
    deliveries
        .chunks(DELIVERIES_PER_STATEMENT)
        .map(|chunk| {
            let mut q = store.query(
                "INSERT INTO notify_outbox (target, alert_id, kind, severity, queued_at) VALUES ",
            );
            q.values(chunk.iter().map(|d| {
                [
                    Param::from(d.target.as_str()),
                    Param::Int(d.alert_id),
                    Param::from(d.kind.as_str()),
                    Param::from(d.severity.as_str()),
                    Param::Time(at),
                ]
            }));
            q
        })
        .collect()
}

/// A pending delivery as a sender reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    /// Outbox id: the idempotency key is made of it.
    pub id: i64,
    /// The alert it announces.
    pub alert_id: i64,
    /// Why.
    pub kind: NoticeKind,
    /// Attempts made so far.
    pub attempts: i64,
}

/// One target's delivery state and outbox counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetState {
    /// The target's name.
    pub name: String,
    /// Failed attempts in a row.
    pub consecutive_failures: i64,
    /// When the next attempt may be made (`None`: at once).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Paused since (until `oddswatch notify resume`).
    pub paused_at: Option<DateTime<Utc>>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// The last delivery made.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Deliveries waiting.
    pub pending: i64,
    /// The oldest waiting delivery's queue time.
    pub oldest_pending_at: Option<DateTime<Utc>>,
    /// Deliveries made.
    pub delivered: i64,
    /// Deliveries given up (not made within a day, or their alert purged).
    pub expired: i64,
}

impl TargetState {
    /// Paused, or failing: a health problem.
    pub fn is_unhealthy(&self) -> bool {
        self.paused_at.is_some() || self.consecutive_failures > 0
    }
}

/// What a failed attempt did to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Failed attempts in a row, this one included.
    pub failures: i64,
    /// The target is now paused.
    pub paused: bool,
    /// When the next attempt may be made.
    pub next_attempt_at: DateTime<Utc>,
}

impl Store {
    async fn exec(&self, q: &SqlQuery, what: &'static str) -> Result<u64, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|r| r.rows_affected())
        })
        .context(what)?;
        Ok(done)
    }

    /// Gives up the pending deliveries queued more than a day before `now` (DESIGN §12);
    /// returns how many.
    pub async fn expire_deliveries(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let cutoff = now - chrono::Duration::from_std(GIVE_UP_AFTER).expect("a day fits");
        let mut q = self.query(
            "UPDATE notify_outbox SET state = 'expired', last_error = 'not delivered within 24 h' \
             WHERE state = 'pending' AND queued_at < ",
        );
        q.bind(cutoff);
        self.exec(&q, "giving up day-old deliveries").await
    }

    /// Claims `target` for `sender` until `now + CLAIM_FOR` if it is due (not paused, its next
    /// attempt not in the future) and no other sender holds it. `true` when claimed.
    pub async fn claim_target(
        &self,
        target: &str,
        sender: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut q = self.query("INSERT INTO notify_targets (name) VALUES (");
        q.bind(target).push(") ON CONFLICT (name) DO NOTHING");
        self.exec(&q, "registering a notify target").await?;
        let mut q = self.query("UPDATE notify_targets SET claimed_by = ");
        q.bind(sender)
            .push(", claimed_until = ")
            .bind(now + claim_for())
            .push(" WHERE name = ")
            .bind(target)
            .push(" AND paused_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ")
            .bind(now)
            .push(") AND (claimed_by IS NULL OR claimed_by = ")
            .bind(sender)
            .push(" OR claimed_until < ")
            .bind(now)
            .push(")");
        Ok(self.exec(&q, "claiming a notify target").await? == 1)
    }

    /// Renews `sender`'s claim on `target` (before each request); `false` if it lost it.
    pub async fn renew_target_claim(
        &self,
        target: &str,
        sender: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut q = self.query("UPDATE notify_targets SET claimed_until = ");
        q.bind(now + claim_for())
            .push(" WHERE name = ")
            .bind(target)
            .push(" AND claimed_by = ")
            .bind(sender);
        Ok(self.exec(&q, "renewing a notify target's claim").await? == 1)
    }

    /// Lets go of `sender`'s claim on `target`.
    pub async fn release_target(&self, target: &str, sender: &str) -> Result<(), StoreError> {
        let mut q = self.query(
            "UPDATE notify_targets SET claimed_by = NULL, claimed_until = NULL WHERE name = ",
        );
        q.bind(target).push(" AND claimed_by = ").bind(sender);
        self.exec(&q, "releasing a notify target").await?;
        Ok(())
    }

    /// Lets go of every claim: a sender starting on an SQLite file, which only one process
    /// scrapes (the scrape lock), so any claim is a dead predecessor's.
    pub async fn release_all_targets(&self) -> Result<u64, StoreError> {
        let q = self.query(
            "UPDATE notify_targets SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL",
        );
        self.exec(&q, "releasing notify targets").await
    }

    /// Up to `limit` pending deliveries of `target`, oldest first.
    pub async fn pending_deliveries(
        &self,
        target: &str,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let mut q = self.query(
            "SELECT id, alert_id, kind, attempts FROM notify_outbox WHERE state = 'pending' AND target = ",
        );
        q.bind(target)
            .push(" ORDER BY id LIMIT ")
            .bind(i64::from(limit));
        let rows: Vec<(i64, i64, String, i32)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading pending deliveries")?;
        rows.into_iter()
            .map(|(id, alert_id, kind, attempts)| {
                Ok(PendingDelivery {
                    id,
                    alert_id,
                    kind: kind.parse().map_err(|message| StoreError::Corrupt {
                        table: "notify_outbox",
                        message,
                    })?,
                    attempts: i64::from(attempts),
                })
            })
            .collect()
    }

    /// Marks delivery `id` made and its target healthy.
    pub async fn delivery_made(
        &self,
        target: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut q = self.query(
            "UPDATE notify_outbox SET state = 'delivered', attempts = attempts + 1, last_error = NULL, last_attempt_at = ",
        );
        q.bind(now)
            .push(", delivered_at = ")
            .bind(now)
            .push(" WHERE state = 'pending' AND id = ")
            .bind(id);
        self.exec(&q, "marking a delivery made").await?;
        let mut q = self.query(
            "UPDATE notify_targets SET consecutive_failures = 0, next_attempt_at = NULL, last_error = NULL, last_success_at = ",
        );
        q.bind(now).push(" WHERE name = ").bind(target);
        self.exec(&q, "marking a notify target healthy").await?;
        Ok(())
    }

    /// Gives up delivery `id` for good (its alert is gone): not a target failure.
    pub async fn delivery_given_up(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        let mut q = self.query("UPDATE notify_outbox SET state = 'expired', last_error = ");
        q.bind(reason)
            .push(" WHERE state = 'pending' AND id = ")
            .bind(id);
        self.exec(&q, "giving up a delivery").await?;
        Ok(())
    }

    /// Records a failed attempt of delivery `id` on `target`: the target's failures in a row
    /// grow, its next attempt follows the retry schedule, and it is paused after `pause_after`
    /// in a row (0: never). `reason` must hold no secret (the sender writes status and error
    /// kind only, never the URL).
    pub async fn delivery_failed(
        &self,
        target: &str,
        id: i64,
        reason: &str,
        now: DateTime<Utc>,
        pause_after: u32,
    ) -> Result<Failure, StoreError> {
        let mut q =
            self.query("UPDATE notify_outbox SET attempts = attempts + 1, last_attempt_at = ");
        q.bind(now)
            .push(", last_error = ")
            .bind(reason)
            .push(" WHERE state = 'pending' AND id = ")
            .bind(id);
        self.exec(&q, "recording a failed delivery").await?;
        let mut q = self.query(
            "UPDATE notify_targets SET consecutive_failures = consecutive_failures + 1, last_error = ",
        );
        q.bind(reason)
            .push(" WHERE name = ")
            .bind(target)
            .push(" RETURNING consecutive_failures");
        let (failures,): (i32,) = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_one(pool).await
        })
        .context("counting a notify target's failures")?;
        let failures = i64::from(failures);
        let count = u32::try_from(failures).unwrap_or(u32::MAX);
        let paused = pauses(count, pause_after);
        let next_attempt_at = now + chrono::Duration::from_std(retry_delay(count)).expect("fits");
        let mut q = self.query("UPDATE notify_targets SET next_attempt_at = ");
        q.bind(next_attempt_at).push(", paused_at = ");
        if paused {
            q.bind(now);
        } else {
            q.push("paused_at");
        }
        q.push(" WHERE name = ").bind(target);
        self.exec(&q, "scheduling a notify target's retry").await?;
        Ok(Failure {
            failures,
            paused,
            next_attempt_at,
        })
    }

    /// Clears `target`'s pause and backoff so its deliveries are attempted at once; `false` if
    /// the target never had a delivery (nothing to resume).
    pub async fn resume_target(&self, target: &str) -> Result<bool, StoreError> {
        let mut q = self.query(
            "UPDATE notify_targets SET paused_at = NULL, consecutive_failures = 0, next_attempt_at = NULL WHERE name = ",
        );
        q.bind(target);
        Ok(self.exec(&q, "resuming a notify target").await? == 1)
    }

    /// Every target that has a state or a delivery, with its counts, by name.
    pub async fn notify_states(&self) -> Result<Vec<TargetState>, StoreError> {
        let q = self.query(
            "SELECT name, consecutive_failures, next_attempt_at, paused_at, last_error, last_success_at \
             FROM notify_targets ORDER BY name",
        );
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            String,
            i32,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<String>,
            Option<DateTime<Utc>>,
        )> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading notify targets")?;
        let mut states: Vec<TargetState> = rows
            .into_iter()
            .map(
                |(name, failures, next_attempt_at, paused_at, last_error, last_success_at)| {
                    TargetState {
                        name,
                        consecutive_failures: i64::from(failures),
                        next_attempt_at,
                        paused_at,
                        last_error,
                        last_success_at,
                        ..TargetState::default()
                    }
                },
            )
            .collect();
        let q = self.query(
            "SELECT target, state, COUNT(*), MIN(queued_at) FROM notify_outbox GROUP BY target, state",
        );
        let counts: Vec<(String, String, i64, Option<DateTime<Utc>>)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("counting deliveries")?;
        for (target, state, count, oldest) in counts {
            let i = match states.iter().position(|s| s.name == target) {
                Some(i) => i,
                None => {
                    states.push(TargetState {
                        name: target,
                        ..TargetState::default()
                    });
                    states.len() - 1
                }
            };
            let s = &mut states[i];
            match state.as_str() {
                "pending" => {
                    s.pending = count;
                    s.oldest_pending_at = oldest;
                }
                "delivered" => s.delivered = count,
                _ => s.expired += count,
            }
        }
        states.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(states)
    }

    /// The targets with pending deliveries and how many: a sender claims only these, so an
    /// idle outbox costs one read a pass and no write.
    pub async fn targets_with_pending(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let q = self.query(
            "SELECT target, COUNT(*) FROM notify_outbox WHERE state = 'pending' GROUP BY target",
        );
        let rows: Vec<(String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading the targets with pending deliveries")?;
        Ok(rows)
    }

    /// `(target, pending deliveries, paused)` of every target with a state: the sender's gauges.
    pub async fn outbox_gauges(&self) -> Result<Vec<(String, i64, bool)>, StoreError> {
        let q = self.query(
            "SELECT t.name, (SELECT COUNT(*) FROM notify_outbox o WHERE o.state = 'pending' AND o.target = t.name), \
             CASE WHEN t.paused_at IS NULL THEN 0 ELSE 1 END FROM notify_targets t",
        );
        let rows: Vec<(String, i64, i32)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading the outbox depth")?;
        Ok(rows
            .into_iter()
            .map(|(name, pending, paused)| (name, pending, paused != 0))
            .collect())
    }

    /// Deletes deliveries made or given up before `before` (housekeeping); returns how many.
    pub async fn purge_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut q =
            self.query("DELETE FROM notify_outbox WHERE state <> 'pending' AND queued_at < ");
        q.bind(before);
        self.exec(&q, "purging old deliveries").await
    }

    /// Every outbox row of `target` as `(id, alert id, kind, state, attempts)`, by id: what the
    /// tests and `notify status --json` compare with what a receiver got.
    pub async fn deliveries_of(
        &self,
        target: &str,
    ) -> Result<Vec<(i64, i64, String, String, i64)>, StoreError> {
        let mut q = self
            .query("SELECT id, alert_id, kind, state, attempts FROM notify_outbox WHERE target = ");
        q.bind(target).push(" ORDER BY id");
        let rows: Vec<(i64, i64, String, String, i32)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading deliveries")?;
        Ok(rows
            .into_iter()
            .map(|(id, alert, kind, state, attempts)| (id, alert, kind, state, i64::from(attempts)))
            .collect())
    }
}

fn claim_for() -> chrono::Duration {
    chrono::Duration::from_std(CLAIM_FOR).expect("a minute fits")
}
