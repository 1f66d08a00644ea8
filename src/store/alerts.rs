//! Alert queries: list, count, read, acknowledge, past transition, purge, insert.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::follow::{ChangeKind, change_inserts};
use super::insert::{
    AlertInsert, MAX_PARAMS_PER_STATEMENT, alert_insert_chunks, ids_in_insert_order,
    occurrence_insert_chunks,
};
use super::rows::{ALERT_COLUMNS, AlertRow, into_alerts};
use super::sql::{BindParams, Dialect, Param, SqlQuery, contains_pattern};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{
    AckOutcome, Alert, AlertFilter, AlertIdentity, AlertSort, AuditEntry, DetectedAlert, Page,
    SilencedFilter, Status, StatusCounts,
};

/// (id, status, kickoff, acknowledged by) of an alert, read after a conditional update.
type CurrentState = (i64, String, DateTime<Utc>, Option<String>);

/// How a text filter reaches its alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextPlan {
    /// Match the small tables (events, market names) first, then fetch every matching alert
    /// through the (event_id, …) and (market_id, market_name) indexes. Its cost grows with the
    /// matches, not the table: counts and groups use it (they visit every match anyway), and
    /// lists whose text matches few alerts.
    Gather,
    /// Test the alerts in the list's sort order against the matched events and names, and
    /// stop after a page: lists whose text matches many alerts (a first keystroke like "a").
    Walk,
}

/// Share of events a list's text must match before walking the sort order beats gathering
/// the matches: gathering reads every match, walking reads about a page divided by this share.
const WALK_ABOVE_EVENT_SHARE: f64 = 0.01;

/// Appends `WHERE …` for `filter` (always emits a WHERE, so callers can append `AND …`).
/// Every query over a filtered set of alerts uses it, so counts match what lists show.
pub(super) fn push_filter(q: &mut SqlQuery, filter: &AlertFilter) {
    push_filter_with(q, filter, TextPlan::Gather);
}

/// [`push_filter`] with the text filter reached by `plan` (both select the same alerts).
pub(super) fn push_filter_with(q: &mut SqlQuery, filter: &AlertFilter, plan: TextPlan) {
    q.push(" WHERE 1 = 1");
    match filter.silenced {
        SilencedFilter::Hide => {
            q.push(" AND a.silenced_by IS NULL");
        }
        SilencedFilter::Only => {
            q.push(" AND a.silenced_by IS NOT NULL");
        }
        SilencedFilter::Include => {}
    }
    if !filter.statuses.is_empty() {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        q.push(" AND a.status IN ").bind_list(&statuses);
    }
    if !filter.severities.is_empty() {
        // The rank, not the text, so the (status, severity_rank, detected_at) index serves it.
        let ranks: Vec<i64> = filter
            .severities
            .iter()
            .map(|s| i64::from(s.rank()))
            .collect();
        q.push(" AND a.severity_rank IN ").bind_list(&ranks);
    }
    if !filter.alert_types.is_empty() {
        let types: Vec<&str> = filter.alert_types.iter().map(|t| t.as_str()).collect();
        q.push(" AND a.alert_type IN ").bind_list(&types);
    }
    if let Some(book) = &filter.bookmaker {
        q.push(" AND a.bookmaker = ").bind(book.as_str());
    }
    if let Some(pattern) = filter.pattern {
        q.push(" AND a.pattern = ").bind(pattern.as_str());
    }
    if let Some(event_id) = filter.event_id {
        q.push(" AND a.event_id = ").bind(event_id);
    }
    if let Some(term) = filter
        .event_text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // The events table is small: its matches are found first, then the alerts through the
        // (event_id, …) indexes, as the text filter's Gather plan does.
        q.push(" AND a.event_id IN (");
        push_matching_events(q, &contains_pattern(term));
        q.push(")");
    }
    if let Some(term) = filter.text_term() {
        let pattern = contains_pattern(term);
        match plan {
            TextPlan::Gather => {
                q.push(" AND a.id IN (SELECT t.id FROM alerts t WHERE t.event_id IN (");
                push_matching_events(q, &pattern);
                q.push(
                    ") UNION ALL SELECT t.id FROM alerts t WHERE (t.market_id, t.market_name) IN (",
                );
                push_matching_market_names(q, &pattern);
                q.push("))");
            }
            TextPlan::Walk => {
                // SQLite's unary + keeps these terms off the indexes, so it walks the order.
                let plus = match q.dialect() {
                    Dialect::Sqlite => "+",
                    Dialect::Postgres => "",
                };
                q.push(" AND (").push(plus).push("a.event_id IN (");
                push_matching_events(q, &pattern);
                q.push(") OR (")
                    .push(plus)
                    .push("a.market_id, ")
                    .push(plus)
                    .push("a.market_name) IN (");
                push_matching_market_names(q, &pattern);
                q.push("))");
            }
        }
    }
}

