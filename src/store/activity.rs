//! Aggregates for the UI's stats panel and grouped view: alerts per minute over the last hour,
//! the events with the most open alerts, and alerts grouped by event for a filter.

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::alerts::push_filter;
use super::sql::{BindParams, Dialect};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{AlertFilter, EventGroup, Severity, Status};

type GroupRow = (i64, String, String, DateTime<Utc>, i64, i64);

fn severity_of_rank(rank: i64) -> Severity {
    match rank {
        3.. => Severity::Critical,
        2 => Severity::Elevated,
        _ => Severity::Warning,
    }
}

fn into_groups(rows: Vec<GroupRow>) -> Vec<EventGroup> {
    rows.into_iter()
        .map(|(event_id, home, away, kickoff, n, rank)| EventGroup {
            event_id,
            event_name: format!("{home} v {away}"),
            kickoff,
            alerts: u64::try_from(n).unwrap_or(0),
            worst: severity_of_rank(rank),
        })
        .collect()
}

impl Store {
    /// Alerts detected in each of the 60 minutes before `now` (oldest first; the last bucket is
    /// the current minute). Served by the `detected_at` index.
    pub async fn alerts_per_minute(&self, now: DateTime<Utc>) -> Result<Vec<u64>, StoreError> {
        let this_minute = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
        let start = this_minute - Duration::minutes(59);
        let minute = match self.dialect() {
            Dialect::Sqlite => "substr(replace(detected_at, ' ', 'T'), 1, 16)",
            Dialect::Postgres => {
                "to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI')"
            }
        };
        let mut q = self.query("SELECT ");
        q.push(minute)
            .push(" AS m, COUNT(*) FROM alerts WHERE detected_at >= ");
        q.bind(start).push(" GROUP BY m");
        let rows: Vec<(String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("counting alerts per minute")?;
        let mut buckets = vec![0_u64; 60];
        for (m, n) in rows {
            let Ok(at) = chrono::NaiveDateTime::parse_from_str(&m, "%Y-%m-%dT%H:%M") else {
                continue;
            };
            let index = (at.and_utc() - start).num_minutes();
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| buckets.get_mut(i)) {
                *slot += u64::try_from(n).unwrap_or(0);
            }
        }
        Ok(buckets)
    }

    /// The `limit` events with the most `new` alerts, most first.
    pub async fn top_open_events(&self, limit: u32) -> Result<Vec<EventGroup>, StoreError> {
        let open = AlertFilter {
            statuses: vec![Status::New],
            ..AlertFilter::default()
        };
        self.groups(&open, "n DESC, event_id", limit)
            .await
            .context("finding the events with most open alerts")
    }

    /// Alerts matching `filter` grouped by event: most severe first, then most alerts, then
    /// soonest kickoff; at most `limit` groups.
    pub async fn event_groups(
        &self,
        filter: &AlertFilter,
        limit: u32,
    ) -> Result<Vec<EventGroup>, StoreError> {
        self.groups(filter, "worst DESC, n DESC, first_kickoff, event_id", limit)
            .await
            .context("grouping alerts by event")
    }

    /// Groups alerts by event from the alerts alone and names only the `limit` groups kept.
    /// Grouping by (status, event) first lets the (status, event_id, severity_rank,
    /// event_kickoff) index cover it in index order, with no table rows read and no sort of a
    /// million rows; the per-status groups are then merged. `order` uses the columns
    /// `event_id, first_kickoff, n, worst`.
    async fn groups(
        &self,
        filter: &AlertFilter,
        order: &'static str,
        limit: u32,
    ) -> Result<Vec<EventGroup>, sqlx::Error> {
        let mut q = self.query(
            "SELECT g.event_id, e.home_team, e.away_team, g.first_kickoff, g.n, g.worst FROM \
             (SELECT s.event_id AS event_id, MIN(s.first_kickoff) AS first_kickoff, CAST(SUM(s.n) AS BIGINT) AS n, \
             MAX(s.worst) AS worst FROM \
             (SELECT a.event_id AS event_id, MIN(a.event_kickoff) AS first_kickoff, COUNT(*) AS n, \
             MAX(a.severity_rank) AS worst FROM alerts a",
        );
        push_filter(&mut q, filter);
        if filter.statuses.is_empty() {
            // Every status named, so the status-led index serves the inner grouping.
            q.push(" AND a.status IN ('new', 'acknowledged', 'past')");
        }
        q.push(" GROUP BY a.status, a.event_id) s GROUP BY s.event_id ORDER BY ")
            .push(order)
            .push(" LIMIT ")
            .bind(i64::from(limit))
            .push(") g JOIN events e ON e.id = g.event_id ORDER BY ")
            .push(order);
        let rows: Vec<GroupRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })?;
        Ok(into_groups(rows))
    }
}
