//! Silences (DESIGN §10) and the occurrences of an alert: stored, audited, and applied to the
//! `new` alerts they match when they are made. The pipeline applies active silences to new
//! detections itself (see `noise.rs`), in the batch's transaction.

use chrono::{DateTime, Utc};

use super::follow::ChangeKind;
use super::rows::{OCCURRENCE_COLUMNS, OccurrenceRow};
use super::sql::{BindParams, Param, SqlQuery};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{Line, Occurrence, Silence, SilenceMatchers};

/// The columns a silence is read from.
const SILENCE_COLUMNS: &str = "id, event_id, tournament, bookmaker, market_id, line, outcome, \
     alert_type, max_severity, starts_at, ends_at, reason, created_by, created_at, expired_at, \
     expired_by FROM silences";

/// One silence row as stored (enums still text).
#[derive(Debug, sqlx::FromRow)]
pub(super) struct SilenceRow {
    id: i64,
    event_id: Option<i64>,
    tournament: Option<String>,
    bookmaker: Option<String>,
    market_id: Option<String>,
    line: Option<f64>,
    outcome: Option<String>,
    alert_type: Option<String>,
    max_severity: Option<String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    reason: String,
    created_by: String,
    created_at: DateTime<Utc>,
    expired_at: Option<DateTime<Utc>>,
    expired_by: Option<String>,
}

impl TryFrom<SilenceRow> for Silence {
    type Error = StoreError;

    fn try_from(r: SilenceRow) -> Result<Silence, StoreError> {
        let corrupt = |message: String| StoreError::Corrupt {
            table: "silences",
            message: format!("silence {}: {message}", r.id),
        };
        let line = r
            .line
            .map(|v| Line::from_f64(v).ok_or_else(|| corrupt(format!("line {v} is no line"))))
            .transpose()?;
        let alert_type = r
            .alert_type
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(corrupt)?;
        let max_severity = r
            .max_severity
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(corrupt)?;
        Ok(Silence {
            id: r.id,
            matchers: SilenceMatchers {
                event_id: r.event_id,
                tournament: r.tournament,
                bookmaker: r.bookmaker,
                market_id: r.market_id,
                line,
                outcome: r.outcome,
                alert_type,
                max_severity,
            },
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            reason: r.reason,
            created_by: r.created_by,
            created_at: r.created_at,
            expired_at: r.expired_at,
            expired_by: r.expired_by,
        })
    }
}

pub(super) fn into_silences(rows: Vec<SilenceRow>) -> Result<Vec<Silence>, StoreError> {
    rows.into_iter().map(Silence::try_from).collect()
}

/// Appends the conditions of `m` on the alerts `a` (always after a WHERE).
fn push_matchers(q: &mut SqlQuery, m: &SilenceMatchers) {
    if let Some(event_id) = m.event_id {
        q.push(" AND a.event_id = ").bind(event_id);
    }
    if let Some(tournament) = &m.tournament {
        q.push(" AND a.event_id IN (SELECT id FROM events WHERE LOWER(tournament) = LOWER(")
            .bind(tournament.as_str())
            .push("))");
    }
    if let Some(book) = &m.bookmaker {
        q.push(" AND a.bookmaker = ").bind(book.as_str());
    }
    if let Some(market) = &m.market_id {
        q.push(" AND a.market_id = ").bind(market.as_str());
    }
    if let Some(line) = m.line {
        // Lines are written as thousandths / 1000 on both sides, so equality is exact.
        q.push(" AND a.line = ").bind(line.as_f64());
    }
    if let Some(outcome) = &m.outcome {
        q.push(" AND LOWER(a.outcome_name) = LOWER(")
            .bind(outcome.as_str())
            .push(")");
    }
    if let Some(alert_type) = m.alert_type {
        q.push(" AND a.alert_type = ").bind(alert_type.as_str());
    }
    if let Some(max) = m.max_severity {
        q.push(" AND a.severity_rank <= ")
            .bind(i64::from(max.rank()));
    }
}

