//! Events: the matches alerts are about, keyed across books by SportRadar id.

use chrono::{DateTime, Utc};

use std::collections::HashMap;

use super::sql::{BindParams, Param, SqlQuery};
use super::{QueryContext, Store, StoreError, with_pool};

/// An event as written: identity, names and kickoff.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventRecord {
    /// SportRadar match id (or a feed's own id when it has none).
    pub sr_id: String,
    /// Home team (home book's naming).
    pub home_team: String,
    /// Away team.
    pub away_team: String,
    /// Tournament.
    pub tournament: Option<String>,
    /// Country or region.
    pub country: Option<String>,
    /// Kickoff, when known.
    pub kickoff: Option<DateTime<Utc>>,
}

impl EventRecord {
    /// Lower-cased names the text filter searches.
    pub(super) fn search_text(&self) -> String {
        [
            Some(self.home_team.as_str()),
            Some(self.away_team.as_str()),
            self.tournament.as_deref(),
            self.country.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
    }
}

/// Events per upsert statement (9 parameters each).
pub(super) const EVENTS_PER_STATEMENT: usize = 2000;

/// One multi-row upsert of `events` (at most [`EVENTS_PER_STATEMENT`]) that refreshes names and
/// kickoff and returns `(id, sr_id)` of every row.
pub(super) fn event_upsert(store: &Store, events: &[EventRecord], now: DateTime<Utc>) -> SqlQuery {
    let mut q = store.query(
        "INSERT INTO events (sr_id, home_team, away_team, tournament, country, kickoff, search_text, created_at, updated_at) VALUES ",
    );
    q.values(events.iter().map(|e| {
        [
            Param::from(e.sr_id.as_str()),
            Param::from(e.home_team.as_str()),
            Param::from(e.away_team.as_str()),
            Param::from(e.tournament.clone()),
            Param::from(e.country.clone()),
            e.kickoff.map_or(Param::NullTime, Param::Time),
            Param::Text(e.search_text()),
            Param::Time(now),
            Param::Time(now),
        ]
    }));
    q.push(" ")
        .push(EVENT_CONFLICT)
        .push(" RETURNING id, sr_id");
    q
}

/// The conflict clause of every event upsert: names, search text and time refreshed; a
/// tournament, country or kickoff the batch lacks keeps the stored one.
pub(super) const EVENT_CONFLICT: &str = "ON CONFLICT (sr_id) DO UPDATE SET home_team = excluded.home_team, \
     away_team = excluded.away_team, tournament = COALESCE(excluded.tournament, events.tournament), \
     country = COALESCE(excluded.country, events.country), \
     kickoff = COALESCE(excluded.kickoff, events.kickoff), \
     search_text = excluded.search_text, updated_at = excluded.updated_at";

impl Store {
    /// Inserts events or refreshes their names and kickoff; returns their ids in input order.
    pub async fn upsert_events(
        &self,
        events: &[EventRecord],
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(events.len());
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting an event upsert")?;
            for chunk in events.chunks(EVENTS_PER_STATEMENT) {
                let q = event_upsert(self, chunk, now);
                let rows: Vec<(i64, String)> = sqlx::query_as(q.sql())
                    .bind_params(q.params())
                    .fetch_all(&mut *tx)
                    .await
                    .context("upserting events")?;
                // RETURNING order is not guaranteed: map back by SportRadar id.
                let by_sr: HashMap<String, i64> = rows.into_iter().map(|(id, sr)| (sr, id)).collect();
                ids.extend(chunk.iter().map(|e| by_sr[&e.sr_id]));
            }
            tx.commit().await.context("committing events")?;
            Ok::<_, StoreError>(())
        })?;
        Ok(ids)
    }
}
