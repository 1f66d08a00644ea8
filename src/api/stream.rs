//! `GET /api/alerts/stream`: Server-Sent Events of new alerts (`alert`), status changes
//! (`update`: acknowledged, unacknowledged, past) and `reload` when many changed at once or the
//! client fell behind. Fed by the change feed, so alerts written by any process appear; the
//! feed reads each changed alert once for all subscribers, so a stream costs no query.
//!
//! `?silenced=hide|include|only` (default `hide`) chooses whether alerts a silence hides are
//! sent, as the list's parameter does: by default a silenced alert never reaches a client that
//! would ring for it. An alert folded, escalated or re-opened is sent as an `update`.

use std::convert::Infallible;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use futures::stream::{self, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::ApiState;
use super::doc::{SilencedQuery, StreamEvent};
use super::error::{ApiError, ErrorBody};
use super::params::parse_silenced_only;
use crate::domain::{Alert, SilencedFilter};
use crate::live::Change;

/// Changes with more ids than this are sent as one `reload` instead of one event per alert.
const MAX_EVENTS_PER_CHANGE: usize = 500;

/// The live stream.
#[utoipa::path(
    get, path = "/api/alerts/stream", tag = "alerts",
    params(SilencedQuery),
    responses((
        status = 200,
        description = "Server-Sent Events, kept alive with comments: `alert` (a new alert; `id` is its id, data the Alert as JSON), `update` (an alert whose status changed; data the Alert as it is now) and `reload` (many changed or the client fell behind; data `{}`: read the list again)",
        content_type = "text/event-stream",
        body = StreamEvent,
    ), (
        status = 400,
        description = "a parameter is unknown, or silenced is not hide, include or only",
        body = ErrorBody,
    ))
)]
pub async fn stream(
    State(state): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let silenced = parse_silenced_only(&query?.0)?;
    Ok(events(state, silenced).into_response())
}

fn events(
    state: ApiState,
    silenced: SilencedFilter,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.feed.subscribe();
    let events = stream::unfold(rx, move |mut rx| async move {
        let batch = match rx.recv().await {
            Ok(change) => events_for(&change, silenced),
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

/// Whether `alert` is sent under the `silenced` parameter.
fn shown(alert: &Alert, silenced: SilencedFilter) -> bool {
    match silenced {
        SilencedFilter::Hide => alert.silenced_by.is_none(),
        SilencedFilter::Include => true,
        SilencedFilter::Only => alert.silenced_by.is_some(),
    }
}

/// The events of one change: its alerts come read already (once for every subscriber).
fn events_for(change: &Change, silenced: SilencedFilter) -> Vec<Event> {
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
        .filter(|alert| shown(alert, silenced))
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
