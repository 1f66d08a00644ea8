//! Aggregates for the UI's stats panel and grouped view: alerts per minute over the last hour,
//! the events with the most open alerts, and alerts grouped by event for a filter.

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::alerts::push_filter;
use super::sql::{BindParams, Dialect};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{AlertFilter, Severity};

/// An event and how many alerts it has.
#[derive(Debug, Clone, PartialEq)]
pub struct EventGroup {
    /// Event database id.
    pub event_id: i64,
    /// "Home v Away".
    pub event_name: String,
    /// Kickoff.
    pub kickoff: DateTime<Utc>,
    /// Alerts (matching the filter, for groups; open ones, for top events).
    pub alerts: u64,
    /// The most severe of them.
    pub worst: Severity,
}

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
        let mut q = self.query(
            "SELECT a.event_id, e.home_team, e.away_team, MIN(a.event_kickoff), COUNT(*), MAX(a.severity_rank) \
             FROM alerts a JOIN events e ON e.id = a.event_id WHERE a.status = 'new' \
             GROUP BY a.event_id, e.home_team, e.away_team ORDER BY COUNT(*) DESC, a.event_id LIMIT ",
        );
        q.bind(i64::from(limit));
        let rows: Vec<GroupRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("finding the events with most open alerts")?;
        Ok(into_groups(rows))
    }

    /// Alerts matching `filter` grouped by event: most severe first, then most alerts, then
    /// soonest kickoff; at most `limit` groups.
    pub async fn event_groups(
        &self,
        filter: &AlertFilter,
        limit: u32,
    ) -> Result<Vec<EventGroup>, StoreError> {
        let mut q = self.query(
            "SELECT a.event_id, e.home_team, e.away_team, MIN(a.event_kickoff), COUNT(*), MAX(a.severity_rank) \
             FROM alerts a JOIN events e ON e.id = a.event_id",
        );
        push_filter(&mut q, filter);
        q.push(" GROUP BY a.event_id, e.home_team, e.away_team ORDER BY MAX(a.severity_rank) DESC, COUNT(*) DESC, MIN(a.event_kickoff), a.event_id LIMIT ");
        q.bind(i64::from(limit));
        let rows: Vec<GroupRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("grouping alerts by event")?;
        Ok(into_groups(rows))
    }
}