/// Appends a subquery of the ids of the events whose names match the LIKE `pattern`.
fn push_matching_events(q: &mut SqlQuery, pattern: &str) {
    q.push("SELECT id FROM events WHERE search_text LIKE ")
        .bind(pattern)
        .push(" ESCAPE '\\'");
}

/// Appends a subquery of the (market id, name) pairs alerts carry whose name, or whose
/// market's canonical name, matches the LIKE `pattern`.
fn push_matching_market_names(q: &mut SqlQuery, pattern: &str) {
    q.push("SELECT n.market_id, n.name FROM alert_market_names n WHERE LOWER(n.name) LIKE ")
        .bind(pattern)
        .push(
            " ESCAPE '\\' OR n.market_id IN (SELECT market_id FROM markets WHERE LOWER(name) LIKE ",
        )
        .bind(pattern)
        .push(" ESCAPE '\\')");
}

/// Appends the keyset condition "strictly after the cursor row" for `sort` — or, reading
/// `backwards`, "strictly before" it.
fn push_keyset(q: &mut SqlQuery, sort: AlertSort, page: &Page) {
    let Some(c) = &page.after else { return };
    // `later` and `earlier` compare a column sorted descending / ascending with the cursor.
    let (later, earlier) = if page.backwards {
        (" > ", " < ")
    } else {
        (" < ", " > ")
    };
    // A redundant non-strict bound on the leading sort column, ANDed before the exact OR
    // condition: the OR alone keeps SQLite from seeking the index, so it walked the order from
    // the top on every page and a deep page (an export of a million alerts, End then PgUp)
    // cost as much as all the pages above it.
    let (later_or_equal, earlier_or_equal) = if page.backwards {
        (" >= ", " <= ")
    } else {
        (" <= ", " >= ")
    };
    match sort {
        AlertSort::Detected => {
            q.push(" AND a.detected_at")
                .push(later_or_equal)
                .bind(c.detected_at);
            q.push(" AND (a.detected_at")
                .push(later)
                .bind(c.detected_at);
            q.push(" OR (a.detected_at = ").bind(c.detected_at);
            q.push(" AND a.id").push(later).bind(c.id).push("))");
        }
        AlertSort::Severity => {
            let rank = i64::from(c.severity.rank());
            q.push(" AND a.severity_rank")
                .push(later_or_equal)
                .bind(rank);
            q.push(" AND (a.severity_rank").push(later).bind(rank);
            q.push(" OR (a.severity_rank = ").bind(rank);
            q.push(" AND (a.detected_at")
                .push(later)
                .bind(c.detected_at);
            q.push(" OR (a.detected_at = ").bind(c.detected_at);
            q.push(" AND a.id").push(later).bind(c.id).push("))))");
        }
        AlertSort::Kickoff => {
            q.push(" AND a.event_kickoff")
                .push(earlier_or_equal)
                .bind(c.event_kickoff);
            q.push(" AND (a.event_kickoff")
                .push(earlier)
                .bind(c.event_kickoff);
            q.push(" OR (a.event_kickoff = ").bind(c.event_kickoff);
            q.push(" AND a.id").push(later).bind(c.id).push("))");
        }
        AlertSort::Change => {
            q.push(" AND a.abs_change_pct")
                .push(later_or_equal)
                .bind(c.abs_change);
            q.push(" AND (a.abs_change_pct")
                .push(later)
                .bind(c.abs_change);
            q.push(" OR (a.abs_change_pct = ").bind(c.abs_change);
            q.push(" AND a.id").push(later).bind(c.id).push("))");
        }
    }
}

