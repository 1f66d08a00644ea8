//! The request handlers. Each one parses, calls the alert service, and shapes the answer;
//! no SQL here.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::doc::{ActingUser, EventQuery, ListQuery, SilencedQuery};
use super::error::{ApiError, ErrorBody};
use super::params::{EVENT_PARAMS, LIST_PARAMS, parse_list, parse_silenced_only};
use crate::domain::{AckOutcome, AlertJson, OccurrenceJson};
use crate::health::PipelineStatus;
use crate::service::{AlertListBody, AlertStats};

/// Header naming the acting user.
pub const USER_HEADER: &str = "x-oddswatch-user";

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn pairs(query: QueryPairs) -> Result<Vec<(String, String)>, ApiError> {
    Ok(query?.0)
}

/// The acting user: the `X-Oddswatch-User` header, else the configured user.
pub(super) fn acting_user(state: &ApiState, headers: &HeaderMap) -> Result<String, ApiError> {
    match headers.get(USER_HEADER) {
        None => Ok(state.service.user().to_string()),
        Some(value) => {
            // Header values are bytes; names such as "Zoë" arrive as UTF-8.
            let user = std::str::from_utf8(value.as_bytes())
                .map(str::trim)
                .unwrap_or_default();
            if user.is_empty() || user.chars().count() > 64 || user.chars().any(char::is_control) {
                return Err(ApiError::bad_request(
                    "X-Oddswatch-User must be 1 to 64 printable characters (UTF-8, no control \
                     characters)",
                ));
            }
            Ok(user.to_string())
        }
    }
}