/// An INSERT of one `silence_audit` row.
fn audit(
    store: &Store,
    silence_id: i64,
    action: &str,
    actor: &str,
    at: DateTime<Utc>,
    comment: Option<String>,
) -> SqlQuery {
    let mut q =
        store.query("INSERT INTO silence_audit (silence_id, action, actor, at, comment) VALUES (");
    q.bind(silence_id)
        .push(", ")
        .bind(action)
        .push(", ")
        .bind(actor)
        .push(", ")
        .bind(at)
        .push(", ")
        .bind(comment)
        .push(")");
    q
}

/// An INSERT of the bulk change-log row that tells followers silences changed.
fn silenced_change(store: &Store, at: DateTime<Utc>) -> SqlQuery {
    let mut q = store.query("INSERT INTO alert_changes (alert_id, kind, at) VALUES (NULL, ");
    q.bind(ChangeKind::Silenced.as_str())
        .push(", ")
        .bind(at)
        .push(")");
    q
}

/// One entry of a silence's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceAuditEntry {
    /// Row id.
    pub id: i64,
    /// The silence.
    pub silence_id: i64,
    /// `create`, `edit` or `expire`.
    pub action: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What changed (edits).
    pub comment: Option<String>,
}

impl Store {
    /// Stores a silence made by `actor` at `now`, applying from `now` to `ends_at`, with a
    /// `create` audit row, and silences the `new` alerts it matches that no silence hides yet.
    /// One transaction; one bulk `silenced` change row. Returns it and how many alerts it hid.
    pub async fn create_silence(
        &self,
        matchers: &SilenceMatchers,
        ends_at: DateTime<Utc>,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(Silence, u64), StoreError> {
        let mut insert = self.query(
            "INSERT INTO silences (event_id, tournament, bookmaker, market_id, line, outcome, \
             alert_type, max_severity, starts_at, ends_at, reason, created_by, created_at) VALUES ",
        );
        let m = matchers;
        insert.values([[
            m.event_id.map_or(Param::NullInt, Param::Int),
            m.tournament.clone().into(),
            m.bookmaker.clone().into(),
            m.market_id.clone().into(),
            m.line
                .map_or(Param::NullFloat, |l| Param::Float(l.as_f64())),
            m.outcome.clone().into(),
            m.alert_type.map(|t| t.as_str().to_string()).into(),
            m.max_severity.map(|s| s.as_str().to_string()).into(),
            now.into(),
            ends_at.into(),
            reason.into(),
            actor.into(),
            now.into(),
        ]]);
        insert.push(" RETURNING id");
        let (id, hidden) = with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting a silence")?;
            let (id,): (i64,) = sqlx::query_as(insert.sql())
                .bind_params(insert.params())
                .fetch_one(&mut *tx)
                .await
                .context("storing a silence")?;
            let mut hide = self.query("UPDATE alerts SET silenced_by = ");
            hide.bind(id).push(
                " WHERE id IN (SELECT a.id FROM alerts a WHERE a.status = 'new' AND a.silenced_by IS NULL",
            );
            push_matchers(&mut hide, m);
            hide.push(")");
            let hidden = sqlx::query(hide.sql())
                .bind_params(hide.params())
                .execute(&mut *tx)
                .await
                .context("silencing the matching alerts")?
                .rows_affected();
            for q in [audit(self, id, "create", actor, now, None), silenced_change(self, now)] {
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await
                    .context("auditing a silence")?;
            }
            tx.commit().await.context("committing a silence")?;
            Ok::<_, StoreError>((id, hidden))
        })?;
        let silence = self
            .get_silence(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                table: "silences",
                message: format!("silence {id} vanished after it was stored"),
            })?;
        Ok((silence, hidden))
    }

    /// One silence, or `None`.
    pub async fn get_silence(&self, id: i64) -> Result<Option<Silence>, StoreError> {
        let mut q = self.query("SELECT ");
        q.push(SILENCE_COLUMNS).push(" WHERE id = ").bind(id);
        let row: Option<SilenceRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_optional(pool).await
        })
        .context("reading a silence")?;
        row.map(Silence::try_from).transpose()
    }

    /// Silences, newest first: those not ended or expired at `now`, or all when
    /// `include_ended`.
    pub async fn list_silences(
        &self,
        include_ended: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Silence>, StoreError> {
        let mut q = self.query("SELECT ");
        q.push(SILENCE_COLUMNS);
        if !include_ended {
            q.push(" WHERE expired_at IS NULL AND ends_at > ").bind(now);
        }
        q.push(" ORDER BY id DESC");
        let rows: Vec<SilenceRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("listing silences")?;
        into_silences(rows)
    }

    /// The query of the silences that apply at `at`, lowest id first (what a batch matches its
    /// detections against, in its own transaction); rows are [`SilenceRow`]s.
    pub(super) fn active_silences_query(&self, at: DateTime<Utc>) -> SqlQuery {
        let mut q = self.query("SELECT ");
        q.push(SILENCE_COLUMNS)
            .push(" WHERE expired_at IS NULL AND starts_at <= ")
            .bind(at)
            .push(" AND ends_at > ")
            .bind(at)
            .push(" ORDER BY id");
        q
    }

    /// Changes the end and/or reason of a silence that has not ended at `now` (audited as an
    /// `edit` by `actor`, with what changed). Returns the silence as it now is, or `None` when
    /// it does not exist; `Some` unchanged when it had ended.
    pub async fn edit_silence(
        &self,
        id: i64,
        ends_at: Option<DateTime<Utc>>,
        reason: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Silence>, StoreError> {
        let Some(before) = self.get_silence(id).await? else {
            return Ok(None);
        };
        let mut update = self.query("UPDATE silences SET ends_at = ");
        update.bind(ends_at.unwrap_or(before.ends_at));
        update
            .push(", reason = ")
            .bind(reason.unwrap_or(&before.reason));
        update
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND expired_at IS NULL AND ends_at > ")
            .bind(now)
            .push(" RETURNING id");
        let mut changes = Vec::new();
        if let Some(end) = ends_at.filter(|e| *e != before.ends_at) {
            changes.push(format!(
                "end {} -> {}",
                before.ends_at.to_rfc3339(),
                end.to_rfc3339()
            ));
        }
        if let Some(r) = reason.filter(|r| *r != before.reason) {
            changes.push(format!("reason {:?} -> {r:?}", before.reason));
        }
        let comment = (!changes.is_empty()).then(|| changes.join("; "));
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting a silence edit")?;
            let changed: Option<(i64,)> = sqlx::query_as(update.sql())
                .bind_params(update.params())
                .fetch_optional(&mut *tx)
                .await
                .context("editing a silence")?;
            if changed.is_some() {
                for q in [audit(self, id, "edit", actor, now, comment), silenced_change(self, now)] {
                    sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await
                        .context("auditing a silence edit")?;
                }
            }
            tx.commit().await.context("committing a silence edit")?;
            Ok::<_, StoreError>(())
        })?;
        self.get_silence(id).await
    }

    /// Ends a silence at `now` as `actor` (audited) and shows again the new alerts it hid; one
    /// that has ended already is left as it is. Returns it as it now is, or `None` when it does
    /// not exist.
    pub async fn expire_silence(
        &self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Silence>, StoreError> {
        let mut update = self.query("UPDATE silences SET expired_at = ");
        update
            .bind(now)
            .push(", expired_by = ")
            .bind(actor)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND expired_at IS NULL AND ends_at > ")
            .bind(now)
            .push(" RETURNING id");
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting a silence expiry")?;
            let changed: Option<(i64,)> = sqlx::query_as(update.sql())
                .bind_params(update.params())
                .fetch_optional(&mut *tx)
                .await
                .context("expiring a silence")?;
            if changed.is_some() {
                // Lifted by hand, a silence gives back the new alerts it holds: the trader wants
                // to see what it hid (a mistaken silence must not bury alerts). A silence that
                // runs out keeps them, as they were dealt with while it held.
                let mut release = self.query("UPDATE alerts SET silenced_by = NULL WHERE silenced_by = ");
                release.bind(id).push(" AND status = 'new'");
                let released = sqlx::query(release.sql())
                    .bind_params(release.params())
                    .execute(&mut *tx)
                    .await
                    .context("showing the alerts of an expired silence")?
                    .rows_affected();
                let comment = (released > 0).then(|| format!("{released} hidden new alerts shown again"));
                for q in [audit(self, id, "expire", actor, now, comment), silenced_change(self, now)] {
                    sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await
                        .context("auditing a silence expiry")?;
                }
            }
            tx.commit().await.context("committing a silence expiry")?;
            Ok::<_, StoreError>(())
        })?;
        self.get_silence(id).await
    }

    /// Housekeeping: marks the silences whose end is at or before `now` as expired by
    /// `system` (audited), so the list of silences shows them as over. Returns how many.
    pub async fn expire_ended_silences(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut update = self.query("UPDATE silences SET expired_at = ");
        update
            .bind(now)
            .push(", expired_by = 'system' WHERE expired_at IS NULL AND ends_at <= ")
            .bind(now)
            .push(" RETURNING id");
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting the silence expiry")?;
            let ids: Vec<(i64,)> = sqlx::query_as(update.sql())
                .bind_params(update.params())
                .fetch_all(&mut *tx)
                .await
                .context("expiring ended silences")?;
            for (id,) in &ids {
                let q = audit(self, *id, "expire", "system", now, Some("ended".into()));
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await
                    .context("auditing the silence expiry")?;
            }
            if !ids.is_empty() {
                let q = silenced_change(self, now);
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await
                    .context("writing the change feed")?;
            }
            tx.commit().await.context("committing the silence expiry")?;
            Ok(ids.len() as u64)
        })
    }

    /// A silence's audit trail, oldest first.
    pub async fn silence_audit(&self, id: i64) -> Result<Vec<SilenceAuditEntry>, StoreError> {
        let mut q = self.query(
            "SELECT id, silence_id, action, actor, at, comment FROM silence_audit WHERE silence_id = ",
        );
        q.bind(id).push(" ORDER BY id");
        type Row = (i64, i64, String, String, DateTime<Utc>, Option<String>);
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading a silence's audit trail")?;
        Ok(rows
            .into_iter()
            .map(
                |(id, silence_id, action, actor, at, comment)| SilenceAuditEntry {
                    id,
                    silence_id,
                    action,
                    actor,
                    at,
                    comment,
                },
            )
            .collect())
    }

    /// Every detection of an alert, oldest first (empty for an unknown alert).
    pub async fn occurrences(&self, alert_id: i64) -> Result<Vec<Occurrence>, StoreError> {
        let mut q = self.query("SELECT ");
        q.push(OCCURRENCE_COLUMNS)
            .push(" WHERE o.alert_id = ")
            .bind(alert_id)
            .push(" ORDER BY o.id");
        let rows: Vec<OccurrenceRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading an alert's occurrences")?;
        rows.into_iter().map(Occurrence::try_from).collect()
    }

    /// The kickoff of an event, `None` when the event is unknown (the outer option) or has no
    /// kickoff (the inner one).
    pub async fn event_kickoff(
        &self,
        event_id: i64,
    ) -> Result<Option<Option<DateTime<Utc>>>, StoreError> {
        let mut q = self.query("SELECT kickoff FROM events WHERE id = ");
        q.bind(event_id);
        let row: Option<(Option<DateTime<Utc>>,)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_optional(pool).await
        })
        .context("reading an event's kickoff")?;
        Ok(row.map(|(k,)| k))
    }
}