/// `ORDER BY` of `sort`, or its exact reverse (the same index read the other way).
fn order_by(sort: AlertSort, backwards: bool) -> &'static str {
    match (sort, backwards) {
        (AlertSort::Detected, false) => " ORDER BY a.detected_at DESC, a.id DESC",
        (AlertSort::Detected, true) => " ORDER BY a.detected_at ASC, a.id ASC",
        (AlertSort::Severity, false) => {
            " ORDER BY a.severity_rank DESC, a.detected_at DESC, a.id DESC"
        }
        (AlertSort::Severity, true) => " ORDER BY a.severity_rank ASC, a.detected_at ASC, a.id ASC",
        (AlertSort::Kickoff, false) => " ORDER BY a.event_kickoff ASC, a.id DESC",
        (AlertSort::Kickoff, true) => " ORDER BY a.event_kickoff DESC, a.id ASC",
        (AlertSort::Change, false) => " ORDER BY a.abs_change_pct DESC, a.id DESC",
        (AlertSort::Change, true) => " ORDER BY a.abs_change_pct ASC, a.id ASC",
    }
}

/// One group of [`Store::grouped_counts`]: alerts of one status, severity and type, silenced
/// or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupedCount {
    /// Status (wire name).
    pub status: String,
    /// Severity (wire name).
    pub severity: String,
    /// Alert type (wire name).
    pub alert_type: String,
    /// Whether a silence hid them.
    pub silenced: bool,
    /// How many.
    pub count: i64,
}

impl Store {
    /// One page of alerts matching `filter`, in `sort` order.
    pub async fn list_alerts(
        &self,
        filter: &AlertFilter,
        sort: AlertSort,
        page: &Page,
    ) -> Result<Vec<Alert>, StoreError> {
        let plan = match filter.text_term() {
            Some(term) => self.text_plan(term).await?,
            None => TextPlan::Gather,
        };
        self.list_alerts_with(filter, sort, page, plan).await
    }

    /// [`Store::list_alerts`] with the text filter reached by `plan`; both plans list the
    /// same alerts (the contract tests check it), only their speed differs.
    pub async fn list_alerts_with(
        &self,
        filter: &AlertFilter,
        sort: AlertSort,
        page: &Page,
        plan: TextPlan,
    ) -> Result<Vec<Alert>, StoreError> {
        let q = self.list_query(filter, sort, page, plan);
        let rows: Vec<AlertRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("listing alerts")?;
        let mut alerts = into_alerts(rows)?;
        if page.backwards {
            alerts.reverse();
        }
        Ok(alerts)
    }

    /// The query of one page of [`Store::list_alerts_with`].
    fn list_query(
        &self,
        filter: &AlertFilter,
        sort: AlertSort,
        page: &Page,
        plan: TextPlan,
    ) -> SqlQuery {
        let mut q = self.query("SELECT ");
        q.push(ALERT_COLUMNS);
        push_filter_with(&mut q, filter, plan);
        push_keyset(&mut q, sort, page);
        q.push(order_by(sort, page.backwards));
        q.push(" LIMIT ").bind(i64::from(page.limit));
        if !page.backwards && page.after.is_none() && page.offset > 0 {
            q.push(" OFFSET ")
                .bind(i64::try_from(page.offset).unwrap_or(i64::MAX));
        }
        q
    }

