//! `GET /api/alerts/stream`: Server-Sent Events of new alerts (`alert`), status changes
//! (`update`: acknowledged, unacknowledged, past) and `reload` when many changed at once or the
//! client fell behind. Fed by the change feed, so alerts written by any process appear; the
//! feed reads each changed alert once for all subscribers, so a stream costs no query.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use futures::stream::{self, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::ApiState;
use super::doc::StreamEvent;
use crate::live::Change;

/// Changes with more ids than this are sent as one `reload` instead of one event per alert.
const MAX_EVENTS_PER_CHANGE: usize = 500;

/// The live stream.
#[utoipa::path(
    get, path = "/api/alerts/stream", tag = "alerts",
    responses((
        status = 200,
        description = "Server-Sent Events, kept alive with comments: `alert` (a new alert; `id` is its id, data the Alert as JSON), `update` (an alert whose status changed; data the Alert as it is now) and `reload` (many changed or the client fell behind; data `{}`: read the list again)",
        content_type = "text/event-stream",
        body = StreamEvent,
    ))
)]
pub async fn stream(
    State(state): State<ApiState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.feed.subscribe();
    let events = stream::unfold(rx, |mut rx| async move {
        let batch = match rx.recv().await {
            Ok(change) => events_for(&change),
            Err(RecvError::Lagged(_)) => vec![reload()],
            Err(RecvError::Closed) => return None,
        };
        Some((stream::iter(batch.into_iter().map(Ok)), rx))
    })
    .flatten();
    Sse::new(events).keep_alive(KeepAlive::default())
}

fn reload() -> Event {
    Event::default().event("reload").data("{}")
}

/// The events of one change: its alerts come read already (once for every subscriber).
fn events_for(change: &Change) -> Vec<Event> {
    let (name, alerts) = match change {
        Change::Created(alerts) => ("alert", alerts),
        Change::Updated(alerts) => ("update", alerts),
        Change::Reload => return vec![reload()],
    };
    if alerts.len() > MAX_EVENTS_PER_CHANGE {
        return vec![reload()];
    }
    alerts
        .iter()
        .filter_map(|alert| {
            Event::default()
                .event(name)
                .id(alert.id.to_string())
                .json_data(crate::domain::AlertJson::from(alert))
                .inspect_err(|e| {
                    tracing::warn!(id = alert.id, error = %e, "cannot encode an alert for the stream");
                })
                .ok()
        })
        .collect()
}