/// List alerts with filters and paging.
#[utoipa::path(
    get, path = "/api/alerts", tag = "alerts",
    params(ListQuery),
    responses(
        (status = 200, body = AlertListBody),
        (status = 400, description = "a parameter is unknown, repeated where it may not be, or out of range; the message names it and what is allowed", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_alerts(
    State(state): State<ApiState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let request = parse_list(&pairs(query)?, LIST_PARAMS)?;
    let page = state
        .service
        .list(&request.filter, request.sort, &request.page)
        .await?;
    Ok(Json(page.body()).into_response())
}

/// Counts by status, severity and type, every key present; `silenced` counts the alerts
/// silences hide, which the other counts leave out unless `silenced=include|only`.
#[utoipa::path(
    get, path = "/api/alerts/stats", tag = "alerts",
    params(SilencedQuery),
    responses(
        (status = 200, body = AlertStats),
        (status = 400, description = "a parameter is unknown, or silenced is not hide, include or only", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn stats(
    State(state): State<ApiState>,
    query: QueryPairs,
) -> Result<Json<AlertStats>, ApiError> {
    let silenced = parse_silenced_only(&pairs(query)?)?;
    Ok(Json(state.service.stats_of(silenced).await?))
}

/// One alert.
#[utoipa::path(
    get, path = "/api/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, format = Int64, description = "alert id")),
    responses(
        (status = 200, body = AlertJson),
        (status = 400, description = "the id is not a 64-bit integer", body = ErrorBody),
        (status = 404, description = "no alert has this id", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_alert(
    State(state): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<AlertJson>, ApiError> {
    let alert = state.service.get(id?.0).await?;
    Ok(Json(AlertJson::from(&alert)))
}

/// Every detection of one alert, oldest first: the first opened it, each later one was folded
/// into it (DESIGN §10).
#[utoipa::path(
    get, path = "/api/alerts/{id}/occurrences", tag = "alerts",
    params(("id" = i64, Path, format = Int64, description = "alert id")),
    responses(
        (status = 200, description = "the alert's occurrences, oldest first; as many as its `occurrences`", body = Vec<OccurrenceJson>),
        (status = 400, description = "the id is not a 64-bit integer", body = ErrorBody),
        (status = 404, description = "no alert has this id", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn alert_occurrences(
    State(state): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Vec<OccurrenceJson>>, ApiError> {
    let occurrences = state.service.occurrences(id?.0).await?;
    Ok(Json(occurrences.iter().map(OccurrenceJson::from).collect()))
}

/// Body of `PATCH /api/alerts/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchAlert {
    /// `true` to acknowledge, `false` to return to new.
    pub acknowledged: bool,
    /// Comment for the audit trail.
    #[schema(max_length = 1000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub comment: Option<String>,
}

/// Acknowledge or unacknowledge one alert.
#[utoipa::path(
    patch, path = "/api/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, format = Int64, description = "alert id"), ActingUser),
    request_body = PatchAlert,
    responses(
        (status = 200, description = "the alert as it is now", body = AlertJson),
        (status = 400, description = "the alert is past (its event has started: past alerts cannot be acknowledged or unacknowledged), the id is not a 64-bit integer, or the comment or user header is invalid", body = ErrorBody),
        (status = 404, description = "no alert has this id", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn patch_alert(
    State(state): State<ApiState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<PatchAlert>, JsonRejection>,
) -> Result<Json<AlertJson>, ApiError> {
    let id = id?.0;
    let body = body?.0;
    let service = state.service.as_user(acting_user(&state, &headers)?);
    let alert = service
        .set_acknowledged(id, body.acknowledged, body.comment.as_deref())
        .await?;
    Ok(Json(AlertJson::from(&alert)))
}

/// Body of `POST /api/alerts/acknowledge`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BulkAck {
    /// Alert ids (1 to 1000).
    #[schema(min_items = 1, max_items = 1000)]
    #[serde(deserialize_with = "integer_ids")]
    pub ids: Vec<i64>,
    /// `false` to unacknowledge instead (default `true`).
    #[serde(default = "yes")]
    pub acknowledged: bool,
    /// Comment for the audit trail.
    #[schema(max_length = 1000, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub comment: Option<String>,
}

/// Alert ids as JSON integers. JSON has one number type, so `7.0` is the integer 7 (as JSON
/// Schema says); `7.5` or a number outside 64 bits is refused with the offending value.
fn integer_ids<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    let numbers = Vec::<serde_json::Number>::deserialize(deserializer)?;
    numbers
        .iter()
        .map(|n| {
            n.as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a 64-bit integer id")))
        })
        .collect()
}

fn yes() -> bool {
    true
}

/// One id's result in a bulk answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    /// The id.
    pub id: i64,
    /// `changed`, `unchanged`, `eventStarted` or `notFound`.
    pub result: &'static str,
    /// Who had acknowledged it, for `unchanged`.
    pub by: Option<String>,
}

/// Answer of a bulk acknowledgement.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkAnswer {
    /// One entry per requested id, in request order.
    pub results: Vec<BulkResult>,
    /// How many changed.
    pub changed: usize,
}

/// Acknowledge (or unacknowledge) many alerts, reporting per id what happened.
#[utoipa::path(
    post, path = "/api/alerts/acknowledge", tag = "alerts",
    request_body = BulkAck,
    params(ActingUser),
    responses(
        (status = 200, description = "one result per requested id, in request order", body = BulkAnswer),
        (status = 400, description = "ids does not hold 1 to 1000 ids, or the comment or user header is invalid", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn bulk_acknowledge(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Json<BulkAck>, JsonRejection>,
) -> Result<Json<BulkAnswer>, ApiError> {
    let body = body?.0;
    if body.ids.is_empty() || body.ids.len() > 1000 {
        return Err(ApiError::bad_request(format!(
            "ids must hold 1 to 1000 alert ids (got {})",
            body.ids.len()
        )));
    }
    let service = state.service.as_user(acting_user(&state, &headers)?);
    let outcomes = if body.acknowledged {
        service
            .acknowledge(&body.ids, body.comment.as_deref())
            .await?
    } else {
        service
            .unacknowledge(&body.ids, body.comment.as_deref())
            .await?
    };
    let results: Vec<BulkResult> = outcomes
        .into_iter()
        .map(|(id, outcome)| match outcome {
            AckOutcome::Changed => BulkResult {
                id,
                result: "changed",
                by: None,
            },
            AckOutcome::Unchanged { by } => BulkResult {
                id,
                result: "unchanged",
                by,
            },
            AckOutcome::EventStarted => BulkResult {
                id,
                result: "eventStarted",
                by: None,
            },
            AckOutcome::NotFound => BulkResult {
                id,
                result: "notFound",
                by: None,
            },
        })
        .collect();
    let changed = results.iter().filter(|r| r.result == "changed").count();
    Ok(Json(BulkAnswer { results, changed }))
}

/// The alerts of one event, same shape as the list.
#[utoipa::path(
    get, path = "/api/events/{id}/alerts", tag = "alerts",
    params(("id" = i64, Path, format = Int64, description = "event id"), EventQuery),
    responses(
        (status = 200, description = "the event's alerts (an empty page for an unknown event)", body = AlertListBody),
        (status = 400, description = "a parameter is unknown, repeated where it may not be, or out of range; the message names it and what is allowed", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn event_alerts(
    State(state): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let mut request = parse_list(&pairs(query)?, EVENT_PARAMS)?;
    request.filter.event_id = Some(id?.0);
    let page = state
        .service
        .list(&request.filter, request.sort, &request.page)
        .await?;
    Ok(Json(page.body()).into_response())
}

/// Answer of `GET /api/health`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok` when the database answers, else `unavailable`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Whether the database answered.
    pub database_reachable: bool,
    /// The pipeline in this process, or state `attached` when there is none.
    pub pipeline: PipelineStatus,
    /// The notification targets (DESIGN §12): `state` `ok`, `retrying` or `paused`, with their
    /// waiting deliveries and last error. Absent when none is configured or has deliveries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<crate::service::NotifyTargetStatus>,
}

/// Database reachability, pipeline state and per-book health.
#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<ApiState>) -> Response {
    let reachable = state.service.ping().await.is_ok();
    let pipeline = match &state.status {
        Some(status) => status.borrow().clone(),
        None => PipelineStatus {
            state: crate::health::PipelineState::Attached,
            ..PipelineStatus::default()
        },
    };
    let notify = if reachable {
        state.service.notify_status().await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let body = Health {
        status: if reachable { "ok" } else { "unavailable" },
        backend: state.service.backend_name(),
        database_reachable: reachable,
        pipeline,
        notify,
    };
    let code = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}