    /// SQLite's `EXPLAIN QUERY PLAN` of one page of the list (no text filter), one line per
    /// plan row: for the tests that keep deep keyset pages an index seek. `None` on PostgreSQL,
    /// whose plans depend on its statistics.
    pub async fn explain_list_sqlite(
        &self,
        filter: &AlertFilter,
        sort: AlertSort,
        page: &Page,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let Store::Sqlite(pool) = self else {
            return Ok(None);
        };
        let q = self.list_query(filter, sort, page, TextPlan::Gather);
        let sql = format!("EXPLAIN QUERY PLAN {}", q.sql());
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&sql)
            .bind_params(q.params())
            .fetch_all(pool)
            .await
            .context("explaining a page of the alert list")?;
        Ok(Some(rows.into_iter().map(|r| r.3).collect()))
    }

    /// How a list with this text should reach its alerts: from the share of events it
    /// matches (the events table is small) and whether it matches a market name at all (then
    /// it matches a whole market's alerts).
    async fn text_plan(&self, term: &str) -> Result<TextPlan, StoreError> {
        let pattern = contains_pattern(term);
        let mut q = self.query("SELECT (SELECT COUNT(*) FROM (");
        push_matching_events(&mut q, &pattern);
        q.push(") matched_events), (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM (");
        push_matching_market_names(&mut q, &pattern);
        q.push(") matched_names)");
        let (matched, events, names): (i64, i64, i64) = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_one(pool).await
        })
        .context("estimating a text filter's matches")?;
        let share = matched as f64 / events.max(1) as f64;
        Ok(if names > 0 || share > WALK_ABOVE_EVENT_SHARE {
            TextPlan::Walk
        } else {
            TextPlan::Gather
        })
    }

    /// Alerts per status among those matching `filter` (its status restriction ignored), and
    /// the silenced ones among them: counted together in one pass, with silenced alerts in
    /// the per-status counts only when the filter asks for them.
    pub async fn status_counts(&self, filter: &AlertFilter) -> Result<StatusCounts, StoreError> {
        let mut q = self.query("SELECT a.status, COUNT(*), COUNT(a.silenced_by) FROM alerts a");
        let all = AlertFilter {
            silenced: SilencedFilter::Include,
            ..filter.without_statuses()
        };
        push_filter(&mut q, &all);
        // Naming every status lets the planner seek (status, severity_rank, …) index ranges
        // instead of visiting table rows.
        q.push(" AND a.status IN ('new', 'acknowledged', 'past') GROUP BY a.status");
        let rows: Vec<(String, i64, i64)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("counting alerts per status")?;
        let mut counts = StatusCounts::default();
        for (status, n, silenced) in rows {
            let status = status.parse().map_err(|message| StoreError::Corrupt {
                table: "alerts",
                message,
            })?;
            let n = u64::try_from(n).unwrap_or(0);
            let silenced = u64::try_from(silenced).unwrap_or(0);
            let shown = match filter.silenced {
                SilencedFilter::Hide => n - silenced.min(n),
                SilencedFilter::Include => n,
                SilencedFilter::Only => silenced,
            };
            counts.add(status, shown);
            counts.silenced += silenced;
        }
        Ok(counts)
    }

    /// Counts grouped by (status, severity, type, whether silenced), for stats — read in one
    /// scan of the covering `alerts_counts` index. Grouping by the silence's id in index order
    /// keeps the scan free of a sort (an `IS NULL` group would need one: 6× slower at a million
    /// alerts); the groups of one silence state are summed here.
    pub async fn grouped_counts(&self) -> Result<Vec<GroupedCount>, StoreError> {
        let sql = "SELECT status, CASE severity_rank WHEN 3 THEN 'critical' WHEN 2 THEN 'elevated' ELSE 'warning' END, \
             alert_type, silenced_by, COUNT(*) FROM alerts GROUP BY status, severity_rank, alert_type, silenced_by";
        let rows: Vec<(String, String, String, Option<i64>, i64)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)
                .context("computing alert stats")?;
        let mut summed: BTreeMap<(String, String, String, bool), i64> = BTreeMap::new();
        for (status, severity, alert_type, silenced_by, n) in rows {
            *summed
                .entry((status, severity, alert_type, silenced_by.is_some()))
                .or_default() += n;
        }
        Ok(summed
            .into_iter()
            .map(
                |((status, severity, alert_type, silenced), count)| GroupedCount {
                    status,
                    severity,
                    alert_type,
                    silenced,
                    count,
                },
            )
            .collect())
    }

    /// One alert with its event's names, or `None`.
    pub async fn get_alert(&self, id: i64) -> Result<Option<Alert>, StoreError> {
        let mut q = self.query("SELECT ");
        q.push(ALERT_COLUMNS).push(" WHERE a.id = ").bind(id);
        let row: Option<AlertRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_optional(pool).await
        })
        .context("reading an alert")?;
        row.map(Alert::try_from).transpose()
    }

    /// The audit trail of one alert, oldest first.
    pub async fn alert_audit(&self, alert_id: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut q = self.query(
            "SELECT id, alert_id, action, actor, at, comment FROM alert_audit WHERE alert_id = ",
        );
        q.bind(alert_id).push(" ORDER BY id");
        type AuditRow = (i64, i64, String, String, DateTime<Utc>, Option<String>);
        let rows: Vec<AuditRow> = with_pool!(self, pool => sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await)
            .context("reading an alert's audit trail")?;
        Ok(rows
            .into_iter()
            .map(|(id, alert_id, action, actor, at, comment)| AuditEntry {
                id,
                alert_id,
                action,
                actor,
                at,
                comment,
            })
            .collect())
    }

    /// Acknowledges (`to == Acknowledged`) or unacknowledges (`to == New`) alerts in one
    /// transaction. Only rows in the opposite status whose event has not kicked off change (a
    /// conditional update, so concurrent traders cannot both "win"); every change gets an audit
    /// row and a change-feed row. Returns one outcome per requested id, in request order.
    pub async fn set_acknowledged(
        &self,
        ids: &[i64],
        to: Status,
        actor: &str,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, AckOutcome)>, StoreError> {
        assert!(
            matches!(to, Status::Acknowledged | Status::New),
            "ack target must be new or acknowledged"
        );
        let mut outcomes = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            outcomes.extend(
                self.set_acknowledged_chunk(chunk, to, actor, comment, now)
                    .await?,
            );
        }
        Ok(outcomes)
    }

    async fn set_acknowledged_chunk(
        &self,
        ids: &[i64],
        to: Status,
        actor: &str,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, AckOutcome)>, StoreError> {
        let (from, action, kind) = match to {
            Status::Acknowledged => (Status::New, "acknowledge", ChangeKind::Acknowledged),
            _ => (
                Status::Acknowledged,
                "unacknowledge",
                ChangeKind::Unacknowledged,
            ),
        };
        let mut update = self.query("UPDATE alerts SET status = ");
        update.bind(to.as_str());
        if to == Status::Acknowledged {
            update.push(", acknowledged_at = ").bind(now);
            update.push(", acknowledged_by = ").bind(actor);
        } else {
            update.push(", acknowledged_at = NULL, acknowledged_by = NULL");
        }
        update.push(" WHERE id IN ").bind_list(ids);
        update.push(" AND status = ").bind(from.as_str());
        update.push(" AND event_kickoff > ").bind(now);
        update.push(" RETURNING id");

        let mut lookup = self
            .query("SELECT id, status, event_kickoff, acknowledged_by FROM alerts WHERE id IN ");
        lookup.bind_list(ids);

        let (changed, current): (Vec<(i64,)>, Vec<CurrentState>) = with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting an acknowledgement")?;
            let changed: Vec<(i64,)> = sqlx::query_as(update.sql())
                .bind_params(update.params())
                .fetch_all(&mut *tx)
                .await
                .context("updating alert status")?;
            let changed_ids: Vec<i64> = changed.iter().map(|(id,)| *id).collect();
            for audit in audit_inserts(self, &changed_ids, action, actor, comment, now) {
                sqlx::query(audit.sql()).bind_params(audit.params()).execute(&mut *tx).await
                    .context("writing the audit trail")?;
            }
            for change in change_inserts(self, &changed_ids, kind, now) {
                sqlx::query(change.sql()).bind_params(change.params()).execute(&mut *tx).await
                    .context("writing the change feed")?;
            }
            let current: Vec<CurrentState> = sqlx::query_as(lookup.sql())
                .bind_params(lookup.params())
                .fetch_all(&mut *tx)
                .await
                .context("reading alert status")?;
            tx.commit().await.context("committing an acknowledgement")?;
            (changed, current)
        });

        let changed: std::collections::HashSet<i64> = changed.into_iter().map(|(id,)| id).collect();
        let current: std::collections::HashMap<i64, (String, DateTime<Utc>, Option<String>)> =
            current
                .into_iter()
                .map(|(id, s, k, by)| (id, (s, k, by)))
                .collect();
        Ok(ids
            .iter()
            .map(|id| {
                let outcome = if changed.contains(id) {
                    AckOutcome::Changed
                } else {
                    match current.get(id) {
                        None => AckOutcome::NotFound,
                        Some((status, kickoff, _))
                            if status == Status::Past.as_str() || *kickoff <= now =>
                        {
                            AckOutcome::EventStarted
                        }
                        Some((_, _, by)) => AckOutcome::Unchanged { by: by.clone() },
                    }
                };
                (*id, outcome)
            })
            .collect())
    }

    /// Moves every new or acknowledged alert whose event kicked off at or before `now` to
    /// `past`, with an audit row each. Returns how many changed.
    pub async fn mark_past(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut update = self.query("UPDATE alerts SET status = 'past' WHERE status IN ('new', 'acknowledged') AND event_kickoff <= ");
        update.bind(now).push(" RETURNING id");
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting the past transition")?;
            let changed: Vec<(i64,)> = sqlx::query_as(update.sql())
                .bind_params(update.params())
                .fetch_all(&mut *tx)
                .await
                .context("marking alerts past")?;
            let ids: Vec<i64> = changed.into_iter().map(|(id,)| id).collect();
            for audit in audit_inserts(self, &ids, "past", "system", None, now) {
                sqlx::query(audit.sql()).bind_params(audit.params()).execute(&mut *tx).await
                    .context("writing the audit trail")?;
            }
            for change in change_inserts(self, &ids, ChangeKind::Past, now) {
                sqlx::query(change.sql()).bind_params(change.params()).execute(&mut *tx).await
                    .context("writing the change feed")?;
            }
            tx.commit().await.context("committing the past transition")?;
            Ok(ids.len() as u64)
        })
    }

    /// Deletes past alerts whose event kicked off before `cutoff` (with their audit rows).
    pub async fn purge_past(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut q = self.query("DELETE FROM alerts WHERE status = 'past' AND event_kickoff < ");
        q.bind(cutoff);
        let done = with_pool!(self, pool => {
            sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|r| r.rows_affected())
        })
        .context("purging past alerts")?;
        if done > 0 {
            self.record_bulk_change(ChangeKind::Purged, Utc::now())
                .await?;
        }
        Ok(done)
    }

    /// Inserts detected alerts (one transaction), each with its one occurrence and its
    /// identity (later detections fold into it; these do not fold into each other), and
    /// returns their ids in order. Their events are looked up by SportRadar key and must be
    /// stored already.
    pub async fn insert_alerts(&self, alerts: &[DetectedAlert]) -> Result<Vec<i64>, StoreError> {
        let now = Utc::now();
        let mut keys: Vec<&str> = alerts.iter().map(|a| a.event_key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut ids = Vec::with_capacity(alerts.len());
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting an alert insert")?;
            let mut events = std::collections::HashMap::with_capacity(keys.len());
            for chunk in keys.chunks(MAX_PARAMS_PER_STATEMENT) {
                let mut q = self.query("SELECT sr_id, id FROM events WHERE sr_id IN ");
                q.bind_list(chunk);
                let rows: Vec<(String, i64)> = sqlx::query_as(q.sql())
                    .bind_params(q.params())
                    .fetch_all(&mut *tx)
                    .await
                    .context("resolving the alerts' events")?;
                events.extend(rows);
            }
            let keyed = alerts
                .iter()
                .map(|a| match events.get(&a.event_key) {
                    Some(id) => Ok(AlertInsert::single(*id, a, Some(AlertIdentity::of(*id, a).as_str().to_string()))),
                    None => Err(StoreError::Corrupt {
                        table: "events",
                        message: format!("an alert refers to event {} that is not stored", a.event_key),
                    }),
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for q in alert_insert_chunks(self, &keyed) {
                let rows: Vec<(i64,)> = sqlx::query_as(q.sql())
                    .bind_params(q.params())
                    .fetch_all(&mut *tx)
                    .await
                    .context("inserting alerts")?;
                ids.extend(ids_in_insert_order(rows));
            }
            let occurrences: Vec<(i64, &DetectedAlert)> = ids.iter().copied().zip(alerts).collect();
            for q in occurrence_insert_chunks(self, &occurrences) {
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await
                    .context("writing the alerts' occurrences")?;
            }
            for change in change_inserts(self, &ids, ChangeKind::Created, now) {
                sqlx::query(change.sql()).bind_params(change.params()).execute(&mut *tx).await
                    .context("writing the change feed")?;
            }
            tx.commit().await.context("committing alerts")?;
            Ok::<_, StoreError>(())
        })?;
        Ok(ids)
    }
}

/// Multi-row INSERTs into `alert_audit`, chunked under the parameter limit.
fn audit_inserts(
    store: &Store,
    ids: &[i64],
    action: &str,
    actor: &str,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<SqlQuery> {
    ids.chunks(MAX_PARAMS_PER_STATEMENT / 5)
        .map(|chunk| {
            let mut q = store
                .query("INSERT INTO alert_audit (alert_id, action, actor, at, comment) VALUES ");
            q.values(chunk.iter().map(|id| {
                [
                    Param::Int(*id),
                    Param::from(action),
                    Param::from(actor),
                    Param::Time(now),
                    Param::from(comment.map(str::to_string)),
                ]
            }));
            q
        })
        .collect()
}
