//! The request handlers. Each one parses, calls the alert service, and shapes the answer;
//! no SQL here.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::params::{EVENT_PARAMS, LIST_PARAMS, parse_list};
use crate::domain::Alert;
use crate::health::PipelineStatus;
use crate::service::{AlertListBody, AlertStats};
use crate::store::AckOutcome;

/// Header naming the acting user.
pub const USER_HEADER: &str = "x-oddswatch-user";

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn pairs(query: QueryPairs) -> Result<Vec<(String, String)>, ApiError> {
    Ok(query?.0)
}

/// The acting user: the `X-Oddswatch-User` header, else the configured user.
fn acting_user(state: &ApiState, headers: &HeaderMap) -> Result<String, ApiError> {
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
    params(
        ("status" = Option<String>, Query, description = "new, acknowledged, past (comma-separated or repeated)"),
        ("severity" = Option<String>, Query, description = "warning, elevated, critical"),
        ("alertType" = Option<String>, Query, description = "price_change, direction_disagreement, availability"),
        ("eventId" = Option<i64>, Query, description = "only this event"),
        ("bookmaker" = Option<String>, Query, description = "book slug"),
        ("q" = Option<String>, Query, description = "text in event, team, tournament or market names"),
        ("sort" = Option<String>, Query, description = "detected (default), severity, kickoff, change"),
        ("limit" = Option<u32>, Query, description = "1-200, default 50"),
        ("offset" = Option<u64>, Query, description = ">= 0"),
    ),
    responses((status = 200, body = AlertListBody), (status = 400, body = ErrorBody))
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

/// Counts by status, severity and type, every key present.
#[utoipa::path(get, path = "/api/alerts/stats", tag = "alerts", responses((status = 200, body = AlertStats)))]
pub async fn stats(State(state): State<ApiState>) -> Result<Json<AlertStats>, ApiError> {
    Ok(Json(state.service.stats().await?))
}

/// One alert.
#[utoipa::path(
    get, path = "/api/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "alert id")),
    responses((status = 200, body = Alert), (status = 404, body = ErrorBody))
)]
pub async fn get_alert(
    State(state): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(state.service.get(id?.0).await?))
}

/// Body of `PATCH /api/alerts/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchAlert {
    /// `true` to acknowledge, `false` to return to new.
    pub acknowledged: bool,
    /// Comment for the audit trail.
    pub comment: Option<String>,
}

/// Acknowledge or unacknowledge one alert.
#[utoipa::path(
    patch, path = "/api/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "alert id"), ("X-Oddswatch-User" = Option<String>, Header, description = "acting user")),
    request_body = PatchAlert,
    responses(
        (status = 200, body = Alert),
        (status = 400, description = "the event has started (past alerts are frozen)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "malformed body", body = ErrorBody),
    )
)]
pub async fn patch_alert(
    State(state): State<ApiState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<PatchAlert>, JsonRejection>,
) -> Result<Json<Alert>, ApiError> {
    let id = id?.0;
    let body = body?.0;
    let service = state.service.as_user(acting_user(&state, &headers)?);
    Ok(Json(
        service
            .set_acknowledged(id, body.acknowledged, body.comment.as_deref())
            .await?,
    ))
}

/// Body of `POST /api/alerts/acknowledge`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BulkAck {
    /// Alert ids (1 to 1000).
    pub ids: Vec<i64>,
    /// `false` to unacknowledge instead (default `true`).
    #[serde(default = "yes")]
    pub acknowledged: bool,
    /// Comment for the audit trail.
    pub comment: Option<String>,
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
    params(("X-Oddswatch-User" = Option<String>, Header, description = "acting user")),
    responses((status = 200, body = BulkAnswer), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody))
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
    params(
        ("id" = i64, Path, description = "event id"),
        ("status" = Option<String>, Query, description = "new, acknowledged, past"),
        ("limit" = Option<u32>, Query, description = "1-200, default 50"),
        ("offset" = Option<u64>, Query, description = ">= 0"),
    ),
    responses((status = 200, body = AlertListBody), (status = 400, body = ErrorBody))
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
}

/// Database reachability, pipeline state and per-book health.
#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<ApiState>) -> Response {
    let reachable = state.service.store().ping().await.is_ok();
    let pipeline = match &state.status {
        Some(status) => status.borrow().clone(),
        None => PipelineStatus {
            state: crate::health::PipelineState::Attached,
            ..PipelineStatus::default()
        },
    };
    let body = Health {
        status: if reachable { "ok" } else { "unavailable" },
        backend: state.service.store().backend().as_str(),
        database_reachable: reachable,
        pipeline,
    };
    let code = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}
